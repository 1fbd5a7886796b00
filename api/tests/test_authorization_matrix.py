"""The authorization matrix of the web pages, applied to the API.

The endpoint names are read from the API's URLconf (the router plus schema
and docs); one without an entry here fails
``test_every_api_endpoint_is_in_the_matrix``. Lists must return exactly the
ids each demo role may see; every other object of the kind answers 404 on
detail and on every action, and changes nothing.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from agencies.models import Agency
from companies.models import AIModel, Company
from conftest import DEMO_ROLES
from documents.models import Document, DocumentAccess, DocumentVersion
from documents.tests.factories import pdf_bytes
from findings import services as finding_services
from findings.models import Finding, FindingCategory, FindingComment, FindingEvent
from modelaccess import services as access_services
from modelaccess.models import AccessEndpoint, Credential
from notifications.models import Notification
from reviews.models import Review, ReviewTransition
from reviews.services import terms_accept
from rfis import services as rfi_services
from rfis.models import InformationRequest, RfiFollow, RfiMessage
from search.models import SavedSearch
from search.services import saved_search_create

from .conftest import ids

pytestmark = pytest.mark.django_db

# Which demo reviews each role sees (DESIGN.md's demo world); everything else follows from it.
REVIEWS = {
    "admin": {"atlas", "helix", "atlas_mini"},
    "lead_nsa": {"atlas", "atlas_mini"},
    "lead_cisa": {"helix", "atlas_mini"},
    "reviewer_nsa": {"atlas", "atlas_mini"},
    "reviewer_cisa": {"helix", "atlas_mini"},
    "liaison_northwind": {"atlas", "atlas_mini"},
    "liaison_contoso": {"helix"},
}
# Findings by who may see them (see _world): internal ones stay in their agency.
FINDINGS = {
    "atlas_internal": {"admin", "lead_nsa", "reviewer_nsa"},
    "helix_internal": {"admin", "lead_cisa", "reviewer_cisa"},
    "helix_shared": {"admin", "lead_cisa", "reviewer_cisa", "liaison_contoso"},
    # The demo's shared review: NSA's finding stays in NSA; CISA's is shared with the agencies.
    "mini_nsa": {"admin", "lead_nsa", "reviewer_nsa"},
    "mini_cisa": {"admin", "lead_cisa", "reviewer_cisa", "lead_nsa", "reviewer_nsa"},
    # An NSA finding on Atlas-2 shared with Northwind (the company responds to it).
    "atlas_company": {"admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"},
}
NSA_SIDE = {"admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"}
LIAISONS = {"liaison_northwind", "liaison_contoso"}
AGENCY_SIDE = {"lead_nsa", "lead_cisa", "reviewer_nsa", "reviewer_cisa"}


def only(roles, status, default):
    return {r: (status if r in roles else default) for r in DEMO_ROLES}


# Lists (GET): the kind of object whose visible ids they must return.
LISTS = {
    "agency-list": "agency",
    "company-list": "company",
    "model-list": "model",
    "review-list": "review",
    "document-list": "document",
    "version-list": "version",
    "rfi-list": "rfi",
    "finding-list": "finding",
    "notification-list": "notification",
    "access-endpoint-list": "access-endpoint",
    "credential-list": "credential",
    "saved-search-list": "saved-search",
}
# Details (GET): 200 for each visible object, 404 for every other one.
DETAILS = {name.replace("-list", "-detail"): kind for name, kind in LISTS.items()}
# Creates (POST on a list URL): expected status per role, with a valid body aimed at the role's own review.
CREATES = {
    "model-list": only(LIAISONS, 201, 403),
    "review-list": only(LIAISONS, 201, 403),
    "document-list": only(LIAISONS, 201, 403),
    "rfi-list": only(AGENCY_SIDE, 201, 403),
    "access-endpoint-list": only(LIAISONS, 201, 403),
    "credential-list": only(LIAISONS, 201, 403),
    "finding-list": only(AGENCY_SIDE, 201, 403),
    "saved-search-list": only(DEMO_ROLES, 201, 201),  # each their own (test_saved_search_is_changed_by_its_owner_only)
}
# Actions on an object: (kind, method, expected status per role on an object in scope).
ACTIONS = {
    "review-submit": ("review", "POST", only(LIAISONS, 400, 403)),  # in review: the move is refused
    "review-withdraw": ("review", "POST", only(LIAISONS, 200, 403)),
    "review-accept-terms": ("review", "POST", only(DEMO_ROLES, 200, 200)),
    "review-export": ("review", "GET", only(DEMO_ROLES, 200, 200)),
    "document-versions": ("document", "POST", only(LIAISONS, 201, 403)),
    "version-download": ("version", "GET", only(DEMO_ROLES, 200, 200)),
    "rfi-answer": ("rfi", "POST", only(LIAISONS, 200, 403)),
    # Following: the agencies that may ask; their own agency's question is refused (400).
    "rfi-follow": ("rfi", "POST", only(AGENCY_SIDE, 400, 403)),
    # The finding in scope (see _object): liaisons a finding shared with their company,
    # agency users and the admin their agency's internal (recorded) one.
    "finding-record": ("finding", "POST", only(AGENCY_SIDE, 400, 403)),  # recorded already: the state refuses
    "finding-respond": ("finding", "POST", only(LIAISONS, 200, 403)),
    "finding-retest": ("finding", "POST", only(AGENCY_SIDE, 400, 403)),  # nothing to retest before a response
    "finding-close": ("finding", "POST", only({"admin", "lead_nsa", "lead_cisa"}, 200, 403)),
    # Agencies that see the finding comment; the company on a finding shared with it; the program office does not.
    "finding-comments": ("finding", "POST", only(AGENCY_SIDE | LIAISONS, 201, 403)),
    "notification-read": ("notification", "POST", only(DEMO_ROLES, 200, 200)),
    # Liaisons revoke; a reviewer or lead who sees a credential's status may not (there is no reveal here at all).
    "credential-revoke": ("credential", "POST", only(LIAISONS, 200, 403)),
}
# Actions without an object: expected status per role.
PLAIN = {
    "notification-read-all": ("POST", only(DEMO_ROLES, 200, 200)),
    "schema": ("GET", only(DEMO_ROLES, 200, 200)),
    "catalogues": ("GET", only(DEMO_ROLES, 200, 200)),
    # Without words, nothing to search for (400 on q); what each role finds: api/tests/test_search.py.
    "search": ("GET", only(DEMO_ROLES, 400, 400)),
    "docs": ("GET", only(DEMO_ROLES, 200, 200)),
}


def _api_patterns(resolver=None, prefix=""):
    """(name, route) of every URL under /api/."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            route = prefix + str(entry.pattern)
            if route.startswith("api/") or (not prefix and str(entry.pattern) == "api/"):
                yield from _api_patterns(entry, route)
        elif isinstance(entry, URLPattern) and prefix.startswith("api/"):
            yield entry.name, prefix + str(entry.pattern)


