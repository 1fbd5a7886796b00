"""Writes of the search: recording what was searched, and folding those
records into the audit trail; saved searches and their alerts.

A search shows snippets of documents, questions and findings, so who searched
for what, when and from where is part of the record, like a document viewed.
Every answered search request (the page, each htmx request as one types, the
API) is recorded; a reader's run of requests made in a row becomes one audit
event once the reader has stopped typing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import groupby

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from audit import context
from audit.services import audit_record, audit_record_many, organisation_label
from notifications.services import notification_send

from .forms import SearchForm
from .models import SavedSearch, SearchRecord
from .selectors import ACTIVITY, CAP, KINDS, Filters, Results, activity_found, saved_search_url, search

logger = logging.getLogger(__name__)

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
    than ``rows_at_once`` is written in parts). One fold writes at a time:
    each batch first takes a transaction-level advisory lock (PostgreSQL),
    and a fold that finds it taken — a second worker's, or a redelivered
    task, while a backlog is being folded — returns at once, leaving the
    backlog to the fold that holds it, which reads on until none is left.
    Otherwise the second would take the records after the first's locked
    batch and write the rest of a run the first holds the start of as an
    event of its own. Records locked by anything else are skipped
    (``skip_locked``), so no record is ever written twice.

    The event names no review (``review_id`` stays empty, the filter is in its
    payload): what a reader searched for is shown to the program office's
    audit trail, never in a review's history to the other organisations on it.
    """
    cutoff = (now or timezone.now()) - SETTLE
    typing = SearchRecord.objects.filter(at__gte=cutoff).values("user_id")
    written = 0
    while True:
        with transaction.atomic():
            if not _fold_lock():
                return written
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


