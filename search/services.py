"""Writes of the search: recording what was searched, and folding those
records into the audit trail.

A search shows snippets of documents, questions and findings, so who searched
for what, when and from where is part of the record, like a document viewed.
Every answered search request (the page, each htmx request as one types, the
API) is recorded; a reader's run of requests made in a row becomes one audit
event once the reader has stopped typing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audit import context
from audit.services import audit_record_many, organisation_label

from .models import SearchRecord
from .selectors import Results

# A run of searches ends when the reader has sent none for this long: the
# requests before are one search being typed (or refined), the next is a new one.
SETTLE = timedelta(seconds=10)
# The words of a run kept in its event, first to last; more are counted, not listed.
TYPED_KEPT = 200


def search_record(*, user, results: Results, filters: dict, via: str) -> SearchRecord:
    """Records one answered search request of ``user`` (no audit chain lock:
    ``search_records_fold`` makes the audit event later): what was typed,
    ``filters`` (the set ones, by the form's field names) and each kind's
    count as ``results`` showed it ("100+" past the cap). The client address
    and request id come from the current request (audit.context)."""
    record = SearchRecord(
        at=timezone.now(),
        user=user,
        actor_label=user.email,
        actor_organisation=organisation_label(user),
        via=via,
        text=results.query.raw,
        filters=filters,
        # By the type's name as the page shows it ("questions"), which the trail shows as it is.
        found={section.label.lower(): section.shown_count for section in results.sections},
        client_address=context.client_address.get(),
        request_id=context.request_id.get(),
    )
    # The reader is the request's signed-in user: checking that the account exists would cost a query a keystroke.
    record.full_clean(exclude=["user"])
    record.save()
    return record


def search_records_fold(*, now: datetime | None = None, rows_at_once: int = 5000) -> int:
    """Turns every settled run of searches into one ``search.run`` audit event
    and deletes its records. Returns how many events were written.

    A reader's records are folded once their newest is older than ``SETTLE``
    (a reader still typing keeps them all for the next fold). A run is the
    reader's consecutive page requests with the same filters and via, each
    within ``SETTLE`` of the one before; every API request is a run of its
    own. Records are read ``rows_at_once`` at a time, reader by reader, each
    batch in its own transaction with its events and deletions (a crash leaves
    both as they were; a backlog left by a stopped worker is never read into
    memory at once). A full batch leaves its last run to the next, which reads
    it whole, unless that run is all the batch holds (a run of more requests
    than ``rows_at_once`` is written in parts). Records locked by a fold
    running at the same time are skipped, so two folds never write one record
    twice (a run they share may be written in two parts).

    The event names no review (``review_id`` stays empty, the filter is in its
    payload): what a reader searched for is shown to the program office's
    audit trail, never in a review's history to the other organisations on it.
    """
    cutoff = (now or timezone.now()) - SETTLE
    typing = SearchRecord.objects.filter(at__gte=cutoff).values("user_id")
    written = 0
    while True:
        with transaction.atomic():
            records = list(
                SearchRecord.objects.select_for_update(skip_locked=True)
                .filter(at__lt=cutoff).exclude(user_id__in=typing)
                .order_by("user_id", "at", "id")[:rows_at_once]
            )
            if not records:
                return written
            runs = [(user_id, run) for user_id, own in groupby(records, key=lambda r: r.user_id) for run in _runs(list(own))]
            if len(records) == rows_at_once and len(runs) > 1:
                runs.pop()  # it may go on past this batch: the next one reads it whole
            users = get_user_model().objects.in_bulk({user_id for user_id, _ in runs})
            audit_record_many([_run_event(run, actor=users.get(user_id)) for user_id, run in runs])
            written += len(runs)
            SearchRecord.objects.filter(pk__in=[r.pk for _, run in runs for r in run]).delete()


def _runs(records: list[SearchRecord]) -> list[list[SearchRecord]]:
    runs: list[list[SearchRecord]] = []
    for record in records:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and record.via == SearchRecord.VIA_PAGE == last.via
            and record.filters == last.filters
            and record.at - last.at <= SETTLE
        ):
            runs[-1].append(record)
        else:
            runs.append([record])
    return runs


def _run_event(run: list[SearchRecord], *, actor) -> dict:
    """The ``search.run`` event of one run, as ``audit_record_many`` takes it."""
    first, last = run[0], run[-1]
    typed = [text for text, _ in groupby(r.text for r in run)]
    payload = {
        "searched_for": last.text,
        "filters": last.filters,
        "found": last.found,
        "via": dict(SearchRecord.VIA_CHOICES)[last.via],
        "requests": len(run),
    }
    if len(typed) > 1:
        payload["typed"] = typed[:TYPED_KEPT]
        if len(typed) > TYPED_KEPT:
            payload["typed_not_listed"] = len(typed) - TYPED_KEPT
    payload["from"] = first.at.isoformat(timespec="seconds")
    payload["until"] = last.at.isoformat(timespec="seconds")
    return {
        "action": "search.run",
        "actor": actor,
        "actor_label": last.actor_label,
        "actor_organisation": last.actor_organisation,
        "payload": payload,
        "client_address": last.client_address,
        "request_id": last.request_id,
    }
