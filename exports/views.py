"""A review's closing report (interim while in review), as PDF or CSV, cut to the reader."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from reviews import selectors as review_selectors
from reviews.models import ReviewStatus

from .reports import report_csv, report_for, report_pdf, report_record


@login_required
def review_report(request, pk: int, fmt: str):
    """The closing report holding only what the reader may see; every copy handed out is an audit event."""
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    if review.status not in (ReviewStatus.IN_REVIEW, ReviewStatus.CLOSED) or fmt not in ("pdf", "csv"):
        raise Http404
    standing.require_material()
    report = report_for(review=review, user=request.user)
    report_record(review=review, user=request.user, fmt=fmt, report=report)
    name = f"review-{review.pk}-{'closing' if not report.interim else 'interim'}-report.{fmt}"
    if fmt == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
