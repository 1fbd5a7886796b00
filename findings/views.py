from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.stepup import recently_authenticated, step_up_redirect
from reviews import selectors as review_selectors
from portal.forms import add_service_errors

from . import selectors, services
from .forms import CommentForm, FindingForm, ShareForm
from .models import Sharing


@login_required
@require_http_methods(["GET", "POST"])
def review_findings(request, pk: int):
    review = review_selectors.review_get(user=request.user, pk=pk)
    if review_selectors.terms_needed(user=request.user, review=review):
        return redirect("review_detail", pk=review.pk)
    may_record = services.may_record(request.user, review)
    form = FindingForm(request.POST or None) if may_record else None
    if request.method == "POST":
        if not may_record:
            raise Http404
        if form.is_valid():
            try:
                finding = services.finding_create(review_id=review.pk, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Finding recorded. It stays within your agency until your lead shares it.")
                return redirect("finding_detail", pk=finding.pk)
    return render(
        request,
        "findings/review_findings.html",
        {"review": review, "findings": selectors.finding_list(user=request.user, review=review), "form": form},
    )


@login_required
def finding_detail(request, pk: int):
    finding = selectors.finding_get(user=request.user, pk=pk)
    if review_selectors.terms_needed(user=request.user, review=finding.review):
        return redirect("review_detail", pk=finding.review_id)
    side = services.comment_side(request.user, finding)
    return render(
        request,
        "findings/finding_detail.html",
        {
            "finding": finding,
            "review": finding.review,
            "comments": selectors.finding_comments(user=request.user, finding=finding),
            "share_form": ShareForm() if services.may_share(request.user, finding) and finding.sharing != "company" else None,
            "comment_form": CommentForm() if side else None,
            "comment_side": side,
        },
    )


@login_required
@require_POST
def finding_share(request, pk: int):
    finding = selectors.finding_get(user=request.user, pk=pk)
    if not services.may_share(request.user, finding):
        raise Http404
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose who to share the finding with.")
        return redirect("finding_detail", pk=finding.pk)
    if form.cleaned_data["sharing"] == Sharing.COMPANY and not recently_authenticated(request):
        return step_up_redirect(request)  # sharing with the company is a step-up act (accounts.stepup)
    try:
        services.finding_share(finding_id=finding.pk, actor=request.user, sharing=form.cleaned_data["sharing"])
    except (services.FindingError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Finding shared.")
    return redirect("finding_detail", pk=finding.pk)


@login_required
@require_POST
def finding_comment(request, pk: int):
    finding = selectors.finding_get(user=request.user, pk=pk)
    if review_selectors.terms_needed(user=request.user, review=finding.review):
        return redirect("review_detail", pk=finding.review_id)
    if services.comment_side(request.user, finding) is None:
        raise Http404
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the comment.")
        return redirect("finding_detail", pk=finding.pk)
    try:
        services.finding_comment(finding_id=finding.pk, actor=request.user, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, "Comment added.")
    return redirect("finding_detail", pk=finding.pk)
