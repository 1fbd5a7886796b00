"""Each recorded action produces exactly one event with the right actor and target."""

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.services import invitation_create
from accounts.tests.factories import make_user
from audit.models import AuditEvent
from conftest import give_totp, totp_now
from reviews import services
from reviews.tests.factories import assign, make_review

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def _new(action, since):
    return list(AuditEvent.objects.filter(action=action, id__gt=since))


def _mark():
    last = AuditEvent.objects.order_by("-id").first()
    return last.pk if last else 0


def test_login_failed_login_logout_and_mfa_events(client):
    user = make_user(password=PASSWORD)
    secret = give_totp(user)
    mark = _mark()
    client.post(reverse("account_login"), {"login": user.email, "password": "nope nope nope"})
    [failed] = _new("auth.login_failed", mark)
    assert failed.actor is None and failed.payload == {"login": user.email}
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    [login] = _new("auth.login", mark)
    assert login.actor == user and login.target_id == str(user.pk)
    client.post(reverse("account_logout"))
    [logout] = _new("auth.logout", mark)
    assert logout.actor == user


def test_invitation_sent_and_used(client):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    mark = _mark()
    invitation, token = invitation_create(inviter=admin, email="n@e.test", role=Role.PROGRAM_ADMIN)
    [sent] = _new("invitation.send", mark)
    assert (sent.actor, sent.target_id) == (admin, str(invitation.pk))
    client.post(
        reverse("invitation_accept", kwargs={"token": token}),
        {"full_name": "N", "password1": "a long and unusual passphrase 7", "password2": "a long and unusual passphrase 7"},
    )
    [used] = _new("invitation.accept", mark)
    assert used.actor.email == "n@e.test" and used.target_id == str(invitation.pk)


def test_grant_revoke_and_transition_events():
    review = make_review(status="submitted")
    admin = make_user(role=Role.PROGRAM_ADMIN)
    mark = _mark()
    services.review_open(review_id=review.pk, actor=admin)
    [opened] = _new("review.open", mark)
    assert (opened.actor, opened.review_id, opened.payload["from"], opened.payload["to"]) == (admin, review.pk, "submitted", "in_review")
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=review.agencies.get())
    mark_after_setup = _mark()
    assignment = assign(review, reviewer, lead=admin, terms=False)
    [grant] = _new("access.grant", mark)
    assert (grant.actor, grant.review_id, grant.payload["subject"]) == (reviewer, review.pk, f"user:{reviewer.pk}")
    services.assignment_remove(assignment_id=assignment.pk, actor=admin, reason="x")
    [revoke] = _new("access.revoke", mark)
    assert (revoke.actor, revoke.payload["subject"], revoke.payload["reason"]) == (admin, f"user:{reviewer.pk}", "x")
    assert [e.action for e in AuditEvent.objects.filter(id__gt=mark_after_setup).order_by("id")] == [
        "assignment.invite", "assignment.accept", "access.grant", "assignment.remove", "access.revoke",
    ]


def test_admin_change_is_recorded(login):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    client = login(admin)
    mark = _mark()
    from agencies.tests.factories import AgencyFactory

    agency = AgencyFactory()
    response = client.post(f"/admin/agencies/agency/{agency.pk}/change/", {"acronym": agency.acronym, "name": "Renamed"})
    assert response.status_code == 302
    [event] = _new("admin.change", mark)
    assert event.actor == admin and event.payload["model"] == "agencies.agency" and event.payload["object_id"] == str(agency.pk)


def test_audit_page_filters_and_export_streams(demo, login):
    client = login(demo["admin"])
    page = client.get(reverse("audit_index"), {"action": "assignment.accept"})
    assert page.status_code == 200
    assert {e.action for e in page.context["page"].object_list} == {"assignment.accept"}
    assert page.context["page"].paginator.count == 4  # Atlas-2, Helix-1 and both on Atlas-2 Mini
    mark = _mark()
    response = client.get(reverse("audit_export"), {"actor": "reviewer.nsa"})
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("id,at_utc,action,actor")
    assert all("reviewer.nsa@agency.example" in line for line in lines[1:]) and len(lines) > 1
    [export] = _new("audit.export", mark)
    assert export.actor == demo["admin"] and export.payload == {"actor": "reviewer.nsa"}


