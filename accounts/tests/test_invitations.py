from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from accounts.services import invitation_create
from agencies.tests.factories import AgencyFactory
from companies.tests.factories import CompanyFactory

from .factories import make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 7"


def _accept(client, token, password=NEW_PASSWORD):
    return client.post(
        reverse("invitation_accept", kwargs={"token": token}),
        {"full_name": "Nia New", "password1": password, "password2": password},
    )


def test_signup_without_invitation_is_closed(client):
    response = client.post(
        reverse("account_signup"), {"email": "x@example.test", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert "Access is by invitation only" in response.content.decode()
    assert not User.objects.filter(email="x@example.test").exists()


def test_invitation_sent_by_admin_creates_account_with_membership(client, django_capture_on_commit_callbacks):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    agency = AgencyFactory()
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = invitation_create(inviter=admin, email="New@Agency.test", role=Role.AGENCY_REVIEWER, agency_id=agency.pk)
    assert len(mail.outbox) == 1
    assert token in mail.outbox[0].body
    assert invitation.token_hash != token and token not in invitation.token_hash

    response = _accept(client, token)
    assert response.status_code == 302
    user = User.objects.get(email="new@agency.test")
    assert user.membership.role == Role.AGENCY_REVIEWER
    assert user.membership.agency == agency
    assert user.check_password(NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_user == user and invitation.accepted_at is not None
    # Signed in, and sent on to set up MFA before anything else.
    assert client.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_invitation_works_only_once(client):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    _, token = invitation_create(inviter=admin, email="once@example.test", role=Role.PROGRAM_ADMIN)
    assert _accept(client, token).status_code == 302
    client.post(reverse("account_logout"))

    response = _accept(client, token, password="another passphrase entirely 9")
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert User.objects.filter(email="once@example.test").count() == 1
    assert User.objects.get(email="once@example.test").check_password(NEW_PASSWORD)


def test_invitation_expires_after_seven_days(client):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _, token = invitation_create(inviter=admin, email="late@example.test", role=Role.PROGRAM_ADMIN)
    with time_machine.travel(start + timedelta(days=6, hours=23), tick=False):
        assert client.get(reverse("invitation_accept", kwargs={"token": token})).status_code == 200
    with time_machine.travel(start + timedelta(days=7, minutes=1), tick=False):
        response = _accept(client, token)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="late@example.test").exists()


def test_unknown_invitation_token_says_invalid(client):
    response = client.get(reverse("invitation_accept", kwargs={"token": "nonsense"}))
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_new_invitation_replaces_pending_one(client):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    _, old = invitation_create(inviter=admin, email="twice@example.test", role=Role.PROGRAM_ADMIN)
    _, new = invitation_create(inviter=admin, email="twice@example.test", role=Role.PROGRAM_ADMIN)
    response = _accept(client, old)
    assert response.status_code == 410
    assert "replaced" in response.content.decode()
    assert _accept(client, new).status_code == 302


def test_weak_password_is_refused_and_nothing_is_created(client):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    _, token = invitation_create(inviter=admin, email="weak@example.test", role=Role.PROGRAM_ADMIN)
    response = _accept(client, token, password="password")
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="weak@example.test").exists()
    assert Invitation.objects.get(email="weak@example.test").accepted_at is None


def test_lead_invites_only_reviewers_of_own_agency():
    agency, other = AgencyFactory(), AgencyFactory()
    lead = make_user(role=Role.AGENCY_LEAD, org=agency)
    invitation, _ = invitation_create(inviter=lead, email="r@a.test", role=Role.AGENCY_REVIEWER, agency_id=agency.pk)
    assert invitation.agency == agency
    with pytest.raises(PermissionDenied):
        invitation_create(inviter=lead, email="r2@a.test", role=Role.AGENCY_REVIEWER, agency_id=other.pk)
    with pytest.raises(PermissionDenied):
        invitation_create(inviter=lead, email="l@a.test", role=Role.AGENCY_LEAD, agency_id=agency.pk)
    assert Invitation.objects.count() == 1


def test_liaison_invites_only_colleagues_and_reviewer_invites_no_one():
    company = CompanyFactory()
    liaison = make_user(role=Role.COMPANY_LIAISON, org=company)
    invitation, _ = invitation_create(inviter=liaison, email="c@co.test", role=Role.COMPANY_LIAISON, company_id=company.pk)
    assert invitation.company == company
    with pytest.raises(PermissionDenied):
        invitation_create(inviter=liaison, email="c2@co.test", role=Role.COMPANY_LIAISON, company_id=CompanyFactory().pk)
    reviewer = make_user(role=Role.AGENCY_REVIEWER)
    with pytest.raises(PermissionDenied):
        invitation_create(inviter=reviewer, email="z@a.test", role=Role.AGENCY_REVIEWER, agency_id=reviewer.agency_id)


def test_invitation_page_is_404_for_reviewers(login):
    reviewer = make_user(role=Role.AGENCY_REVIEWER)
    assert login(reviewer).get(reverse("invitation_create")).status_code == 404


def test_lead_invites_through_the_page_into_own_agency(login, django_capture_on_commit_callbacks):
    agency = AgencyFactory()
    lead = make_user(role=Role.AGENCY_LEAD, org=agency)
    client = login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("invitation_create"), {"email": "analyst@agency.test", "role": Role.AGENCY_REVIEWER})
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="analyst@agency.test")
    assert (invitation.role, invitation.agency_id, invitation.invited_by_id) == (Role.AGENCY_REVIEWER, agency.pk, lead.pk)
    assert mail.outbox[0].to == ["analyst@agency.test"]
    assert Membership.objects.filter(user__email="analyst@agency.test").count() == 0


