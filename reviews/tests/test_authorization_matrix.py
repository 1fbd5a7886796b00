"""The authorization matrix: every portal URL × every demo role × in/out of scope.

The list of URL names is read from the URLconf; a new pattern without an
entry here fails ``test_every_url_pattern_is_in_the_matrix``.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import DEMO_ROLES
from accounts.models import Invitation, User
from api.models import ApiToken
from companies.models import AIModel
from documents.models import Document, DocumentAccess, DocumentChange, DocumentVersion
from exports.models import ExportPackage
from modelaccess.models import AccessEndpoint, Credential
from notifications.models import Notification
from reviews import services
from findings import services as finding_services
from findings.models import Finding, FindingCategory, FindingComment, FindingEvent, FindingEvidence, FindingRevision
from readiness.models import ChecklistItem
from rfis import services as rfi_services
from rfis.models import InformationRequest, RfiFollow
from search.models import SavedSearch
from reviews.models import AccessChange, Assignment, ExtensionRequest, ReturnCertificate, Review, ReviewTransition, SignOff

pytestmark = pytest.mark.django_db

NSA_SIDE = {"admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"}
# URL namespaces/modules that belong to third parties (allauth, admin) and are
# covered by their own tests (MFA enforcement, admin login).
THIRD_PARTY_MODULES = ("allauth.", "django.contrib.admin")
# The REST API under /api/ has its own matrix, generated from its router:
# api/tests/test_authorization_matrix.py (token authentication, JSON 401/404).
API_PREFIX = "api/"

# URLs without an object: expected status per role (others: the default).
PLAIN = {
    "dashboard": ("GET", {}, 200),
    "review_list": ("GET", {}, 200),
    "review_create": ("GET", {"liaison_northwind": 200, "liaison_contoso": 200}, 404),
    # A liaison registers their own company's models (the API's POST /api/v1/models/ too).
    "model_create": ("GET", {"liaison_northwind": 200, "liaison_contoso": 200}, 404),
    # A liaison's company's models, every model for the program office (companies/tests/test_model_list.py).
    "model_list": ("GET", {"admin": 200, "liaison_northwind": 200, "liaison_contoso": 200}, 404),
    "invitation_create": ("GET", {"admin": 200, "lead_nsa": 200, "lead_cisa": 200, "liaison_northwind": 200, "liaison_contoso": 200}, 404),
    "notification_index": ("GET", {}, 200),
    "notification_read_all": ("POST", {}, 302),
    "audit_index": ("GET", {"admin": 200}, 404),
    "audit_export": ("GET", {"admin": 200}, 404),
    # "Verify the chain": program admins; the result is shown on the audit page.
    "audit_verify": ("POST", {"admin": 200}, 404),
    # People: the program office everyone, a lead their agency, a liaison their company.
    "people_list": ("GET", {"admin": 200, "lead_nsa": 200, "lead_cisa": 200, "liaison_northwind": 200, "liaison_contoso": 200}, 404),
    # One's own time zone.
    "account_time_zone": ("GET", {}, 200),
    # One's own keyboard shortcuts.
    "account_keyboard": ("GET", {}, 200),
    "notification_preferences": ("GET", {}, 200),
    "api_token_list": ("GET", {}, 200),
    # Identity providers are the program office's.
    "sso_provider_list": ("GET", {"admin": 200}, 404),
    "sso_provider_create": ("GET", {"admin": 200}, 404),
    # The export schema and the portal's public signing key are the same for everyone signed in.
    "export_schema": ("GET", {}, 200),
    "signing_key": ("GET", {}, 200),
    # Search answers everyone signed in, from what they may see (search/tests/test_scope.py).
    "search": ("GET", {}, 200),
    # One's own saved searches (search/tests/test_saved_searches.py); an empty save is refused with a message (302).
    "saved_search_index": ("GET", {}, 200),
    "saved_search_save": ("POST", {}, 302),
}
# Token URLs: not an object a role can be in scope of; anyone gets the same answer.
TOKEN = {"invitation_accept"}
# Step-up through an identity provider, addressed by the provider's slug (sso/tests: a
# provider one is not bound to is 404). The OIDC login/callback endpoints are mounted
# inside allauth's URLconf (skipped above) and tested in sso/tests.
TOKEN |= {"sso_step_up"}
# The "sign in through your organisation" page is a sign-in page: the same for everyone.
TOKEN |= {"sso_start"}

# URLs on an object: (kind, method, extra kwargs, expected in-scope status per role).
# Out of scope is always 404; a role missing from the dict has nothing in scope.
ALL_302 = {r: 302 for r in DEMO_ROLES}
OBJECT = {
    "review_detail": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "review_terms_accept": ("review", "POST", {}, ALL_302),
    "review_transition": ("review", "POST", {"name": "withdraw"}, ALL_302),
    "review_access": ("review", "GET", {}, {"admin": 200, "lead_nsa": 200, "lead_cisa": 200, "reviewer_nsa": 404, "reviewer_cisa": 404, "liaison_northwind": 404, "liaison_contoso": 404}),
    "review_access_revoke": ("review", "POST", {}, {"admin": 302, "lead_nsa": 302, "lead_cisa": 302, "reviewer_nsa": 404, "reviewer_cisa": 404, "liaison_northwind": 404, "liaison_contoso": 404}),
    "assignment_detail": ("assignment", "GET", {}, {"admin": 200, "lead_nsa": 200, "lead_cisa": 200, "reviewer_nsa": 200, "reviewer_cisa": 200}),
    "assignment_remove": ("assignment", "POST", {}, {"admin": 302, "lead_nsa": 302, "lead_cisa": 302, "reviewer_nsa": 404, "reviewer_cisa": 404}),
    "model_detail": ("model", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    # Editing a model: its company's liaisons only.
    "model_edit": ("model", "GET", {}, {r: (200 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    # A draft's fields and deleting it: the company's liaisons. The demo's reviews are in review, so
    # the liaison is sent back to the review with the refusal (302); drafts: reviews/tests/test_draft_editing.py.
    "review_edit": ("review", "GET", {}, {r: (302 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "review_delete": ("review", "POST", {}, {r: (302 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "review_history": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "notification_read": ("notification", "POST", {}, ALL_302),
    # Documents follow their review. For these kinds agency users have accepted the
    # review's terms (see _makers); without that every document URL sends them to the review.
    "review_documents": ("review_documents", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "document_detail": ("document", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    # Find in one document's text (search/tests/test_document_find.py: what each role finds there).
    "document_find": ("document", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "document_version_upload": ("document", "POST", {}, {"admin": 404, "lead_nsa": 404, "lead_cisa": 404, "reviewer_nsa": 404, "reviewer_cisa": 404, "liaison_northwind": 302, "liaison_contoso": 302}),
    # Correcting a document's title, kind and marking: the company's liaisons, while the review is open.
    "document_edit": ("document", "GET", {}, {r: (200 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "version_download": ("version", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "version_view": ("version", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    # Leads ask, reviewers ask their lead; an empty form comes back with its errors (400), nothing written.
    "review_extension_request": ("review", "POST", {}, {r: (400 if r.startswith(("lead", "reviewer")) else 404) for r in DEMO_ROLES}),
    "extension_decide": ("extension", "POST", {}, {r: (400 if r == "admin" else 404) for r in DEMO_ROLES}),
    "extension_answer": ("extension", "POST", {}, {r: (400 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "extension_position": ("extension", "POST", {}, {r: 404 for r in DEMO_ROLES}),
    "review_rfis": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "rfi_detail": ("rfi", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "rfi_answer": ("rfi", "POST", {}, {r: (302 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "rfi_reopen": ("rfi", "POST", {}, {r: (404 if r == "admin" else 302) for r in DEMO_ROLES}),
    "rfi_close": ("rfi", "POST", {}, {r: (404 if r.startswith("liaison") else 302) for r in DEMO_ROLES}),
    # "Asked already?" and following: the agencies that may ask (the service may still refuse: 302 with a message).
    "review_rfis_similar": ("review", "GET", {}, {r: (200 if r.startswith(("lead", "reviewer")) else 404) for r in DEMO_ROLES}),
    # Routing: the company's liaisons. The FAQ: everyone on the review; publishing: an asking agency or the
    # program office (the demo's question is unanswered: refused with a message, 302).
    "rfi_assign": ("rfi", "POST", {}, {r: (302 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "rfi_publish_faq": ("rfi", "POST", {}, {r: (404 if r.startswith("liaison") else 302) for r in DEMO_ROLES}),
    "review_faq": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "rfi_follow": ("rfi", "POST", {}, {r: (302 if r.startswith(("lead", "reviewer")) else 404) for r in DEMO_ROLES}),
    "review_findings": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    # Internal findings: companies have none in scope.
    "finding_detail": ("finding", "GET", {}, {"admin": 200, "lead_nsa": 200, "lead_cisa": 200, "reviewer_nsa": 200, "reviewer_cisa": 200}),
    "finding_share": ("finding", "POST", {}, {"admin": 404, "lead_nsa": 302, "lead_cisa": 302, "reviewer_nsa": 404, "reviewer_cisa": 404}),
    "review_report": ("review", "GET", {"fmt": "csv"}, {r: 200 for r in DEMO_ROLES}),
    # A participating agency's lead: an empty certificate or sign-off comes back with its errors (400), nothing written.
    "review_certify": ("review", "POST", {}, {r: (400 if r.startswith("lead") else 404) for r in DEMO_ROLES}),
    "review_sign_off": ("review", "POST", {}, {r: (400 if r.startswith("lead") else 404) for r in DEMO_ROLES}),
    # Exports (issue 22): each cut to the reader; a package is its requester's alone.
    "review_export_json": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "review_oscal": ("review", "GET", {"kind": "poam"}, {r: 200 for r in DEMO_ROLES}),
    "review_package": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "review_package_request": ("review", "POST", {}, ALL_302),
    "package_download": ("package", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "review_checklist": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "checklist_item_answer": ("checklist_item", "POST", {}, {r: (302 if r.startswith(("lead", "reviewer")) else 404) for r in DEMO_ROLES}),
    "finding_comment": ("finding", "POST", {}, {"admin": 404, "lead_nsa": 302, "lead_cisa": 302, "reviewer_nsa": 302, "reviewer_cisa": 302}),
    # Editing before sharing: the finding's own agency. Closing: its lead or the program office
    # (the empty form is refused with a message: 302). Other moves: findings/tests/test_lifecycle.py.
    # Linking possible duplicates: the program office (an empty form is refused with a message: 302).
    "finding_link": ("finding", "POST", {}, {"admin": 302, "lead_nsa": 404, "lead_cisa": 404, "reviewer_nsa": 404, "reviewer_cisa": 404}),
    "finding_edit": ("finding", "GET", {}, {"admin": 404, "lead_nsa": 200, "lead_cisa": 200, "reviewer_nsa": 200, "reviewer_cisa": 200}),
    # Evidence: attaching, the finding's own agency (an empty form is refused with a message: 302);
    # downloading, whoever sees the finding (findings/tests/test_evidence.py: per sharing level).
    "finding_evidence_add": ("finding", "POST", {}, {"admin": 404, "lead_nsa": 302, "lead_cisa": 302, "reviewer_nsa": 302, "reviewer_cisa": 302}),
    "finding_evidence_download": ("evidence", "GET", {}, {"admin": 200, "lead_nsa": 200, "lead_cisa": 200, "reviewer_nsa": 200, "reviewer_cisa": 200}),
    # In the browser: a PDF (a text file is refused as a document version's is).
    "finding_evidence_view": ("evidence_pdf", "GET", {}, {"admin": 200, "lead_nsa": 200, "lead_cisa": 200, "reviewer_nsa": 200, "reviewer_cisa": 200}),
    "finding_transition": ("finding", "POST", {"name": "close"}, {"admin": 302, "lead_nsa": 302, "lead_cisa": 302, "reviewer_nsa": 404, "reviewer_cisa": 404}),
    # Personal API tokens: one's own only; anyone else's answers 404.
    "api_token_revoke": ("api_token", "POST", {}, ALL_302),
    # Saved searches: one's own only; anyone else's answers 404.
    "saved_search_alert": ("saved_search", "POST", {}, ALL_302),
    "saved_search_remove": ("saved_search", "POST", {}, ALL_302),
    # Identity providers: program admins only.
    "sso_provider_edit": ("idp", "GET", {}, {"admin": 200}),
    # Model access (modelaccess/): everyone on the review reads the page; the company
    # describes endpoints and issues credentials (an empty form is shown again: 200).
    "review_model_access": ("review", "GET", {}, {r: 200 for r in DEMO_ROLES}),
    "model_access_endpoint_add": ("review", "POST", {}, {r: (200 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "model_access_credential_issue": ("review", "POST", {}, {r: (200 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "model_access_credentials_import": ("review", "POST", {}, {r: (200 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    # People (accounts/): the program office manages everyone but itself, a lead their own agency's people;
    # invitations, whoever could send them now (a liaison their company's).
    "person_deactivate": ("person", "POST", {}, {"admin": 302, "lead_nsa": 302, "lead_cisa": 302}),
    "person_reactivate": ("person", "POST", {}, {"admin": 302, "lead_nsa": 302, "lead_cisa": 302}),
    "invitation_resend": ("invitation", "POST", {}, {r: 302 for r in DEMO_ROLES if not r.startswith("reviewer")}),
    "invitation_revoke": ("invitation", "POST", {}, {r: 302 for r in DEMO_ROLES if not r.startswith("reviewer")}),
    # A credential is revealed by its reviewer only (once: 200, the secret); anyone else 404.
    "credential_reveal": ("credential", "POST", {}, {r: (200 if r.startswith("reviewer") else 404) for r in DEMO_ROLES}),
    "credential_revoke": ("credential", "POST", {}, {r: (302 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
    "credential_rotated": ("credential", "POST", {}, {r: (302 if r.startswith("liaison") else 404) for r in DEMO_ROLES}),
}


def _portal_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            module = getattr(entry.urlconf_module, "__name__", "") or ""
            if module.startswith(THIRD_PARTY_MODULES) or "admin" in str(entry.pattern):
                continue
            if str(entry.pattern) == API_PREFIX:
                continue  # see API_PREFIX
            yield from _portal_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            callback_module = entry.callback.__module__
            if callback_module.startswith(THIRD_PARTY_MODULES):
                continue
            yield entry.name, prefix + str(entry.pattern)


def test_every_url_pattern_is_in_the_matrix():
    names = {name for name, _ in _portal_patterns()}
    missing = names - set(PLAIN) - set(OBJECT) - TOKEN
    assert not missing, f"URL patterns without an authorization-matrix entry: {sorted(missing)}"
    assert names >= set(PLAIN) | set(OBJECT) | TOKEN, "the matrix lists URL names that no longer exist"


def test_object_urls_take_an_object_id():
    routes = dict(_portal_patterns())
    for name in OBJECT:
        assert "<int:pk>" in routes[name], f"{name} should address an object by id"


IN_SCOPE, OUT_OF_SCOPE = 0, 1


def _object(demo, role, kind, side: int):
    """The in-scope (``IN_SCOPE``) or out-of-scope (``OUT_OF_SCOPE``) object of
    ``kind`` for ``role``, or None: only that one is built (an export package
    is a PDF build, a credential an endpoint and a secret)."""
    return _makers(demo, role, kind)[side]()


def _makers(demo, role, kind):
    """(in-scope, out-of-scope) makers for ``role``: each builds its object, or gives None."""
    nsa_side = role in NSA_SIDE
    mine, other = (demo["atlas"], demo["helix"]) if nsa_side else (demo["helix"], demo["atlas"])
    if kind in ("document", "version", "review_documents") and role.startswith(("lead", "reviewer")):
        # Document URLs are checked past the terms (without them agency users are sent to the review).
        from reviews.services import terms_accept

        terms_accept(review=mine, user=demo[role])
    if kind == "review_documents":
        kind = "review"
    if kind == "review":
        return (lambda: mine), (lambda: (None if role == "admin" else other))
    if kind == "model":
        return (lambda: mine.model), (lambda: (None if role == "admin" else other.model))
    if kind == "assignment":
        mine_a, other_a = mine.assignments.get(), other.assignments.get()
        if role.startswith("liaison"):
            return (lambda: None), (lambda: mine_a)  # companies never see who reviews their model
        return (lambda: mine_a), (lambda: (None if role == "admin" else other_a))
    if kind == "document":
        mine_d = Document.objects.filter(review=mine, kind="model_card").get()
        other_d = Document.objects.filter(review=other, kind="model_card").get()
        return (lambda: mine_d), (lambda: (None if role == "admin" else other_d))
    if kind == "version":
        mine_v = DocumentVersion.objects.get(document__review=mine, document__kind="model_card")
        other_v = DocumentVersion.objects.get(document__review=other, document__kind="model_card")
        return (lambda: mine_v), (lambda: (None if role == "admin" else other_v))
    if kind == "extension":
        def ext(review):
            lead = demo["lead_nsa"] if review == demo["atlas"] else demo["lead_cisa"]
            services.terms_accept(review=review, user=lead)
            return services.extension_request(review_id=review.pk, actor=lead, days=3, reason="More time")

        return (lambda: ext(mine)), (lambda: (None if role == "admin" else ext(other)))
    if kind == "rfi":
        def rfi(review):
            if review == demo["atlas"]:
                return review.rfis.get()  # the demo's open RFI
            return rfi_services.rfi_create(review_id=review.pk, actor=demo["reviewer_cisa"], subject="Q", question="Why?")

        return (lambda: rfi(mine)), (lambda: (None if role == "admin" else rfi(other)))
    if kind == "finding":
        def finding(review):
            if review == demo["atlas"]:
                return review.findings.get()  # the demo's internal NSA finding
            return finding_services.finding_create(
                review_id=review.pk, actor=demo["reviewer_cisa"], title="F", category=FindingCategory.objects.first(),
                severity="low", description="D",
            )

        if role.startswith("liaison"):
            return (lambda: None), (lambda: finding(mine))  # internal: never visible to the company
        return (lambda: finding(mine)), (lambda: (None if role == "admin" else finding(other)))
    if kind in ("evidence", "evidence_pdf"):
        from documents.tests.factories import marking, pdf_bytes, upload

        def evidence(review):
            if review == demo["atlas"]:
                finding, author = review.findings.get(), demo["reviewer_nsa"]  # the demo's internal NSA finding
            else:
                author = demo["reviewer_cisa"]
                finding = finding_services.finding_create(
                    review_id=review.pk, actor=author, title="F", category=FindingCategory.objects.first(),
                    severity="low", description="D",
                )
            services.terms_accept(review=review, user=author)
            name, file = ("run.pdf", upload("run.pdf", pdf_bytes(), "application/pdf")) if kind == "evidence_pdf" else ("log.txt", upload("log.txt", b"evidence\n"))
            return finding_services.evidence_add(finding_id=finding.pk, actor=author, file=file, original_name=name, marking=marking())

        if role.startswith("liaison"):
            return (lambda: None), (lambda: evidence(mine))  # an internal finding's evidence: never visible to the company
        return (lambda: evidence(mine)), (lambda: (None if role == "admin" else evidence(other)))
    if kind == "checklist_item":
        return (lambda: mine.checklist.first()), (lambda: (None if role == "admin" else other.checklist.first()))
    if kind == "package":
        from exports.packages import package_build
        from exports.services import package_request
        from reviews.services import terms_accept

        def package(review, user):
            p = package_request(review=review, user=user, include_files=False)
            package_build(package_id=p.pk)
            return p

        if role.startswith(("lead", "reviewer")):
            terms_accept(review=mine, user=demo[role])
        # Out of scope: a package of a review the role does not see, or (the program office sees
        # every review) a package someone else asked for.
        stranger = demo["liaison_northwind"] if role == "admin" else demo["admin"]
        return (lambda: package(mine, demo[role])), (lambda: package(mine if role == "admin" else other, stranger))
    if kind == "api_token":
        from api.services import token_create

        someone_else = demo["admin"] if role != "admin" else demo["lead_nsa"]
        return (lambda: token_create(user=demo[role], name="mine")[0]), (lambda: token_create(user=someone_else, name="theirs")[0])
    if kind == "saved_search":
        from search.services import saved_search_create

        someone_else = demo["admin"] if role != "admin" else demo["lead_nsa"]
        return (
            (lambda: saved_search_create(owner=demo[role], text="mine", params="", alert=False)[0]),
            (lambda: saved_search_create(owner=someone_else, text="theirs", params="", alert=False)[0]),
        )
    if kind == "idp":
        from sso.services import identity_provider_save

        def idp():
            return identity_provider_save(
                actor=demo["admin"], agency_id=demo["nsa"].pk, name="NSA ICAM", issuer="https://idp.nsa.example",
                client_id="portal", client_secret="s3cret", email_domains=["nsa.example"],
            )

        return (idp, lambda: None) if role == "admin" else ((lambda: None), idp)
    if kind == "credential":
        from modelaccess import services as access_services

        def credential(review):
            liaison = review.company.liaisons_group.user_set.first()
            endpoint = access_services.endpoint_create(review_id=review.pk, actor=liaison, name="API", kind="api", url="https://api.example")
            label = "NSA reviewer 1" if review == demo["atlas"] else "CISA reviewer 1"
            return access_services.credential_issue(
                review_id=review.pk, actor=liaison, endpoint_id=endpoint.pk, pseudonym=label, kind="token", secret="sk-matrix"
            )

        return (lambda: credential(mine)), (lambda: (None if role == "admin" else credential(other)))
    if kind == "person":
        # Out of scope: oneself (the program office), another agency's people (a lead), anyone (the others).
        mine_p = {"admin": "reviewer_nsa", "lead_nsa": "reviewer_nsa", "lead_cisa": "reviewer_cisa"}.get(role)
        other_p = {"admin": "admin", "lead_nsa": "reviewer_cisa", "lead_cisa": "reviewer_nsa"}.get(role, "reviewer_nsa" if role != "reviewer_nsa" else "lead_cisa")
        return (lambda: (demo[mine_p] if mine_p else None)), (lambda: demo[other_p])
    if kind == "invitation":
        from accounts.services import invitation_create

        def invitation(org):
            inviter, role_, agency_id, company_id = {
                "nsa": (demo["lead_nsa"], "agency_reviewer", demo["nsa"].pk, None),
                "cisa": (demo["lead_cisa"], "agency_reviewer", demo["cisa"].pk, None),
                "northwind": (demo["liaison_northwind"], "company_liaison", None, demo["northwind"].pk),
                "contoso": (demo["liaison_contoso"], "company_liaison", None, demo["contoso"].pk),
            }[org]
            return invitation_create(inviter=inviter, email=f"new.{org}@example.test", role=role_, agency_id=agency_id, company_id=company_id)[0]

        mine_org = {"admin": "nsa", "lead_nsa": "nsa", "lead_cisa": "cisa", "liaison_northwind": "northwind", "liaison_contoso": "contoso"}.get(role)
        other_org = {"lead_nsa": "cisa", "lead_cisa": "nsa", "liaison_northwind": "contoso", "liaison_contoso": "northwind"}.get(role, "nsa")
        return (lambda: (invitation(mine_org) if mine_org else None)), (lambda: (None if role == "admin" else invitation(other_org)))
    if kind == "notification":
        user = demo[role]
        someone_else = demo["admin"] if role != "admin" else demo["lead_nsa"]
        return (
            lambda: Notification.objects.create(recipient=user, verb="test", title="Yours"),
            lambda: Notification.objects.create(recipient=someone_else, verb="test", title="Not yours"),
        )
    raise AssertionError(kind)


def _request(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, {})


def _state():
    return (
        sorted(Review.objects.values_list("id", "status")),
        sorted(Assignment.objects.values_list("id", "status")),
        AccessChange.objects.count(),
        ReviewTransition.objects.count(),
        sorted(Notification.objects.values_list("id", "read_at")),
        DocumentVersion.objects.count(),
        DocumentAccess.objects.count(),
        sorted(ExtensionRequest.objects.values_list("id", "status", "company_answer")),
        sorted(InformationRequest.objects.values_list("id", "status", "assignee", "faq_published_at")),
        RfiFollow.objects.count(),
        sorted(Finding.objects.values_list("id", "sharing", "status", "duplicate_of")),
        FindingComment.objects.count(),
        FindingEvent.objects.count(),
        sorted(ChecklistItem.objects.values_list("id", "answer")),
        sorted(Review.objects.values_list("id", "window_end")),
        sorted(ApiToken.objects.values_list("id", "revoked_at")),
        sorted(SavedSearch.objects.values_list("id", "alert", "checked_at")),
        sorted(Credential.objects.values_list("id", "secret", "revealed_at", "revoked_at", "ended_at", "rotated_at")),
        AccessEndpoint.objects.count(),
        ExportPackage.objects.count(),
        FindingEvidence.objects.count(),
        sorted(Document.objects.values_list("id", "title", "kind", "marking")),
        sorted(DocumentVersion.objects.values_list("id", "marking")),
        DocumentChange.objects.count(),
        FindingRevision.objects.count(),
        sorted(AIModel.objects.values_list("id", "name", "version", "modality", "capability_summary", "planned_release_date")),
        sorted(SignOff.objects.values_list("id", flat=True)),
        sorted(ReturnCertificate.objects.values_list("id", flat=True)),
        sorted(User.objects.values_list("id", "is_active")),
        sorted(Invitation.objects.values_list("id", "token_hash", "expires_at", "revoked_at")),
    )


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(OBJECT))
def test_object_url_in_scope(demo, login, role, name):
    kind, method, extra, expected = OBJECT[name]
    obj = _object(demo, role, kind, IN_SCOPE)
    if obj is None:
        assert role not in expected
        return
    # Agency users have accepted the review's access terms, so the material is open to them.
    review = obj if isinstance(obj, Review) else getattr(obj, "review", None)
    agency_side = role.startswith(("lead", "reviewer"))
    client = login(demo[role], accept_terms_for=[review] if review is not None and agency_side else [])
    response = _request(client, method, reverse(name, kwargs={"pk": obj.pk, **extra}))
    assert response.status_code == expected[role], (name, role)


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(OBJECT))
def test_object_url_out_of_scope_is_404_and_changes_nothing(demo, login, role, name):
    kind, method, extra, _ = OBJECT[name]
    obj = _object(demo, role, kind, OUT_OF_SCOPE)
    client = login(demo[role])
    before = _state()
    targets = [999_999] + ([obj.pk] if obj is not None else [])
    for pk in targets:
        response = _request(client, method, reverse(name, kwargs={"pk": pk, **extra}))
        assert response.status_code == 404, (name, role, pk)
        assert "Not found" in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize("role", DEMO_ROLES)
@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_url_by_role(demo, login, role, name):
    method, by_role, default = PLAIN[name]
    client = login(demo[role])
    response = _request(client, method, reverse(name))
    assert response.status_code == by_role.get(role, default), (name, role)


@pytest.mark.parametrize("name", sorted(PLAIN) + sorted(OBJECT))
def test_anonymous_is_sent_to_login(client, demo, name):
    kwargs = {}
    if name in OBJECT:
        kwargs = {"pk": demo["atlas"].pk, **OBJECT[name][2]}
        if OBJECT[name][0] == "assignment":
            kwargs["pk"] = demo["atlas"].assignments.get().pk
    method = OBJECT[name][1] if name in OBJECT else PLAIN[name][0]
    response = _request(client, method, reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- The terms column -----------------------------------------------------------
# Agency users open a review's material only after accepting its current access
# terms. Every object URL is classified here; a new one without a class fails
# test_every_object_url_is_classified_for_the_terms_gate, so a view that forgets
# the gate cannot pass unnoticed.
TERMS_GATED = {
    "review_documents", "document_detail", "document_find", "document_edit", "document_version_upload", "version_download", "version_view",
    "review_rfis", "rfi_detail", "rfi_answer", "rfi_reopen", "rfi_close", "review_rfis_similar", "rfi_follow",
    "rfi_assign", "rfi_publish_faq", "review_faq",
    "review_findings", "finding_detail", "finding_share", "finding_comment", "finding_edit", "finding_transition",
    "finding_link", "finding_evidence_add", "finding_evidence_download", "finding_evidence_view",
    "review_checklist", "checklist_item_answer", "review_report", "review_extension_request", "review_sign_off",
    "extension_position",
    "review_export_json", "review_oscal", "review_package", "review_package_request", "package_download",
    "review_model_access", "model_access_endpoint_add", "model_access_credential_issue", "model_access_credentials_import",
    "credential_reveal", "credential_revoke", "credential_rotated",
}
# Pages about the review that are not its material: the review's own page (which
# shows the terms instead), accepting the terms, people and access, the record.
NOT_GATED = {
    "review_detail", "review_terms_accept", "review_transition", "review_access", "review_access_revoke",
    "assignment_detail", "assignment_remove", "model_detail", "review_history", "notification_read",
    "model_edit", "review_edit", "review_delete",
    "extension_decide", "extension_answer", "review_certify", "api_token_revoke", "sso_provider_edit",
    "saved_search_alert", "saved_search_remove",
    "person_deactivate", "person_reactivate", "invitation_resend", "invitation_revoke",
}
AGENCY_ROLES = ["lead_nsa", "lead_cisa", "reviewer_nsa", "reviewer_cisa"]


def test_every_object_url_is_classified_for_the_terms_gate():
    assert TERMS_GATED | NOT_GATED == set(OBJECT), sorted(set(OBJECT) ^ (TERMS_GATED | NOT_GATED))
    assert not TERMS_GATED & NOT_GATED


@pytest.mark.parametrize("role", AGENCY_ROLES)
@pytest.mark.parametrize("name", sorted(TERMS_GATED))
def test_material_url_without_the_current_terms_sends_to_the_terms_and_changes_nothing(demo, login, role, name):
    kind, method, extra, expected = OBJECT[name]
    obj = _object(demo, role, kind, IN_SCOPE)
    if obj is None or expected.get(role, 404) == 404:
        return  # nothing of this kind in the role's scope (the in-scope test covers it)
    review = obj if isinstance(obj, Review) else getattr(obj, "review", None) or obj.document.review
    # The company revises the review's terms: the agency user has accepted only the old version.
    liaison = review.company.liaisons_group.user_set.first()
    services.terms_update(review=review, actor=liaison, text=f"Revised terms for {name}.")
    client = login(demo[role])
    before = _state()
    response = _request(client, method, reverse(name, kwargs={"pk": obj.pk, **extra}))
    assert response.status_code == 302, (name, role, response.status_code)
    assert response["Location"].startswith(reverse("review_detail", kwargs={"pk": review.pk})), (name, role)
    assert _state() == before
    # The terms page it lands on comes back to the material once accepted (GET links only).
    if method == "GET":
        landing = client.get(response["Location"])
        assert landing.templates[0].name == "reviews/review_terms.html"
        back = client.post(
            reverse("review_terms_accept", kwargs={"pk": review.pk}), {"next": landing.context["next"]}
        )
        assert back["Location"] == reverse(name, kwargs={"pk": obj.pk, **extra})
