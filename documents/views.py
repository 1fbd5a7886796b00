from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews import selectors as review_selectors

from portal.db import prepared_page
from portal.errors import Refused
from portal.forms import add_service_errors, show_refusal
from portal.http import client_address

from . import selectors, services
from .forms import DocumentEditForm, DocumentUploadForm, VersionUploadForm
from .models import EXPECTED_KINDS, AccessKind, DocumentKind, DocumentVersion
from .permissions import fetch_refusal
from .storage import StorageFault
from .delivery import requested_page, web_fetch
from .uploads import RawNameMultiPartParser


def _review_id_of(model, pk, path="review_id"):
    return model.objects.filter(pk=pk).values_list(path, flat=True).first()


def _parse_upload(request):
    """Parses the multipart body with the raw-name parser, then checks CSRF on it.

    Returns (files, refusals) or raises PermissionDenied on a CSRF failure.
    """
    if not hasattr(request, "_files"):
        parser = RawNameMultiPartParser(request.META, request, request.upload_handlers, request.encoding)
        request._post, request._files = parser.parse()
    if CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None:
        raise PermissionDenied("CSRF verification failed.")
    refusals = []
    for handler in request.upload_handlers:
        refusals.extend(getattr(handler, "refusals", []))
    return request.FILES.getlist("files"), refusals


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _store_uploads(request, *, files, refusals, store):
    """Stores each file on its own; one bad file never affects the others. Returns per-file results."""
    results = [
        {"name": name, "ok": False, "message": f"{name} {reason}", **({"code": code} if code.startswith("storage_") else {})}
        for name, reason, code in refusals
    ]
    for upload in files:
        name = getattr(upload, "original_name", upload.name)
        try:
            version = store(upload, name)
        except ValidationError as exc:
            result = {"name": name, "ok": False, "message": " ".join(exc.messages)}
            if isinstance(exc, StorageFault):
                result["code"] = exc.code  # storage_full / storage_unavailable: worth trying again later
            results.append(result)
        else:
            results.append(
                {
                    "name": name,
                    "ok": True,
                    "message": f"{name} stored as version {version.number} (SHA-256 {version.sha256[:12]}…).",
                    "url": reverse("document_detail", kwargs={"pk": version.document_id}),
                }
            )
        finally:
            upload.close()
    if not results:
        results.append({"name": "", "ok": False, "message": "Choose at least one file."})
    return results


def _report(request, results, fallback_url):
    if _wants_json(request):
        failed = [r for r in results if not r["ok"]]
        # 503 when every failure was storage's (the client may retry as they are); 400 when a file itself was refused.
        status = 200 if not failed else 503 if all(r.get("code", "").startswith("storage_") for r in failed) else 400
        return JsonResponse({"results": results}, status=status)
    for result in results:
        (messages.success if result["ok"] else messages.error)(request, result["message"])
    return redirect(fallback_url)


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
@csrf_exempt  # checked in _parse_upload, after the raw-name parser has read the body
@require_http_methods(["GET", "POST"])
def review_documents(request, pk: int):
    try:
        review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    except Http404:
        selectors.gone_or_404(user=request.user, review_id=pk)
    standing.require_documents()
    upload_allowed = standing.may_upload
    if request.method == "POST":
        if not upload_allowed:
            raise Http404
        files, refusals = _parse_upload(request)
        form = DocumentUploadForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            markings = {str(m.pk): m for m in selectors.markings()}

            def store(upload, name):
                # Each file may carry its own kind and marking ("kind:<name>", "marking:<name>"); else the form's.
                kind = request.POST.get(f"kind:{name}") or data["kind"]
                marking_id = request.POST.get(f"marking:{name}")
                if kind not in DocumentKind.values:
                    raise ValidationError(f"{name} refused: choose a kind of document for it.")
                if marking_id and marking_id not in markings:
                    raise ValidationError(f"{name} refused: choose a handling marking for it.")
                return services.document_create(
                    review=review, actor=request.user, kind=kind, title=data["title"] if len(files) == 1 else "",
                    marking=markings[marking_id] if marking_id else data["marking"], file=upload, original_name=name,
                )

            results = _store_uploads(request, files=files, refusals=refusals, store=store)
        else:
            for f in files:
                f.close()
            results = [{"name": "", "ok": False, "message": "Choose a kind and a marking for the upload."}]
        return _report(request, results, reverse("review_documents", kwargs={"pk": review.pk}))
    documents = selectors.review_documents_page(user=request.user, standing=standing)
    return render(
        request,
        "documents/review_documents.html",
        {
            "review": review,
            "standing": standing,
            "documents": documents,
            "missing": selectors.missing_kinds(documents=documents),
            "kinds": EXPECTED_KINDS,
            "can_upload": upload_allowed,
            "form": DocumentUploadForm(initial={"kind": request.GET.get("kind")}) if upload_allowed else None,
            "scanning": bool(settings.CLAMAV_URL),
            "unscanned_allowed": settings.PORTAL_ALLOW_UNSCANNED_DOCUMENTS,
            "max_bytes": settings.PORTAL_UPLOAD_MAX_BYTES,
        },
    )


