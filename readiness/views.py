from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reviews import selectors as review_selectors

from . import selectors, services
from .forms import AnswerForm


@login_required
def review_checklist(request, pk: int):
    review = review_selectors.review_get(user=request.user, pk=pk)
    if review_selectors.terms_needed(user=request.user, review=review):
        return redirect("review_detail", pk=review.pk)
    return render(
        request,
        "readiness/review_checklist.html",
        {
            "review": review,
            "items": selectors.checklist(user=request.user, review=review),
            "progress": selectors.progress(review=review),
            "may_answer": services.may_answer(request.user, review),
            "answers": AnswerForm.base_fields["answer"].choices,
        },
    )


@login_required
@require_POST
def checklist_item_answer(request, pk: int):
    item = selectors.item_get(user=request.user, pk=pk)
    if review_selectors.terms_needed(user=request.user, review=item.review):
        return redirect("review_detail", pk=item.review_id)
    if not services.may_answer(request.user, item.review):
        raise Http404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{item.criterion}: choose met, not met or not applicable.")
        return redirect("review_checklist", pk=item.review_id)
    try:
        services.checklist_answer(item_id=item.pk, actor=request.user, **form.cleaned_data)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"{item.criterion}: saved.")
    return redirect("review_checklist", pk=item.review_id)