def test_bad_time_range_is_refused_with_field_message(demo, login):
    client = login(demo["admin"])
    page = client.get(reverse("audit_index"), {"since": "2026-11-02T00:00", "until": "2026-11-01T00:00"})
    assert "until" in page.context["form"].errors


def test_review_history_hides_reviewer_identity_from_company(demo, login):
    atlas = demo["atlas"]
    liaison_page = login(demo["liaison_northwind"]).get(reverse("review_history", kwargs={"pk": atlas.pk}))
    actions = {e.action for e in liaison_page.context["page"].object_list}
    assert "assignment.accept" not in actions and "access.grant" not in actions
    assert {"review.submit", "review.open"} <= actions
    html = liaison_page.content.decode()
    assert "reviewer.nsa" not in html and demo["reviewer_nsa"].full_name not in html

    admin_page = login(demo["admin"]).get(reverse("review_history", kwargs={"pk": atlas.pk}))
    assert "assignment.accept" in {e.action for e in admin_page.context["page"].object_list}


def test_review_history_of_agency_user_excludes_other_agencies_events(demo, login):
    mini = demo["atlas_mini"]  # CISA's lead assigned reviewer.cisa, who accepted, asked and recorded a finding
    page = login(demo["lead_nsa"]).get(reverse("review_history", kwargs={"pk": mini.pk}))
    events = page.context["page"].object_list
    # CISA appears only as an organisation, and only for what it shared with the
    # agencies (its question, its finding shared with agencies); its staffing,
    # grants, terms and unshared work stay CISA's own.
    assert {e.action for e in events if e.actor_organisation == "CISA"} == {"rfi.create", "finding.share"}
    assert {e.action for e in events if e.actor_organisation == "NSA"} >= {"assignment.invite", "assignment.accept", "terms.accept"}
    html = page.content.decode()
    assert "reviewer.cisa" not in html and demo["reviewer_cisa"].full_name not in html and demo["lead_cisa"].full_name not in html


def test_document_rfi_and_finding_actions_each_leave_one_event(demo, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.models import DocumentVersion
    from findings import services as finding_services
    from findings.models import FindingCategory, Sharing
    from rfis import services as rfi_services

    atlas = demo["atlas"]
    mark = _mark()
    liaison = login(demo["liaison_northwind"])
    liaison.post(
        reverse("review_documents", kwargs={"pk": atlas.pk}),
        {"kind": "security_documentation", "marking": atlas.documents.first().marking_id,
         "files": [SimpleUploadedFile("sec.txt", b"hardening notes\n", content_type="text/plain")]},
    )
    [upload] = _new("document.upload", mark)
    assert upload.actor == demo["liaison_northwind"] and upload.review_id == atlas.pk and upload.payload["original_name"] == "sec.txt"

    version = DocumentVersion.objects.get(original_name="sec.txt")
    reviewer = login(demo["reviewer_nsa"], accept_terms_for=[atlas])
    assert reviewer.get(reverse("version_download", kwargs={"pk": version.pk})).status_code == 200
    [download] = _new("document.download", mark)
    assert (download.actor, download.target_id, download.payload["sha256"]) == (demo["reviewer_nsa"], str(version.document_id), version.sha256)

    rfi = rfi_services.rfi_create(review_id=atlas.pk, actor=demo["reviewer_nsa"], subject="Q2", question="More?")
    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Yes.")
    [created] = _new("rfi.create", mark)
    [answered] = _new("rfi.answer", mark)
    assert (created.actor, created.target_id) == (demo["reviewer_nsa"], str(rfi.pk))
    assert (answered.actor, answered.target_id) == (demo["liaison_northwind"], str(rfi.pk))

    finding = finding_services.finding_create(
        review_id=atlas.pk, actor=demo["reviewer_nsa"], title="T", category=FindingCategory.objects.first(), severity="low", description="D"
    )
    finding_services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing=Sharing.COMPANY)
    [f_created] = _new("finding.create", mark)
    [f_shared] = _new("finding.share", mark)
    assert (f_created.actor, f_shared.actor, f_shared.payload["to"]) == (demo["reviewer_nsa"], demo["lead_nsa"], "company")

    # The company's own history shows the share with it and the download, by agency only.
    page = login(demo["liaison_northwind"]).get(reverse("review_history", kwargs={"pk": atlas.pk}))
    actions = [e.action for e in page.context["page"].object_list]
    assert "finding.share" in actions and "document.download" in actions and "finding.create" not in actions
    assert "reviewer.nsa" not in page.content.decode()
