"""E-mails people can click: each names its review (and the RFI or finding), links to
it on PORTAL_BASE_URL, and carries nothing its recipient may not see."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from findings.models import Sharing
from findings.services import finding_share
from reviews.services import assignment_invite, extension_request, terms_accept
from rfis.services import rfi_answer, rfi_create

pytestmark = pytest.mark.django_db

LINK = re.compile(r"Open it in the portal: (\S+)")
NSA_PEOPLE = ("Lee Lead", "Riley Reviewer")
CISA_PEOPLE = ("Cameron Lead", "Casey Reviewer")


def test_every_email_names_its_review_links_to_it_and_hides_other_peoples_names(demo, login, django_capture_on_commit_callbacks):
    from accounts.models import Role
    from accounts.tests.factories import make_user
    from findings.models import FindingCategory
    from findings.services import finding_create
    from reviews.tests.factories import assign, make_review

    # A review shared by NSA and CISA, each with its accepted reviewer.
    with django_capture_on_commit_callbacks(execute=True):
        shared = make_review(
            company=demo["northwind"], agencies=[demo["nsa"], demo["cisa"]], liaison=demo["liaison_northwind"], admin=demo["admin"]
        )
        assign(shared, demo["reviewer_nsa"], lead=demo["lead_nsa"])
        assign(shared, demo["reviewer_cisa"], lead=demo["lead_cisa"])
        for lead in ("lead_nsa", "lead_cisa"):  # the leads share and ask for more time below
            terms_accept(review=shared, user=demo[lead])
    newcomer = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"], full_name="Nico Newcomer")
    terms_accept(review=shared, user=demo["lead_cisa"])  # the lead who shares and asks for time has read the material
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rfi = rfi_create(review_id=shared.pk, actor=demo["reviewer_nsa"], subject="Sandbox egress rules", question="Which hosts?")
    with django_capture_on_commit_callbacks(execute=True):
        rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Only the update mirror.")
    with django_capture_on_commit_callbacks(execute=True):
        finding = finding_create(
            review_id=shared.pk, actor=demo["reviewer_cisa"], title="Exploit chain for an old router CVE",
            category=FindingCategory.objects.first(), severity="high", description="It wrote a working exploit.",
        )
    with django_capture_on_commit_callbacks(execute=True):
        finding_share(finding_id=finding.pk, actor=demo["lead_cisa"], sharing=Sharing.COMPANY)
    with django_capture_on_commit_callbacks(execute=True):
        extension_request(review_id=shared.pk, actor=demo["lead_cisa"], days=4, reason="The sandbox arrived late.")
    with django_capture_on_commit_callbacks(execute=True):
        assignment_invite(review=demo["atlas"], reviewer=newcomer, actor=demo["lead_nsa"])

    people = {u.email: u for u in (*[demo[k] for k in ("admin", "lead_nsa", "lead_cisa", "reviewer_nsa", "reviewer_cisa", "liaison_northwind")], newcomer)}
    received = {}
    for message in mail.outbox:
        (to,) = message.to
        received.setdefault(to, []).append(message)
    # The ones who had to hear of it did.
    assert {"liaison@northwind.example", "lead.nsa@agency.example", "reviewer.nsa@agency.example", "lead.cisa@agency.example",
            "admin@portal.example", newcomer.email} <= set(received)
    assert any(finding.title in m.subject for m in received["liaison@northwind.example"])
    assert any("Sandbox egress rules" in m.subject for m in received["liaison@northwind.example"])

    for to, messages in received.items():
        user = people[to]
        for review in (shared, demo["atlas"]):
            if user.is_agency_lead or user.is_agency_reviewer:
                if user.agency_id in set(review.agencies.values_list("pk", flat=True)) and user != newcomer:
                    terms_accept(review=review, user=user)
        client = login(user)
        for message in messages:
            assert message.subject.startswith("[Frontier Review] ")
            assert re.search(r"review #\d+", message.subject), message.subject
            (link,) = LINK.findall(message.body)
            assert link.startswith("http://testserver/"), link
            assert client.get(urlsplit(link).path).status_code == 200, (to, message.subject, link)
            text = message.subject + message.body
            hidden = ()
            if user.is_company_liaison:
                hidden = NSA_PEOPLE + CISA_PEOPLE
            elif user.agency_id == demo["nsa"].pk:
                hidden = CISA_PEOPLE
            elif user.agency_id == demo["cisa"].pk:
                hidden = NSA_PEOPLE
            assert not [name for name in hidden if name in text], (to, text)


def test_invitation_link_is_absolute_and_names_the_organisation_not_an_outsiders_name(demo, django_capture_on_commit_callbacks):
    from accounts.models import Role
    from accounts.services import invitation_create

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(inviter=demo["admin"], email="new.liaison@northwind.example", role=Role.COMPANY_LIAISON, company_id=demo["northwind"].pk)
        _, token = invitation_create(inviter=demo["lead_nsa"], email="new.analyst@agency.example", role=Role.AGENCY_REVIEWER, agency_id=demo["nsa"].pk)
    to_company, to_colleague = mail.outbox
    assert "The program office has invited you" in to_company.body and "Avery Admin" not in to_company.body
    assert "Lee Lead has invited you" in to_colleague.body
    assert f"http://testserver/people/invite/{token}/" in to_colleague.body
