"""Pages of a review's findings; what the reader may do is asked of their ``Standing``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.db import prepared_page
from portal.errors import Refused
from portal.forms import show_refusal
from accounts.stepup import recently_authenticated, step_up_redirect
from reviews import selectors as review_selectors

from . import selectors, services, workflow
from .forms import TRANSITION_FORMS, CommentForm, EvidenceForm, FindingCreateForm, FindingForm, ShareForm
from .models import SEVERITY_RUBRIC, Catalogue, Sharing, TaxonomyEntry


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
@require_http_methods(["GET", "POST"])
def review_findings(request, pk: int):
    review, standing = review_selectors.review_page_get(user=request.user, pk=pk)
    standing.require_material()
    form = FindingCreateForm(request.POST or None) if standing.may_record_finding else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                finding = services.finding_create(review_id=review.pk, actor=request.user, **form.cleaned_data)
            except (ValidationError, Refused) as exc:
                show_refusal(request, exc, form)
            else:
                messages.success(
                    request,
                    "Draft saved. Record it when it is ready." if finding.status == "draft"
                    else "Finding recorded. It stays within your agency until your lead shares it.",
                )
                return redirect("finding_detail", pk=finding.pk)
    return render(
        request,
        "findings/review_findings.html",
        {
            "review": review,
            "standing": standing,
            "findings": selectors.finding_list(user=request.user, review=standing),
            "form": form,
            **(_catalogue_context() if form is not None else {}),
            "duplicate_hints": selectors.duplicate_hints(standing=standing, review=review),
        },
    )


def _catalogue_context() -> dict:
    """The severity rubric and the catalogues, shown beside the form."""
    entries = TaxonomyEntry.objects.filter(active=True).order_by("catalogue", "position", "code").values_list("catalogue", "code", "name")
    catalogues = {label: [] for _, label in Catalogue.choices}
    labels = dict(Catalogue.choices)
    for catalogue, code, name in entries:
        catalogues[labels[catalogue]].append((code, name))
    return {"severity_rubric": [(k.label, v) for k, v in SEVERITY_RUBRIC.items()], "catalogues": catalogues}


def _finding_and_standing(request, pk: int):
    finding = selectors.finding_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=finding.review_id)
    standing.require_material()
    return finding, standing


@prepared_page  # a page about one review: its statements kept prepared (portal.db)
@login_required
def finding_detail(request, pk: int):
    finding, standing = _finding_and_standing(request, pk)
    side = standing.finding_comment_side(finding)
    may_share = standing.may_share_finding(finding) and finding.sharing != Sharing.COMPANY
    return render(
        request,
        "findings/finding_detail.html",
        {
            "finding": finding,
            "review": finding.review,
            "standing": standing,
            "comments": selectors.finding_comments(user=request.user, finding=finding),
            "share_form": ShareForm() if may_share else None,
            "comment_form": CommentForm() if side else None,
            "comment_side": side,
            "events": selectors.finding_events(finding=finding, user=request.user),
            "revisions": selectors.finding_revisions(user=request.user, finding=finding),
            "may_revise": standing.may_revise_finding(finding),
            "moves": [(t, TRANSITION_FORMS[t.name](prefix=t.name)) for t in workflow.available(finding=finding, standing=standing)],
            "may_edit": standing.may_edit_finding(finding),
            "linked": selectors.finding_links(user=request.user, finding=finding),
            "attachments": selectors.finding_attachments(finding=finding, user=request.user),
            "evidence_form": (
                EvidenceForm() if standing.may_attach_evidence(finding) or standing.may_attach_evidence(finding, retest=True) else None
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_edit(request, pk: int):
    """The finding's agency corrects it before it is shared; afterwards each change is a new revision."""
    finding, standing = _finding_and_standing(request, pk)
    revising = not standing.may_edit_finding(finding)
    if revising and not standing.may_revise_finding(finding):
        raise Http404
    initial = {
        "title": finding.title, "category": finding.category_id, "severity": finding.severity,
        "description": finding.description, "evidence": finding.evidence,
        "taxonomy": ", ".join(finding.taxonomy.values_list("code", flat=True)),
    }
    form = FindingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_edit(finding_id=finding.pk, actor=request.user, **form.cleaned_data)
        except (ValidationError, Refused) as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, "Revision saved; everyone the finding is shared with sees it as a revision." if revising else "Finding updated.")
            return redirect("finding_detail", pk=finding.pk)
    return render(
        request, "findings/finding_edit.html",
        {"finding": finding, "review": finding.review, "standing": standing, "form": form, "revising": revising, **_catalogue_context()},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def finding_link(request, pk: int):
    """The program office links a possible duplicate (``duplicate``) to this finding."""
    finding, standing = _finding_and_standing(request, pk)
    if not standing.may_link_findings:
        raise Http404
    try:
        duplicate_id = int(request.POST.get("duplicate", ""))
    except ValueError:
        messages.error(request, "Duplicate: choose another finding of the same review.")
        return redirect("review_findings", pk=finding.review_id)
    try:
        services.finding_link_duplicate(finding_id=finding.pk, duplicate_id=duplicate_id, actor=request.user)
    except (Refused, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, "Linked: the company will see one item once both are shared with it.")
    return redirect("review_findings", pk=finding.review_id)


SERVICES = {
    "record": services.finding_record,
    "respond": services.finding_respond,
    "retest": services.finding_retest,
    "close": services.finding_close,
}


@login_required
@require_POST
def finding_transition(request, pk: int, name: str):
    """One move of the finding's lifecycle from its page: the reader's standing
    must allow it (else 404), the form must be valid, the service may still refuse."""
    finding, standing = _finding_and_standing(request, pk)
    transition = workflow.TRANSITIONS.get(name)
    if transition is None or not transition.allowed(standing, finding):
        raise Http404
    form = TRANSITION_FORMS[name](request.POST, prefix=name)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect("finding_detail", pk=finding.pk)
    try:
        SERVICES[name](finding_id=finding.pk, actor=request.user, **form.service_kwargs())
    except (Refused, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, f"{transition.label}: done.")
    return redirect("finding_detail", pk=finding.pk)


@login_required
@require_POST
def finding_share(request, pk: int):
    finding, standing = _finding_and_standing(request, pk)
    if not standing.may_share_finding(finding):
        raise Http404
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose who to share the finding with.")
        return redirect("finding_detail", pk=finding.pk)
    if form.cleaned_data["sharing"] == Sharing.COMPANY and not recently_authenticated(request):
        return step_up_redirect(request)  # sharing with the company is a step-up act (accounts.stepup)
    try:
        services.finding_share(finding_id=finding.pk, actor=request.user, sharing=form.cleaned_data["sharing"])
    except (Refused, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, "Finding shared.")
    return redirect("finding_detail", pk=finding.pk)


@login_required
@require_POST
def finding_comment(request, pk: int):
    finding, standing = _finding_and_standing(request, pk)
    if standing.finding_comment_side(finding) is None:
        raise Http404
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the comment.")
        return redirect("finding_detail", pk=finding.pk)
    try:
        services.finding_comment(finding_id=finding.pk, actor=request.user, **form.cleaned_data)
    except (Refused, ValidationError) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, "Comment added.")
    return redirect("finding_detail", pk=finding.pk)