def test_every_api_endpoint_is_in_the_matrix():
    names = {name for name, _ in _api_patterns()}
    known = set(LISTS) | set(DETAILS) | set(CREATES) | set(ACTIONS) | set(PLAIN)
    assert names, "no API URL patterns found"
    missing = names - known
    assert not missing, f"API endpoints without an authorization-matrix entry: {sorted(missing)}"
    assert known <= names, f"the matrix lists endpoints that no longer exist: {sorted(known - names)}"


def test_every_router_action_is_in_the_matrix():
    """The same, from the router's registry: every viewset method that is routed is checked."""
    from api.urls import router

    routed = {url.name for url in router.urls}
    assert routed <= set(LISTS) | set(DETAILS) | set(CREATES) | set(ACTIONS) | set(PLAIN)


def _url(name, pk=None):
    from django.urls import reverse

    return reverse(f"api:{name}", kwargs={"pk": pk} if pk is not None else {})


@pytest.fixture(scope="module")
def _matrix_world(module_rollback):
    """What the matrix adds to the demo world, built once for the module (each
    test's own changes are rolled back after it; built per test, it was a
    third of a second of each of the module's 500 tests): an RFI on Helix-1,
    CISA findings (one shared with Contoso), a notification for everyone,
    agency users' acceptance of their reviews' terms, an access endpoint on
    each review with credentials. The findings' ids by name."""
    from conftest import demo_objects

    demo = demo_objects()
    helix = demo["helix"]
    rfi_services.rfi_create(review_id=helix.pk, actor=demo["reviewer_cisa"], subject="Q", question="Why?")
    category = FindingCategory.objects.first()
    finding_services.finding_create(
        review_id=helix.pk, actor=demo["reviewer_cisa"], title="Internal", category=category, severity="low", description="D"
    )
    shared = finding_services.finding_create(
        review_id=helix.pk, actor=demo["reviewer_cisa"], title="Shared", category=category, severity="high", description="D"
    )
    finding_services.finding_share(finding_id=shared.pk, actor=demo["lead_cisa"], sharing="company")
    for role in DEMO_ROLES:
        Notification.objects.create(recipient=demo[role], verb="test", title=f"For {role}")
        saved_search_create(owner=demo[role], text=f"logs of {role}", params="type=rfi", alert=True)
        if role in AGENCY_SIDE:
            for name in REVIEWS[role]:
                terms_accept(review=demo[name], user=demo[role])
    # Model access: an endpoint on each demo review, a credential for each accepted reviewer.
    for name, labels in (("atlas", ["NSA reviewer 1"]), ("helix", ["CISA reviewer 1"]), ("atlas_mini", ["NSA reviewer 1", "CISA reviewer 1"])):
        review = demo[name]
        liaison = review.company.liaisons_group.user_set.first()
        endpoint = access_services.endpoint_create(review_id=review.pk, actor=liaison, name=f"{name} API", kind="api", url="https://api.example")
        for label in labels:
            access_services.credential_issue(
                review_id=review.pk, actor=liaison, endpoint_id=endpoint.pk, pseudonym=label, kind="token", secret="sk-matrix-secret"
            )
    atlas_internal = demo["atlas"].findings.get().pk
    atlas_company = finding_services.finding_create(
        review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="For Northwind", category=category, severity="medium",
        description="D",
    )
    finding_services.finding_share(finding_id=atlas_company.pk, actor=demo["lead_nsa"], sharing="company")
    findings = {
        "atlas_internal": atlas_internal,
        "helix_internal": Finding.objects.get(review=helix, title="Internal").pk,
        "helix_shared": shared.pk,
        "mini_nsa": demo["atlas_mini"].findings.get(agency=demo["nsa"]).pk,
        "mini_cisa": demo["atlas_mini"].findings.get(agency=demo["cisa"]).pk,
        "atlas_company": atlas_company.pk,
    }
    return findings


