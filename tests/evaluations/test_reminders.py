"""The daily reminders (shared contract recommendations.md): `pqa_reminders` and its Celery beat
task, idempotent per person, kind and day, in-process and through a real Redis and worker."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from evaluations.models import Recommendation, SentReminder
from evaluations.services import reminders_send
from evaluations.tasks import send_recommendation_reminders
from pqa.models import Notification, Role
from tests.factories import TeamFactory, UserFactory, completed_evaluation
from tests.pqa.conftest import (  # noqa: F401 - fixtures
    WORKER_WAIT_SECONDS,
    celery_broker,
    celery_processes,
    redis_url,
)

DAY = dt.date(2025, 9, 1)
SENT_NOTHING = "sent 0 reminders (0 to owners, 0 to team managers)"


def add(evaluation, owner, *, days: int, status=Recommendation.Status.OPEN, action="Update the chronology"):
    """A recommendation due `days` after DAY (negative: overdue)."""
    values = {}
    if status in Recommendation.CLOSED_STATUSES:
        values = {"completed_on": DAY, "outcome_note": "Done."}
    return evaluation.recommendations.create(
        action=action, owner=owner, due_date=DAY + dt.timedelta(days=days), status=status, **values
    )


@pytest.fixture
def register():
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    north_manager = UserFactory(role=Role.TEAM_MANAGER, team=north, email="north.manager@trust.example")
    UserFactory(role=Role.TEAM_MANAGER, team=south, email="south.manager@trust.example")
    UserFactory(role=Role.TEAM_MANAGER, team=north, email="gone.manager@trust.example", is_active=False)
    alex = UserFactory(email="alex@trust.example", team=north)
    sam = UserFactory(email="sam@trust.example", team=south)
    gone = UserFactory(email="gone@trust.example", is_active=False)
    in_north, in_south = completed_evaluation(team=north), completed_evaluation(team=south)
    add(in_north, alex, days=-20, action="Long overdue in North")  # owner + North's manager
    add(in_north, alex, days=5, action="Due this week")  # owner
    add(in_north, alex, days=8, action="Due in eight days")  # nobody yet
    add(in_north, alex, days=-30, status=Recommendation.Status.DONE)  # closed: nobody
    add(in_south, sam, days=-3, status=Recommendation.Status.IN_PROGRESS, action="Overdue in South")  # owner
    add(in_south, gone, days=-15, action="Owner gone")  # South's manager; the inactive owner gets nothing
    draft = completed_evaluation(team=north, status="in_progress", overall_grade="")
    add(draft, alex, days=-40, action="A draft's")  # not agreed yet: nobody
    return {"north_manager": north_manager, "alex": alex, "sam": sam}


def run(*args) -> str:
    out = io.StringIO()
    call_command("pqa_reminders", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_each_owner_and_team_manager_gets_one_reminder_and_a_second_run_sends_nothing(
    register, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert run("--today", DAY.isoformat()) == "sent 4 reminders (2 to owners, 2 to team managers)"
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == [
        "alex@trust.example",
        "north.manager@trust.example",
        "sam@trust.example",
        "south.manager@trust.example",
    ]
    alex = by_address["alex@trust.example"].body
    assert "Long overdue in North" in alex and "overdue by 20 days" in alex
    assert "Due this week" in alex and "due 06/09/2025" in alex
    assert "eight days" not in alex and "A draft's" not in alex
    north = by_address["north.manager@trust.example"].body
    assert "Long overdue in North" in north and "Due this week" not in north
    assert "Owner gone" in by_address["south.manager@trust.example"].body
    assert f"/evaluations/recommendations/?team={register['north_manager'].team_id}&overdue=yes" in north
    assert "/evaluations/actions/" in alex

    with django_capture_on_commit_callbacks(execute=True):
        assert run("--today", DAY.isoformat()) == SENT_NOTHING
    assert len(mail.outbox) == 4
    assert Notification.objects.count() == 4
    # The next day is another day.
    assert run("--today", (DAY + dt.timedelta(days=1)).isoformat()).startswith("sent 4 reminders")


@pytest.mark.django_db
def test_a_reminder_already_claimed_by_another_run_is_not_sent_again(register, django_capture_on_commit_callbacks):
    # As if another run at the same moment had committed first: its claim row wins.
    SentReminder.objects.create(person=register["alex"], kind=SentReminder.Kind.OWNER, day=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert str(reminders_send(today=DAY)) == "sent 3 reminders (1 to owners, 2 to team managers)"
    assert "alex@trust.example" not in {message.to[0] for message in mail.outbox}


@pytest.mark.django_db
def test_the_beat_task_calls_the_same_service(register):
    assert send_recommendation_reminders.delay(DAY.isoformat()).get() == (
        "sent 4 reminders (2 to owners, 2 to team managers)"
    )
    assert send_recommendation_reminders.delay(DAY.isoformat()).get() == SENT_NOTHING


def test_the_beat_schedule_runs_the_reminders_daily_from_the_database_scheduler(settings):
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    entry = settings.CELERY_BEAT_SCHEDULE["recommendation-reminders"]
    assert entry["task"] == send_recommendation_reminders.name
    # The entries that ran before django-celery-beat still do.
    assert {"deliver-pending-notifications", "housekeeping"} <= set(settings.CELERY_BEAT_SCHEDULE)


@pytest.mark.django_db
def test_a_day_that_is_not_a_date_is_refused():
    with pytest.raises(CommandError, match="--today 01/09/2025: not a date"):
        run("--today", "01/09/2025")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_through_a_real_redis_and_worker_send_each_reminder_once(
    register,
    celery_processes,  # noqa: F811 - the fixture imported above
    redis_url,  # noqa: F811
):
    celery_processes.redis_url = redis_url
    celery_processes.worker(pool="prefork", concurrency=2)
    with celery_broker(redis_url):
        for _ in range(2):
            send_recommendation_reminders.apply_async(args=[DAY.isoformat()])
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        celery_processes.check_alive()
        done = Notification.objects.filter(sent_at__isnull=False).count()
        if done >= 4 and len(celery_processes.mail()) >= 4:
            time.sleep(1)  # long enough for a wrongly duplicated reminder to show
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"reminders not delivered in {WORKER_WAIT_SECONDS}s:\n{celery_processes.logs()}")
    assert SentReminder.objects.filter(day=DAY).count() == 4
    assert Notification.objects.count() == 4
    messages = celery_processes.mail()
    assert len(messages) == 4, messages
    assert sum("alex@trust.example" in message for message in messages) == 1
    assert "succeeded" in celery_processes.logs()
