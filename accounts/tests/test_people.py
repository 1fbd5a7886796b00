"""The People page: who each role sees, deactivating and reactivating accounts,
resending and revoking invitations, and one's own time zone."""

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Invitation, Membership, User
from accounts.services import invitation_create, user_deactivate
from audit.models import AuditEvent
from conftest import force_login_mfa
from portal.errors import NotAllowed
from reviews.models import Assignment

pytestmark = pytest.mark.django_db

DEMO_PEOPLE = {
    "admin@portal.example", "lead.nsa@agency.example", "reviewer.nsa@agency.example", "lead.cisa@agency.example",
    "reviewer.cisa@agency.example", "liaison@northwind.example", "liaison@contoso.example",
}


def _rows(html, kind="person"):
    return set(re.findall(rf'data-{kind}="([^"]+)"', html))


def _invite_nsa_reviewer(demo, email="new.analyst@nsa.example", capture=None):
    return invitation_create(inviter=demo["lead_nsa"], email=email, role="agency_reviewer", agency_id=demo["nsa"].pk)


def _people_state():
    return (
        sorted(User.objects.values_list("id", "is_active")),
        sorted(Membership.objects.values_list("user_id", "role", "agency_id", "company_id")),
        sorted(Assignment.objects.values_list("id", "status")),
        sorted(Invitation.objects.values_list("id", "token_hash", "expires_at", "revoked_at")),
    )


def test_people_list_shows_each_role_exactly_its_scope(demo, login):
    _invite_nsa_reviewer(demo)
    invitation_create(inviter=demo["liaison_contoso"], email="new@contoso.example", role="company_liaison", company_id=demo["contoso"].pk)
    expected = {
        "admin": (DEMO_PEOPLE, {"new.analyst@nsa.example", "new@contoso.example"}),
        "lead_nsa": ({"lead.nsa@agency.example", "reviewer.nsa@agency.example"}, {"new.analyst@nsa.example"}),
        "lead_cisa": ({"lead.cisa@agency.example", "reviewer.cisa@agency.example"}, set()),
        "liaison_northwind": ({"liaison@northwind.example"}, set()),
        "liaison_contoso": ({"liaison@contoso.example"}, {"new@contoso.example"}),
    }
    for role, (people, invited) in expected.items():
        page = login(demo[role]).get(reverse("people_list")).content.decode()
        assert (_rows(page), _rows(page, "invitation")) == (people, invited), role
    for role in ("reviewer_nsa", "reviewer_cisa"):
        assert login(demo[role]).get(reverse("people_list")).status_code == 404


def test_people_list_shows_last_sign_in_in_the_viewers_zone_and_how_each_signs_in(demo, login):
    User.objects.filter(pk=demo["reviewer_nsa"].pk).update(last_login=datetime(2026, 7, 1, 16, 30, tzinfo=dt_timezone.utc))
    User.objects.filter(pk=demo["lead_nsa"].pk).update(time_zone="Europe/Paris")
    lead = User.objects.select_related("membership__agency").get(pk=demo["lead_nsa"].pk)
    page = login(lead).get(reverse("people_list")).content.decode()
    row = page.split('data-person="reviewer.nsa@agency.example"')[1].split("</tr>")[0]
    assert "Jul 1, 2026 18:30 CEST" in row  # 16:30 UTC, in Paris's summer time
    assert "Password (no second factor yet)" in row and "Active" in row and "Agency reviewer" in row and "NSA" in row
    assert "Deactivate" in row
    own = page.split('data-person="lead.nsa@agency.example"')[1].split("</tr>")[0]
    assert "Password + authenticator app" in own and "Deactivate" not in own  # not oneself


