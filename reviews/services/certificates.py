"""The return-or-destroy certificate each participating agency gives at closing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.services import audit_record
from portal.errors import NotAllowed, Refused

from .. import hooks
from ..models import Review, ReturnCertificate, ReviewStatus
from ..standing import standing_of

CERTIFICATE_TEXT = (
    "I certify that all material received from the company for this review has been returned "
    "or destroyed, including copies held by my agency's reviewers."
)


class CertificateError(Refused):
    """A certificate that cannot be given now; the message says why."""

    code = "invalid_transition"


@transaction.atomic
def certificate_record(*, review_id: int, actor, statement: str = CERTIFICATE_TEXT) -> ReturnCertificate:
    """Records the actor's agency's certificate on a closed review (once per agency).

    Locks the review row, so two leads of one agency certifying at once give
    one certificate. Side effect: audit ``review.certify``.
    """
    review = Review.objects.select_for_update().get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not (standing.is_agency and standing.is_lead and standing.agency_participates):
        raise NotAllowed("Only a participating agency's lead certifies the return of material.")
    if review.status != ReviewStatus.CLOSED:
        raise CertificateError("Material is certified returned or destroyed once the review is closed.")
    if ReturnCertificate.objects.filter(review=review, agency_id=actor.agency_id).exists():
        raise CertificateError("Your agency has already certified.")
    if not statement.strip():
        raise ValidationError({"statement": "The certificate needs its statement."})
    certificate = ReturnCertificate(review=review, agency_id=actor.agency_id, certified_by=actor, statement=statement.strip())
    certificate.full_clean()
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:  # pragma: no cover - guarded by the row lock above
        raise CertificateError("Your agency has already certified.") from exc
    audit_record(action="review.certify", actor=actor, target=review, payload={"agency": str(certificate.agency)})
    for fn in hooks.after("certify"):
        fn(review=review, actor=actor)
    return certificate
