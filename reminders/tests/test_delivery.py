"""Reminders reach each person once, whatever the mail server does (a real
SMTP server started by the test), and admin-written texts stay texts."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from notifications.mail import email_sweep
from notifications.models import Email, Notification
from reminders.models import Reminder, ReminderRule
from reminders.selectors import reminder_counts
from reminders.services import recipients_with_unsent, reminder_alert_missed, reminder_deliver, reminder_sweep, reminders_run
from reminders.texts import FIELDS, convert_legacy, template_problems

pytestmark = pytest.mark.django_db

THREE_DAYS = "Window ends in 3 days"


def _moment(world, days_before=3):
    return world["end"] - timedelta(days=days_before) + timedelta(minutes=5)


def test_a_person_owed_several_rows_is_one_delivery(world):
    # Workers were down: the 3-day and the 1-day reminders are both owed to both people.
    reminder_sweep(now=_moment(world, days_before=1))
    assert Reminder.objects.count() == 4
    owed = recipients_with_unsent(now=_moment(world, days_before=1))
    assert sorted(owed) == sorted([world["reviewer"].pk, world["lead"].pk])


def test_deferred_email_leaves_the_rows_pending_until_a_later_attempt_sends_it(world, smtp_server, login, django_capture_on_commit_callbacks):
    smtp_server.box.defer = "451 4.7.1 Greylisted, try again later"
    result = reminders_run(now=_moment(world))
    assert result["sent"] == {THREE_DAYS: 2} and result["retrying"] == 2 and result["failed"] == 0
    rows = Reminder.objects.filter(rule__name=THREE_DAYS)
    assert [(r.state, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]
    assert all("451" in r.last_error for r in rows)
    # In the centre at once; the e-mail follows.
    assert Notification.objects.filter(verb="reminder").count() == 2
    html = login(world["admin"]).get(reverse("review_detail", kwargs={"pk": world["review"].pk})).content.decode()
    assert "e-mail not delivered yet after 1 attempt" in html and "Greylisted" in html
    # A second sweep does not hand them over again (no second notification, no second e-mail row).
    reminders_run(now=_moment(world) + timedelta(minutes=15))
    assert Notification.objects.filter(verb="reminder").count() == 2 and Email.objects.filter(kind="reminder").count() == 2

    smtp_server.box.defer = None
    later = max(e.next_attempt_at for e in Email.objects.filter(kind="reminder")) + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        email_sweep(now=later)
    assert [(r.state, r.attempts) for r in Reminder.objects.filter(rule__name=THREE_DAYS)] == [("sent", 2), ("sent", 2)]
    assert smtp_server.box.by_recipient() == {world["reviewer"].email: 1, world["lead"].email: 1}


def test_a_refused_address_fails_only_its_rows_with_the_reason_shown(world, smtp_server, login):
    smtp_server.box.refuse[world["reviewer"].email] = "550 5.1.1 Recipient address rejected: no such user"
    result = reminders_run(now=_moment(world))
    assert result["failed"] == 1
    failed = Reminder.objects.get(recipient=world["reviewer"])
    assert failed.state == "failed" and failed.attempts == 1 and "no such user" in failed.last_error
    assert Reminder.objects.get(recipient=world["lead"]).state == "sent"
    assert smtp_server.box.by_recipient() == {world["lead"].email: 1}
    html = login(world["lead"], accept_terms_for=[world["review"]]).get(
        reverse("review_detail", kwargs={"pk": world["review"].pk})
    ).content.decode()
    assert "the mail server refused it" in html and "Recipient address rejected: no such user" in html
    # Measurable: the same outcome as counts (manage.py delivery_status).
    out = StringIO()
    call_command("delivery_status", "--json", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["reminders"] == {"due": 2, "sent": 1, "pending": 0, "retrying": 0, "missed": 0, "failed": 1, "moot": 0}
    assert reminder_counts(since=_moment(world) + timedelta(minutes=1))["due"] == 0


def test_email_still_undelivered_when_the_occasion_passes_is_missed_and_the_program_office_told(
    world, smtp_server, login, django_capture_on_commit_callbacks
):
    smtp_server.stop()
    reminders_run(now=_moment(world))
    assert {r.state for r in Reminder.objects.filter(rule__name=THREE_DAYS)} == {"pending"}
    with django_capture_on_commit_callbacks(execute=True):
        email_sweep(now=world["end"] + timedelta(minutes=1))
    assert Email.objects.filter(kind="reminder", missed_at__isnull=False).count() == 2
    rows = Reminder.objects.filter(rule__name=THREE_DAYS)
    assert {r.state for r in rows} == {"missed"}
    assert all("Connection refused" in r.last_error for r in rows)
    # The next reminder sweep tells the program office: one alert for the review, once.
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_alert_missed() == 1
        assert reminder_alert_missed() == 0
    alert = Notification.objects.get(verb="reminder.missed", recipient=world["admin"])
    assert alert.title == f"{world['review']}: 2 reminders not delivered in time"
    assert alert.url == reverse("review_detail", kwargs={"pk": world["review"].pk}) and alert.escalation
    # The whole program office (the demo's admin too) is told, each once; nobody else.
    office = set(User.objects.filter(membership__role=Role.PROGRAM_ADMIN, is_active=True).values_list("pk", flat=True))
    alerts = list(Notification.objects.filter(verb="reminder.missed", title=alert.title).values_list("recipient_id", flat=True))
    assert sorted(alerts) == sorted(office) and world["admin"].pk in office
    client = login(world["admin"])
    assert alert.title in client.get(reverse("dashboard")).content.decode()  # the bell
    assert "the program office was told" in client.get(alert.url).content.decode()


def test_rows_nobody_handed_over_before_their_occasion_are_missed(world, django_capture_on_commit_callbacks):
    reminder_sweep(now=_moment(world))  # recorded; the delivery tasks were lost and workers stayed down
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_deliver(recipient_id=world["reviewer"].pk, now=world["end"] + timedelta(hours=1)) == 0
    row = Reminder.objects.get(recipient=world["reviewer"])
    assert row.state == "missed" and row.email_id is None and "workers" in row.last_error
    assert not Notification.objects.filter(verb="reminder", recipient=world["reviewer"]).exists()
    reminder_alert_missed()
    alert = Notification.objects.get(verb="reminder.missed", recipient=world["admin"])
    assert world["reviewer"].get_full_name() in alert.body and "Window ends in 3 days" in alert.body


def test_rfi_reminder_names_the_request_and_links_to_it_in_the_recipients_zone(world, smtp_server, login):
    from rfis.services import rfi_create

    liaison = world["liaison"]
    type(liaison).objects.filter(pk=liaison.pk).update(time_zone=ZoneInfo("Europe/Paris"))
    due = (timezone.now() + timedelta(days=5)).replace(microsecond=0)
    rfi = rfi_create(
        review_id=world["review"].pk, actor=world["reviewer"], subject="Endpoint {review.__init__.__globals__}", question="Creds?", due_at=due
    )
    smtp_server.box.messages.clear()
    reminders_run(now=due - timedelta(days=2) + timedelta(minutes=1))
    (message,) = smtp_server.box.to(liaison.email)
    subject = str(message["Subject"]).strip()  # a folded, encoded header parses with a leading space
    agency = world["review"].agencies.get().acronym
    assert subject.startswith(f"[Frontier Review] {world['review']}: the information request")
    assert "“Endpoint {review.__init__.__globals__}”" in subject and f"from {agency}" in subject  # a value, never expanded
    assert timezone.localtime(due, ZoneInfo("Europe/Paris")).strftime("%b %-d, %Y %H:%M CET") in subject
    body = smtp_server.box.body(message)
    link = f"http://testserver{reverse('rfi_detail', kwargs={'pk': rfi.pk})}"
    assert f"Open it in the portal: {link}" in body
    assert login(liaison).get(link).status_code == 200
    assert world["reviewer"].get_full_name() not in subject + body  # companies never learn the asker


# --- admin-written texts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "deadline"),
    [
        ("subject", "{review.__init__}", "review_window_end"),
        ("subject", "{review.model.company.liaisons_group}", "review_window_end"),
        ("subject", "{when:%Y}", "review_window_end"),
        ("subject", "{0}", "review_window_end"),
        ("subject", "Due { soon", "review_window_end"),
        ("subject", "{rfi} is due", "review_window_end"),
        ("body", "See {review.__class__.__init__.__globals__}", "rfi_due"),
    ],
)
def test_rule_text_outside_the_placeholder_list_is_refused_at_save(field, text, deadline):
    rule = ReminderRule(name="x", deadline=deadline, offset=-1, recipients=["agency_leads"], subject="{review} soon")
    setattr(rule, field, text)
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert list(exc.value.message_dict) == [field]


def test_admin_form_refuses_a_subject_reaching_into_the_review(login):
    from accounts.models import Role
    from accounts.tests.factories import make_user

    admin = make_user(role=Role.PROGRAM_ADMIN, is_staff=True, is_superuser=True)
    rule = ReminderRule.objects.get(name=THREE_DAYS)
    url = reverse("admin:reminders_reminderrule_change", args=[rule.pk])
    data = {
        "name": rule.name, "deadline": rule.deadline, "kind": rule.kind, "offset": rule.offset, "unit": rule.unit,
        "recipients": rule.recipients, "channel": rule.channel, "subject": "{review.__init__}", "body": "", "is_active": "on",
    }
    response = login(admin).post(url, data)
    assert response.status_code == 200
    assert "{review.__init__} is not a placeholder the portal fills in" in response.content.decode()
    rule.refresh_from_db()
    assert rule.subject == "{review}: the review window ends in 3 days ({when})"
    data["subject"] = "{review} (#{number}, {company}): 3 days left, until {when}"
    assert login(admin).post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.subject == data["subject"]


def test_default_rules_and_converted_legacy_texts_use_only_the_placeholders():
    assert set(FIELDS) == {"review", "number", "model", "company", "when", "agency", "rfi"}
    for rule in ReminderRule.objects.all():
        assert template_problems(rule.subject, deadline=rule.deadline) == [], rule.name
        assert template_problems(rule.body, deadline=rule.deadline) == [], rule.name
    legacy = "{review.model} #{review.pk} for {review.company.name}: {when:%b %d} {review.__init__} {x} {{"
    converted = convert_legacy(legacy, deadline="review_window_end")
    assert converted == "{model} #{number} for {company}: {when} {review}  ("
    assert template_problems(converted, deadline="review_window_end") == []