def test_create_program_admin_command(monkeypatch):
    import io

    from django.core.management import call_command

    monkeypatch.setattr("sys.stdin", io.StringIO("a very long admin passphrase 1\n"))
    call_command("create_program_admin", "First@Office.gov", "--password-from-stdin", stdout=io.StringIO())
    user = User.objects.get(email="first@office.gov")
    assert user.is_program_admin and user.is_staff and user.is_superuser
    assert user.check_password("a very long admin passphrase 1")


# --- invitations belong to whoever sent them (issue 14, item 5) ------------------------------------


def test_inviting_an_address_leaves_another_organisations_pending_invitation(client, django_capture_on_commit_callbacks):
    nsa, cisa = AgencyFactory(), AgencyFactory()
    lead_nsa = make_user(role=Role.AGENCY_LEAD, org=nsa)
    lead_cisa = make_user(role=Role.AGENCY_LEAD, org=cisa)
    first, first_token = invitation_create(inviter=lead_nsa, email="analyst@shared.test", role=Role.AGENCY_REVIEWER, agency_id=nsa.pk)
    second, _ = invitation_create(inviter=lead_cisa, email="Analyst@shared.test", role=Role.AGENCY_REVIEWER, agency_id=cisa.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("pending", "pending")
    # NSA's link still works: the person joins NSA.
    assert _accept(client, first_token).status_code == 302
    assert User.objects.get(email="analyst@shared.test").membership.agency == nsa


def test_reinviting_into_the_same_organisation_replaces_the_pending_link():
    nsa = AgencyFactory()
    lead = make_user(role=Role.AGENCY_LEAD, org=nsa)
    admin = make_user(role=Role.PROGRAM_ADMIN)
    first, _ = invitation_create(inviter=lead, email="r@nsa.test", role=Role.AGENCY_REVIEWER, agency_id=nsa.pk)
    second, _ = invitation_create(inviter=admin, email="r@nsa.test", role=Role.AGENCY_REVIEWER, agency_id=nsa.pk)
    first.refresh_from_db()
    assert (first.status, second.status) == ("revoked", "pending")


def test_the_form_does_not_reveal_an_existing_account(login, django_capture_on_commit_callbacks):
    company = CompanyFactory()
    liaison = make_user(role=Role.COMPANY_LIAISON, org=company)
    existing = make_user(role=Role.COMPANY_LIAISON, email="taken@elsewhere.test")
    client = login(liaison)

    answers = {}
    for email in ("taken@elsewhere.test", "fresh@elsewhere.test"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("invitation_create"), {"email": email, "role": Role.COMPANY_LIAISON}, follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        answers[email] = [str(m) for m in response.context["messages"]]
        assert "already" not in page.lower()
        assert Invitation.objects.get(email=email).status == "pending"  # listed the same way
    assert [m.replace("taken", "X") for m in answers["taken@elsewhere.test"]] == [
        m.replace("fresh", "X") for m in answers["fresh@elsewhere.test"]
    ]
    assert answers["fresh@elsewhere.test"][0].startswith("Invitation sent to fresh@elsewhere.test")

    # The account holder is told by e-mail, without a link that would create an account.
    to_existing = [m for m in mail.outbox if m.to == [existing.email]]
    [notice] = to_existing
    assert "You already have an account" in notice.body
    assert "/people/invite/" not in notice.body and "/accounts/login/" in notice.body
    assert company.name in notice.body and liaison.full_name not in notice.body
    # The new address gets the real link.
    [invite] = [m for m in mail.outbox if m.to == ["fresh@elsewhere.test"]]
    assert "/people/invite/" in invite.body
    # Nothing about the existing account changed.
    existing.refresh_from_db()
    assert existing.membership.company_id != company.pk