def test_lead_deactivates_and_reactivates_own_reviewer(demo, login):
    reviewer = demo["reviewer_nsa"]
    reviewer_client = Client()
    force_login_mfa(reviewer_client, reviewer)
    assert reviewer_client.get(reverse("dashboard")).status_code == 200
    before = _people_state()

    client = login(demo["lead_nsa"])
    response = client.post(reverse("person_deactivate", kwargs={"pk": reviewer.pk}))
    assert response.status_code == 302 and response["Location"] == reverse("people_list")
    after = _people_state()
    # Only the reviewer's flag changed: membership, assignments and invitations are kept.
    assert after[0] == sorted((pk, active if pk != reviewer.pk else False) for pk, active in before[0])
    assert after[1:] == before[1:]
    event = AuditEvent.objects.filter(action="user.deactivate").latest("id")
    assert (event.actor_id, event.target_id) == (demo["lead_nsa"].pk, str(reviewer.pk))
    # The reviewer's session ends at their next request.
    assert reviewer_client.get(reverse("dashboard"))["Location"].startswith(reverse("account_login"))
    page = client.get(reverse("people_list")).content.decode()
    row = page.split(f'data-person="{reviewer.email}"')[1].split("</tr>")[0]
    assert "Deactivated" in row and "Reactivate" in row

    # Deactivating again is refused with a message, nothing written.
    events = AuditEvent.objects.count()
    response = client.post(reverse("person_deactivate", kwargs={"pk": reviewer.pk}), follow=True)
    assert "already deactivated" in response.content.decode()
    assert AuditEvent.objects.count() == events

    client.post(reverse("person_reactivate", kwargs={"pk": reviewer.pk}))
    assert _people_state() == before
    assert AuditEvent.objects.filter(action="user.reactivate", actor=demo["lead_nsa"], target_id=str(reviewer.pk)).count() == 1
    force_login_mfa(reviewer_client, User.objects.get(pk=reviewer.pk))
    assert reviewer_client.get(reverse("dashboard")).status_code == 200


def test_lead_cannot_act_on_anyone_outside_their_agency_or_themselves(demo, login):
    lead = demo["lead_nsa"]
    User.objects.filter(pk=demo["reviewer_cisa"].pk).update(is_active=False)
    cisa_invitation, _ = invitation_create(
        inviter=demo["lead_cisa"], email="x@cisa.example", role="agency_reviewer", agency_id=demo["cisa"].pk
    )
    # An invitation into NSA as a lead: in the lead's agency, but not one a lead may send.
    lead_invitation, _ = invitation_create(inviter=demo["admin"], email="y@nsa.example", role="agency_lead", agency_id=demo["nsa"].pk)
    client = login(lead)
    before, events = _people_state(), AuditEvent.objects.count()
    for name, pk in [
        ("person_deactivate", demo["admin"].pk),
        ("person_deactivate", lead.pk),
        ("person_deactivate", demo["lead_cisa"].pk),
        ("person_deactivate", demo["liaison_northwind"].pk),
        ("person_reactivate", demo["reviewer_cisa"].pk),
        ("invitation_resend", cisa_invitation.pk),
        ("invitation_revoke", cisa_invitation.pk),
        ("invitation_resend", lead_invitation.pk),
        ("invitation_revoke", lead_invitation.pk),
    ]:
        assert client.post(reverse(name, kwargs={"pk": pk})).status_code == 404, (name, pk)
    assert (_people_state(), AuditEvent.objects.count()) == (before, events)
    # The services refuse the same, whatever calls them.
    with pytest.raises(NotAllowed):
        user_deactivate(user=demo["admin"], actor=lead)
    with pytest.raises(NotAllowed):
        user_deactivate(user=lead, actor=lead)
    with pytest.raises(NotAllowed):
        user_deactivate(user=demo["admin"], actor=demo["admin"])


def _link(message):
    return re.search(r"/people/invite/([^/\s]+)/", message.body).group(1)


