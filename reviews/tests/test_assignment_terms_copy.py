"""An assignment's ``terms_accepted`` (kept by PostgreSQL triggers, reviews/0026)
says whether its reviewer holds an acceptance of the review's current terms
version, whatever changes: an acceptance written or deleted, new terms, an
assignment saved stale or made after the acceptance. The reviewer's "accept the
access terms" section is read off it."""

import pytest

from reviews import services
from reviews.models import Assignment, TermsAcceptance
from reviews.tests.factories import assign

pytestmark = pytest.mark.django_db


def _flag(assignment) -> bool:
    return Assignment.objects.values_list("terms_accepted", flat=True).get(pk=assignment.pk)


def test_flag_follows_acceptances_and_new_terms(demo, fresh_shared_review):
    review = fresh_shared_review
    nsa = assign(review, demo["reviewer_nsa"], lead=demo["lead_nsa"], terms=False)
    cisa = assign(review, demo["reviewer_cisa"], lead=demo["lead_cisa"], terms=False)
    assert (_flag(nsa), _flag(cisa)) == (False, False)

    services.terms_accept(review=review, user=demo["reviewer_nsa"])
    assert (_flag(nsa), _flag(cisa)) == (True, False)  # only the accepting reviewer's

    services.terms_update(review=review, actor=demo["liaison_northwind"], text="New terms: no copies outside the lab.")
    assert (_flag(nsa), _flag(cisa)) == (False, False)  # an older version no longer counts
    services.terms_accept(review=review, user=demo["reviewer_cisa"])
    services.terms_accept(review=review, user=demo["reviewer_nsa"])
    assert (_flag(nsa), _flag(cisa)) == (True, True)

    TermsAcceptance.objects.filter(review=review, user=demo["reviewer_cisa"], version=2).delete()
    assert (_flag(nsa), _flag(cisa)) == (True, False)
    # Another review's assignments are untouched.
    atlas_nsa = Assignment.objects.get(review=demo["atlas"], reviewer=demo["reviewer_nsa"])
    assert _flag(atlas_nsa) == TermsAcceptance.objects.filter(
        review=demo["atlas"], user=demo["reviewer_nsa"], version=demo["atlas"].access_terms_version
    ).exists()


def test_stale_save_and_a_later_assignment_take_the_acceptance(demo, fresh_shared_review):
    review = fresh_shared_review
    services.terms_accept(review=review, user=demo["reviewer_nsa"])  # before any assignment
    nsa = assign(review, demo["reviewer_nsa"], lead=demo["lead_nsa"], terms=False)
    assert _flag(nsa) is True

    stale = Assignment.objects.get(pk=nsa.pk)
    stale.terms_accepted = False  # written back from an old copy
    stale.save()
    assert _flag(nsa) is True
