"""Issue 21: per-reviewer credentials, encrypted at rest, revealed once after
step-up, ending with the reviewer's grant, shown by pseudonym to the company."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from modelaccess import services
from modelaccess.models import Credential
from modelaccess.selectors import credential_rows
from notifications.models import Notification
from portal.errors import NotAllowed
from reviews import services as review_services
from reviews.models import Assignment, ReviewUserObjectPermission
from reviews.standing import standing_of
from reviews.tests.factories import close_review

from .conftest import SECRET

pytestmark = pytest.mark.django_db

TEST_KEY = "dGVzdC1vbmx5LWNyZWRlbnRpYWwta2V5LTMyYnl0ZXM="


def _raw_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM modelaccess_credential ORDER BY id")
        return cursor.fetchall()


def _reveal_url(credential):
    return reverse("credential_reveal", kwargs={"pk": credential.pk})


def _notified(user, verb):
    return list(Notification.objects.filter(recipient=user, verb=verb).values_list("title", "body"))


# -- encryption at rest and key rotation ------------------------------------------
def test_secret_is_encrypted_at_rest_under_the_credential_key(issued):
    rows = _raw_rows()
    assert len(rows) == 1
    assert all(SECRET not in str(cell) for cell in rows[0])
    token = Credential.objects.get().secret
    assert Fernet(TEST_KEY.encode()).decrypt(token.encode()) == b'{"secret":"' + SECRET.encode() + b'"}'


def test_rotation_reencrypts_every_secret_and_the_old_key_no_longer_decrypts(world, settings, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTAL_CREDENTIAL_KEYS = [old]
    for n, pseudonym in enumerate(["NSA reviewer 1", "NSA reviewer 2"]):
        services.credential_issue(
            review_id=world["review"].pk, actor=world["liaison_northwind"], endpoint_id=world["endpoint"].pk,
            pseudonym=pseudonym, kind="token", secret=f"{SECRET}-{n}",
        )
    before = dict(Credential.objects.values_list("pk", "secret"))
    settings.PORTAL_CREDENTIAL_KEYS = [new, old]
    call_command("rotate_secrets_key")
    out = capsys.readouterr().out
    assert "Re-encrypted 2 stored credentials" in out and SECRET not in out
    after = dict(Credential.objects.values_list("pk", "secret"))
    assert set(after) == set(before)
    for pk, token in after.items():
        assert token != before[pk]
        with pytest.raises(InvalidToken):
            Fernet(old.encode()).decrypt(token.encode())
        assert Fernet(new.encode()).decrypt(token.encode()).startswith(b'{"secret":"' + SECRET.encode())
    # With the old key gone, the reviewer still reveals theirs.
    settings.PORTAL_CREDENTIAL_KEYS = [new]
    credential = Credential.objects.get(reviewer=world["first"])
    result = services.credential_reveal(credential_id=credential.pk, actor=world["first"])
    assert result.payload == {"secret": f"{SECRET}-0"}


def test_rotation_names_a_secret_no_key_reads_and_changes_nothing(issued, settings):
    from django.core.management.base import CommandError

    token = Credential.objects.get().secret
    settings.PORTAL_CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match=f"Credential #{issued.pk} is not readable"):
        call_command("rotate_secrets_key")
    assert Credential.objects.get().secret == token


# -- reveal once, with step-up --------------------------------------------------------
def test_reveal_shows_the_secret_once_and_erases_it(world, issued, login):
    client = login(world["first"])
    response = client.post(_reveal_url(issued))
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    credential = Credential.objects.get()
    assert credential.revealed_at is not None and credential.secret == ""


def test_second_reveal_answers_410_and_alerts_the_company_and_program_office(world, issued, login):
    client = login(world["first"])
    client.post(_reveal_url(issued))
    again = client.post(_reveal_url(issued))
    assert again.status_code == 410
    assert SECRET not in again.content.decode()
    assert "was shown once" in again.content.decode()
    alert = "tried to reveal a credential again (Atlas eval API)"
    assert [t for t, _ in _notified(world["liaison_northwind"], "model_access.reveal_repeat")] == [
        f"{world['review']}: NSA reviewer 1 {alert}"
    ]
    assert len(_notified(world["admin"], "model_access.reveal_repeat")) == 1
    # The agency side is not alerted; the reviewer is named to nobody outside NSA.
    assert _notified(world["lead_nsa"], "model_access.reveal_repeat") == []
    assert Credential.objects.get().repeat_attempts == 1


def test_reveal_without_step_up_goes_to_reauthentication_and_reveals_nothing(world, issued, login):
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    client = login(world["first"])
    session = client.session
    stale = timezone.now().timestamp() - 3600
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [dict(r, at=stale) for r in session[AUTHENTICATION_METHODS_SESSION_KEY]]
    session.save()
    response = client.post(_reveal_url(issued))
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert Credential.objects.get().revealed_at is None


@pytest.mark.parametrize("who", ["second", "invited", "lead_nsa", "admin", "liaison_northwind", "reviewer_cisa"])
def test_reveal_by_anyone_but_the_reviewer_is_404_and_changes_nothing(world, issued, login, who):
    client = login(world[who])
    response = client.post(_reveal_url(issued))
    assert response.status_code == 404
    credential = Credential.objects.get()
    assert credential.revealed_at is None and credential.secret


# -- expiry on every path that ends a grant ----------------------------------------------
def _move_window(review, *, hours_ago: int) -> None:
    """The window ended ``hours_ago`` hours ago (and opened 30 days before that)."""
    end = timezone.now() - timedelta(hours=hours_ago)
    type(review).objects.filter(pk=review.pk).update(window_start=end - timedelta(days=30), window_end=end)


def _end_by(path, world):
    review, liaison = world["review"], world["liaison_northwind"]
    if path == "removal":
        assignment = Assignment.objects.get(review=review, reviewer=world["first"])
        review_services.assignment_remove(assignment_id=assignment.pk, actor=world["lead_nsa"], reason="Reassigned")
        return "the reviewer was taken off the review"
    if path == "grant_expiry":
        # The grant's time box passes; no clean-up task has run.
        ReviewUserObjectPermission.objects.filter(content_object=review, user=world["first"]).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        return "the reviewer's access to the review expired"
    if path == "window_end":
        _move_window(review, hours_ago=25)
        return "the review window ended"
    if path == "withdrawal":
        review_services.review_withdraw(review_id=review.pk, actor=liaison, reason="Changed plans")
        return "the company withdrew the review"
    if path == "close":
        close_review(review)  # every agency signs off; the last sign-off closes it
        return "the review closed"
    if path == "certificate":
        close_review(review)
        # The close hook has recorded the end already; undo that record to see the certificate decide.
        Credential.objects.update(ended_at=None, end_reason="")
        review_services.terms_accept(review=review, user=world["lead_nsa"])
        review_services.certificate_record(
            review_id=review.pk, actor=world["lead_nsa"], kind="destruction", method="Shredded and wiped.",
            done_on=timezone.localdate(), signatory_name="Lee Lead", signatory_title="Review lead",
        )
        return "NSA certified the return or destruction of the material"
    raise AssertionError(path)


@pytest.mark.parametrize("path", ["removal", "grant_expiry", "window_end", "withdrawal", "close", "certificate"])
def test_credential_ends_with_the_grant_on_every_path(world, issued, login, path):
    reason = _end_by(path, world)
    # Read time: not revealable, whether or not a hook or the sweep recorded it yet.
    result = services.credential_reveal(credential_id=issued.pk, actor=world["first"])
    assert result.payload is None and reason in result.gone
    services.credentials_sweep()
    credential = Credential.objects.get()
    assert credential.ended_at is not None and credential.end_reason == reason
    assert credential.secret == ""
    assert credential.revealed_at is None
    # The company is told once which credential to rotate, by pseudonym.
    # (For the certificate, once at the close this test then undid, and once at the certificate.)
    told = _notified(world["liaison_northwind"], "model_access.to_rotate")
    assert len(told) == (2 if path == "certificate" else 1)
    title, body = told[-1] if path != "certificate" else sorted(told, key=lambda t: "certified" in t[1])[-1]
    assert "1 model access credential to rotate" in title
    assert f"NSA reviewer 1: API key for Atlas eval API ({reason})" in body
    assert "Riley" not in body
    liaison_standing = standing_of(user=world["liaison_northwind"], review=world["review"])
    [row] = credential_rows(user=world["liaison_northwind"], review=world["review"], standing=liaison_standing)
    assert (row.who, row.state) == ("NSA reviewer 1", "to_rotate")
    # The liaison confirms the rotation.
    services.credential_rotated(credential_id=issued.pk, actor=world["liaison_northwind"])
    assert Credential.objects.get().rotated_at is not None


def test_window_end_is_enforced_before_the_sweep_runs(world, issued, login):
    _move_window(world["review"], hours_ago=25)
    client = login(world["first"])
    response = client.post(_reveal_url(issued))
    assert response.status_code == 410
    assert SECRET not in response.content.decode()
    assert "the review window ended" in response.content.decode()


def test_grace_after_the_window_keeps_the_credential_revealable(world, issued, settings):
    settings.PORTAL_CREDENTIAL_GRACE_HOURS = 24
    _move_window(world["review"], hours_ago=23)
    assert services.credentials_sweep() == 0
    assert services.credential_reveal(credential_id=issued.pk, actor=world["first"]).payload == {"secret": SECRET}


# -- issuing: bad input -----------------------------------------------------------------
def _issue(world, **kw):
    args = {"review_id": world["review"].pk, "actor": world["liaison_northwind"], "endpoint_id": world["endpoint"].pk,
            "pseudonym": "NSA reviewer 1", "kind": "api_key", "secret": SECRET}
    return services.credential_issue(**{**args, **kw})


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"pseudonym": "NSA reviewer 3"}, "reviewer", "“NSA reviewer 3” is not an accepted reviewer on this review."),
        ({"pseudonym": "NSA reviewer 9"}, "reviewer", "“NSA reviewer 9” is not an accepted reviewer on this review."),
        ({"secret": ""}, "secret", "Enter the secret"),
        ({"secret": "x" * 5000}, "secret", "The secret is 5,000 characters long; at most 4,096 are allowed."),
        ({"kind": "password"}, "username", "Enter the username that goes with the password."),
        ({"kind": "file", "secret": ""}, "file", "Choose the credential's file"),
    ],
)
def test_bad_credential_is_refused_naming_the_field_and_writes_nothing(world, change, field, message):
    with pytest.raises(ValidationError) as exc:
        _issue(world, **change)
    assert any(message in m for m in exc.value.message_dict[field])
    assert SECRET not in str(exc.value)
    assert Credential.objects.count() == 0


def test_file_credential_over_the_limit_is_refused(world, settings):
    settings.PORTAL_CREDENTIAL_FILE_MAX_BYTES = 1024
    upload = SimpleUploadedFile("client.pem", b"-----BEGIN CERTIFICATE-----" + b"A" * 2000)
    with pytest.raises(ValidationError) as exc:
        _issue(world, kind="file", secret="", file=upload)
    assert exc.value.message_dict["file"] == ["The file is 2,027 bytes; a credential file may be at most 1,024 bytes."]
    assert Credential.objects.count() == 0


def test_file_credential_is_downloaded_once(world, login):
    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    credential = _issue(world, kind="file", secret="", file=SimpleUploadedFile("client.pem", pem))
    assert all(b"MIIB" not in str(cell).encode() for cell in _raw_rows()[0])
    client = login(world["first"])
    response = client.post(_reveal_url(credential))
    assert response.status_code == 200 and response.content == pem
    assert response["Content-Disposition"] == 'attachment; filename="client.pem"'
    assert client.post(_reveal_url(credential)).status_code == 410


def test_only_the_company_issues(world):
    for who in ("lead_nsa", "first", "admin", "liaison_contoso"):
        with pytest.raises(NotAllowed):
            _issue(world, actor=world[who])
    assert Credential.objects.count() == 0


def test_reissue_replaces_the_live_credential_and_allows_one_more_reveal(world, issued):
    assert services.credential_reveal(credential_id=issued.pk, actor=world["first"]).payload == {"secret": SECRET}
    new = _issue(world, secret="sk-second")
    old = Credential.objects.get(pk=issued.pk)
    assert old.revoked_at is not None and old.revoke_reason == "Replaced by a new credential"
    assert services.credential_reveal(credential_id=new.pk, actor=world["first"]).payload == {"secret": "sk-second"}


def test_revoked_credential_is_not_revealable(world, issued):
    services.credential_revoke(credential_id=issued.pk, actor=world["liaison_northwind"], reason="Key leaked")
    result = services.credential_reveal(credential_id=issued.pk, actor=world["first"])
    assert result.payload is None and "revoked" in result.gone
    assert Credential.objects.get().secret == ""


# -- bulk CSV -----------------------------------------------------------------------------
def _import(world, text, kind="api_key"):
    return services.credentials_import(
        review_id=world["review"].pk, actor=world["liaison_northwind"], endpoint_id=world["endpoint"].pk, kind=kind, csv_text=text
    )


def test_bulk_csv_issues_one_credential_per_row(world):
    issued = _import(world, "pseudonym,secret\nNSA reviewer 1,sk-one\nnsa  REVIEWER 2 ,sk-two\n")
    assert sorted(c.reviewer_id for c in issued) == sorted([world["first"].pk, world["second"].pk])
    assert services.credential_reveal(credential_id=issued[1].pk, actor=world["second"]).payload == {"secret": "sk-two"}


def test_bulk_csv_refuses_every_bad_row_by_line_and_imports_nothing(world):
    text = "\n".join([
        "NSA reviewer 1,sk-good-one",
        "NSA reviewer 7,sk-unknown-secret",
        "NSA reviewer 1,sk-duplicate-secret",
        "NSA reviewer 2," + "y" * 5000,
        "NSA reviewer 3,sk-invited-only",
        "just-one-column",
    ])
    with pytest.raises(ValidationError) as exc:
        _import(world, text)
    assert exc.value.message_dict["file"] == [
        "Line 2: “NSA reviewer 7” is not an accepted reviewer on this review.",
        "Line 3: NSA reviewer 1 already has a credential on line 1.",
        "Line 4: the secret is 5,000 characters long; at most 4,096 are allowed.",
        "Line 5: “NSA reviewer 3” is not an accepted reviewer on this review.",
        "Line 6: expected two columns (reviewer pseudonym, secret), found 1.",
    ]
    assert "sk-" not in str(exc.value)
    assert Credential.objects.count() == 0


# -- status for everyone ------------------------------------------------------------------
def test_status_is_shown_by_pseudonym_to_the_company_and_by_name_to_the_agency(world, issued, login):
    _issue(world, pseudonym="NSA reviewer 2", secret="sk-two")
    services.credential_reveal(credential_id=issued.pk, actor=world["first"])
    url = reverse("review_model_access", kwargs={"pk": world["review"].pk})
    company = login(world["liaison_northwind"]).get(url).content.decode()
    assert "NSA reviewer 1" in company and "NSA reviewer 2" in company
    assert "revealed by NSA reviewer 1 at" in company
    for name in ("Riley", "Reviewer (NSA", "Sam Second", world["first"].email, world["second"].email):
        assert name not in company
    lead = login(world["lead_nsa"], accept_terms_for=[world["review"]]).get(url)
    assert [(r.who, r.state) for r in lead.context["rows"]] == [
        (f"{world['first'].get_full_name()} (NSA reviewer 1)", "revealed"),
        ("Sam Second (NSA reviewer 2)", "set_up"),
    ]
    own = login(world["second"]).get(url)
    assert [(r.who, r.state) for r in own.context["rows"]] == [("Sam Second (NSA reviewer 2)", "set_up")]
    for page in (company, lead.content.decode(), own.content.decode()):
        assert SECRET not in page and "sk-two" not in page


def test_on_a_shared_review_another_agency_sees_none_of_the_credentials(demo, login):
    review = demo["atlas_mini"]
    liaison = demo["liaison_northwind"]
    endpoint = services.endpoint_create(review_id=review.pk, actor=liaison, name="Mini API", kind="api", url="https://mini.example")
    services.credential_issue(review_id=review.pk, actor=liaison, endpoint_id=endpoint.pk, pseudonym="NSA reviewer 1", kind="token", secret=SECRET)
    services.credential_issue(review_id=review.pk, actor=liaison, endpoint_id=endpoint.pk, pseudonym="CISA reviewer 1", kind="token", secret="sk-cisa")
    url = reverse("review_model_access", kwargs={"pk": review.pk})
    cisa_lead = login(demo["lead_cisa"], accept_terms_for=[review]).get(url)
    assert [r.who for r in cisa_lead.context["rows"]] == [f"{demo['reviewer_cisa'].get_full_name()} (CISA reviewer 1)"]
    assert "Riley" not in cisa_lead.content.decode() and "NSA reviewer 1" not in cisa_lead.content.decode()
    company = login(liaison).get(url)
    assert sorted(r.who for r in company.context["rows"]) == ["CISA reviewer 1", "NSA reviewer 1"]


def _stale_session(client) -> None:
    """The session's sign-in an hour old: past PORTAL_STEP_UP_MINUTES."""
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    session = client.session
    stale = timezone.now().timestamp() - 3600
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [dict(r, at=stale) for r in session[AUTHENTICATION_METHODS_SESSION_KEY]]
    session.save()