@pytest.fixture
def world(demo, _matrix_world):
    """The demo world with the matrix's additions (``_matrix_world``)."""
    return {**demo, "findings": _matrix_world}


def expected(world, role, kind) -> set[int]:
    reviews = [world[name].pk for name in REVIEWS[role]]
    if kind == "agency":
        return set(Agency.objects.values_list("id", flat=True))
    if kind == "company":
        return set(Review.objects.filter(pk__in=reviews).values_list("company_id", flat=True))
    if kind == "model":
        return set(Review.objects.filter(pk__in=reviews).values_list("model_id", flat=True))
    if kind == "review":
        return set(reviews)
    if kind == "document":
        return set(Document.objects.filter(review_id__in=reviews).values_list("id", flat=True))
    if kind == "version":
        return set(DocumentVersion.objects.filter(document__review_id__in=reviews).values_list("id", flat=True))
    if kind == "rfi":
        return set(InformationRequest.objects.filter(review_id__in=reviews).values_list("id", flat=True))
    if kind == "finding":
        return {pk for name, pk in world["findings"].items() if role in FINDINGS[name]}
    if kind == "notification":
        return set(Notification.objects.filter(recipient=world[role]).values_list("id", flat=True))
    if kind == "saved-search":
        return set(SavedSearch.objects.filter(owner=world[role]).values_list("id", flat=True))
    if kind == "access-endpoint":
        return set(AccessEndpoint.objects.filter(review_id__in=reviews).values_list("id", flat=True))
    if kind == "credential":
        # The company: its reviews'; a lead: their agency's reviewers'; a reviewer: their own.
        credentials = Credential.objects.filter(review_id__in=reviews)
        if role in AGENCY_SIDE:
            user = world[role]
            credentials = credentials.filter(agency_id=user.agency_id) if role.startswith("lead") else credentials.filter(reviewer=user)
        return set(credentials.values_list("id", flat=True))
    raise AssertionError(kind)


