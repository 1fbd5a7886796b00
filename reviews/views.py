from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.stepup import step_up_required
from reminders.selectors import reminder_history

from . import selectors, services, workflow
from .forms import (
    AssignForm,
    AssignmentAcceptForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    OptionalReasonForm,
    ReasonForm,
    ReviewCreateForm,
    RevokeForm,
)
from .models import AssignmentStatus, ReviewStatus
from .permissions import can_assign, can_create_review, can_manage_access
from .services.certificates import CERTIFICATE_TEXT
from .services.extensions import may_request_extension
from readiness.selectors import Progress as ReadinessProgress


from portal.forms import add_service_errors
from portal.pagination import paginate

@login_required
def review_list(request):
    sort = request.GET.get("sort", "deadline")
    status = request.GET.get("status") or None
    page = paginate(request, selectors.review_list(user=request.user, sort=sort, status=status, q=request.GET.get("q")))
    return render(
        request,
        "reviews/review_list.html",
        {"page": page, "sort": sort, "status": status, "statuses": ReviewStatus.choices, "q": request.GET.get("q", "")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request):
    if not can_create_review(request.user):
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
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Draft saved. Submit it when the agencies should see it.")
            return redirect("review_detail", pk=review.pk)
    return render(request, "reviews/review_create.html", {"form": form})


@login_required
def review_detail(request, pk: int):
    review = selectors.review_detail_get(user=request.user, pk=pk)
    if selectors.terms_needed(user=request.user, review=review):
        return render(request, "reviews/review_terms.html", {"review": review})
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "assignments": selectors.review_assignments(user=request.user, review=review),
            "transitions": workflow.available(review=review, user=request.user),
            # person.html shows a company user the actor's organisation: load it with them.
            "timeline": review.transitions.select_related("actor__membership__agency", "actor__membership__company"),
            "can_manage_access": can_manage_access(request.user, review),
            "agencies": review.agencies.all(),
            "extensions": selectors.review_extensions(user=request.user, review=review),
            "open_rfis": review.open_rfi_count,
            "clock_stopped_at": review.clock_stopped_at,
            "readiness": ReadinessProgress(
                total=review.checklist_total,
                answered=review.checklist_answered,
                mandatory_open=review.checklist_mandatory_open,
            ),
            "certificates": review.certificates.select_related("agency", "certified_by"),
            "may_certify": review.status == ReviewStatus.CLOSED
            and request.user.is_agency_lead
            and not review.certificates.filter(agency_id=request.user.agency_id).exists()
            and review.my_agency_participates,
            "certificate_text": CERTIFICATE_TEXT,
            "extension_form": ExtensionRequestForm() if may_request_extension(request.user, review) else None,
            "reminders": reminder_history(review_id=review.pk, user=request.user)[:20],
        },
    )


