"""The review's model access page: endpoints, credentials' status, and the
company's and the reviewer's acts on them. Every check asks the reader's
``Standing``; what they may not do answers 404. The secret appears in exactly
one response: the reviewer's reveal, after step-up, marked ``no-store``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from accounts.stepup import step_up_required
from portal.errors import Refused
from portal.forms import show_refusal
from reviews import selectors as review_selectors

from . import selectors, services
from .crypto import file_content
from .forms import CredentialImportForm, CredentialIssueForm, EndpointForm, RevokeForm
from .models import CredentialKind


def _page(request, review, standing, *, endpoint_form=None, issue_form=None, import_form=None, status=200):
    endpoints = selectors.endpoint_list(review=review)
    pseudonyms = selectors.eligible_pseudonyms(review=review) if standing.may_issue_credentials else []
    if standing.may_describe_model_access and endpoint_form is None:
        endpoint_form = EndpointForm(prefix="endpoint")
    if standing.may_issue_credentials and endpoints:
        issue_form = issue_form or CredentialIssueForm(prefix="issue", endpoints=endpoints, pseudonyms=pseudonyms)
        import_form = import_form or CredentialImportForm(prefix="import", endpoints=endpoints)
    else:
        issue_form = import_form = None
    rows = selectors.credential_rows(user=request.user, review=review, standing=standing)
    return render(
        request,
        "modelaccess/review_model_access.html",
        {
            "review": review,
            "standing": standing,
            "endpoints": endpoints,
            "rows": rows,
            "to_rotate": [row for row in rows if row.state == "to_rotate"],
            "pseudonyms": pseudonyms,
            "endpoint_form": endpoint_form if standing.may_describe_model_access else None,
            "issue_form": issue_form,
            "import_form": import_form,
            "needs_endpoint": standing.may_issue_credentials and not endpoints,
            "revoke_form": RevokeForm(prefix="revoke") if standing.is_company else None,
        },
        status=status,
    )


def _review(request, pk: int):
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    standing.require_material()
    return review, standing


@login_required
@require_GET
def review_model_access(request, pk: int):
    review, standing = _review(request, pk)
    return _page(request, review, standing)


@login_required
@require_POST
def endpoint_add(request, pk: int):
    review, standing = _review(request, pk)
    if not standing.may_describe_model_access:
        raise Http404
    form = EndpointForm(request.POST, prefix="endpoint")
    if form.is_valid():
        try:
            endpoint = services.endpoint_create(review_id=review.pk, actor=request.user, **form.cleaned_data)
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, f"Access endpoint “{endpoint.name}” added; the agencies were told.")
            return redirect("review_model_access", pk=review.pk)
    return _page(request, review, standing, endpoint_form=form)


def _model_access_page(request, pk: int) -> str:
    return reverse("review_model_access", kwargs={"pk": pk})


@sensitive_post_parameters("issue-secret", "issue-username")  # never in an error report
@login_required
@require_POST
# Granting access to the model needs a recent sign-in; the POST carries the
# secret or a file, so it is not kept for replay (accounts.stepup).
@step_up_required(replay=False, then=_model_access_page)
def credential_issue(request, pk: int):
    review, standing = _review(request, pk)
    if not standing.may_issue_credentials:
        raise Http404
    form = CredentialIssueForm(
        request.POST, request.FILES, prefix="issue", endpoints=selectors.endpoint_list(review=review),
        pseudonyms=selectors.eligible_pseudonyms(review=review),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.credential_issue(
                review_id=review.pk, actor=request.user, endpoint_id=data["endpoint"], pseudonym=data["reviewer"],
                kind=data["kind"], secret=data["secret"], username=data["username"], file=data["file"],
            )
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, f"Credential issued to {data['reviewer']}; they can reveal it once.")
            return redirect("review_model_access", pk=review.pk)
    return _page(request, review, standing, issue_form=form)


@sensitive_post_parameters()
@login_required
@require_POST
@step_up_required(replay=False, then=_model_access_page)
def credentials_import(request, pk: int):
    review, standing = _review(request, pk)
    if not standing.may_issue_credentials:
        raise Http404
    form = CredentialImportForm(request.POST, request.FILES, prefix="import", endpoints=selectors.endpoint_list(review=review))
    if form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.credentials_import(
                review_id=review.pk, actor=request.user, endpoint_id=data["endpoint"], kind=data["kind"], csv_text=data["file"]
            )
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, f"{len(issued)} credential{'s' if len(issued) != 1 else ''} issued.")
            return redirect("review_model_access", pk=review.pk)
    return _page(request, review, standing, import_form=form)


@never_cache
@login_required
@require_POST
@step_up_required  # revealing a secret (accounts.stepup): a recent sign-in, else reauthentication
@sensitive_variables("result", "response")
def credential_reveal(request, pk: int):
    credential = selectors.own_credential_get(user=request.user, pk=pk)
    review, standing = _review(request, credential.review_id)
    try:
        result = services.credential_reveal(credential_id=credential.pk, actor=request.user)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("review_model_access", pk=review.pk)
    if result.gone:
        response = render(
            request, "modelaccess/credential_gone.html",
            {"review": review, "standing": standing, "credential": result.credential, "message": result.gone}, status=410,
        )
    elif result.credential.kind == CredentialKind.FILE:
        response = HttpResponse(file_content(result.payload), content_type="application/octet-stream")
        name = "".join(ch for ch in result.credential.file_name if ch.isalnum() or ch in "._-") or "credential"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = render(
            request, "modelaccess/credential_reveal.html",
            {"review": review, "standing": standing, "credential": result.credential, "secret": result.payload},
        )
    response["Cache-Control"] = "no-store, max-age=0, private"
    return response


def _company_act(request, pk: int, action, done: str):
    credential = selectors.company_credential_get(user=request.user, pk=pk)
    review, standing = _review(request, credential.review_id)
    if not standing.is_company:
        raise Http404
    form = RevokeForm(request.POST, prefix="revoke")
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        action(credential_id=credential.pk, actor=request.user, **({"reason": reason} if action is services.credential_revoke else {}))
    except (ValidationError, Refused) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, done)
    return redirect("review_model_access", pk=review.pk)


@login_required
@require_POST
@step_up_required  # revoking access, like a review's (accounts.stepup); the reason is replayed
def credential_revoke(request, pk: int):
    return _company_act(request, pk, services.credential_revoke, "Credential revoked; it can no longer be revealed.")


@login_required
@require_POST
def credential_rotated(request, pk: int):
    return _company_act(request, pk, services.credential_rotated, "Rotation confirmed.")
