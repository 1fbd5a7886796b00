"""Nothing waits forever: every task of the portal has a soft and a hard time limit."""

from django.conf import settings

from portal.celery import app

PORTAL_APPS = ("accounts", "agencies", "companies", "reviews", "notifications", "audit", "reminders", "documents", "rfis", "findings", "readiness", "api")


def test_every_portal_task_has_a_soft_and_a_hard_time_limit():
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if name.split(".", 1)[0] in PORTAL_APPS}
    assert {"notifications.tasks.deliver_email", "notifications.tasks.sweep_emails", "reminders.tasks.sweep_reminders",
            "reminders.tasks.deliver_reminders", "documents.tasks.scan_version"} <= set(tasks)
    for name, task in tasks.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, name
    assert app.conf.task_soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT == 300
    deliver = app.tasks["notifications.tasks.deliver_email"]
    # A conversation may take a few socket timeouts, no more.
    assert settings.EMAIL_TIMEOUT < deliver.soft_time_limit < deliver.time_limit < app.conf.task_soft_time_limit


def test_the_outbox_sweep_runs_every_minute_from_beat():
    assert settings.CELERY_BEAT_SCHEDULE["sweep-emails"] == {"task": "notifications.tasks.sweep_emails", "schedule": 60.0}
