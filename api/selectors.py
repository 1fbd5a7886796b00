"""Reads for the API, always starting from each model's ``visible_to(user)``.

Agency users open a review's material (documents, versions, RFIs,
findings) only after accepting its current access terms, as on the web
pages: lists leave that material out (each model's ``visible_to(user, material=True)``),
a detail answers 403 ``terms_required`` (``Standing.require_material``).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q

from companies.models import AIModel, Company
from documents.models import Document, DocumentVersion
from findings.models import Finding, FindingComment, FindingEvent
from modelaccess.models import AccessEndpoint, Credential
from notifications.models import Notification
from reviews.models import Review
from reviews.querysets import in_visible_reviews
from reviews.selectors import without_returned
from rfis.models import InformationRequest, RfiFollow, RfiMessage


def company_list(*, user):
    return Company.objects.visible_to(user).order_by("name", "id")


def model_list(*, user):
    return AIModel.objects.visible_to(user).select_related("company").order_by("company__name", "name", "version", "id")


def review_list(*, user):
    return (
        Review.objects.visible_to(user)
        .select_related("model", "company")
        .prefetch_related("agencies")
        .order_by("window_end", "id")
    )


def document_list(*, user, material: bool = True):
    qs = (
        Document.objects.visible_to(user, material=material)
        .select_related("marking")
        .prefetch_related(Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number")))
        .order_by("review_id", "kind", "title", "id")
    )
    return without_returned(qs, user=user) if material else qs


def version_list(*, user, material: bool = True):
    qs = DocumentVersion.objects.visible_to(user, material=material).select_related("document__marking", "document__review", "marking").order_by(
        "document_id", "-number"
    )
    return without_returned(qs, user=user, review_path="document__review") if material else qs


def rfi_list(*, user, material: bool = True):
    return (
        InformationRequest.objects.visible_to(user, material=material)
        .select_related("agency")
        .prefetch_related(Prefetch("follows", queryset=RfiFollow.objects.select_related("agency")))
        .order_by("due_at", "id")
    )


def rfi_messages():
    return Prefetch(
        "messages",
        queryset=RfiMessage.objects.select_related("author__membership__agency", "rfi__review__company").prefetch_related(
            "attachments"
        ),
    )


def finding_list(*, user, material: bool = True):
    return (
        Finding.objects.visible_to(user, material=material)
        .select_related("agency", "category")
        .prefetch_related("taxonomy")
        .order_by("-created_at", "-id")
    )


def finding_events(user=None):
    """A finding's lifecycle events; corrections made before sharing ("edit") only for
    the finding's own agency and the program office (as on the finding's page)."""
    qs = FindingEvent.objects.select_related("actor__membership__agency", "actor__membership__company")
    if user is not None and not getattr(user, "is_program_admin", False):
        qs = qs.exclude(Q(name="edit") & ~Q(finding__agency_id=getattr(user, "agency_id", None)))
    return Prefetch("events", queryset=qs)


def finding_comments(user):
    """A finding's comments the caller may read, oldest first: an internal one
    only within its agency (``FindingComment.objects.on_side_of``, the
    finding page's own rule); the findings themselves are scoped already."""
    qs = FindingComment.objects.on_side_of(user).select_related("author__membership__agency", "author__membership__company")
    return Prefetch("comments", queryset=qs.order_by("created_at", "id"))


def notification_list(*, user):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def access_endpoint_list(*, user, material: bool = True):
    return in_visible_reviews(AccessEndpoint.objects.all(), user, material=material).order_by("created_at", "id")


def credential_list(*, user, material: bool = True):
    """Credentials whose status the user may see (``Standing.credential_status_scope``,
    set-based): program admins all; liaisons their company's reviews'; an agency lead
    their agency's reviewers'; a reviewer their own. Never the secret (``defer``)."""
    qs = in_visible_reviews(Credential.objects.all(), user, material=material).defer("secret").select_related("review", "endpoint").order_by("issued_at", "id")
    if user.is_program_admin:
        pass
    elif user.is_company_liaison:
        qs = qs.filter(review__company_id=user.company_id)
    elif user.is_agency_lead:
        qs = qs.filter(agency_id=user.agency_id)
    elif user.is_agency_reviewer:
        qs = qs.filter(reviewer_id=user.pk)
    else:
        qs = qs.none()
    return qs
