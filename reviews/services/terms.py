from django.db import transaction

from audit.services import audit_record
from portal.errors import NotAllowed

from ..models import Review, TermsAcceptance
from ..standing import standing_of


@transaction.atomic
def terms_accept(*, review: Review, user) -> TermsAcceptance:
    """Records that ``user`` accepted the current version of the review's terms (idempotent).

    The version is read from the database now, not from the instance passed
    in, so an acceptance always records the terms the review has at this moment.
    The review row is locked first, as ``terms_update`` locks it before raising
    the version: PostgreSQL's triggers then set the user's reach row (its
    ``terms_accepted``, the material reads' gate: migration 0029) and
    assignment from a version no other transaction is changing."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    acceptance, created = TermsAcceptance.objects.get_or_create(
        review=review, user=user, version=review.access_terms_version, defaults={"terms_sha256": review.terms_digest}
    )
    if created:
        audit_record(
            action="terms.accept", actor=user, target=review, payload={"version": acceptance.version, "sha256": acceptance.terms_sha256}
        )
    return acceptance


@transaction.atomic
def terms_update(*, review: Review, actor, text: str) -> Review:
    """The company changes the terms; everyone must accept the new version."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not standing_of(user=actor, review=review).is_company:
        raise NotAllowed("Only the company's liaisons set the access terms.")
    if text.strip() != review.access_terms:
        review.access_terms = text.strip()
        review.access_terms_version += 1
        review.full_clean()
        review.save(update_fields=["access_terms", "access_terms_version"])
        audit_record(action="terms.update", actor=actor, target=review, payload={"version": review.access_terms_version})
    return review
