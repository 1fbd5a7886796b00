"""Walking the hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from .models import AuditEvent, AuditHead
from .services import GENESIS, compute_hash


@dataclass
class ChainBreak:
    event_id: int | None
    reason: str


def verify_chain(*, batch_size: int = 5000) -> tuple[int, ChainBreak | None]:
    """Returns (events checked, first break or None).

    An edited event no longer matches its own hash; a removed or re-ordered
    event leaves its successor pointing at a hash that is not the previous
    one; a removed tail leaves the head pointing past the last event; and the
    head counts the events it chained, so a different number of events is a
    break too.
    """
    expected_prev = GENESIS
    checked = 0
    last_id = 0
    last_hash = GENESIS
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.prev_hash != expected_prev:
                return checked, ChainBreak(
                    event.pk, "its predecessor is missing or out of order (previous hash does not match)"
                )
            if compute_hash(event) != event.hash:
                return checked, ChainBreak(event.pk, "its content was altered (hash does not match)")
            expected_prev = event.hash
            last_hash = event.hash
            last_id = event.pk
            checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != last_hash:
        return checked, ChainBreak(head.last_event_id, "the newest events were removed (chain head points past the last event)")
    if head is not None and head.events != checked:
        return checked, ChainBreak(head.last_event_id, f"the chain head counts {head.events} events, the trail holds {checked}")
    return checked, None