MODELS = {
    "agency": Agency, "company": Company, "model": AIModel, "review": Review, "document": Document,
    "version": DocumentVersion, "rfi": InformationRequest, "finding": Finding, "notification": Notification,
    "access-endpoint": AccessEndpoint, "credential": Credential, "saved-search": SavedSearch,
}


def _state():
    return (
        sorted(Review.objects.values_list("id", "status")),
        ReviewTransition.objects.count(),
        DocumentVersion.objects.count(),
        DocumentAccess.objects.count(),
        sorted(InformationRequest.objects.values_list("id", "status")),
        RfiMessage.objects.count(),
        RfiFollow.objects.count(),
        sorted(Finding.objects.values_list("id", "status", "response", "retest_result")),
        FindingEvent.objects.count(),
        FindingComment.objects.count(),
        sorted(Notification.objects.values_list("id", "read_at")),
        AIModel.objects.count(),
        Document.objects.count(),
        sorted(Credential.objects.values_list("id", "secret", "revealed_at", "revoked_at", "ended_at")),
        AccessEndpoint.objects.count(),
        sorted(SavedSearch.objects.values_list("id", "alert", "reported")),
    )


def test_world_has_something_out_of_scope_for_every_role_but_admin(world):
    for role in DEMO_ROLES:
        hidden = {kind for kind in ("review", "document", "rfi", "finding", "notification") if
                  set(MODELS[kind].objects.values_list("id", flat=True)) - expected(world, role, kind)}
        assert hidden == ({"notification"} if role == "admin" else {"review", "document", "rfi", "finding", "notification"}), role


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_returns_exactly_the_visible_ids(world, api, role, name):
    kind = LISTS[name]
    response = api(world[role]).get(_url(name), {"page_size": 100})
    assert ids(response) == expected(world, role, kind), (name, role)
    assert response.json()["count"] == len(expected(world, role, kind))


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(DETAILS))
def test_detail_in_scope_is_200_and_out_of_scope_is_404(world, api, role, name):
    kind = DETAILS[name]
    client = api(world[role])
    visible = expected(world, role, kind)
    for pk in visible:
        response = client.get(_url(name, pk))
        assert response.status_code == 200, (name, role, pk, response.content)
        assert response.json()["id"] == pk
    for pk in set(MODELS[kind].objects.values_list("id", flat=True)) - visible | {999_999}:
        response = client.get(_url(name, pk))
        assert response.status_code == 404, (name, role, pk)
        assert response.json() == {"errors": [{"field": None, "code": "not_found", "message": "Not found."}]}


def _mine(world, role) -> Review:
    return world["atlas"] if role in NSA_SIDE else world["helix"]


def _object(world, role, kind, review):
    if kind == "review":
        return review
    if kind == "document":
        return Document.objects.filter(review=review, kind="evaluation_results").get()
    if kind == "version":
        return DocumentVersion.objects.get(document__review=review, document__kind="evaluation_results")
    if kind == "rfi":
        return InformationRequest.objects.filter(review=review).first()
    if kind == "finding":
        name = {"liaison_northwind": "atlas_company", "liaison_contoso": "helix_shared"}.get(
            role, "atlas_internal" if role in NSA_SIDE else "helix_internal"
        )
        return Finding.objects.get(pk=world["findings"][name])
    if kind == "notification":
        return Notification.objects.filter(recipient=world[role]).first()
    if kind == "credential":
        return Credential.objects.filter(pk__in=expected(world, role, "credential"), review=review).first()
    raise AssertionError(kind)


def _out_of_scope(world, role, kind) -> list[int]:
    visible = expected(world, role, kind)
    return sorted(set(MODELS[kind].objects.values_list("id", flat=True)) - visible)


