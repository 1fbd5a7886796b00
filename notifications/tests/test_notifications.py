"""The notification centre: in-app rows, the bell, and e-mail by preference."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from notifications.models import EmailPreference, Notification
from notifications.services import notification_preference_set, notification_send, notification_send_digests
from notifications.tasks import send_daily_digests

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    users = {p: make_user(role=Role.PROGRAM_ADMIN) for p in ("now", "digest", "off")}
    notification_preference_set(user=users["digest"], email=EmailPreference.DIGEST)
    notification_preference_set(user=users["off"], email=EmailPreference.OFF)
    return users


def test_send_creates_one_row_per_recipient_and_mails_only_immediate(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notification_send(recipients=[*people.values(), people["now"]], verb="rfi.asked", title="A question", url="/x/")
    assert sorted(n.recipient_id for n in rows) == sorted(u.pk for u in people.values())
    assert [m.to for m in mail.outbox] == [[people["now"].email]]
    assert mail.outbox[0].subject == "[Frontier Review] A question"
    mine = Notification.objects.filter(recipient__in=people.values())
    assert set(mine.filter(emailed_at__isnull=False).values_list("recipient_id", flat=True)) == {people["now"].pk}


def test_no_mail_when_the_transaction_rolls_back(people, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notification_send(recipients=[people["now"]], verb="x", title="Never")
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []
    assert not Notification.objects.filter(title="Never").exists()


def test_escalations_are_always_mailed(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=people.values(), verb="rfi.overdue", title="Overdue", escalation=True)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in people.values())


def test_daily_digest_bundles_pending_notifications_once(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=people.values(), verb="a", title="First")
        notification_send(recipients=people.values(), verb="b", title="Second")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests.apply().get() == 1
    assert [m.to for m in mail.outbox] == [[people["digest"].email]]
    assert "First" in mail.outbox[0].body and "Second" in mail.outbox[0].body
    assert "2 updates" in mail.outbox[0].subject
    assert Notification.objects.filter(recipient=people["digest"], emailed_at__isnull=True).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send_digests() == 0  # nothing is sent twice
    assert len(mail.outbox) == 1
    assert not Notification.objects.filter(recipient=people["off"], emailed_at__isnull=False).exists()


def test_preferences_page_saves_the_choice_and_bell_counts_unread(people, login):
    user = people["now"]
    notification_send(recipients=[user], verb="a", title="Hello")
    client = login(user)
    html = client.get(reverse("notification_preferences")).content.decode()
    assert 'value="immediate"' in html and "checked" in html
    response = client.post(reverse("notification_preferences"), {"email": "digest"})
    assert response.status_code == 302
    assert user.notification_preference.email == "digest"
    page = client.get(reverse("notification_index")).content.decode()
    assert "Notifications, 1 unread" in page
    assert client.post(reverse("notification_preferences"), {"email": "weekly"}).status_code == 200
    user.notification_preference.refresh_from_db()
    assert user.notification_preference.email == "digest"


def test_bell_lists_the_newest_unread_with_their_count_in_one_query(people, login, django_assert_num_queries):
    from django.utils import timezone

    from notifications.selectors import notification_bell

    user = people["now"]
    for i in range(7):
        notification_send(recipients=[user], verb="a", title=f"Reminder {i}")
    Notification.objects.filter(recipient=user, title="Reminder 6").update(read_at=timezone.now())
    with django_assert_num_queries(1):
        count, recent = notification_bell(user=user)
    assert count == 6
    assert [n.title for n in recent] == ["Reminder 5", "Reminder 4", "Reminder 3", "Reminder 2", "Reminder 1"]
    html = login(user).get(reverse("dashboard")).content.decode()
    assert "Notifications, 6 unread" in html and "Reminder 5" in html and "Reminder 0" not in html
