"""The readiness checklist of a review; who may answer is asked of the reader's ``Standing``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.errors import Refused
from portal.forms import show_refusal
from reviews import selectors as review_selectors

from . import selectors, services
from .forms import AnswerForm


@login_required
def review_checklist(request, pk: int):
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    standing.require_material()
    return render(
        request,
        "readiness/review_checklist.html",
        {
            "review": review,
            "standing": standing,
            "items": selectors.checklist(user=request.user, review=standing),
            "progress": selectors.progress(review=review),
            "answers": AnswerForm.base_fields["answer"].choices,
        },
    )


@login_required
@require_POST
def checklist_item_answer(request, pk: int):
    item = selectors.item_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=item.review_id)
    standing.require_material()
    if not standing.may_answer_checklist:
        raise Http404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{item.criterion}: choose met, not met or not applicable.")
        return redirect("review_checklist", pk=item.review_id)
    try:
        services.checklist_answer(item_id=item.pk, actor=request.user, **form.cleaned_data)
    except (Refused, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, f"{item.criterion}: saved.")
    return redirect("review_checklist", pk=item.review_id)