def _detail_page(request, document, standing, *, version_form=None, status: int = 200):
    versions = list(document.versions.select_related("uploaded_by", "marking").order_by("-number"))
    for version in versions:
        version.document = document
        version.download_refusal = fetch_refusal(request.user, version, inline=False)
        version.view_refusal = fetch_refusal(request.user, version, inline=True)
    if versions and status == 200:
        services.access_record(
            version=versions[0], user=request.user, action=AccessKind.VIEW, client_address=client_address(request)
        )
    if version_form is None and standing.may_upload:
        version_form = VersionUploadForm(initial={"marking": document.marking_id})
    return render(
        request,
        "documents/document_detail.html",
        {
            "document": document,
            "review": document.review,
            "versions": versions,
            "current": versions[0] if versions else None,
            "standing": standing,
            "accesses": selectors.document_accesses(user=request.user, document=document)[:200],
            "changes": selectors.document_changes(user=request.user, document=document),
            "can_upload": standing.may_upload,
            "can_edit": standing.may_edit_documents,
            "version_form": version_form,
            "scanning": bool(settings.CLAMAV_URL),
            "unscanned_allowed": settings.PORTAL_ALLOW_UNSCANNED_DOCUMENTS,
            "is_company": standing.is_company,
        },
        status=status,
    )


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
@require_GET
def document_detail(request, pk: int):
    document, standing = selectors.document_in_scope(user=request.user, pk=pk)
    return _detail_page(request, document, standing)


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request, pk: int):
    """The company's liaison corrects a document's title, kind and marking (recorded on its page)."""
    document, standing = selectors.document_in_scope(user=request.user, pk=pk)
    if not standing.may_edit_documents:
        raise Http404
    form = DocumentEditForm.for_document(document, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(document_id=document.pk, actor=request.user, **form.cleaned_data)
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, "Document updated; the change is listed in its history.")
            return redirect("document_detail", pk=document.pk)
    return render(
        request,
        "documents/document_edit.html",
        {"form": form, "document": document, "review": document.review, "standing": standing},
        status=400 if form.errors else 200,
    )


@login_required
@csrf_exempt  # checked in _parse_upload
@require_POST
def document_version_upload(request, pk: int):
    document = selectors.document_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=document.review_id)
    if not standing.may_upload:
        raise Http404
    files, refusals = _parse_upload(request)
    form = VersionUploadForm(request.POST)
    if not form.is_valid():
        for f in files:
            f.close()
        if _wants_json(request):
            return _report(request, [{"name": "", "ok": False, "message": "Choose a marking for the new version."}], "")
        return _detail_page(request, document, standing, version_form=form, status=400)
    problems = []

    def store(upload, name):
        try:
            return services.version_create(
                document=document, actor=request.user, file=upload, original_name=name,
                marking=form.cleaned_data["marking"], confirm_new_name=form.cleaned_data["confirm_new_name"],
            )
        except ValidationError as exc:
            if not isinstance(exc, StorageFault) and hasattr(exc, "error_dict"):
                problems.append(exc)  # a field's refusal (the new name to confirm): shown on the form
            raise

    results = _store_uploads(request, files=files[:1], refusals=refusals, store=store)
    if problems and not _wants_json(request):
        add_service_errors(form, problems[0])
        return _detail_page(request, document, standing, version_form=form, status=400)
    return _report(request, results, reverse("document_detail", kwargs={"pk": document.pk}))


def _fetch(request, pk: int, *, inline: bool, page: int | None = None):
    try:
        version = selectors.version_get(user=request.user, pk=pk)
    except Http404:
        selectors.gone_or_404(user=request.user, review_id=_review_id_of(DocumentVersion, pk, "document__review_id"))
    document = version.document
    # The terms, and the agency's certificate: no view, download or watermarked copy after it.
    review_selectors.standing_get(user=request.user, review=document.review_id).require_documents()
    return web_fetch(request, version, inline=inline, page=page, back=reverse("document_detail", kwargs={"pk": document.pk}))


@login_required
@require_GET
def version_download(request, pk: int):
    return _fetch(request, pk, inline=False)


@login_required
@require_GET
def version_view(request, pk: int):
    """The version in the browser. ``?page=N`` (a search hit's or a find's
    page): once every rule has passed — a view-only marking's fresh sign-in
    included, which would lose a fragment on its way back — the same address
    with ``#page=N``, the open parameter the browsers' PDF viewers read."""
    return _fetch(request, pk, inline=True, page=requested_page(request))
