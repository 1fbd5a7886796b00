from datetime import timezone as dt_timezone

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal.exports import csv_writer
from portal.pagination import paginate

from .forms import AuditFilterForm
from .selectors import audit_event_list
from .services import audit_record

CSV_FIELDS = [
    "id", "at_utc", "action", "actor", "actor_organisation", "target_type", "target_id", "target",
    "review_id", "client_address", "request_id", "payload", "hash", "prev_hash",
]


def _filtered(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_event_list(user=request.user, **{k: v for k, v in filters.items() if v})
    return form, filters, events


@login_required
def audit_index(request):
    if not request.user.is_program_admin:
        raise Http404
    form, _, events = _filtered(request)
    return render(request, "audit/index.html", {"form": form, "page": paginate(request, events, default=50)})


@login_required
def audit_export(request):
    """Streams the filtered trail as CSV, row by row, whatever the range.

    The export itself is an audit event (recorded before streaming starts).
    """
    if not request.user.is_program_admin:
        raise Http404
    form, filters, events = _filtered(request)
    audit_record(
        action="audit.export",
        actor=request.user,
        payload={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items() if v},
    )
    writer = csv_writer()  # cells that would start a formula are neutralised

    def rows():
        yield writer.writerow(CSV_FIELDS)
        for e in events.order_by("id").iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    e.pk, e.at.astimezone(dt_timezone.utc).isoformat(), e.action, e.actor_label, e.actor_organisation,
                    e.target_type, e.target_id, e.target_label, e.review_id or "", e.client_address or "",
                    e.request_id, e.payload, e.hash, e.prev_hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%dT%H%M%SZ}.csv"'
    return response
