"""Identity providers as data (page, command, service), phishing-resistant policy, step-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from audit.models import AuditEvent
from conftest import give_totp
from sso.models import IdentityProvider
from sso.services import identity_provider_save

from .conftest import idp_link, sso_sign_in

pytestmark = pytest.mark.django_db


def _save(demo, **fields):
    base = {
        "actor": demo["admin"], "agency_id": demo["nsa"].pk, "name": "NSA ICAM", "issuer": "https://idp.nsa.example",
        "client_id": "portal", "client_secret": "s3cret-value", "email_domains": ["nsa.example"],
    }
    return identity_provider_save(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"issuer": "idp.nsa.example"}, "issuer", "full URL"),
        ({"issuer": "http://idp.nsa.example"}, "issuer", "must use https"),
        ({"issuer": "https://idp.nsa.example/?x=1"}, "issuer", "no query"),
        ({"client_id": " "}, "client_id", "client id"),
        ({"client_secret": ""}, "client_secret", "client secret or a private key"),
        ({"client_secret": "", "private_key": "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----"}, "private_key", "not an unencrypted PEM"),
        ({"login_gov": True}, "private_key", "Login.gov requires private_key_jwt"),
        ({"email_domains": ["not a domain"]}, "email_domains", "is not a domain name"),
    ],
)
def test_a_misconfigured_provider_is_refused_naming_the_field(demo, fields, field, says):
    with pytest.raises(ValidationError) as exc:
        _save(demo, **fields)
    assert field in exc.value.message_dict and says in " ".join(exc.value.message_dict[field])
    assert not IdentityProvider.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="sso.provider").exists()


def test_a_domain_belongs_to_one_organisation(demo):
    _save(demo)
    with pytest.raises(ValidationError) as exc:
        _save(demo, agency_id=demo["cisa"].pk, name="CISA", email_domains=["NSA.example"])
    assert "already belongs to NSA" in exc.value.message_dict["email_domains"][0]


def test_secrets_are_encrypted_and_never_audited(demo, client_key):
    _, pem = client_key
    idp = _save(demo)
    assert idp.client_secret.startswith("fernet:") and "s3cret-value" not in idp.client_secret
    event = AuditEvent.objects.get(action="sso.provider.create")
    assert "s3cret-value" not in str(event.payload) and event.payload["changed"]["issuer"] == "https://idp.nsa.example"
    # Rotating to a key replaces the secret; the audit names what rotated, not its value.
    identity_provider_save(
        actor=demo["admin"], idp=idp, agency_id=demo["nsa"].pk, name=idp.name, issuer=idp.issuer, client_id="portal",
        private_key=pem, key_id="2026-02", email_domains=idp.email_domains,
    )
    idp.refresh_from_db()
    assert idp.client_secret == "" and idp.private_key.startswith("fernet:") and "PRIVATE KEY" not in idp.private_key
    event = AuditEvent.objects.get(action="sso.provider.update")
    assert event.payload["credentials_rotated"] == ["private_key"] and "PRIVATE" not in str(event.payload)


def test_program_admins_add_a_provider_on_the_page_and_others_cannot(demo, login):
    client = login(demo["admin"])
    response = client.post(
        reverse("sso_provider_create"),
        {
            "organisation": f"agency:{demo['cisa'].pk}", "name": "CISA Okta", "issuer": "https://cisa.okta.example",
            "client_id": "portal", "client_secret": "abc123", "email_domains": "cisa.example, ops.cisa.example",
            "trust_idp_mfa": "on", "enabled": "on",
        },
    )
    assert response.status_code == 302
    idp = IdentityProvider.objects.get()
    assert (idp.agency, idp.email_domains, idp.trust_idp_mfa) == (demo["cisa"], ["cisa.example", "ops.cisa.example"], True)
    page = client.get(reverse("sso_provider_edit", kwargs={"pk": idp.pk})).content.decode()
    assert f"/accounts/sso/{idp.slug}/login/callback/" in page and "abc123" not in page
    bad = client.post(reverse("sso_provider_create"), {"organisation": f"agency:{demo['nsa'].pk}", "name": "x", "issuer": "ftp://x", "client_id": "c", "client_secret": "s"})
    assert bad.status_code == 400 and "full URL" in bad.content.decode() or "https" in bad.content.decode()
    assert IdentityProvider.objects.count() == 1
    lead = login(demo["lead_nsa"])
    assert lead.get(reverse("sso_provider_list")).status_code == 404


def test_the_command_writes_the_same_rows_and_names_a_bad_option(demo, tmp_path, client_key):
    _, pem = client_key
    key_file = tmp_path / "portal.pem"
    key_file.write_text(pem)
    call_command(
        "sso_provider", "--organisation", "NSA", "--issuer", "https://secure.login.gov", "--client-id", "urn:gov:portal",
        "--private-key", str(key_file), "--key-id", "k1", "--email-domain", "nsa.example", "--login-gov", "--trust-idp-mfa",
        stdout=open("/dev/null", "w"),
    )
    idp = IdentityProvider.objects.get()
    assert (idp.name, idp.login_gov, idp.trust_idp_mfa, idp.auth_method) == ("Login.gov", True, True, "private_key_jwt")
    assert AuditEvent.objects.filter(action="sso.provider.create", actor=demo["admin"]).exists()
    with pytest.raises(CommandError, match="--issuer: The issuer must use https"):
        call_command("sso_provider", "--organisation", "CISA", "--issuer", "http://cisa.example", "--client-id", "x", "--client-secret", "y")
    with pytest.raises(CommandError, match="--organisation: no agency or company named 'NOPE'"):
        call_command("sso_provider", "--organisation", "NOPE", "--issuer", "https://x.example", "--client-id", "x", "--client-secret", "y")
    assert IdentityProvider.objects.count() == 1


def test_people_page_shows_how_each_person_signs_in(demo, login, client, idp, provider):
    from accounts.services import invitation_create

    provider(demo["nsa"], name="NSA ICAM", email_domains=["nsa.example"])
    invitation_create(inviter=demo["lead_nsa"], email="sso.person@nsa.example", role="agency_reviewer", agency_id=demo["nsa"].pk)
    sso_sign_in(client, idp, "sso.person@nsa.example", {"sub": "s1", "email": "sso.person@nsa.example", "email_verified": True})
    client.post(reverse("account_logout"))
    page = login(demo["lead_nsa"]).get(reverse("people_list")).content.decode()
    assert "NSA ICAM (single sign-on)" in page and "sso.person@nsa.example" in page
    assert "Password + authenticator app" in page  # the lead themself
    assert "reviewer.cisa@agency.example" not in page  # another agency's people are not listed


# --- phishing-resistant MFA ------------------------------------------------------------------------


def test_an_organisation_requiring_phishing_resistant_mfa_refuses_totp(demo, client):
    from sso.services import sign_in_policy_set

    from conftest import totp_now

    sign_in_policy_set(actor=demo["admin"], agency_id=demo["cisa"].pk, require_phishing_resistant_mfa=True)
    user = demo["reviewer_cisa"]
    user.set_password("correct horse battery staple 42")
    user.save()
    secret = give_totp(user)
    client.post(reverse("account_login"), {"login": user.email, "password": "correct horse battery staple 42"})
    assert client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)}).status_code == 302
    # The code was right, but a TOTP code does not satisfy CISA: a passkey is asked for.
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_add_webauthn")
    assert client.get("/api/v1/reviews/").status_code == 403
    assert client.get(reverse("mfa_activate_totp"))["Location"] == reverse("mfa_add_webauthn")
    # Another agency's members are not affected.
    other = demo["reviewer_nsa"]
    other.set_password("correct horse battery staple 42")
    other.save()
    from django.test import Client

    nsa = Client()
    nsa_secret = give_totp(other)
    nsa.post(reverse("account_login"), {"login": other.email, "password": "correct horse battery staple 42"})
    nsa.post(reverse("mfa_authenticate"), {"code": totp_now(nsa_secret)})
    assert nsa.get(reverse("dashboard")).status_code == 200


# --- step-up ------------------------------------------------------------------------------------


def test_a_token_request_with_a_stale_authentication_is_sent_to_reauthenticate(demo, login):
    client = login(demo["liaison_northwind"])
    later = timezone.now() + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        client.get(reverse("dashboard"))  # still signed in (idle < 15 min)
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        response = client.post(reverse("api_token_list"), {"name": "pipeline", "expires_in_days": "30"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_reauthenticate"))
        assert not ApiToken.objects.exists()
        from conftest import totp_now

        secret = give_totp(demo["liaison_northwind"])
        # The second factor again, and the suspended request is replayed: the token is made.
        done = client.post(f"{reverse('mfa_reauthenticate')}?next={reverse('api_token_list')}", {"code": totp_now(secret)})
        assert done.status_code == 201 and "frp_" in done.content.decode()
    assert ApiToken.objects.filter(user=demo["liaison_northwind"], name="pipeline").count() == 1


def test_a_fresh_sign_in_needs_no_step_up(demo, login):
    response = login(demo["liaison_northwind"]).post(reverse("api_token_list"), {"name": "pipeline", "expires_in_days": "30"})
    assert response.status_code == 201


def test_step_up_for_an_idp_account_goes_back_to_its_idp_with_prompt_login(demo, client, idp, provider):
    from accounts.services import invitation_create

    gov = provider(demo["nsa"], name="NSA PIV", email_domains=["nsa.example"], trust_idp_mfa=True)
    invitation_create(inviter=demo["lead_nsa"], email="piv@nsa.example", role="agency_reviewer", agency_id=demo["nsa"].pk)
    who = {"sub": "piv-1", "email": "piv@nsa.example", "email_verified": True, "amr": ["hwk"]}
    sso_sign_in(client, idp, "piv@nsa.example", who)
    later = timezone.now() + timedelta(minutes=12)
    with time_machine.travel(later, tick=False):
        response = client.post(reverse("api_token_list"), {"name": "x", "expires_in_days": "30"})
        assert response.status_code == 302
        step_up = response["Location"]
        assert step_up.startswith(reverse("sso_step_up", kwargs={"slug": gov.slug}))
        to_idp = client.post(step_up)
    import requests

    at_idp = requests.get(idp_link(to_idp), allow_redirects=False, timeout=10)
    assert idp.authorize_requests[-1]["prompt"] == "login" and idp.authorize_requests[-1]["max_age"] == "0"
    with time_machine.travel(later + timedelta(seconds=30), tick=False):
        back = client.get(at_idp.headers["Location"].removeprefix("http://testserver"))
        assert back.status_code == 302 and back["Location"] == reverse("api_token_list")
        assert client.post(reverse("api_token_list"), {"name": "x", "expires_in_days": "30"}).status_code == 201
    assert AuditEvent.objects.filter(action="sso.step_up").count() == 1
    # Someone else's identity at the IdP cannot stand in for the step-up.
    assert client.get(reverse("sso_step_up", kwargs={"slug": "unknown"})).status_code == 404
