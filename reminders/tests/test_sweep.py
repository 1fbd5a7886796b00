from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from notifications.models import Notification
from reminders.deadlines import shift
from reminders.models import Reminder, ReminderRule
from reminders.selectors import reminder_history
from reminders.services import reminder_sweep, reminders_run
from reviews.models import Review
from reviews.tests.factories import assign, close_review, make_review

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


_DEMO_REVIEWS: set[int] = set()


@pytest.fixture(autouse=True)
def _demo_reviews(db):
    """The session's demo world is there too and the sweep reminds its people as
    well; each test looks at the reviews it made itself."""
    _DEMO_REVIEWS.clear()
    _DEMO_REVIEWS.update(Review.objects.values_list("pk", flat=True))


def _sent(rule_name):
    return {
        r.recipient.email
        for r in Reminder.objects.filter(rule__name=rule_name, sent_at__isnull=False)
        .exclude(review_id__in=_DEMO_REVIEWS)
        .select_related("recipient")
    }


def _program_office() -> set[str]:
    """Every active program admin (the demo's too): escalations go to the whole office."""
    from accounts.models import User

    return set(User.objects.filter(membership__role=Role.PROGRAM_ADMIN, is_active=True).values_list("email", flat=True))


WINDOW_RULES = [
    ("Window ends in 7 days", -7, {"reviewer", "lead"}),
    ("Window ends in 3 days", -3, {"reviewer", "lead"}),
    ("Window ends tomorrow", -1, {"reviewer", "lead"}),
    ("Window closed", 0, {"reviewer", "lead"}),
    ("Not closed 2 days after the window", 2, {"lead"}),
    ("Not closed 5 days after the window", 5, {"admin"}),
]


@pytest.mark.parametrize(("rule_name", "offset", "who"), WINDOW_RULES)
def test_window_rule_fires_at_its_offset_to_the_right_people_only(world, rule_name, offset, who):
    fire_at = world["end"] + timedelta(days=offset)
    mail.outbox.clear()  # set-up notifications (assignments, state changes) are not reminders
    reminders_run(now=fire_at - timedelta(minutes=1))
    assert _sent(rule_name) == set(), "fired before its time"
    reminders_run(now=fire_at + timedelta(minutes=1))
    expected = {world[k].email for k in who if k != "admin"} | (_program_office() if "admin" in who else set())
    assert world["admin"].email in _program_office()
    assert _sent(rule_name) == expected
    everyone_notified = set(Notification.objects.filter(verb="reminder").values_list("recipient__email", flat=True))
    for stranger in ("idle_reviewer", "outsider_lead", "outsider_reviewer", "liaison"):
        assert world[stranger].email not in everyone_notified
        assert all(world[stranger].email not in m.to for m in mail.outbox)


def test_reminder_keeps_local_hour_across_daylight_saving():
    # Window ends Nov 3, 2026 17:00 New York (after DST ended Nov 1): the
    # 7-days-before reminder is Oct 27 17:00 New York (still DST): 21:00 UTC, not 22:00.
    end = datetime(2026, 11, 3, 17, 0, tzinfo=NY)
    fire = shift(end, -7, "calendar")
    assert fire.astimezone(NY).hour == 17
    assert fire.astimezone(ZoneInfo("UTC")).hour == 21
    assert end.astimezone(ZoneInfo("UTC")).hour == 22


def test_business_days_skip_weekends_and_federal_holidays():
    # Thanksgiving 2026 is Thursday Nov 26; two business days before Monday Nov 30
    # are Friday Nov 27 and Wednesday Nov 25.
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=NY)
    assert shift(monday, -1, "business").date().isoformat() == "2026-11-27"
    assert shift(monday, -2, "business").date().isoformat() == "2026-11-25"


def test_send_reminders_twice_sends_once(world, capsys):
    moment = (world["end"] - timedelta(days=3) + timedelta(minutes=5)).isoformat()
    call_command("send_reminders", "--now", moment)
    first = capsys.readouterr().out
    assert "sent 2 × Window ends in 3 days" in first
    outbox = len(mail.outbox)
    call_command("send_reminders", "--now", moment)
    second = capsys.readouterr().out
    assert "0 reminders and escalations sent" in second
    assert len(mail.outbox) == outbox
    assert Reminder.objects.filter(rule__name="Window ends in 3 days").count() == 2


def test_dry_run_records_and_sends_nothing(world, capsys):
    moment = (world["end"] - timedelta(days=3) + timedelta(minutes=5)).isoformat()
    call_command("send_reminders", "--now", moment, "--dry-run")
    out = capsys.readouterr().out
    assert "would record 2 × Window ends in 3 days" in out
    assert Reminder.objects.count() == 0 and len(mail.outbox) == 0


def test_bad_now_is_refused(world):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not an ISO-8601"):
        call_command("send_reminders", "--now", "next tuesday")


