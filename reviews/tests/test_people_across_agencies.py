"""An agency's people are shown only to that agency and the program office.

On the review NSA and CISA share (the demo's Atlas-2 Mini) every page,
report and API response of the review is crawled as each agency's lead and
reviewer: none may name the other agency's analysts or leads (names or
e-mail addresses), and each sees their own agency's people (the positive
control that shows the crawl reaches the places where people are named).
"""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.people import may_name, person_label
from findings import services as finding_services
from findings.models import Finding
from readiness import services as readiness_services
from reviews import services
from rfis import services as rfi_services

pytestmark = pytest.mark.django_db

PEOPLE = {
    "NSA": ["Riley Reviewer", "reviewer.nsa@agency.example", "Lee Lead", "lead.nsa@agency.example"],
    "CISA": ["Casey Reviewer", "reviewer.cisa@agency.example", "Cameron Lead", "lead.cisa@agency.example"],
}
VIEWERS = {"lead_nsa": "NSA", "reviewer_nsa": "NSA", "lead_cisa": "CISA", "reviewer_cisa": "CISA"}


@pytest.fixture
def shared(demo):
    """Atlas-2 Mini with people of both agencies acting everywhere a person can appear."""
    mini = demo["atlas_mini"]
    for agency in ("nsa", "cisa"):
        lead, reviewer = demo[f"lead_{agency}"], demo[f"reviewer_{agency}"]
        item = mini.checklist.filter(agency=demo[agency]).order_by("id")[0]  # each agency answers its own
        readiness_services.checklist_answer(item_id=item.pk, actor=reviewer, answer="met", note=f"{agency} checked.")
        if agency == "nsa":  # one request pending at a time: CISA states its position on NSA's
            extension = services.extension_request(review_id=mini.pk, actor=lead, days=2, reason=f"{agency} needs lab time.")
        else:
            services.extension_position(extension_id=extension.pk, actor=lead, supports=True, note=f"{agency} needs lab time.")
        finding = Finding.objects.get(review=mini, agency=demo[agency])
        if finding.sharing == "internal":
            finding_services.finding_share(finding_id=finding.pk, actor=lead, sharing="agencies")
        finding_services.finding_comment(finding_id=finding.pk, actor=reviewer, body=f"{agency} retested.", internal=False)
        rfi = mini.rfis.get(agency=demo[agency])
        rfi_services.rfi_close(rfi_id=rfi.pk, actor=lead, body=f"{agency} closes this.")
    return mini


def _pages(client, mini, role, demo):
    """Every page of the review the role can open, with its text."""
    urls = [
        reverse("review_detail", args=[mini.pk]),
        reverse("review_documents", args=[mini.pk]),
        reverse("review_rfis", args=[mini.pk]),
        reverse("review_findings", args=[mini.pk]),
        reverse("review_checklist", args=[mini.pk]),
        reverse("review_history", args=[mini.pk]),
        reverse("review_report", args=[mini.pk, "csv"]),
        reverse("dashboard"),
        reverse("review_list"),
        reverse("notification_index"),
    ]
    if role.startswith("lead"):
        urls.append(reverse("review_access", args=[mini.pk]))
    urls += [reverse("rfi_detail", args=[rfi.pk]) for rfi in mini.rfis.all()]
    urls += [reverse("finding_detail", args=[f.pk]) for f in Finding.objects.visible_to(demo[role], review=mini)]
    urls += [reverse("assignment_detail", args=[a.pk]) for a in mini.assignments.filter(reviewer=demo[role])]
    texts = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (role, url)
        body = response.content if not hasattr(response, "streaming_content") else b"".join(response.streaming_content)
        texts[url] = body.decode()
    texts["report.pdf"] = _pdf_text(client.get(reverse("review_report", args=[mini.pk, "pdf"])).content)
    return texts


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _api(demo, role, mini):
    client = APIClient()
    client.force_authenticate(demo[role])
    texts = {}
    for url in (f"/api/v1/reviews/{mini.pk}/", f"/api/v1/rfis/?review={mini.pk}", f"/api/v1/findings/?review={mini.pk}",
                f"/api/v1/documents/?review={mini.pk}", "/api/v1/notifications/?page_size=100"):
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.content[:200])
        texts[url] = response.content.decode()
    for rfi in mini.rfis.all():
        texts[f"rfi {rfi.pk}"] = client.get(f"/api/v1/rfis/{rfi.pk}/").content.decode()
    return texts


@pytest.mark.parametrize("role", sorted(VIEWERS))
def test_other_agencys_people_appear_nowhere_on_the_shared_review(shared, demo, login, role):
    own = VIEWERS[role]
    other = "CISA" if own == "NSA" else "NSA"
    client = login(demo[role])
    texts = {**_pages(client, shared, role, demo), **_api(demo, role, shared)}
    for where, text in texts.items():
        for secret in PEOPLE[other]:
            assert secret not in text, f"{role} sees {secret!r} on {where}"
    # The organisation is shown instead.
    assert other in texts[reverse("review_findings", args=[shared.pk])]
    # Positive control: the crawl reaches pages that name people, and the reader's own agency is named there.
    seen_own = {secret for secret in PEOPLE[own] for text in texts.values() if secret in text}
    assert seen_own, f"{role} sees none of their own agency's people: the crawl proves nothing"


def test_program_office_sees_everyone(shared, demo, login):
    texts = _pages(login(demo["admin"]), shared, "admin", demo)
    everything = "\n".join(texts.values())
    for secret in PEOPLE["NSA"][:1] + PEOPLE["CISA"][:1]:
        assert secret in everything


def test_display_rule_in_one_function(demo):
    nsa_reviewer, cisa_lead = demo["reviewer_nsa"], demo["lead_cisa"]
    assert person_label(cisa_lead, viewer=nsa_reviewer) == "CISA"
    assert person_label(nsa_reviewer, viewer=demo["lead_nsa"]) == nsa_reviewer.get_full_name()
    assert person_label(nsa_reviewer, viewer=demo["liaison_northwind"]) == "NSA"
    assert person_label(demo["liaison_northwind"], viewer=nsa_reviewer) == "Northwind AI"
    assert person_label(demo["admin"], viewer=nsa_reviewer) == "Program office"
    assert person_label(cisa_lead, viewer=demo["admin"]) == cisa_lead.get_full_name()
    assert person_label(None, viewer=nsa_reviewer) == "System"
    assert may_name(nsa_reviewer, viewer=nsa_reviewer)
    assert not may_name(cisa_lead, viewer=nsa_reviewer)
    assert re.fullmatch(r"[A-Z]+", person_label(cisa_lead, viewer=demo["liaison_northwind"]))
