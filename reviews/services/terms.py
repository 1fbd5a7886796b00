from django.db import transaction

from audit.services import audit_record

from ..models import Review, TermsAcceptance


@transaction.atomic
def terms_accept(*, review: Review, user) -> TermsAcceptance:
    """Records that ``user`` accepted the current version of the review's terms (idempotent)."""
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
    from django.core.exceptions import PermissionDenied

    if not (actor.is_company_liaison and actor.company_id == review.company_id):
        raise PermissionDenied("Only the company's liaisons set the access terms.")
    review = Review.objects.select_for_update().get(pk=review.pk)
    if text.strip() != review.access_terms:
        review.access_terms = text.strip()
        review.access_terms_version += 1
        review.full_clean()
        review.save(update_fields=["access_terms", "access_terms_version"])
        audit_record(action="terms.update", actor=actor, target=review, payload={"version": review.access_terms_version})
    return review
