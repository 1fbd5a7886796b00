"""The outbox against a real SMTP server (aiosmtpd, started by the test): what is
transient, what is permanent, what waits, what is never sent twice."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from notifications.mail import Outcome, email_deliver, email_queue, email_sweep
from notifications.models import Email, Notification
from notifications.services import notification_send

pytestmark = pytest.mark.django_db


def _queue(to="person@example.test", **kw) -> Email:
    return email_queue(to=to, subject=kw.pop("subject", "Hello"), body=kw.pop("body", "Body"), kind=kw.pop("kind", "test"), **kw)


def test_deferred_recipient_stays_pending_and_the_next_attempt_sends_it_once(smtp_server, settings):
    settings.PORTAL_EMAIL_RETRY_BASE_SECONDS = 30
    smtp_server.box.defer = "451 4.3.0 Mailbox temporarily unavailable"
    email = _queue()
    first = email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert first.outcome == Outcome.RETRY and 29 <= first.retry_in <= 30
    assert email.state == "pending" and email.attempts == 1 and email.claimed_until is None
    assert "451" in email.last_error and "temporarily unavailable" in email.last_error
    assert smtp_server.box.messages == []
    # Not due yet: a duplicate task (a sweep, a redelivered message) does nothing.
    assert email_deliver(email_id=email.pk).outcome == Outcome.SKIPPED
    smtp_server.box.defer = None
    assert email_deliver(email_id=email.pk, now=email.next_attempt_at).outcome == Outcome.SENT
    assert email_deliver(email_id=email.pk, now=email.next_attempt_at + timedelta(hours=1)).outcome == Outcome.SKIPPED
    email.refresh_from_db()
    assert email.state == "sent" and email.attempts == 2
    assert smtp_server.box.by_recipient() == {"person@example.test": 1}


def test_refused_connection_is_transient_and_retries_back_off(smtp_server, settings):
    settings.PORTAL_EMAIL_RETRY_BASE_SECONDS = 30
    settings.PORTAL_EMAIL_RETRY_MAX_SECONDS = 100
    smtp_server.stop()
    email = _queue()
    delays = []
    for _ in range(4):
        email.refresh_from_db()
        delays.append(email_deliver(email_id=email.pk, now=email.next_attempt_at).retry_in)
    email.refresh_from_db()
    assert delays == [30, 60, 100, 100]
    assert email.attempts == 4 and email.state == "pending" and "Connection refused" in email.last_error


def test_permanent_refusal_of_the_address_fails_it_with_the_reason(smtp_server):
    smtp_server.box.refuse["gone@example.test"] = "550 5.1.1 <gone@example.test>: no such user"
    email = _queue(to="gone@example.test")
    assert email_deliver(email_id=email.pk).outcome == Outcome.FAILED
    email.refresh_from_db()
    assert email.state == "failed" and email.attempts == 1
    assert "550" in email.last_error and "no such user" in email.last_error
    # Final: neither a task nor the sweep tries again.
    assert email_deliver(email_id=email.pk, now=timezone.now() + timedelta(days=1)).outcome == Outcome.SKIPPED
    assert email_sweep(now=timezone.now() + timedelta(days=1)) == {"queued": 0, "missed": 0}
    assert smtp_server.box.attempts == 1


def test_a_hanging_server_is_given_up_after_the_timeout(smtp_server, settings):
    settings.EMAIL_TIMEOUT = 1
    smtp_server.hanging = True
    email = _queue()
    started = time.monotonic()
    assert email_deliver(email_id=email.pk).outcome == Outcome.RETRY
    assert time.monotonic() - started < 3
    email.refresh_from_db()
    assert email.claimed_until is None and "timed out" in email.last_error


def test_an_email_claimed_by_another_worker_is_left_alone(smtp_server):
    email = _queue()
    Email.objects.filter(pk=email.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    assert email_deliver(email_id=email.pk).outcome == Outcome.SKIPPED
    assert smtp_server.box.messages == []
    # A claim that outlived its worker (killed) expires, and the e-mail is offered again.
    later = timezone.now() + timedelta(minutes=2)
    assert email_deliver(email_id=email.pk, now=later).outcome == Outcome.SENT
    assert smtp_server.box.by_recipient() == {"person@example.test": 1}


def test_sweep_offers_lost_emails_again_and_records_expired_ones_as_missed(smtp_server, settings, django_capture_on_commit_callbacks):
    settings.PORTAL_EMAIL_SWEEP_GRACE_SECONDS = 120
    now = timezone.now()
    lost = _queue(to="lost@example.test")  # its task never ran (broker down when the action committed)
    fresh = _queue(to="fresh@example.test")
    expired = _queue(to="late@example.test")
    Email.objects.filter(pk=lost.pk).update(next_attempt_at=now - timedelta(minutes=5))
    Email.objects.filter(pk=expired.pk).update(expires_at=now - timedelta(seconds=1), attempts=3, last_error="451 try later")
    with django_capture_on_commit_callbacks(execute=True):
        result = email_sweep(now=now)
    assert result == {"queued": 1, "missed": 1}
    assert smtp_server.box.by_recipient() == {"lost@example.test": 1}
    assert Email.objects.get(pk=fresh.pk).state == "pending"  # its own task is still on its way
    late = Email.objects.get(pk=expired.pk)
    assert late.state == "missed" and "451 try later" in late.last_error


def test_subject_is_one_line_with_the_portal_prefix_and_a_stable_message_id(smtp_server):
    email = _queue(subject="Line one\r\nBcc: everyone@example.test")
    email_deliver(email_id=email.pk)
    (message,) = smtp_server.box.messages
    assert message["Subject"] == "[Frontier Review] Line one Bcc: everyone@example.test"
    assert message["Bcc"] is None and str(message["To"]) == "person@example.test"
    assert message["Message-ID"].startswith(f"<outbox-{email.pk}-") and message["Auto-Submitted"] == "auto-generated"


def test_sensitive_body_is_encrypted_at_rest_and_erased_once_sent(smtp_server):
    email = _queue(body="Your link: http://testserver/people/invitations/SECRET-TOKEN/", sensitive=True)
    stored = Email.objects.get(pk=email.pk).body
    assert "SECRET-TOKEN" not in stored and stored
    email_deliver(email_id=email.pk)
    assert "SECRET-TOKEN" in smtp_server.box.body(smtp_server.box.messages[0])
    assert Email.objects.get(pk=email.pk).body == ""


def test_no_email_row_or_message_when_the_action_rolls_back(smtp_server, django_capture_on_commit_callbacks):
    from django.db import transaction

    user = make_user(role=Role.PROGRAM_ADMIN)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notification_send(recipients=[user], verb="x", title="Never")
                raise RuntimeError
    assert callbacks == []
    assert not Email.objects.filter(recipient=user).exists() and not Notification.objects.filter(recipient=user).exists()
    assert not Email.objects.filter(subject__contains="Never").exists()
    assert smtp_server.box.messages == []


def test_notification_email_links_absolutely_to_the_object(smtp_server, django_capture_on_commit_callbacks):
    user = make_user(role=Role.PROGRAM_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        (n,) = notification_send(recipients=[user], verb="x", title="Atlas review #3: a question", body="Please answer.", url="/rfis/7/")
    n.refresh_from_db()
    assert n.emailed_at == n.email.sent_at is not None
    body = smtp_server.box.body(smtp_server.box.to(user.email)[0])
    assert "Please answer." in body
    assert "Open it in the portal: http://testserver/rfis/7/" in body
    assert "http://testserver/notifications/preferences/" in body


def test_allauth_password_reset_goes_through_the_outbox(client, smtp_server, django_capture_on_commit_callbacks):
    user = make_user(role=Role.PROGRAM_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    email = Email.objects.get(kind="account", to=user.email)
    assert email.sensitive and email.state == "sent" and email.body == ""  # the link is not kept
    (message,) = smtp_server.box.to(user.email)
    assert str(message["Subject"]).startswith("[Frontier Review] ") and "[Frontier Review] [Frontier Review]" not in str(message["Subject"])
    assert "/accounts/password/reset/key/" in smtp_server.box.body(message)
