"""Pages of a review's information requests. Every check is asked of the
reader's ``Standing``; refusals come back through ``show_refusal``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.db import prepared_page
from portal.errors import Refused
from portal.forms import show_refusal
from reviews import selectors as review_selectors

from . import selectors, services
from .forms import RfiAnswerForm, RfiCloseForm, RfiCreateForm, RfiMessageForm
from .models import RfiStatus


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
@require_http_methods(["GET", "POST"])
def review_rfis(request, pk: int):
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    standing.require_material()
    form = RfiCreateForm(request.POST or None) if standing.may_ask else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                rfi = services.rfi_create(review_id=review.pk, actor=request.user, **form.cleaned_data)
            except (ValidationError, Refused) as exc:
                show_refusal(request, exc, form)
            else:
                messages.success(request, "Question sent to the company.")
                return redirect("rfi_detail", pk=rfi.pk)
    return render(
        request,
        "rfis/review_rfis.html",
        {"review": review, "standing": standing, "rfis": selectors.rfi_list(user=request.user, review=standing), "form": form},
    )


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
def rfi_detail(request, pk: int):
    rfi = selectors.rfi_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=rfi.review_id)
    standing.require_material()
    return render(
        request,
        "rfis/rfi_detail.html",
        {
            "rfi": rfi,
            "review": rfi.review,
            "standing": standing,
            "thread": selectors.rfi_thread(rfi=rfi),
            "answer_form": RfiAnswerForm(prefix="answer") if rfi.status == RfiStatus.OPEN and standing.may_answer_rfi else None,
            "reopen_form": RfiMessageForm(prefix="reopen") if rfi.status != RfiStatus.OPEN and standing.may_reopen_rfi else None,
            "close_form": RfiCloseForm(prefix="close") if rfi.status != RfiStatus.CLOSED and standing.may_close_rfi(rfi) else None,
            "may_follow": standing.may_follow_rfi(rfi),
            "liaisons": selectors.company_liaisons(review=rfi.review) if standing.may_answer_rfi else None,
            "may_publish_faq": (
                standing.may_publish_faq(rfi) and not rfi.private and rfi.answered_at is not None and rfi.faq_published_at is None
            ),
        },
    )


@login_required
@require_GET
def review_rfis_similar(request, pk: int):
    """"Asked already?": the questions on this review the asker may see that read
    like the one being typed (a fragment the ask form loads while typing)."""
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    standing.require_material()
    if not standing.may_ask:
        raise Http404
    similar = selectors.rfi_similar(
        user=request.user, review=standing, subject=request.GET.get("subject", "")[:200],
        question=request.GET.get("question", "")[:2000],
    )
    return render(
        request, "rfis/_similar.html", {"review": review, "standing": standing, "similar": similar},
    )


@login_required
@require_POST
def rfi_follow(request, pk: int):
    """The reader's agency follows the question instead of asking it again."""
    rfi = selectors.rfi_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=rfi.review_id)
    standing.require_material()
    if not standing.may_ask:
        raise Http404
    try:
        services.rfi_follow(rfi_id=rfi.pk, actor=request.user)
    except Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, "Your agency follows this question: you will see the company's answer.")
    return redirect("rfi_detail", pk=rfi.pk)


def _act(request, pk: int, *, allowed: str, action, form_class, prefix: str, done: str):
    """One move on an RFI from its page: the reader's standing must allow it
    (else 404), the form must be valid, the service may still refuse."""
    rfi = selectors.rfi_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=rfi.review_id)
    standing.require_material()
    rule = getattr(standing, allowed)
    if not (rule(rfi) if callable(rule) else rule):
        raise Http404
    form = form_class(request.POST, request.FILES, prefix=prefix)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("rfi_detail", pk=rfi.pk)
    extra = {"attachments": form.cleaned_data["attachments"]} if "attachments" in form.cleaned_data else {}
    try:
        action(rfi_id=rfi.pk, actor=request.user, body=form.cleaned_data["body"], **extra)
    except (Refused, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, done)
    return redirect("rfi_detail", pk=rfi.pk)


@login_required
@require_POST
def rfi_answer(request, pk: int):
    return _act(request, pk, allowed="may_answer_rfi", action=services.rfi_answer,
                form_class=RfiAnswerForm, prefix="answer", done="Answer sent.")


@login_required
@require_POST
def rfi_reopen(request, pk: int):
    return _act(request, pk, allowed="may_reopen_rfi", action=services.rfi_reopen,
                form_class=RfiMessageForm, prefix="reopen", done="Request reopened.")


@login_required
@require_POST
def rfi_close(request, pk: int):
    return _act(request, pk, allowed="may_close_rfi", action=services.rfi_close,
                form_class=RfiCloseForm, prefix="close", done="Request closed.")


@login_required
@require_POST
def rfi_assign(request, pk: int):
    """The company routes the question to one of its liaisons ("" = all of them)."""
    rfi = selectors.rfi_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=rfi.review_id)
    if not standing.may_answer_rfi:
        raise Http404
    raw = request.POST.get("assignee", "")
    try:
        assignee_id = int(raw) if raw else None
    except ValueError:
        assignee_id = -1  # refused by the service, naming the field
    try:
        services.rfi_assign(rfi_id=rfi.pk, actor=request.user, assignee_id=assignee_id)
    except (Refused, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, "Question routed.")
    return redirect("rfi_detail", pk=rfi.pk)


@login_required
@require_POST
def rfi_publish_faq(request, pk: int):
    rfi = selectors.rfi_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=rfi.review_id)
    standing.require_material()
    if not standing.may_publish_faq(rfi):
        raise Http404
    try:
        services.rfi_publish_faq(rfi_id=rfi.pk, actor=request.user)
    except Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, "Published to the review's FAQ.")
    return redirect("rfi_detail", pk=rfi.pk)


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
def review_faq(request, pk: int):
    """The review's FAQ: answered questions the agencies published, for everyone on the review."""
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    standing.require_material()
    return render(
        request, "rfis/review_faq.html",
        {"review": review, "standing": standing, "faq": selectors.rfi_faq(user=request.user, review=standing)},
    )
