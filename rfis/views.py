from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from reviews import selectors as review_selectors
from portal.forms import add_service_errors

from reminders.selectors import reminder_history

from . import selectors, services
from documents.services import UploadRefused

from .forms import RfiAnswerForm, RfiCloseForm, RfiCreateForm, RfiMessageForm
from .models import RfiStatus


def _gate(request, review):
    """Agency users accept the review's access terms before its material opens."""
    return review_selectors.terms_needed(user=request.user, review=review)


@login_required
@require_http_methods(["GET", "POST"])
def review_rfis(request, pk: int):
    review = review_selectors.review_get(user=request.user, pk=pk)
    if _gate(request, review):
        return redirect("review_detail", pk=review.pk)
    may_ask = services.may_ask(request.user, review)
    form = RfiCreateForm(request.POST or None) if may_ask else None
    if request.method == "POST":
        if not may_ask:
            raise Http404
        if form.is_valid():
            try:
                rfi = services.rfi_create(review_id=review.pk, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Question sent to the company.")
                return redirect("rfi_detail", pk=rfi.pk)
    return render(
        request,
        "rfis/review_rfis.html",
        {"review": review, "rfis": selectors.rfi_list(user=request.user, review=review), "form": form},
    )


@login_required
def rfi_detail(request, pk: int):
    rfi = selectors.rfi_get(user=request.user, pk=pk)
    if _gate(request, rfi.review):
        return redirect("review_detail", pk=rfi.review_id)
    user, review = request.user, rfi.review
    return render(
        request,
        "rfis/rfi_detail.html",
        {
            "rfi": rfi,
            "review": review,
            "thread": selectors.rfi_thread(rfi=rfi),
            "answer_form": RfiAnswerForm(prefix="answer")
            if rfi.status == RfiStatus.OPEN and services.is_company_side(user, review)
            else None,
            "reopen_form": RfiMessageForm(prefix="reopen")
            if rfi.status != RfiStatus.OPEN and review.status == "in_review" and services._side(user, review)
            else None,
            "close_form": RfiCloseForm(prefix="close")
            if rfi.status != RfiStatus.CLOSED and (user.is_program_admin or services.is_agency_participant(user, review))
            else None,
            "reminders": reminder_history(review_id=review.pk, user=user, target_type="rfi", target_id=rfi.pk),
        },
    )


def _act(request, pk: int, *, allowed, action, form_class, prefix: str, done: str):
    rfi = selectors.rfi_get(user=request.user, pk=pk)
    if _gate(request, rfi.review):
        return redirect("review_detail", pk=rfi.review_id)
    if not allowed(request.user, rfi.review):
        raise Http404
    form = form_class(request.POST, request.FILES, prefix=prefix)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("rfi_detail", pk=rfi.pk)
    extra = {"attachments": form.cleaned_data["attachments"]} if "attachments" in form.cleaned_data else {}
    try:
        action(rfi_id=rfi.pk, actor=request.user, body=form.cleaned_data["body"], **extra)
    except UploadRefused as exc:
        messages.error(request, f"Answer not sent: {exc}")
    except (services.RfiError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("rfi_detail", pk=rfi.pk)


@login_required
@require_POST
def rfi_answer(request, pk: int):
    return _act(request, pk, allowed=services.is_company_side, action=services.rfi_answer,
                form_class=RfiAnswerForm, prefix="answer", done="Answer sent.")


@login_required
@require_POST
def rfi_reopen(request, pk: int):
    return _act(request, pk, allowed=lambda u, r: services._side(u, r) is not None, action=services.rfi_reopen,
                form_class=RfiMessageForm, prefix="reopen", done="Request reopened.")


@login_required
@require_POST
def rfi_close(request, pk: int):
    return _act(request, pk, allowed=lambda u, r: u.is_program_admin or services.is_agency_participant(u, r),
                action=services.rfi_close, form_class=RfiCloseForm, prefix="close", done="Request closed.")
