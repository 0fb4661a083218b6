"""Housekeeping: expired sessions and old sign-in records are deleted; nothing live is."""

import datetime as dt
from io import StringIO

import pytest
from axes.models import AccessLog
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from pqa import services
from pqa.tasks import housekeeping

pytestmark = pytest.mark.django_db


def _session(expires_in: dt.timedelta) -> str:
    store = SessionStore()
    store["anything"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def _sign_in_record(days_ago: int) -> AccessLog:
    record = AccessLog.objects.create(username="someone", ip_address="10.0.0.1", user_agent="Firefox")
    AccessLog.objects.filter(pk=record.pk).update(attempt_time=timezone.now() - dt.timedelta(days=days_ago))
    return record


def test_expired_sessions_are_deleted_and_live_ones_kept(client_for, evaluator):
    client = client_for(evaluator)
    ended = _session(-dt.timedelta(minutes=1))
    live = _session(dt.timedelta(minutes=10))

    result = services.housekeeping_run()

    assert result.expired_sessions == 1
    assert not Session.objects.filter(session_key=ended).exists()
    assert Session.objects.filter(session_key=live).exists()
    # The person signed in is still signed in.
    assert client.get(reverse("evaluations:mine")).status_code == 200


def test_sign_in_records_are_kept_for_ninety_days_then_deleted():
    assert settings.PQA_SIGN_IN_LOG_DAYS == 90
    old = _sign_in_record(days_ago=91)
    recent = _sign_in_record(days_ago=89)

    result = services.housekeeping_run()

    assert result.sign_in_logs == 1
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AccessLog.objects.filter(pk=old.pk).exists()


def test_the_keeping_time_is_a_setting(settings):
    settings.PQA_SIGN_IN_LOG_DAYS = 7
    _sign_in_record(days_ago=8)
    kept = _sign_in_record(days_ago=6)
    assert services.housekeeping_run().sign_in_logs == 1
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [kept.pk]


def test_running_it_twice_deletes_nothing_more():
    _session(-dt.timedelta(days=1))
    _sign_in_record(days_ago=200)
    services.housekeeping_run()
    again = services.housekeeping_run()
    assert (again.expired_sessions, again.sign_in_logs, again.sign_in_failure_logs) == (0, 0, 0)


def test_beat_runs_it_every_night_through_the_task():
    entry = settings.CELERY_BEAT_SCHEDULE["housekeeping"]
    assert entry["task"] == "pqa.tasks.housekeeping" == housekeeping.name
    assert entry["schedule"].hour == {3}
    _sign_in_record(days_ago=365)
    assert housekeeping.delay().get() == {"expired_sessions": 0, "sign_in_logs": 1, "sign_in_failure_logs": 0}


def test_the_command_says_what_it_deleted():
    _session(-dt.timedelta(hours=2))
    _sign_in_record(days_ago=100)
    out = StringIO()
    call_command("pqa_housekeeping", stdout=out)
    assert out.getvalue().strip() == ("deleted 1 expired sessions, 1 sign-in records and 0 failed sign-in records")