def test_issuing_with_a_stale_sign_in_keeps_nothing_and_asks_to_reauthenticate(world, login):
    """Granting access steps up; the POST holds a secret, so it is not kept
    in the session for replay: after reauthentication the liaison lands on
    the model-access page and enters it again."""
    from urllib.parse import parse_qs, urlsplit

    from django.contrib.sessions.models import Session

    review, liaison = world["review"], world["liaison_northwind"]
    client = login(liaison)
    _stale_session(client)
    page = reverse("review_model_access", kwargs={"pk": review.pk})
    response = client.post(
        reverse("model_access_credential_issue", kwargs={"pk": review.pk}),
        {"issue-endpoint": world["endpoint"].pk, "issue-reviewer": "NSA reviewer 1", "issue-kind": "api_key", "issue-secret": SECRET},
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [page]
    assert not Credential.objects.exists()
    stored = Session.objects.get(session_key=client.session.session_key).session_data
    assert SECRET not in str(client.session.load()) and SECRET not in stored
    imported = client.post(
        reverse("model_access_credentials_import", kwargs={"pk": review.pk}),
        {"import-endpoint": world["endpoint"].pk, "import-kind": "token",
         "import-file": SimpleUploadedFile("keys.csv", f"NSA reviewer 2,{SECRET}\n".encode())},
    )
    assert imported["Location"].startswith(reverse("mfa_reauthenticate")) and not Credential.objects.exists()
    # Freshly signed in, the same form issues it.
    fresh = login(liaison)
    done = fresh.post(
        reverse("model_access_credential_issue", kwargs={"pk": review.pk}),
        {"issue-endpoint": world["endpoint"].pk, "issue-reviewer": "NSA reviewer 1", "issue-kind": "api_key", "issue-secret": SECRET},
    )
    assert done.status_code == 302 and done["Location"] == page
    assert Credential.objects.get().reviewer == world["first"]


def test_revoking_with_a_stale_sign_in_asks_to_reauthenticate_first(world, issued, login):
    client = login(world["liaison_northwind"])
    _stale_session(client)
    response = client.post(reverse("credential_revoke", kwargs={"pk": issued.pk}), {"revoke-reason": "Key leaked"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))
    issued.refresh_from_db()
    assert issued.revoked_at is None