def _body(name, world, role, review):
    if name == "review-withdraw":
        return {"reason": "Pulled from the programme"}, "json"
    if name == "rfi-answer":
        return {"body": "Here are the logs."}, "json"
    if name in ("document-versions", "document-list"):
        data = {"file": SimpleUploadedFile("card-v2.pdf", pdf_bytes("v2"), content_type="application/pdf")}
        if name == "document-list":
            data |= {"review": review.pk, "kind": "other"}
        else:
            data |= {"confirm_new_name": "true"}  # another name than the current version's
        return data, "multipart"
    if name == "model-list":
        return {"name": f"Model by {role}", "version": "9"}, "json"
    if name == "review-list":
        return {"model": review.model_id, "agencies": [world["dod"].pk]}, "json"
    if name == "rfi-list":
        return {"review": review.pk, "subject": "Logs", "question": "Send the logs."}, "json"
    if name == "access-endpoint-list":
        return {"review": review.pk, "name": "Eval API", "kind": "api", "url": "https://eval.example"}, "json"
    if name == "credential-list":
        endpoint = AccessEndpoint.objects.filter(review=review).first()
        label = "NSA reviewer 1" if review == world["atlas"] else "CISA reviewer 1"
        return {"review": review.pk, "endpoint": endpoint.pk if endpoint else 1, "reviewer": label, "kind": "token", "secret": "sk-new"}, "json"
    if name == "finding-list":
        return {"review": review.pk, "title": "Jailbreak", "category": FindingCategory.objects.first().pk, "severity": "low",
                "description": "D", "taxonomy": ["AML.T0054"]}, "json"
    if name == "saved-search-list":
        return {"q": "logs", "type": "rfi", "alert": True}, "json"
    if name == "finding-respond":
        return {"response": "acknowledged"}, "json"
    if name == "finding-retest":
        return {"result": "verified_fixed"}, "json"
    if name == "finding-comments":
        return {"body": "Reproduced on our side."}, "json"
    if name in ("finding-close", "finding-record"):
        return {"comment": "Done."}, "json"
    return {}, "json"


def _call(client, method, url, body, fmt):
    if method == "GET":
        return client.get(url)
    return client.post(url, body, format=fmt)


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_in_scope(world, api, role, name):
    kind, method, by_role = ACTIONS[name]
    review = _mine(world, role)
    obj = _object(world, role, kind, review)
    body, fmt = _body(name, world, role, review)
    response = _call(api(world[role]), method, _url(name, obj.pk), body, fmt)
    assert response.status_code == by_role[role], (name, role, response.content[:300])
    if response.status_code >= 400:
        assert set(response.json()) == {"errors"}


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_action_out_of_scope_is_404_and_changes_nothing(world, api, role, name):
    kind, method, _ = ACTIONS[name]
    client = api(world[role])
    before = _state()
    for pk in _out_of_scope(world, role, kind) + [999_999]:
        body, fmt = _body(name, world, role, _mine(world, role))
        response = _call(client, method, _url(name, pk), body, fmt)
        assert response.status_code == 404, (name, role, pk)
        assert response.json()["errors"][0]["code"] == "not_found"
    assert _state() == before


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(CREATES))
def test_create_by_role(world, api, role, name):
    review = _mine(world, role)
    body, fmt = _body(name, world, role, review)
    response = api(world[role]).post(_url(name), body, format=fmt)
    assert response.status_code == CREATES[name][role], (name, role, response.content[:300])


@pytest.mark.parametrize("role", sorted(set(DEMO_ROLES) - {"admin"}))
@pytest.mark.parametrize("name", ["review-list", "document-list", "rfi-list", "finding-list"])
def test_create_on_an_out_of_scope_review_reads_as_missing(world, api, role, name):
    """An out-of-scope id in a body gets the same 400 as an id that does not exist: no oracle."""
    other = world["helix"] if role in NSA_SIDE else world["atlas"]
    client = api(world[role])
    before = _state()
    answers = []
    for target in (other, Review(pk=999_999, model_id=999_999)):
        body, fmt = _body(name, world, role, target)
        response = client.post(_url(name), body, format=fmt)
        assert response.status_code == 400, (name, role, response.content)
        answers.append([(e["field"], e["code"]) for e in response.json()["errors"]])
    assert answers[0] == answers[1]
    assert _state() == before


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_endpoint_by_role(world, api, role, name):
    method, by_role = PLAIN[name]
    response = _call(api(world[role]), method, _url(name), {}, "json")
    assert response.status_code == by_role[role], (name, role)


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_saved_search_is_changed_by_its_owner_only(world, api, role, method):
    """Alerts on or off (PATCH) and removal (DELETE) of a saved search: every
    other reader's answers 404 and nothing changes; the owner's own is changed."""
    client = api(world[role])
    (own,) = expected(world, role, "saved-search")
    body = {"alert": False} if method == "PATCH" else None
    before = _state()
    for pk in _out_of_scope(world, role, "saved-search") + [999_999]:
        response = client.generic(method, _url("saved-search-detail", pk), json.dumps(body) if body else "", content_type="application/json")
        assert response.status_code == 404, (method, role, pk)
        assert response.json()["errors"][0]["code"] == "not_found"
    assert _state() == before
    response = client.generic(method, _url("saved-search-detail", own), json.dumps(body) if body else "", content_type="application/json")
    if method == "PATCH":
        assert (response.status_code, response.json()["alert"]) == (200, False)
        assert list(SavedSearch.objects.filter(pk=own).values_list("alert", flat=True)) == [False]
    else:
        assert response.status_code == 204
        assert not SavedSearch.objects.filter(pk=own).exists()
    assert SavedSearch.objects.exclude(owner=world[role]).count() == len(DEMO_ROLES) - 1


