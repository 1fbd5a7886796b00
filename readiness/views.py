"""The readiness checklist of a review; who may answer is asked of the reader's ``Standing``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.db import prepared_page
from portal.errors import Refused
from portal.forms import show_refusal
from reviews import selectors as review_selectors

from . import selectors, services
from .forms import AnswerForm


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
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
            "by_agency": selectors.progress_by_agency(review=review),
            "answers": AnswerForm.base_fields["answer"].choices,
        },
    )


@login_required
@require_POST
def checklist_item_answer(request, pk: int):
    """Saves one answer. With htmx the item alone comes back (the page stays where it
    is); without JavaScript the page reloads at the item (``#item-<id>``)."""
    item = selectors.item_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=item.review_id)
    standing.require_material()
    if not standing.may_answer_checklist:
        raise Http404
    htmx = request.headers.get("HX-Request") == "true"
    form = AnswerForm(request.POST)
    error = ""
    if not form.is_valid():
        error = f"{item.criterion}: choose met, not met or not applicable."
    else:
        try:
            item = services.checklist_answer(item_id=item.pk, actor=request.user, **form.cleaned_data)
        except (Refused, ValidationError) as exc:
            if not htmx:
                show_refusal(request, exc)
            error = " ".join(getattr(exc, "messages", None) or [str(exc)])
    if htmx:
        item = selectors.item_get(user=request.user, pk=item.pk)
        return render(
            request,
            "readiness/_item.html",
            {"item": item, "standing": standing, "answers": AnswerForm.base_fields["answer"].choices, "saved": not error, "error": error},
        )
    if error and not form.is_valid():
        messages.error(request, error)
    elif not error:
        messages.success(request, f"{item.criterion}: saved.")
    return redirect(f"{reverse('review_checklist', kwargs={'pk': item.review_id})}#item-{item.pk}")