@login_required
@require_POST
def review_extension_request(request, pk: int):
    review = selectors.review_get(user=request.user, pk=pk)
    if selectors.terms_needed(user=request.user, review=review):
        return redirect("review_detail", pk=review.pk)
    form = ExtensionRequestForm(request.POST)
    if form.is_valid():
        try:
            services.extension_request(
                review_id=review.pk, actor=request.user, days=form.cleaned_data["days"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("review_detail", pk=review.pk)
        else:
            messages.success(request, "Extension requested; the program office decides.")
            return redirect("review_detail", pk=review.pk)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect("review_detail", pk=review.pk)


@login_required
@require_POST
def extension_decide(request, pk: int):
    extension = selectors.extension_get(user=request.user, pk=pk)
    if not request.user.is_program_admin:
        raise Http404
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or decline.")
        return redirect("review_detail", pk=extension.review_id)
    try:
        services.extension_decide(
            extension_id=extension.pk,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
        )
    except services.ExtensionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Extension {'approved' if form.cleaned_data['decision'] == 'approve' else 'declined'}.")
    return redirect("review_detail", pk=extension.review_id)


@login_required
@require_POST
def review_terms_accept(request, pk: int):
    review = selectors.review_get(user=request.user, pk=pk)
    services.terms_accept(review=review, user=request.user)
    messages.success(request, "Access terms accepted.")
    return redirect("review_detail", pk=review.pk)


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
    except (workflow.TransitionError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Review {workflow.TRANSITIONS[name].past}.")
    # A withdrawal or close may take the user's own access away: land where they still can see.
    if not selectors.Review.objects.visible_to(request.user, among=[review.pk]).exists():
        return redirect("dashboard")
    return redirect("review_detail", pk=review.pk)


@login_required
@require_http_methods(["GET", "POST"])
@step_up_required  # granting or revoking access (accounts.stepup)
def review_access(request, pk: int):
    review = selectors.review_get(user=request.user, pk=pk)
    if not can_manage_access(request.user, review):
        raise Http404
    assign_form = AssignForm(request.POST or None, user=request.user, review=review)
    if request.method == "POST" and assign_form.is_valid():
        try:
            services.assignment_invite(review=review, reviewer=assign_form.cleaned_data["reviewer"], actor=request.user)
        except (services.AssignmentError, PermissionDenied) as exc:
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
            "user_grants": users,
            "group_grants": groups,
            "assignments": selectors.review_assignments(user=request.user, review=review),
            "history": selectors.review_access_history(review=review)[:50],
            "assign_form": assign_form,
            "can_assign": can_assign(request.user, review),
        },
    )


@login_required
@require_POST
@step_up_required  # granting or revoking access (accounts.stepup)
def review_access_revoke(request, pk: int):
    """Revokes one subject's access. Admins may revoke any grant; a lead removes
    their own agency's reviewers (which revokes through the assignment)."""
    review = selectors.review_get(user=request.user, pk=pk)
    if not can_manage_access(request.user, review):
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
        if grant is None:
            raise Http404
        assignment = review.assignments.filter(reviewer_id=grant.user_id, status=AssignmentStatus.ACCEPTED).first()
        try:
            if assignment is not None:
                services.assignment_remove(assignment_id=assignment.pk, actor=request.user, reason=reason)
            elif request.user.is_program_admin:
                services.access_revoke(review=review, user=grant.user, actor=request.user, reason=reason)
            else:
                raise PermissionDenied("Only program admins may revoke this grant.")
        except (PermissionDenied, services.AssignmentError) as exc:
            messages.error(request, str(exc))
            return redirect("review_access", pk=review.pk)
        who = grant.user
    else:
        grant = next((g for g in groups if g.group_id == int(subject_id)), None)
        if grant is None:
            raise Http404
        if not request.user.is_program_admin:
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
        except services.AssignmentError as exc:
            messages.error(request, str(exc))
            return redirect("assignment_detail", pk=assignment.pk)
        except ValidationError as exc:
            add_service_errors(accept_form, exc)
    return render(
        request,
        "reviews/assignment_detail.html",
        {
            "assignment": assignment,
            "is_reviewer": is_reviewer,
            "accept_form": accept_form,
            "decline_form": decline_form,
            "reminders": reminder_history(
                review_id=assignment.review_id, user=request.user, target_type="assignment", target_id=assignment.pk
            ),
        },
    )


@login_required
@require_POST
@step_up_required  # granting or revoking access (accounts.stepup)
def assignment_remove(request, pk: int):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    if not can_manage_access(request.user, assignment.review):
        raise Http404
    form = OptionalReasonForm(request.POST)
    form.is_valid()
    try:
        services.assignment_remove(assignment_id=assignment.pk, actor=request.user, reason=form.cleaned_data.get("reason", ""))
    except (services.AssignmentError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{assignment.reviewer} was removed from the review.")
    return redirect("review_access", pk=assignment.review_id)


@login_required
def review_report(request, pk: int, fmt: str):
    """The closing report (interim while in review) as PDF or CSV, holding only what the reader may see."""
    from django.http import HttpResponse

    from .reports import report_csv, report_for, report_pdf, report_record

    review = selectors.review_get(user=request.user, pk=pk)
    if review.status not in (ReviewStatus.IN_REVIEW, ReviewStatus.CLOSED) or fmt not in ("pdf", "csv"):
        raise Http404
    if selectors.terms_needed(user=request.user, review=review):
        return redirect("review_detail", pk=review.pk)
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
@require_POST
def review_certify(request, pk: int):
    """A participating agency's lead certifies that the material was returned or destroyed."""
    from .services.certificates import may_certify

    review = selectors.review_get(user=request.user, pk=pk)
    if not may_certify(request.user, review):
        raise Http404
    try:
        services.certificate_record(review_id=review.pk, actor=request.user)
    except services.CertificateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Certificate recorded.")
    return redirect("review_detail", pk=review.pk)
