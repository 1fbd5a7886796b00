from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from portal.db import prepared_page
from portal.errors import NotAllowed, Refused
from portal.forms import show_refusal
from portal.pagination import paginate
from accounts.stepup import step_up_required

from . import selectors, services, workflow
from .forms import (
    AssignForm,
    AssignmentAcceptForm,
    CertificateForm,
    ExtensionAnswerForm,
    ExtensionDecisionForm,
    ExtensionPositionForm,
    ExtensionRequestForm,
    OptionalReasonForm,
    ReasonForm,
    ReviewCreateForm,
    ReviewEditForm,
    RevokeForm,
    SignOffForm,
)
from .models import AssignmentStatus, ReviewStatus
from .services.certificates import CERTIFICATE_TEXT

@login_required
def review_list(request):
    sort = request.GET.get("sort", "deadline")
    status = request.GET.get("status") or None
    q = request.GET.get("q")
    # The statements kept per reader, order, status (a constant of a
    # status-filtered list's page ids) and kind of filter (portal.pagination.page_rows).
    kept = ("reviews.review_list", sort, status if status in ReviewStatus.values else None, bool(q)) if sort in selectors.SORTS else None
    page = paginate(request, selectors.review_list(user=request.user, sort=sort, status=status, q=q), kept=kept)
    return render(
        request,
        "reviews/review_list.html",
        {"page": page, "sort": sort, "status": status, "statuses": ReviewStatus.choices, "q": request.GET.get("q", "")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request):
    if not request.user.is_company_liaison:
        raise Http404
    form = ReviewCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(
                actor=request.user,
                model=form.cleaned_data["model"],
                agencies=list(form.cleaned_data["agencies"]),
                summary=form.cleaned_data["summary"],
                access_terms=form.cleaned_data["access_terms"],
            )
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, "Draft saved. Submit it when the agencies should see it.")
            return redirect("review_detail", pk=review.pk)
    return render(request, "reviews/review_create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request, pk: int):
    """The company's liaison changes a draft's fields; once submitted the page says why it no longer can."""
    review, standing = selectors.review_page_get(user=request.user, pk=pk)
    if not standing.is_company:
        raise Http404
    if not standing.may_edit_draft:
        messages.error(request, f"This review is {review.get_status_display().lower()}: only a draft can be changed.")
        return redirect("review_detail", pk=review.pk)
    form = ReviewEditForm(request.POST or None, user=request.user, review=review)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_update(
                review_id=review.pk,
                actor=request.user,
                model=form.cleaned_data["model"],
                agencies=list(form.cleaned_data["agencies"]),
                summary=form.cleaned_data["summary"],
                access_terms=form.cleaned_data["access_terms"],
            )
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, "Draft updated.")
            return redirect("review_detail", pk=review.pk)
    return render(
        request, "reviews/review_edit.html", {"form": form, "review": review, "standing": standing},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def review_delete(request, pk: int):
    """The company's liaison deletes a draft that was never submitted (refused with a message afterwards)."""
    review, standing = selectors.review_page_get(user=request.user, pk=pk)
    if not standing.is_company:
        raise Http404
    try:
        services.review_delete(review_id=review.pk, actor=request.user)
    except (ValidationError, Refused) as exc:
        show_refusal(request, exc)
        return redirect("review_detail", pk=review.pk)
    messages.success(request, f"The draft review of {review.model} was deleted.")
    return redirect("dashboard")


def _next_url(request) -> str | None:
    """Where a link pointed before the terms page stood in the way (same site only)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


def _detail(request, review, standing, *, status: int = 200, **forms):
    """The review's page; a form refused by its service comes back bound, with its errors (``forms``)."""
    rows = selectors.review_page_rows(user=request.user, standing=standing)
    sign_offs = rows["sign_offs"]
    agencies = rows["agencies"]
    outstanding = selectors.outstanding_agencies(agencies=agencies, sign_offs=sign_offs)
    # What would be recorded with a close, read only when the program office may close now
    # (every agency signed off, or the window has ended).
    closable = standing.may_close and (not outstanding or (review.window_end and review.window_end <= timezone.now()))
    extensions = rows["extensions"]
    context = {
        "review": review,
        "standing": standing,
        "assignments": rows["assignments"],
        "transitions": workflow.available(standing=standing),
        "timeline": rows["timeline"],
        "agencies": agencies,
        "extensions": extensions,
        # The pending requests this user may state their agency's position on (the Standing decides).
        "position_extension_ids": {e.pk for e in extensions if standing.may_state_extension_position(e)},
        "certificates": rows["certificates"],
        "sign_offs": sign_offs,
        "outstanding": outstanding,
        "may_certify": standing.may_certify,
        "certificate_text": CERTIFICATE_TEXT,
        "extension_form": ExtensionRequestForm() if standing.may_request_extension or standing.may_suggest_extension else None,
        "decision_form": ExtensionDecisionForm(),
        "answer_form": ExtensionAnswerForm(),
        "position_form": ExtensionPositionForm(),
        "decision_for": None,
        "answer_for": None,
        "position_for": None,
        "sign_off_form": SignOffForm() if standing.may_sign_off else None,
        "certificate_form": CertificateForm() if standing.may_certify else None,
        "closing_warnings": services.closing_warnings(review, unsigned=outstanding) if closable else [],
    }
    context.update(forms)
    return render(request, "reviews/review_detail.html", context, status=status)


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
def review_detail(request, pk: int):
    review, standing = selectors.review_detail_get(user=request.user, pk=pk)
    if standing.needs_terms:
        return render(request, "reviews/review_terms.html", {"review": review, "next": _next_url(request) or ""})
    return _detail(request, review, standing)


@login_required
@require_POST
def review_sign_off(request, pk: int):
    """A participating agency's lead records the agency's conclusion (the last one closes the review)."""
    review, standing = selectors.review_detail_get(user=request.user, pk=pk)
    standing.require_material()
    if not (standing.is_participating_lead and standing.in_review):
        raise Http404
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            sign_off = services.signoff_record(review_id=review.pk, actor=request.user, **form.cleaned_data)
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            closed = selectors.Review.objects.filter(pk=review.pk, status=ReviewStatus.CLOSED).exists()
            messages.success(
                request,
                f"{sign_off.agency.acronym} signed off."
                + (" Every participating agency has signed off, so the review is closed." if closed else ""),
            )
            return redirect("review_detail", pk=review.pk)
    return _detail(request, review, standing, status=400, sign_off_form=form)


@login_required
@require_POST
def review_extension_request(request, pk: int):
    """A lead asks for an extension; an accepted reviewer asks their lead to. The form keeps its input on error."""
    review, standing = selectors.review_detail_get(user=request.user, pk=pk)
    standing.require_material()
    if not (standing.may_request_extension or standing.may_suggest_extension):
        raise Http404
    form = ExtensionRequestForm(request.POST)
    if form.is_valid():
        try:
            if standing.may_request_extension:
                services.extension_request(review_id=review.pk, actor=request.user, **form.cleaned_data)
                done = "Extension requested. The company answers, then the program office decides."
            else:
                services.extension_suggest(review_id=review.pk, actor=request.user, **form.cleaned_data)
                done = "Your lead was asked to request the extension."
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, done)
            return redirect("review_detail", pk=review.pk)
    return _detail(request, review, standing, status=400, extension_form=form)