def _fold_lock() -> bool:
    """The fold's lock for the current transaction: False when another fold
    holds it. SQLite (the embedded default) lets one writer in at a time anyway."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('search_records_fold'))")
        return cursor.fetchone()[0]


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


# --- Saved searches ---------------------------------------------------------

SAVED_PER_READER = 25
# An alerting saved search is run again when its last check is this old (the
# beat looks every five minutes: a new match is told 15–20 minutes after it
# can be found).
CHECK_EVERY = timedelta(minutes=15)
# A check looks at what was created since a day before the last one: a
# document's text becomes searchable only once its scan has passed, and dates
# are whole days; what the last window held is not told again.
WINDOW_MARGIN = timedelta(days=1)


@transaction.atomic
def saved_search_create(*, owner, text: str, params: str, alert: bool = True, now: datetime | None = None) -> tuple[SavedSearch, bool]:
    """Keeps ``owner``'s search (``params``: its filters, as
    ``SearchForm.saved_params`` gives them); returns it and whether it is new
    (the same words and filters saved again return the one kept).

    Side effects: the matches the owner may see now in the alert window are
    noted as ``reported``, so the first alert tells only what comes after
    (one search, run now for the owner). Refused with a ValidationError past
    ``SAVED_PER_READER`` searches. The owner's row is locked while counting,
    so two saves at once cannot pass the limit together."""
    now = now or timezone.now()
    get_user_model().objects.select_for_update().only("pk").get(pk=owner.pk)
    existing = SavedSearch.objects.filter(owner=owner, text=text, params=params).first()
    if existing is not None:
        return existing, False
    if SavedSearch.objects.filter(owner=owner).count() >= SAVED_PER_READER:
        raise ValidationError(f"You have {SAVED_PER_READER} saved searches, the most one may keep; remove one first.")
    saved = SavedSearch(owner=owner, text=text, params=params, alert=alert, created_at=now, checked_at=now)
    saved.reported = _window_keys(saved, since=now) if alert else []
    saved.full_clean()
    try:
        with transaction.atomic():
            saved.save()
    except IntegrityError:  # saved by a request that locked the owner after this one read nothing
        return SavedSearch.objects.get(owner=owner, text=text, params=params), False
    return saved, True


@transaction.atomic
def saved_search_alert_set(*, owner, saved_search_id: int, alert: bool, now: datetime | None = None) -> SavedSearch:
    """Turns a saved search's alerts on or off. Raises SavedSearch.DoesNotExist
    for one that is not ``owner``'s. Turned on, it starts from what matches now
    (noted as ``reported``): what appeared while it was off is not told."""
    now = now or timezone.now()
    saved = SavedSearch.objects.select_for_update().select_related("owner").get(pk=saved_search_id, owner=owner)
    if saved.alert != alert:
        saved.alert = alert
        saved.checked_at = now
        saved.reported = _window_keys(saved, since=now) if alert else []
        saved.full_clean()
        saved.save(update_fields=["alert", "checked_at", "reported"])
    return saved


@transaction.atomic
def saved_search_delete(*, owner, saved_search_id: int) -> None:
    """Removes one of ``owner``'s saved searches (SavedSearch.DoesNotExist for anyone else's)."""
    SavedSearch.objects.select_for_update().get(pk=saved_search_id, owner=owner).delete()


# A run stops taking saved searches after this long: inside the tasks' soft
# time limit (CELERY_TASK_SOFT_TIME_LIMIT, 300 s), one run every five minutes.
RUN_BUDGET = timedelta(minutes=4)


def saved_searches_check(*, now: datetime | None = None, at_once: int = 200, budget: timedelta = RUN_BUDGET) -> int:
    """Checks every alerting saved search whose last check is ``CHECK_EVERY``
    old, oldest first, ``at_once`` ids a read, each in its own transaction
    (``saved_search_check``), until none is left or ``budget`` has passed (the
    next run takes the rest). Returns how many alerts were sent.

    One saved search that fails is logged and left due for the next run; the
    others are checked (one failing search must not hold back everyone
    else's alerts). If every one tried failed, the last error is raised: then
    something all share (the database) is wrong, and the task says so. Rows
    another run holds are passed over, not waited for."""
    now = now or timezone.now()
    deadline = time.monotonic() + budget.total_seconds()
    due = SavedSearch.objects.filter(alert=True, owner__is_active=True, checked_at__lte=now - CHECK_EVERY).order_by("checked_at", "pk")
    told = tried = failed = 0
    last_error: Exception | None = None
    after: tuple[datetime, int] | None = None
    while True:
        page = due if after is None else due.filter(Q(checked_at__gt=after[0]) | Q(checked_at=after[0], pk__gt=after[1]))
        batch = list(page.values_list("checked_at", "pk")[:at_once])
        for after in batch:
            if time.monotonic() >= deadline:
                batch = []
                break
            tried += 1
            try:
                told += saved_search_check(saved_search_id=after[1], now=now)
            except SoftTimeLimitExceeded:
                raise  # the task's own time is up: not one search's fault
            except Exception as error:  # noqa: BLE001 — logged, left due, the others still checked
                failed += 1
                last_error = error
                logger.exception("saved search %s: the check failed; it is tried again on the next run", after[1])
        if len(batch) < at_once:
            break
    if tried and failed == tried and last_error is not None:
        raise last_error
    return told


@transaction.atomic
def saved_search_check(*, saved_search_id: int, now: datetime | None = None) -> int:
    """Runs one saved search again for its owner and tells them what is new;
    returns 1 if they were told, else 0.

    The search is the owner's (scoped as every search of theirs: nothing they
    may not see is found, counted or told), over what was created since a day
    before the last check. A match not among ``reported`` is new. Side
    effects, in one transaction with the saved search's new ``reported`` and
    ``checked_at``: a notification to the owner naming how many of each kind
    are new and linking to the search narrowed to the window (e-mailed by
    their preference, through the outbox after commit), and a
    ``search.alerted`` audit event with the same counts. Idempotent by state:
    the row is locked (one checked by another run is skipped) and one checked
    within ``CHECK_EVERY`` is left; a failure leaves the row as it was, for the
    next run. A saved search whose filters no longer validate is checked off
    without a search."""
    now = now or timezone.now()
    saved = (
        SavedSearch.objects.select_for_update(skip_locked=True, of=("self",)).select_related("owner")
        .filter(pk=saved_search_id, alert=True, checked_at__lte=now - CHECK_EVERY).first()
    )
    if saved is None or not saved.owner.is_active:
        return 0
    window = _window(saved, since=saved.checked_at)
    found = _window_found(saved, filters=window) if window is not None else {}
    new = _new(found, reported=saved.reported)
    saved.reported = [key for keys, _ in found.values() for key in keys]
    saved.checked_at = now
    if new:
        saved.alerted_at = now
        _alert(saved, new, first_day=window.date_from)
    saved.full_clean()
    saved.save(update_fields=["reported", "checked_at", "alerted_at"])
    return 1 if new else 0


def _new(found: dict[str, tuple[list[str], bool]], *, reported: list[str]) -> dict[str, tuple[list[str], bool]]:
    """Per kind, the matches in ``found`` that are not ``reported``. Where a
    kind's window held more than CAP matches, which CAP of them a search
    reads first is the plan's and may change from one check to the next; there
    only rows newer (by id) than every one of that kind reported count, so a
    match that merely came back into the first CAP is not told as new."""
    told = set(reported)
    new = {}
    for kind, (keys, capped) in found.items():
        fresh = [key for key in keys if key not in told]
        if capped:
            newest = max((int(key.partition(":")[2]) for key in told if key.startswith(f"{kind}:")), default=0)
            fresh = [key for key in fresh if int(key.partition(":")[2]) > newest]
        if fresh:
            new[kind] = (fresh, capped)
    return new


def _window(saved: SavedSearch, *, since: datetime) -> Filters | None:
    """The saved search's filters narrowed to what was created from the day a
    day before ``since`` (the active time zone's) on, or from its own first
    day if later; None when its filters no longer validate or end before."""
    data = QueryDict(saved.params, mutable=True)
    data["q"] = saved.text
    form = SearchForm(data)
    if not form.is_valid() or not form.cleaned_data["q"]:
        return None
    filters = form.filters()
    start = timezone.localdate(since - WINDOW_MARGIN)
    if filters.date_to and filters.date_to < start:
        return None
    return replace(filters, date_from=max(filters.date_from or start, start))


def _window_found(saved: SavedSearch, *, filters: Filters) -> dict[str, tuple[list[str], bool]]:
    """Per kind, the "kind:id" of each match the owner may see within
    ``filters`` (the first CAP of a kind), and whether there were more; and
    per activity on older rows (a reply in a question's thread, a document's
    later version, a company's response to a finding, a comment or an evidence file on a finding:
    ``selectors.activity_found``), its newest CAP."""
    results = search(user=saved.owner, text=saved.text, filters=filters, limit=CAP)
    found = {section.kind: ([f"{section.kind}:{hit.pk}" for hit in section.hits], section.capped) for section in results.sections}
    return found | activity_found(user=saved.owner, text=saved.text, filters=filters)


def _window_keys(saved: SavedSearch, *, since: datetime) -> list[str]:
    window = _window(saved, since=since)
    return [key for keys, _ in _window_found(saved, filters=window).values() for key in keys] if window is not None else []


# What an alert calls each kind of match, one and many.
NOUNS = {kind: (label.lower()[:-1], label.lower()) for kind, label in KINDS.items()} | ACTIVITY


def _alert(saved: SavedSearch, new: dict[str, tuple[list[str], bool]], *, first_day) -> None:
    """Tells the owner how many of each kind are new (counts only: no title or
    snippet leaves the portal in an e-mail) and records it. The link opens the
    search narrowed to the window's days when every new match was created in
    them; a reply, a later version, a response, a comment or an evidence file belongs to a question, a
    document or a finding made before, which the narrowed search would not
    show, so then the link opens the whole saved search (a question shows its
    newest matching reply, a document its newest matching version, a finding
    its newest matching comment or evidence file)."""
    shown = {kind: f"{len(keys)} or more" if capped else str(len(keys)) for kind, (keys, capped) in new.items()}
    told = ", ".join(f"{n} {NOUNS[kind][0] if n == '1' else NOUNS[kind][1]}" for kind, n in shown.items())
    counts = {NOUNS[kind][1]: n for kind, n in shown.items()}
    if set(new) <= set(KINDS):
        url = saved_search_url(saved, date_from=first_day.isoformat())
        body = (f"Matches you may see, created since {first_day:%-d %B %Y}, that were not there at the last check. "
                "The link opens the search narrowed to them.")
    else:
        url = saved_search_url(saved)
        body = (f"Matches you may see, new since {first_day:%-d %B %Y}, that were not there at the last check, among them "
                "replies to questions, new versions of documents, responses to findings, comments on findings or evidence files "
                "added to findings made earlier. "
                "The link opens the whole search.")
    notification_send(
        recipients=[saved.owner], verb="search.alert", title=f"New for your saved search \u201c{saved.text}\u201d: {told}",
        body=body, url=url, email_kind="search_alert",
    )
    audit_record(
        action="search.alerted", actor=saved.owner,
        payload={"searched_for": saved.text, "filters": dict(QueryDict(saved.params).items()), "new": counts, "since": first_day.isoformat()},
    )
