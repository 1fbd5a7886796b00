"""Return-or-destruction certificates: signing one ends the agency's access to the material."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from audit.services import audit_record
from notifications.services import notification_send
from portal.errors import NotAllowed, Refused

from .. import hooks
from ..audience import review_audience
from ..models import (
    CertificateKind,
    CertificateScope,
    ReturnCertificate,
    Review,
    ReviewStatus,
    ReviewTransition,
    ReviewUserObjectPermission,
)
from ..standing import standing_of
from .access import access_revoke

CERTIFICATE_TEXT = (
    "I certify that all material received from the company for this review has been returned "
    "or destroyed, including copies held by my agency's reviewers, except as listed below."
)


class CertificateError(Refused):
    """A certificate that cannot be given now; the message says why."""

    code = "invalid_transition"


def _validated(*, kind, method, done_on, signatory_name, signatory_title, scope, exceptions, statement) -> dict:
    errors = {}
    if kind not in CertificateKind.values:
        errors["kind"] = "Choose whether the material was returned or destroyed."
    if not (method or "").strip():
        errors["method"] = "Say how the material was returned or destroyed (e.g. NIST 800-88 purge, courier to the company)."
    if not isinstance(done_on, date):
        errors["done_on"] = "Give the date the material was returned or destroyed."
    elif done_on > timezone.localdate():
        errors["done_on"] = "The date cannot be in the future: certify once it is done."
    if not (signatory_name or "").strip():
        errors["signatory_name"] = "Give the name of the person who signs the certificate."
    if not (signatory_title or "").strip():
        errors["signatory_title"] = "Give the signatory's title."
    if scope not in CertificateScope.values:
        errors["scope"] = "Choose all copies, or all copies except those listed."
    elif scope == CertificateScope.EXCEPTIONS and not (exceptions or "").strip():
        errors["exceptions"] = "List the copies that were kept, or choose all copies."
    if not (statement or "").strip():
        errors["statement"] = "The certificate needs its statement."
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind, "method": method.strip(), "done_on": done_on, "signatory_name": signatory_name.strip(),
        "signatory_title": signatory_title.strip(), "scope": scope,
        "exceptions": (exceptions or "").strip() if scope == CertificateScope.EXCEPTIONS else "",
        "statement": statement.strip(),
    }


@transaction.atomic
def certificate_record(
    *,
    review_id: int,
    actor,
    kind: str,
    method: str,
    done_on: date | None,
    signatory_name: str,
    signatory_title: str,
    scope: str = CertificateScope.ALL,
    exceptions: str = "",
    statement: str = CERTIFICATE_TEXT,
) -> ReturnCertificate:
    """Records the actor's agency's certificate (once per agency): after the
    review closed, or after the agency signed off while it is under review.

    Locks the review row, so two leads of one agency certifying at once give
    one certificate. Side effects, at once: the agency's reviewers' grants on
    the review are revoked and its leads lose the assignment grant (each an
    ``AccessChange``); no document or version opens to the agency any more
    (``Standing.require_documents``) — its leads keep the review's record and
    report. Timeline ``certify``, audit ``review.certify``; the company's
    liaisons and the program office are told, with the agency's name.
    """
    review = Review.objects.select_for_update().select_related("company", "model").get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not (standing.is_agency and standing.is_lead and standing.may_view):
        raise NotAllowed("Only a participating agency's lead certifies, for their own agency.")
    if not standing.agency_participates:
        raise NotAllowed(f"{actor.organisation} does not take part in this review, so it has nothing to certify.")
    agency = actor.membership.agency
    if standing.agency_certified:
        raise CertificateError(f"{agency.acronym} has already certified the return or destruction of this review's material.")
    if not (review.status == ReviewStatus.CLOSED or (review.status == ReviewStatus.IN_REVIEW and standing.agency_signed_off)):
        raise CertificateError(
            "An agency certifies the return or destruction of the material once it has signed off, or once the review is closed."
        )
    data = _validated(
        kind=kind, method=method, done_on=done_on, signatory_name=signatory_name, signatory_title=signatory_title,
        scope=scope, exceptions=exceptions, statement=statement,
    )
    certificate = ReturnCertificate(review=review, agency=agency, certified_by=actor, **data)
    certificate.full_clean()
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:  # pragma: no cover - guarded by the row lock above
        raise CertificateError(f"{agency.acronym} has already certified.") from exc
    reason = f"{agency.acronym} certified the material {certificate.get_kind_display().lower()}"
    reviewers = User.objects.filter(
        pk__in=ReviewUserObjectPermission.objects.filter(content_object=review).values("user_id"),
        membership__agency=agency,
    )
    for reviewer in reviewers:
        access_revoke(review=review, user=reviewer, actor=actor, reason=reason)
    access_revoke(review=review, group=agency.leads_group, codename="assign_reviewer", actor=actor, reason=reason)
    ReviewTransition.objects.create(
        review=review, name="certify", source=review.status, target=review.status, actor=actor,
        comment=f"{agency.acronym}: material {certificate.get_kind_display().lower()} on {certificate.done_on:%b %d, %Y}"
        f" ({certificate.get_scope_display().lower()}).",
    )
    audit_record(
        action="review.certify", actor=actor, target=review,
        payload={"agency": agency.acronym, "kind": certificate.kind, "scope": certificate.scope, "method": certificate.method[:300]},
    )
    notification_send(
        recipients=list(review_audience(review=review, agencies=False, company=True, admins=True)),
        verb="review.certify",
        title=f"{review}: {agency.acronym} certified the material {certificate.get_kind_display().lower()}",
        body=f"{certificate.get_scope_display()}. {agency.acronym} no longer has access to the review's documents.",
        url=reverse("review_detail", kwargs={"pk": review.pk}),
    )
    # Its own other leads learn it too (the signer is not told of their own act).
    notification_send(
        recipients=list(
            review_audience(review=review, company=False, agency_ids=[agency.pk])
            .filter(membership__role=Role.AGENCY_LEAD)
            .exclude(pk=actor.pk)
        ),
        verb="review.certify",
        title=f"{review}: {agency.acronym} certified the material {certificate.get_kind_display().lower()}",
        url=reverse("review_detail", kwargs={"pk": review.pk}),
    )
    for fn in hooks.after("certify"):
        fn(review=review, actor=actor)
    return certificate