@login_required
@csrf_exempt  # checked in documents.views._parse_upload, after the raw-name parser has read the body
@require_POST
def finding_evidence_add(request, pk: int):
    """Attaches one file to the finding or its retest; 404 unless the reader may attach either."""
    from documents.storage import StorageFault
    from documents.views import _parse_upload

    finding, standing = _finding_and_standing(request, pk)
    if not (standing.may_attach_evidence(finding) or standing.may_attach_evidence(finding, retest=True)):
        raise Http404
    files, refusals = _parse_upload(request)
    for name, reason, _code in refusals:
        messages.error(request, f"{name} {reason}")
    form = EvidenceForm(request.POST)
    if not form.is_valid():
        for f in files:
            f.close()
        messages.error(request, "Choose what the evidence belongs to and its marking.")
        return redirect("finding_detail", pk=finding.pk)
    if not files and not refusals:
        messages.error(request, "File: choose a file to attach.")
    for upload in files[:1]:
        name = getattr(upload, "original_name", upload.name)
        try:
            evidence = services.evidence_add(
                finding_id=finding.pk, actor=request.user, file=upload, original_name=name, marking=form.cleaned_data["marking"],
                stage=form.cleaned_data["stage"], title=form.cleaned_data["title"],
            )
        except StorageFault as exc:
            messages.error(request, " ".join(exc.messages))
        except (Refused, ValidationError) as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, f"{name} attached as evidence ({evidence.get_stage_display().lower()}).")
        finally:
            upload.close()
    return redirect("finding_detail", pk=finding.pk)


@login_required
@require_GET
def finding_evidence_download(request, pk: int):
    """The evidence file, for exactly those who see its finding (else 404); the
    documents app's checks (scan, marking, step-up) and access log apply."""
    return _evidence_fetch(request, pk, inline=False)


@login_required
@require_GET
def finding_evidence_view(request, pk: int):
    """The evidence file in the browser (PDFs and images; a view-only
    marking's only way to it), for exactly those who see its finding.
    ``?page=N`` (a search hit's page): once every rule has passed, the same
    address with ``#page=N``, as a document version's view does."""
    from documents.delivery import requested_page

    return _evidence_fetch(request, pk, inline=True, page=requested_page(request))


def _evidence_fetch(request, pk: int, *, inline: bool, page: int | None = None):
    from documents.delivery import web_fetch

    evidence = selectors.evidence_get(user=request.user, pk=pk)
    standing = review_selectors.standing_get(user=request.user, review=evidence.finding.review_id)
    standing.require_material()
    version = evidence.document.versions.select_related("document__marking", "document__review", "marking").order_by("-number").first()
    if version is None:
        raise Http404
    back = f"{reverse('finding_detail', kwargs={'pk': evidence.finding_id})}#evidence-{evidence.pk}"
    return web_fetch(request, version, inline=inline, page=page, back=back)
