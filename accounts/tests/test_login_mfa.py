from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from conftest import give_totp, totp_now

from .factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def _password_step(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_with_password_and_totp_reaches_dashboard(client):
    user = make_user(password=PASSWORD)
    secret = give_totp(user)

    response = _password_step(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Password alone does not sign in.
    assert client.get(reverse("dashboard")).status_code == 302

    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert page.wsgi_request.user == user


def test_login_wrong_totp_code_is_refused(client):
    user = make_user(password=PASSWORD)
    secret = give_totp(user)
    _password_step(client, user.email)
    wrong = f"{(int(totp_now(secret)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_login_totp_code_does_not_work_twice(client):
    user = make_user(password=PASSWORD)
    secret = give_totp(user)
    code = totp_now(secret)
    _password_step(client, user.email)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.post(reverse("account_logout"))

    _password_step(client, user.email)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200, "a replayed code must not sign in"
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize(
    "url",
    ["/", "/reviews/", "/reviews/new/", "/notifications/", "/people/invitations/", "/admin/", "/admin/accounts/user/", "/accounts/sessions/"],
)
def test_user_without_mfa_is_sent_to_set_it_up_from_every_url(client, url):
    user = make_user(password=PASSWORD, role="program_admin")
    client.force_login(user, backend="accounts.backends.PortalAuthenticationBackend")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_user_without_mfa_can_reach_mfa_setup_and_logout(client):
    user = make_user(password=PASSWORD)
    assert _password_step(client, user.email).status_code == 302
    assert client.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_mfa_not_required_when_setting_is_off(client, settings):
    settings.PORTAL_REQUIRE_MFA = False
    user = make_user(password=PASSWORD)
    client.force_login(user, backend="accounts.backends.PortalAuthenticationBackend")
    assert client.get(reverse("dashboard")).status_code == 200


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_totp_secret_is_encrypted_at_rest(db):
    user = make_user()
    secret = give_totp(user)
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    assert secret not in stored
    assert stored.startswith("fernet:")


def test_user_cannot_remove_totp_while_mfa_required(login):
    from accounts.adapters import PortalMFAAdapter

    user = make_user()
    give_totp(user)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert PortalMFAAdapter().can_delete_authenticator(authenticator) is False


def test_sixth_failed_login_in_five_minutes_is_refused(client):
    user = make_user(password=PASSWORD)
    give_totp(user)
    for _ in range(5):
        response = _password_step(client, user.email, "wrong password!")
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    # Even the right password is refused once the limit is reached.
    response = _password_step(client, user.email)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_logins_expire_after_five_minutes(client):
    user = make_user(password=PASSWORD)
    give_totp(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _password_step(client, user.email, "wrong password!")
    with time_machine.travel(start + timedelta(minutes=5, seconds=5), tick=False):
        response = _password_step(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


def test_idle_timeout_logs_out(login, settings):
    user = make_user()
    client = login(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get(reverse("dashboard")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(reverse("dashboard")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=14 + settings.PORTAL_SESSION_IDLE_MINUTES, seconds=1), tick=False):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_absolute_timeout_logs_out_even_when_active(login):
    user = make_user()
    client = login(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(reverse("dashboard"))
    step = timedelta(minutes=10)
    moment = start
    while moment + step < start + timedelta(hours=12):
        moment += step
        with time_machine.travel(moment, tick=False):
            assert client.get(reverse("dashboard")).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_deactivation_ends_sessions_on_next_request(login, client):
    from accounts.services import user_deactivate

    admin = make_user(role="program_admin")
    user = make_user()
    c = login(user)
    assert c.get(reverse("dashboard")).status_code == 200
    user_deactivate(user=user, actor=admin)
    response = c.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_inactive_user_session_is_refused_even_without_the_service(login):
    user = make_user()
    c = login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert c.get(reverse("dashboard")).status_code == 302


def test_user_sees_and_ends_own_sessions(client):
    from allauth.usersessions.models import UserSession
    from django.test import Client

    user = make_user(password=PASSWORD)
    secret = give_totp(user)
    other = Client()
    for c in (client, other):
        _password_step(c, user.email)
        c.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
        cache_key_reset()
    assert UserSession.objects.filter(user=user).count() == 2
    page = client.get(reverse("usersessions_list"))
    assert page.status_code == 200
    assert len(page.context["sessions"]) == 2
    # End the other session: the other browser is signed out on its next request.
    response = client.post(reverse("usersessions_list"), {})
    assert response.status_code == 302
    assert other.get(reverse("dashboard")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def cache_key_reset():
    # The same TOTP code is used by both browsers within one period; forget it.
    from django.core.cache import cache

    cache.clear()


def test_login_page_shows_system_use_notice_and_no_signup(client, settings):
    page = client.get(reverse("account_login")).content.decode()
    assert "U.S. Government information system" in page
    assert reverse("account_signup") not in page


def test_every_response_carries_content_security_policy(client):
    response = client.get(reverse("account_login"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_wrong_mfa_codes_count_toward_the_limit(client):
    user = make_user(password=PASSWORD)
    secret = give_totp(user)
    _password_step(client, user.email)
    wrong = f"{(int(totp_now(secret)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert "Incorrect code" in client.post(reverse("mfa_authenticate"), {"code": wrong}).content.decode()
    # The sixth attempt is refused even with the right code.
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
