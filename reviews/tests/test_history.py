from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from reviews import services
from reviews.models import Review

from .factories import make_review

pytestmark = pytest.mark.django_db


def test_review_as_it_was_on_an_earlier_day():
    start = timezone.now()
    with time_machine.travel(start):  # ticking: each save gets its own moment
        review = make_review(status="submitted")
    admin = make_user(role=Role.PROGRAM_ADMIN)
    with time_machine.travel(start + timedelta(days=2)):
        services.review_open(review_id=review.pk, actor=admin)
    then = Review.history.as_of(start + timedelta(days=1)).get(pk=review.pk)
    assert then.status == "submitted" and then.window_end is None
    now = Review.history.as_of(start + timedelta(days=3)).get(pk=review.pk)
    assert now.status == "in_review" and now.window_end is not None
    latest = review.history.latest()
    assert latest.history_user == admin or latest.history_user is None
    changed = latest.diff_against(latest.prev_record)
    assert {"status", "window_start", "window_end"} <= set(changed.changed_fields)


def test_rfi_finding_and_document_keep_field_history(demo):
    from documents.models import Document
    from findings import services as finding_services
    from findings.models import Sharing
    from rfis import services as rfi_services

    rfi = demo["atlas"].rfis.get()
    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Done.")
    assert [h.status for h in rfi.history.order_by("history_date", "history_id")][-2:] == ["open", "answered"]

    finding = demo["atlas"].findings.get()
    finding_services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing=Sharing.AGENCIES)
    latest = finding.history.latest()
    assert latest.sharing == Sharing.AGENCIES
    assert "sharing" in latest.diff_against(latest.prev_record).changed_fields

    document = Document.objects.filter(review=demo["atlas"]).first()
    assert document.history.count() >= 1