def _extension_page(request, pk: int, allowed: str):
    """The extension, its review and the reader's standing; 404 unless ``allowed`` holds."""
    extension = selectors.extension_get(user=request.user, pk=pk)
    review, standing = selectors.review_detail_get(user=request.user, pk=extension.review_id)
    if not getattr(standing, allowed):
        raise Http404
    return extension, review, standing


@login_required
@require_POST
def extension_decide(request, pk: int):
    extension, review, standing = _extension_page(request, pk, "may_decide_extension")
    form = ExtensionDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.extension_decide(
                extension_id=extension.pk, actor=request.user, approve=approve, comment=form.cleaned_data["comment"],
                without_company=form.cleaned_data["without_company"],
            )
        except (Refused, ValidationError) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, f"Extension {'approved' if approve else 'declined'}.")
            return redirect("review_detail", pk=extension.review_id)
    return _detail(request, review, standing, status=400, decision_form=form, decision_for=extension.pk)


@login_required
@require_POST
def extension_answer(request, pk: int):
    """The company's liaison consents or objects, with a reason."""
    extension, review, standing = _extension_page(request, pk, "may_consent_extension")
    form = ExtensionAnswerForm(request.POST)
    if form.is_valid():
        try:
            services.extension_answer(
                extension_id=extension.pk, actor=request.user, consent=form.cleaned_data["answer"] == "consent",
                reason=form.cleaned_data["reason"],
            )
        except (Refused, ValidationError) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, "Your answer was recorded; the program office decides.")
            return redirect("review_detail", pk=extension.review_id)
    return _detail(request, review, standing, status=400, answer_form=form, answer_for=extension.pk)


