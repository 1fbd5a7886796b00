"""Writing the audit trail.

``audit_record`` is called by the service that makes a change, inside that
service's transaction: if the event cannot be written the change rolls back
with it, and a rolled-back change leaves no event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from datetime import timezone as dt_timezone

from django.utils import timezone

from . import context
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def canonical(event: AuditEvent) -> str:
    """The content an event's hash covers, as stable JSON."""
    return json.dumps(
        {
            "at": event.at.astimezone(dt_timezone.utc).isoformat(timespec="microseconds"),
            "action": event.action,
            "actor_id": event.actor_id,
            "actor_label": event.actor_label,
            "actor_organisation": event.actor_organisation,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "target_label": event.target_label,
            "review_id": event.review_id,
            "client_address": event.client_address,
            "request_id": event.request_id,
            "payload": event.payload,
            "prev_hash": event.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event).encode()).hexdigest()


def _label(obj) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    return obj._meta.label_lower, str(obj.pk), str(obj)[:300]


def _review_id(target, review) -> int | None:
    if review is not None:
        return review.pk
    if target is None:
        return None
    # By label, not by class: the audit trail sits below the reviews app and imports none of it.
    if target._meta.label_lower == "reviews.review":
        return target.pk
    return getattr(target, "review_id", None)


def organisation_label(actor) -> str:
    """What the record names as ``actor``'s organisation: its agency or company, or the program office."""
    if actor is None or not getattr(actor, "pk", None):
        return ""
    org = getattr(actor, "organisation", None)
    return str(org) if org else ("Program office" if getattr(actor, "is_program_admin", False) else "")


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor=None,
    target=None,
    review=None,
    payload: dict[str, Any] | None = None,
    actor_label: str = "",
    actor_organisation: str | None = None,
    client_address: str | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Appends one event to the chain (locking the chain head while it does).

    ``action`` is a dotted name such as ``review.submit`` or
    ``document.download``; ``payload`` is a small JSON-able dict of what
    changed. The client address and request id come from the current request
    (audit.context), if any, unless given: an event written later for
    something a request did (``search.services.search_records_fold``) names
    that request's, and the organisation the actor had then.
    """
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    event = _chained(head, _event(
        action=action, actor=actor, target=target, review=review, payload=payload, actor_label=actor_label,
        actor_organisation=actor_organisation, client_address=client_address, request_id=request_id,
    ))
    event.save()
    head.last_event_id = event.pk
    head.events += 1
    head.save(update_fields=["last_hash", "last_event_id", "events"])
    return event


@transaction.atomic
def audit_record_many(entries: list[dict[str, Any]]) -> list[AuditEvent]:
    """Appends several events to the chain in the order given, each ``entries``
    item taking ``audit_record``'s keywords. The chain head is locked once and
    the events go in one ``INSERT``: a batch written together (the search
    fold's, up to thousands) costs one lock and one savepoint, not one of each
    per event (thousands of savepoints in one transaction also slow every
    statement of it in PostgreSQL)."""
    if not entries:
        return []
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    events = [_chained(head, _event(**entry)) for entry in entries]
    # Ids follow the list (one statement, rows in order), so the chain reads in id order as it was hashed.
    AuditEvent.objects.bulk_create(events)
    head.last_event_id = events[-1].pk
    head.events += len(events)
    head.save(update_fields=["last_hash", "last_event_id", "events"])
    return events


def _event(
    *, action: str, actor=None, target=None, review=None, payload: dict[str, Any] | None = None, actor_label: str = "",
    actor_organisation: str | None = None, client_address: str | None = None, request_id: str | None = None,
) -> AuditEvent:
    target_type, target_id, target_label = _label(target)
    return AuditEvent(
        at=timezone.now(),
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label or (getattr(actor, "email", "") if actor is not None else ""),
        actor_organisation=organisation_label(actor) if actor_organisation is None else actor_organisation,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        review_id=_review_id(target, review),
        client_address=context.client_address.get() if client_address is None else client_address,
        request_id=context.request_id.get() if request_id is None else request_id,
        payload=json.loads(json.dumps(payload or {}, default=str)),
    )


def _chained(head: AuditHead, event: AuditEvent) -> AuditEvent:
    """``event`` linked after the head's last hash and hashed; the head (locked by the caller) moves to it."""
    event.prev_hash = head.last_hash
    event.hash = compute_hash(event)
    head.last_hash = event.hash
    return event
