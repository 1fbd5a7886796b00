import json
from datetime import timezone as dt_timezone

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.exports import csv_writer
from portal.pagination import paginate

from .forms import AuditFilterForm
from .selectors import audit_event_list
from .services import audit_record
from .verify import verify_chain

CSV_FIELDS = [
    "id", "at_utc", "action", "actor", "actor_organisation", "target_type", "target_id", "target",
    "review_id", "client_address", "request_id", "payload", "hash", "prev_hash",
]


def _zone(request):
    return getattr(request.user, "time_zone", None) or timezone.get_current_timezone()


def _filtered(request):
    form = AuditFilterForm(request.GET or None, zone=_zone(request))
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_event_list(user=request.user, **{k: v for k, v in filters.items() if v})
    return form, filters, events


def _index(request, *, verification=None):
    form, _, events = _filtered(request)
    return render(
        request,
        "audit/index.html",
        {"form": form, "page": paginate(request, events, default=50), "zone": _zone(request), "verification": verification},
    )


@login_required
def audit_index(request):
    if not request.user.is_program_admin:
        raise Http404
    return _index(request)


@login_required
@require_POST
def audit_verify(request):
    """Walks the whole chain as ``manage.py verify_audit`` does (audit.verify) and
    shows the result above the trail: intact with the number of events, or the
    first broken event and why. The check itself is recorded (``audit.verify``)
    after it ran, so it never checks its own event."""
    if not request.user.is_program_admin:
        raise Http404
    checked, broken = verify_chain()
    audit_record(
        action="audit.verify",
        actor=request.user,
        payload={"checked": checked, "intact": broken is None, **({"broken_at": broken.event_id, "reason": broken.reason} if broken else {})},
    )
    return _index(request, verification={"checked": checked, "broken": broken})


@login_required
def audit_export(request):
    """Streams the filtered trail as CSV, row by row, whatever the range.

    Times are UTC (ISO 8601) and payloads JSON, whatever the reader's zone.
    The export itself is an audit event (recorded before streaming starts).
    """
    if not request.user.is_program_admin:
        raise Http404
    form, filters, events = _filtered(request)
    audit_record(
        action="audit.export",
        actor=request.user,
        payload={k: (v.astimezone(dt_timezone.utc).isoformat() if hasattr(v, "astimezone") else v) for k, v in filters.items() if v},
    )
    writer = csv_writer()  # cells that would start a formula are neutralised

    def rows():
        yield writer.writerow(CSV_FIELDS)
        for e in events.order_by("id").iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    e.pk, e.at.astimezone(dt_timezone.utc).isoformat(), e.action, e.actor_label, e.actor_organisation,
                    e.target_type, e.target_id, e.target_label, e.review_id or "", e.client_address or "",
                    e.request_id, json.dumps(e.payload, ensure_ascii=False, sort_keys=True), e.hash, e.prev_hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%dT%H%M%SZ}.csv"'
    return response
