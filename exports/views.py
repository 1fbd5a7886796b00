"""A review's closing report, JSON export, OSCAL documents and signed closing packages, cut to the reader.

Every view starts from ``review_page_get`` (404 out of scope) and the terms
gate; every export handed out is an audit event.
"""

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.errors import Refused
from portal.forms import show_refusal
from reviews import selectors as review_selectors
from reviews.models import ReviewStatus

from .data import SCHEMA_PATH, audience_of, export_json_bytes, review_export
from .reports import report_csv, report_for, report_pdf, report_record

EXPORTABLE = (ReviewStatus.IN_REVIEW, ReviewStatus.CLOSED)


def _exportable(request, pk: int):
    """The review and standing, or 404 (out of scope, or not in review/closed); the terms gate applies."""
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    if review.status not in EXPORTABLE:
        raise Http404
    standing.require_material()
    return review, standing


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def review_report(request, pk: int, fmt: str):
    """The closing report holding only what the reader may see; every copy handed out is an audit event."""
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    if review.status not in EXPORTABLE or fmt not in ("pdf", "csv"):
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


@login_required
def review_export_json(request, pk: int):
    """Every object of the review the reader may see, as versioned JSON (schema at ``export_schema``)."""
    from .services import review_export_recorded

    review, _ = _exportable(request, pk)
    doc = review_export_recorded(review=review, user=request.user)
    response = HttpResponse(export_json_bytes(doc), content_type="application/json")
    return _attachment(response, f"review-{review.pk}-{'interim-' if doc['interim'] else ''}export.json")


@login_required
def review_oscal(request, pk: int, kind: str):
    """OSCAL assessment results or POA&M of the review for the reader's audience (trestle-validated)."""
    from .oscal import KINDS, oscal_json
    from .services import export_record

    if kind not in KINDS:
        raise Http404
    review, _ = _exportable(request, pk)
    doc = review_export(review=review, user=request.user)
    body = oscal_json(doc, kind)
    export_record(review=review, user=request.user, fmt=kind, audience=doc["audience"], interim=doc["interim"])
    response = HttpResponse(body, content_type="application/json")
    return _attachment(response, f"review-{review.pk}-{'interim-' if doc['interim'] else ''}{kind}.oscal.json")


@login_required
def export_schema(request):
    """The JSON Schema of the review export (the same file as in the repository and in every package)."""
    response = HttpResponse(SCHEMA_PATH.read_bytes(), content_type="application/schema+json")
    response["Content-Disposition"] = f'inline; filename="{SCHEMA_PATH.name}"'
    return response


@login_required
def signing_key(request):
    """The portal's public signing key, to verify closing packages with ``verify_package --public-key``."""
    from .signing import key_id, public_key_pem

    if request.GET.get("format") == "pem":
        response = HttpResponse(public_key_pem(), content_type="application/x-pem-file")
        response["Content-Disposition"] = 'attachment; filename="portal-signing-key.pem"'
        return response
    return render(request, "exports/signing_key.html", {"pem": public_key_pem(), "key_id": key_id()})


def _packages(request, review):
    from .models import ExportPackage

    return list(ExportPackage.objects.visible_to(request.user, review=review).filter(review=review)[:20])


@login_required
def review_package(request, pk: int):
    """The reader's closing packages of this review (with progress while they build) and the form to ask for one."""
    from django.conf import settings

    from .packages import package_plan
    from .services import human_size

    review, standing = _exportable(request, pk)
    packages = _packages(request, review)
    plan = package_plan(review=review, user=request.user)
    context = {
        "review": review,
        "standing": standing,
        "packages": packages,
        "building": any(p.in_progress for p in packages),
        "audience": audience_of(request.user),
        "plan": plan,
        "estimated": human_size(plan.estimated_bytes),
        "limit": human_size(settings.PORTAL_PACKAGE_MAX_BYTES),
    }
    template = "exports/_packages.html" if request.headers.get("HX-Request") else "exports/review_package.html"
    return render(request, template, context)


@login_required
@require_POST
def review_package_request(request, pk: int):
    """Queues a signed closing package for the reader's audience (a package over the size limit is refused with its size)."""
    from django.contrib import messages

    from .services import package_request

    review, _ = _exportable(request, pk)
    try:
        package_request(review=review, user=request.user, include_files=request.POST.get("hashes_only") != "on")
    except Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, "The closing package is being built; this page shows its progress.")
    return redirect("review_package", pk=review.pk)


@login_required
def package_download(request, pk: int):
    """A ready package, to its requester only while they still see the review (anyone else: 404)."""
    from .models import ExportPackage, PackageStatus

    package = get_object_or_404(ExportPackage.objects.visible_to(request.user).select_related("review"), pk=pk)
    if package.status != PackageStatus.READY:
        raise Http404
    review, standing = review_selectors.review_page_get(user=request.user, pk=package.review_id)
    standing.require_material()
    from audit.services import audit_record

    audit_record(
        action="export.package_download", actor=request.user, target=review,
        payload={"package": package.pk, "audience": package.audience, "sha256": package.sha256, "bytes": package.size},
    )
    response = FileResponse(default_storage.open(package.file, "rb"), content_type="application/zip")
    response["Content-Length"] = str(package.size)
    return _attachment(response, package.download_name)
