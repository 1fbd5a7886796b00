import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import Role
from accounts.tests.factories import make_user
from audit.models import AuditEvent
from audit.services import audit_record
from reviews.models import Review, ReviewStatus
from reviews.tests.factories import make_review

pytestmark = pytest.mark.django_db(transaction=True)


def _events(n=4):
    admin = make_user(role=Role.PROGRAM_ADMIN)
    return [audit_record(action="test.event", actor=admin, payload={"n": i}) for i in range(n)]


def _untriggered(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def _verify_fails_at(event_id):
    with pytest.raises(CommandError, match=rf"broken at event {event_id}:"):
        call_command("verify_audit", stdout=open("/dev/null", "w"))


def test_chain_verifies_on_clean_data(capsys):
    _events()
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out
    first, *rest = AuditEvent.objects.order_by("id")
    assert first.prev_hash == "0" * 64
    assert all(e.prev_hash == p.hash for p, e in zip([first, *rest], rest))


def test_verify_catches_edited_event():
    events = _events()
    _untriggered("UPDATE audit_auditevent SET payload = %s WHERE id = %s", ['{"n": 99}', events[1].pk])
    _verify_fails_at(events[1].pk)


def test_verify_catches_deleted_event():
    events = _events()
    _untriggered("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    _verify_fails_at(events[2].pk)


def test_verify_catches_deleted_newest_event():
    events = _events()
    _untriggered("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    _verify_fails_at(events[-1].pk)


def test_verify_catches_reordered_events():
    events = _events()
    a, b = events[1], events[2]
    # Swap the two rows' ids: their content is intact but the order is not.
    _untriggered(
        "UPDATE audit_auditevent SET id = CASE WHEN id = %s THEN -1 ELSE id END WHERE id = %s", [a.pk, a.pk]
    )
    _untriggered("UPDATE audit_auditevent SET id = %s WHERE id = %s", [a.pk, b.pk])
    _untriggered("UPDATE audit_auditevent SET id = %s WHERE id = -1", [b.pk])
    _verify_fails_at(a.pk)


def test_trigger_refuses_update_and_delete():
    event = _events(1)[0]
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_failed_audit_write_rolls_back_the_change(monkeypatch):
    from reviews import services

    review = make_review(status="submitted")
    admin = make_user(role=Role.PROGRAM_ADMIN)
    before = AuditEvent.objects.count()

    def broken_save(self, *args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(AuditEvent, "save", broken_save)
    with pytest.raises(DatabaseError):
        services.review_open(review_id=review.pk, actor=admin)
    monkeypatch.undo()
    review = Review.objects.get(pk=review.pk)
    assert review.status == ReviewStatus.SUBMITTED and review.window_start is None
    assert AuditEvent.objects.count() == before


def test_rolled_back_change_leaves_no_event():
    admin = make_user(role=Role.PROGRAM_ADMIN)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            audit_record(action="test.event", actor=admin)
            raise RuntimeError
    assert AuditEvent.objects.count() == before
    call_command("verify_audit", stdout=open("/dev/null", "w"))


def test_events_carry_actor_target_address_and_request_id(demo, login):
    from django.urls import reverse

    client = login(demo["lead_nsa"])
    new_reviewer = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"])
    client.post(
        reverse("review_access", kwargs={"pk": demo["atlas"].pk}),
        {"reviewer": new_reviewer.pk},
        REMOTE_ADDR="192.0.2.7",
        HTTP_X_REQUEST_ID="req-20261202-0042",
    )
    event = AuditEvent.objects.get(action="assignment.invite", payload__reviewer=new_reviewer.email)
    assert (event.actor, event.actor_label, event.actor_organisation) == (demo["lead_nsa"], "lead.nsa@agency.example", "NSA")
    assert (event.target_type, event.review_id) == ("reviews.assignment", demo["atlas"].pk)
    assert (event.client_address, event.request_id) == ("192.0.2.7", "req-20261202-0042")