def test_resend_sends_a_new_link_and_the_old_one_stops_working(demo, login, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, old_token = _invite_nsa_reviewer(demo)
    mail.outbox.clear()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.expires_at - timedelta(days=8))  # expired
    before = Invitation.objects.values().get(pk=invitation.pk)

    lead_client = login(demo["lead_nsa"])
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(reverse("invitation_resend", kwargs={"pk": invitation.pk}), follow=True)
    assert "Invitation sent again to new.analyst@nsa.example" in response.content.decode()
    after = Invitation.objects.values().get(pk=invitation.pk)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"token_hash", "expires_at"}
    assert after["expires_at"] > before["expires_at"] + timedelta(days=6)
    [message] = mail.outbox
    assert message.to == ["new.analyst@nsa.example"]
    new_token = _link(message)
    assert new_token != old_token
    lead_client.post(reverse("account_logout"))

    assert client.get(reverse("invitation_accept", kwargs={"token": old_token})).status_code == 410
    assert client.get(reverse("invitation_accept", kwargs={"token": new_token})).status_code == 200
    event = AuditEvent.objects.filter(action="invitation.resend").latest("id")
    assert (event.actor_id, event.target_id) == (demo["lead_nsa"].pk, str(invitation.pk))


def test_revoke_stops_the_link_and_sends_nothing(demo, login, client, django_capture_on_commit_callbacks):
    invitation, token = _invite_nsa_reviewer(demo)
    before = Invitation.objects.values().get(pk=invitation.pk)
    admin_client = login(demo["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("invitation_revoke", kwargs={"pk": invitation.pk}))
    assert mail.outbox == []
    after = Invitation.objects.values().get(pk=invitation.pk)
    assert {k for k in before if before[k] != after[k]} == {"revoked_at"} and after["revoked_at"] is not None
    assert AuditEvent.objects.filter(action="invitation.revoke", target_id=str(invitation.pk)).count() == 1
    # Gone from the People page; resending a withdrawn invitation is refused, nothing changed.
    assert "new.analyst@nsa.example" not in _rows(admin_client.get(reverse("people_list")).content.decode(), "invitation")
    response = admin_client.post(reverse("invitation_resend", kwargs={"pk": invitation.pk}), follow=True)
    assert "already withdrawn" in response.content.decode()
    assert Invitation.objects.values().get(pk=invitation.pk) == after
    admin_client.post(reverse("account_logout"))
    response = client.get(reverse("invitation_accept", kwargs={"token": token}))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_people_page_query_count_does_not_grow_with_people(demo, login):
    client = login(demo["admin"])
    url = reverse("people_list")
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(4):
        _invite_nsa_reviewer(demo, email=f"more{i}@nsa.example")
        user_deactivate(user=demo[("reviewer_nsa", "reviewer_cisa", "liaison_contoso", "lead_cisa")[i]], actor=demo["admin"])
    assert count() == before


def test_time_zone_is_the_users_own_and_pages_show_it(demo, login):
    client = login(demo["reviewer_nsa"])
    response = client.post(reverse("account_time_zone"), {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert str(User.objects.get(pk=demo["reviewer_nsa"].pk).time_zone) == "Asia/Tokyo"
    assert str(User.objects.get(pk=demo["lead_nsa"].pk).time_zone) == "America/New_York"  # nobody else's
    event = AuditEvent.objects.filter(action="user.time_zone").latest("id")
    assert event.payload == {"before": "America/New_York", "after": "Asia/Tokyo"}
    page = client.get(reverse("account_time_zone")).content.decode()
    assert "JST" in page and "(Asia/Tokyo)" in page
    # The review's history, a record, shows Tokyo time with its abbreviation.
    history = client.get(reverse("review_history", kwargs={"pk": demo["atlas"].pk})).content.decode()
    assert "When (Asia/Tokyo)" in history and " JST</time>" in history and " EST</time>" not in history

    response = client.post(reverse("account_time_zone"), {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    assert "“Mars/Olympus_Mons” is not a known time zone" in response.content.decode()
    assert str(User.objects.get(pk=demo["reviewer_nsa"].pk).time_zone) == "Asia/Tokyo"
