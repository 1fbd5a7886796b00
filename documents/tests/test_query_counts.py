"""The documents page runs a fixed number of queries, whatever the number of documents."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from conftest import force_login_mfa
from reviews.services import terms_accept
from reviews.tests.factories import assign, make_review

from documents.models import Document

from .factories import make_document

pytestmark = pytest.mark.django_db

# Pinned: session, user+membership, the review with the user's Standing (grants
# and terms in the same statement), documents+markings, their versions (kept statements: documents.selectors.review_documents_page),
# notification count; liaisons also get the upload form's markings (one
# statement for the select and its default: portal.forms.ListedChoiceIterator).
# Admins need no grants and no terms.
EXPECTED = {"reviewer": 6, "liaison": 7, "admin": 6}


def _world(n: int):
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
    assign(review, reviewer)
    terms_accept(review=review, user=reviewer)
    liaison = review.company.liaisons_group.user_set.first()
    for i in range(n):
        version = make_document(review, name=f"doc-{i}.txt", content=f"document {i}\n".encode(), kind="other")
        if i % 2:
            from documents import services

            services.version_create(document=version.document, actor=type(liaison).objects.get(pk=liaison.pk), file=version.file, original_name="again.txt", confirm_new_name=True)
    return review, {"reviewer": reviewer, "liaison": liaison, "admin": make_user(role=Role.PROGRAM_ADMIN)}


def _client(user):
    client = Client()
    force_login_mfa(client, user)
    return client


@pytest.mark.parametrize("role", ["reviewer", "liaison", "admin"])
def test_documents_page_query_count_does_not_grow(role, django_assert_num_queries):
    for size in (5, 50):
        review, users = _world(size)
        client = _client(users[role])
        url = reverse("review_documents", kwargs={"pk": review.pk})
        client.get(url)
        with django_assert_num_queries(EXPECTED[role]):
            response = client.get(url)
        assert len(response.context["documents"]) == size


@pytest.mark.parametrize("size", [1, 3])
def test_documents_page_query_count_at_one_and_three(size, django_assert_num_queries):
    review, users = _world(size)
    client = _client(users["reviewer"])
    url = reverse("review_documents", kwargs={"pk": review.pk})
    client.get(url)
    with django_assert_num_queries(EXPECTED["reviewer"]):
        response = client.get(url)
    assert len(response.context["documents"]) == size


@pytest.mark.usefixtures("empty_statement_cache")
@pytest.mark.parametrize("role", ["reviewer", "liaison", "admin"])
def test_documents_page_lists_each_documents_newest_version_through_kept_statements(role, settings):
    """The page's documents and each one's newest version come from two
    statements kept per reader (``documents.selectors.review_documents_page``):
    what they show is what fresh ones show, and a version added a moment ago
    is the one shown on the next visit."""
    from documents import services
    from portal import statements

    review, users = _world(4)
    client = _client(users[role])
    url = reverse("review_documents", kwargs={"pk": review.pk})

    def shown():
        response = client.get(url)
        return [(d.pk, d.title, d.latest.number, d.latest.original_name) for d in response.context["documents"]], response.content.decode()

    settings.PORTAL_STATEMENT_CACHE = False
    fresh, _ = shown()
    settings.PORTAL_STATEMENT_CACHE = True
    assert shown()[0] == fresh and shown()[0] == fresh
    assert sorted((n, name) for _, _, n, name in fresh) == [(1, "doc-0.txt"), (1, "doc-2.txt"), (2, "again.txt"), (2, "again.txt")]
    held = {key[2][0]: kept for key, kept in statements.entries() if key[2][0].startswith("documents.review_documents_page")}
    assert held == {"documents.review_documents_page": True, "documents.review_documents_page.versions": True}

    first = Document.objects.get(pk=fresh[0][0])
    liaison = users["liaison"]
    version = first.versions.get(number=first.versions.count())
    services.version_create(document=first, actor=type(liaison).objects.get(pk=liaison.pk), file=version.file,
                            original_name="third.txt", confirm_new_name=True)
    rows, html = shown()
    assert rows[0][2:] == (fresh[0][2] + 1, "third.txt") and rows[1:] == fresh[1:]
    assert f"v{fresh[0][2] + 1} &middot;" in html and "third.txt" in html