def test_reminders_to_one_person_in_one_sweep_are_combined(world):
    # Workers were down: at T-1 the 3-day and 1-day reminders are both due (the
    # 7-day one is past the catch-up horizon and moot).
    reminders_run(now=world["end"] - timedelta(days=1) + timedelta(minutes=5))
    reviewer_mail = [m for m in mail.outbox if world["reviewer"].email in m.to]
    assert len(reviewer_mail) == 1
    assert "2 deadlines" in reviewer_mail[0].subject
    assert _sent("Window ends in 3 days") == _sent("Window ends tomorrow") == {world["reviewer"].email, world["lead"].email}
    assert _sent("Window ends in 7 days") == set()
    assert Notification.objects.filter(recipient=world["reviewer"], verb="reminder").count() == 1


def test_catch_up_does_not_send_moot_reminders(world):
    review = world["review"]
    close_review(review, world["admin"])
    mail.outbox.clear()
    reminders_run(now=world["end"] - timedelta(days=1) + timedelta(minutes=5))
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 0
    assert len(mail.outbox) == 0


def test_row_recorded_but_moot_by_delivery_is_not_sent(world):
    from reminders.services import reminder_deliver

    moment = world["end"] - timedelta(days=3) + timedelta(minutes=5)
    reminder_sweep(now=moment)  # recorded, not yet delivered (the broker hand-off never happened)
    close_review(world["review"], world["admin"])
    mail.outbox.clear()
    assert reminder_deliver(recipient_id=world["reviewer"].pk, now=moment) == 0
    row = Reminder.objects.get(recipient=world["reviewer"])
    assert row.sent_at is None and row.moot_at is not None
    assert len(mail.outbox) == 0


def test_unsent_row_left_by_a_crash_is_delivered_by_the_next_sweep(world):
    moment = world["end"] - timedelta(days=3) + timedelta(minutes=5)
    reminder_sweep(now=moment)  # crash here: committed, never handed to the broker
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 2
    result = reminders_run(now=moment + timedelta(minutes=15))
    assert result["sent"] == {"Window ends in 3 days": 2}
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0


def test_extension_is_a_new_occasion(world):
    moment = world["end"] - timedelta(days=3) + timedelta(minutes=5)
    reminders_run(now=moment)
    Review.objects.filter(pk=world["review"].pk).update(window_end=world["end"] + timedelta(days=7))
    reminders_run(now=moment + timedelta(minutes=15))
    assert Reminder.objects.filter(rule__name="Window ends in 3 days").count() == 2
    reminders_run(now=world["end"] + timedelta(days=4, minutes=5))
    assert Reminder.objects.filter(rule__name="Window ends in 3 days").count() == 4


def test_assignment_answer_reminder_and_escalation(world):
    agency = world["review"].agencies.get()
    invitee = make_user(role=Role.AGENCY_REVIEWER, org=agency)
    invited_at = timezone.now()
    assignment = assign(world["review"], invitee, lead=world["lead"], accept=False)
    type(assignment).objects.filter(pk=assignment.pk).update(invited_at=invited_at)
    reminders_run(now=invited_at + timedelta(hours=23))
    assert _sent("Assignment unanswered after a day") == set()
    reminders_run(now=invited_at + timedelta(days=1, minutes=5))
    assert _sent("Assignment unanswered after a day") == {invitee.email}
    reminders_run(now=invited_at + timedelta(days=2, minutes=5))
    assert _sent("Assignment answer overdue") == {world["lead"].email}


def test_submitted_not_opened_escalates_to_admins(db):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    review = make_review(status="submitted")
    submitted = Review.objects.get(pk=review.pk).submitted_at
    reminders_run(now=submitted + timedelta(days=3, minutes=5))
    assert admin.email in _program_office()
    assert _sent("Submitted review not opened in 3 days") == _program_office()


def test_no_accepted_reviewer_escalates_to_that_agencys_leads(db):
    covered, uncovered = AgencyFactory(), AgencyFactory()
    admin = make_user(role=Role.PROGRAM_ADMIN)
    review = make_review(agencies=[covered, uncovered], admin=admin)
    covered_lead = make_user(role=Role.AGENCY_LEAD, org=covered)
    uncovered_lead = make_user(role=Role.AGENCY_LEAD, org=uncovered)
    assign(review, make_user(role=Role.AGENCY_REVIEWER, org=covered), lead=covered_lead)
    start = Review.objects.get(pk=review.pk).window_start
    reminders_run(now=start + timedelta(days=2, minutes=5))
    assert _sent("No accepted reviewer 2 days into the window") == {uncovered_lead.email}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "escalation", "offset": -1}, "offset"),
        ({"recipients": []}, "recipients"),
        ({"recipients": ["everyone"]}, "recipients"),
        ({"deadline": "lunch"}, "deadline"),
    ],
)
def test_bad_rules_are_refused(change, field):
    rule = ReminderRule(name="x", deadline="review_window_end", offset=1, recipients=["agency_leads"], subject="s")
    for k, v in change.items():
        setattr(rule, k, v)
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert field in exc.value.message_dict