ALL_CHECKS = (
    [(name, "GET", None) for name in LISTS]
    + [(name, "GET", "pk") for name in DETAILS]
    + [(name, "POST", None) for name in CREATES]
    + [(name, m, "pk") for name, (_, m, _) in ACTIONS.items()]
    + [(name, m, None) for name, (m, _) in PLAIN.items()]
)


@pytest.mark.parametrize("name,method,pk", ALL_CHECKS)
def test_without_a_token_every_endpoint_is_401(world, name, method, pk):
    from rest_framework.test import APIClient

    url = _url(name, world["atlas"].pk if pk else None)
    response = APIClient().generic(method, url)
    assert response.status_code == 401, (name, response.status_code)
    assert response.json() == {
        "errors": [{"field": None, "code": "not_authenticated", "message": "Authentication credentials were not provided."}]
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


# --- The terms column -------------------------------------------------------------
# A review's material (documents, versions, RFIs, findings) is closed to an agency
# user who has not accepted the review's current terms: lists leave it out and
# every detail and action on it answers 403 terms_required. Every kind is classified.
MATERIAL_KINDS = {"document", "version", "rfi", "finding", "access-endpoint", "credential"}
OPEN_KINDS = {"agency", "company", "model", "review", "notification", "saved-search"}
AGENCY_ROLES = sorted(AGENCY_SIDE)


def test_every_kind_is_classified_for_the_terms_gate():
    assert MATERIAL_KINDS | OPEN_KINDS == set(MODELS)
    assert not MATERIAL_KINDS & OPEN_KINDS


def _material_of(world, kind, review):
    if kind == "finding":
        return set(Finding.objects.filter(review=review, pk__in=world["findings"].values()).values_list("id", flat=True))
    path = {"document": "review", "version": "document__review", "rfi": "review", "access-endpoint": "review", "credential": "review"}[kind]
    return set(MODELS[kind].objects.filter(**{path: review}).values_list("id", flat=True))


@pytest.mark.parametrize("role", AGENCY_ROLES)
def test_material_without_the_current_terms_is_left_out_and_refused(world, api, role):
    from reviews.services import terms_update

    review = _mine(world, role)
    visible_before = {kind: expected(world, role, kind) for kind in MATERIAL_KINDS}
    liaison = review.company.liaisons_group.user_set.first()
    terms_update(review=review, actor=liaison, text="Revised terms.")
    client = api(world[role])
    before = _state()
    checked = 0
    for kind in sorted(MATERIAL_KINDS):
        closed = _material_of(world, kind, review) & visible_before[kind]
        listed = ids(client.get(_url(f"{kind}-list"), {"page_size": 100}))
        assert not listed & closed, (role, kind)
        assert listed == visible_before[kind] - closed, (role, kind)
        for pk in closed:
            response = client.get(_url(f"{kind}-detail", pk))
            assert response.status_code == 403, (role, kind, pk)
            assert response.json()["errors"][0]["code"] == "terms_required"
            checked += 1
        for name, (action_kind, method, _) in ACTIONS.items():
            if action_kind != kind:
                continue
            for pk in closed:
                body, fmt = _body(name, world, role, review)
                response = _call(client, method, _url(name, pk), body, fmt)
                assert response.status_code == 403, (role, name, pk)
                assert response.json()["errors"][0]["code"] == "terms_required"
    assert checked, "the role had no material on its review: the test proves nothing"
    assert _state() == before
    # Accepting the new terms opens it again.
    assert client.post(_url("review-accept-terms", review.pk)).status_code == 200
    assert ids(client.get(_url("rfi-list"), {"page_size": 100})) == visible_before["rfi"]