@login_required
@require_POST
def extension_position(request, pk: int):
    """Another participating agency's lead states the agency's position."""
    extension, review, standing = _extension_page(request, pk, "is_participating_lead")
    if not standing.may_state_extension_position(extension):
        raise Http404  # the requesting agency's position is its request: no form is offered
    standing.require_material()
    form = ExtensionPositionForm(request.POST)
    if form.is_valid():
        try:
            services.extension_position(
                extension_id=extension.pk, actor=request.user, supports=form.cleaned_data["position"] == "support",
                note=form.cleaned_data["note"],
            )
        except (Refused, ValidationError) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, "Your agency's position was recorded.")
            return redirect("review_detail", pk=extension.review_id)
    return _detail(request, review, standing, status=400, position_form=form, position_for=extension.pk)


@login_required
@require_POST
def review_terms_accept(request, pk: int):
    """Accepts the review's current terms, then goes where the person was headed."""
    review = selectors.review_get(user=request.user, pk=pk)
    services.terms_accept(review=review, user=request.user)
    messages.success(request, "Access terms accepted.")
    return redirect(_next_url(request) or review.get_absolute_url())


@login_required
@require_POST
def review_transition(request, pk: int, name: str):
    review = selectors.review_get(user=request.user, pk=pk)
    if name not in workflow.TRANSITIONS:
        raise Http404
    comment = request.POST.get("comment", "")
    actions = {
        "submit": lambda: services.review_submit(review_id=review.pk, actor=request.user, comment=comment),
        "open": lambda: services.review_open(review_id=review.pk, actor=request.user, comment=comment),
        "close": lambda: services.review_close(
            review_id=review.pk,
            actor=request.user,
            comment=comment,
            outcome_summary=request.POST.get("outcome_summary", ""),
            recommendations=request.POST.get("recommendations", ""),
        ),
        "withdraw": lambda: services.review_withdraw(review_id=review.pk, actor=request.user, reason=comment),
    }
    try:
        actions[name]()
    except (Refused, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, f"Review {workflow.TRANSITIONS[name].past}.")
    # A withdrawal or close may take the user's own access away: land where they still can see.
    if not selectors.Review.objects.visible_to(request.user, among=[review.pk]).exists():
        return redirect("dashboard")
    return redirect("review_detail", pk=review.pk)


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
@require_http_methods(["GET", "POST"])
@step_up_required  # granting or revoking access (accounts.stepup)
def review_access(request, pk: int):
    review, standing = selectors.review_page_get(user=request.user, pk=pk)
    if not standing.may_manage_access:
        raise Http404
    assign_form = AssignForm(request.POST or None, user=request.user, review=review)
    if request.method == "POST" and assign_form.is_valid():
        try:
            services.assignment_invite(review=review, reviewer=assign_form.cleaned_data["reviewer"], actor=request.user)
        except Refused as exc:
            assign_form.add_error("reviewer", str(exc))
        else:
            messages.success(request, f"{assign_form.cleaned_data['reviewer']} was asked to review; access starts when they accept.")
            return redirect("review_access", pk=review.pk)
    users, groups = selectors.review_access_list(review=review, user=request.user)
    return render(
        request,
        "reviews/review_access.html",
        {
            "review": review,
            "standing": standing,
            "user_grants": users,
            "group_grants": groups,
            "assignments": selectors.review_assignments(user=request.user, review=standing),
            "history": selectors.review_access_history(review=review, user=request.user)[:50],
            "assign_form": assign_form if standing.may_assign else None,
        },
    )