def test_digest_users_get_reminders_in_the_digest_but_escalations_at_once(world):
    from notifications.models import EmailPreference
    from notifications.services import notification_preference_set

    notification_preference_set(user=world["reviewer"], email=EmailPreference.DIGEST)
    notification_preference_set(user=world["lead"], email=EmailPreference.DIGEST)
    reminders_run(now=world["end"] - timedelta(days=3) + timedelta(minutes=5))
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=world["reviewer"], verb="reminder", emailed_at__isnull=True).count() == 1
    reminders_run(now=world["end"] + timedelta(days=2, minutes=5))  # escalation to the lead
    assert [m.to for m in mail.outbox] == [[world["lead"].email]]


def test_review_page_shows_what_was_sent_to_whom(world, login):
    from django.urls import reverse

    from reviews.services import terms_accept

    reminders_run(now=world["end"] - timedelta(days=3) + timedelta(minutes=5))
    terms_accept(review=world["review"], user=world["lead"])
    page = login(world["lead"]).get(reverse("review_detail", kwargs={"pk": world["review"].pk}))
    html = page.content.decode()
    assert "Reminders and escalations" in html
    assert {r.recipient for r in page.context["reminders"]} == {world["reviewer"], world["lead"]}
    liaison_page = login(world["liaison"]).get(reverse("review_detail", kwargs={"pk": world["review"].pk}))
    assert list(liaison_page.context["reminders"]) == []
    assert world["reviewer"].get_full_name() not in liaison_page.content.decode()


def test_rfi_reminders_and_escalations(world):
    from rfis.services import rfi_answer, rfi_create

    due = timezone.now() + timedelta(days=5)
    rfi = rfi_create(review_id=world["review"].pk, actor=world["reviewer"], subject="Access", question="Creds fail", due_at=due)
    mail.outbox.clear()
    reminders_run(now=due - timedelta(days=2, minutes=1))
    assert _sent("Information request due in 2 days") == set()
    reminders_run(now=due - timedelta(days=2) + timedelta(minutes=1))
    assert _sent("Information request due in 2 days") == {world["liaison"].email}
    reminders_run(now=due + timedelta(minutes=1))
    assert _sent("Information request overdue") == {world["liaison"].email, world["lead"].email}
    rfi_answer(rfi_id=rfi.pk, actor=world["liaison"], body="Fixed.")
    reminders_run(now=due + timedelta(days=3, minutes=1))
    assert _sent("Information request 3 days overdue") == set(), "an answered RFI is moot"
    page_rows = reminder_history(review_id=world["review"].pk, user=world["admin"], target_type="rfi", target_id=rfi.pk)
    # The 1-day reminder was caught up by the overdue sweep (and combined with it).
    assert {r.rule.name for r in page_rows} == {
        "Information request due in 2 days", "Information request due tomorrow", "Information request overdue",
    }


def test_reminder_history_kept_compiled_answers_what_a_fresh_one_does(world, settings):
    """The pages' history tag compiles its statement once per reader and kind
    of page (portal.statements): same rows as compiled afresh, for the review
    and for one RFI, and each reader still sees only their own side's people."""
    from portal import statements
    from reminders.templatetags.reminders import reminder_history as history_tag
    from rfis.services import rfi_create

    statements.cache_clear()
    due = timezone.now() + timedelta(days=5)
    rfi = rfi_create(review_id=world["review"].pk, actor=world["reviewer"], subject="Access", question="Creds fail", due_at=due)
    reminders_run(now=world["end"] - timedelta(days=3) + timedelta(minutes=5))
    reminders_run(now=due + timedelta(minutes=1))

    def rows(user, **target):
        return [(r.pk, r.rule.name, r.recipient.email) for r in history_tag({"user": user}, review=world["review"], **target)["reminders"]]

    pages = [{}, {"target_type": "rfi", "target_id": rfi.pk}]
    readers = [world["admin"], world["lead"], world["reviewer"], world["liaison"]]
    settings.PORTAL_STATEMENT_CACHE = False
    fresh = [rows(user, **page) for user in readers for page in pages]
    settings.PORTAL_STATEMENT_CACHE = True
    assert [rows(user, **page) for user in readers for page in pages] == fresh
    assert [rows(user, **page) for user in readers for page in pages] == fresh
    admin_review, admin_rfi, lead_review, _, _, _, liaison_review, liaison_rfi = fresh
    assert {email for _, _, email in admin_review} == {world["reviewer"].email, world["lead"].email, world["liaison"].email}
    assert {email for _, _, email in admin_rfi} == {world["liaison"].email, world["lead"].email}
    assert {email for _, _, email in lead_review} == {world["reviewer"].email, world["lead"].email}
    assert {email for _, _, email in liaison_review} == {email for _, _, email in liaison_rfi} == {world["liaison"].email}
    held = [cached for key, cached in statements.entries() if key[2][0] == "reminders.reminder_history"]
    assert held == [True] * 8
    statements.cache_clear()