@login_required
@require_POST
@step_up_required  # granting or revoking access (accounts.stepup)
def review_access_revoke(request, pk: int):
    """Revokes one subject's access. Admins may revoke any grant; a lead removes
    their own agency's reviewers (which revokes through the assignment)."""
    review, standing = selectors.review_page_get(user=request.user, pk=pk)
    if not standing.may_manage_access:
        raise Http404
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for revoking access.")
        return redirect("review_access", pk=review.pk)
    kind, subject_id = form.cleaned_data["subject"].split(":")
    reason = form.cleaned_data["reason"]
    users, groups = selectors.review_access_list(review=review, user=request.user)
    if kind == "user":
        grant = next((g for g in users if g.user_id == int(subject_id)), None)
        if grant is None or not standing.may_revoke_person(grant.user):
            raise Http404
        assignment = review.assignments.filter(reviewer_id=grant.user_id, status=AssignmentStatus.ACCEPTED).first()
        try:
            if assignment is not None:
                services.assignment_remove(assignment_id=assignment.pk, actor=request.user, reason=reason)
            elif standing.may_revoke_any_grant:
                services.access_revoke(review=review, user=grant.user, actor=request.user, reason=reason)
            else:
                raise NotAllowed("Only program admins may revoke this grant.")
        except Refused as exc:
            show_refusal(request, exc)
            return redirect("review_access", pk=review.pk)
        who = grant.user
    else:
        grant = next((g for g in groups if g.group_id == int(subject_id)), None)
        if grant is None:
            raise Http404
        if not standing.may_revoke_any_grant:
            messages.error(request, "Only program admins may revoke an organisation's access.")
            return redirect("review_access", pk=review.pk)
        services.access_revoke(review=review, group=grant.group, actor=request.user, reason=reason)
        who = grant.group.name
    messages.success(request, f"Access revoked for {who}.")
    return redirect("review_access", pk=review.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_detail(request, pk: int):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    is_reviewer = assignment.reviewer_id == request.user.pk
    accept_form = AssignmentAcceptForm(request.POST if request.POST.get("action") == "accept" else None)
    decline_form = ReasonForm(request.POST if request.POST.get("action") == "decline" else None)
    if request.method == "POST":
        if not is_reviewer:
            raise Http404
        try:
            if request.POST.get("action") == "accept" and accept_form.is_valid():
                services.assignment_accept(
                    assignment_id=assignment.pk,
                    actor=request.user,
                    has_conflict=accept_form.cleaned_data["has_conflict"],
                    declaration=accept_form.cleaned_data["coi_declaration"],
                )
                messages.success(request, "Assignment accepted. Accept the review's access terms to open its material.")
                return redirect("review_detail", pk=assignment.review_id)
            if request.POST.get("action") == "decline" and decline_form.is_valid():
                services.assignment_decline(assignment_id=assignment.pk, actor=request.user, reason=decline_form.cleaned_data["reason"])
                messages.success(request, "Assignment declined; your agency lead will see your reason.")
                return redirect("dashboard")
        except Refused as exc:
            show_refusal(request, exc)
            return redirect("assignment_detail", pk=assignment.pk)
        except ValidationError as exc:
            show_refusal(request, exc, accept_form)
    return render(
        request,
        "reviews/assignment_detail.html",
        {"assignment": assignment, "is_reviewer": is_reviewer, "accept_form": accept_form, "decline_form": decline_form},
    )


@login_required
@require_POST
@step_up_required  # granting or revoking access (accounts.stepup)
def assignment_remove(request, pk: int):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    if not selectors.standing_get(user=request.user, review=assignment.review_id).may_manage_access:
        raise Http404
    form = OptionalReasonForm(request.POST)
    form.is_valid()
    try:
        services.assignment_remove(assignment_id=assignment.pk, actor=request.user, reason=form.cleaned_data.get("reason", ""))
    except Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, f"{assignment.reviewer} was removed from the review.")
    return redirect("review_access", pk=assignment.review_id)


@login_required
@require_POST
def review_certify(request, pk: int):
    """A participating agency's lead certifies that the material was returned or destroyed."""
    review, standing = selectors.review_detail_get(user=request.user, pk=pk)
    if not standing.is_participating_lead:
        raise Http404
    form = CertificateForm(request.POST)
    if form.is_valid():
        try:
            services.certificate_record(review_id=review.pk, actor=request.user, **form.cleaned_data)
        except (Refused, ValidationError) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(
                request, "Certificate recorded. Your agency's access to the review's documents has ended."
            )
            return redirect("review_detail", pk=review.pk)
    if standing.needs_terms:
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("review_detail", pk=review.pk)
    return _detail(request, review, standing, status=400, certificate_form=form)


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
def review_history(request, pk: int):
    """The review's recorded events, cut to what the reader may see (``audit.selectors.review_history``)."""
    from audit.selectors import review_history as history

    review, standing = selectors.review_page_get(user=request.user, pk=pk)
    page = paginate(request, history(user=request.user, review=review), default=50)
    return render(request, "reviews/review_history.html", {"review": review, "standing": standing, "page": page})


@login_required
def model_detail(request, pk: int):
    """A model and the reviews of it the reader may see (the model is visible through them)."""
    from django.shortcuts import get_object_or_404

    from companies.models import AIModel

    from .models import Review

    model = get_object_or_404(AIModel.objects.visible_to(request.user).select_related("company"), pk=pk)
    reviews = (
        Review.objects.visible_to(request.user).filter(model=model)
        .prefetch_related("agencies", "sign_offs__agency", "certificates__agency")
        .order_by("-created_at")
    )
    return render(request, "companies/model_detail.html", {"model": model, "reviews": reviews})
