"""Backups: real data written through the services into a real database, backed up with
`pqa_backup`, restored with `pqa_restore` into an EMPTY database, and every table compared
row for row in count (historical tables included), plus the values that matter.

SQLite always (file databases this test creates). PostgreSQL when a server is available:
PQA_SERVICES_PG_URL, which `make test` (scripts/run-tests.sh) exports once it has started a
throwaway PostgreSQL, or a PostgreSQL DATABASE_URL; two fresh databases are created on it
and dropped afterwards. Under CI=true a missing PostgreSQL is a failure, not a skip.
Each database is driven by `manage.py` in a subprocess, exactly as an operator would.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from pqa.management.commands.pqa_backup import pg_tool

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

LOAD = """
import datetime as dt
from evaluations import services as ev
from evaluations.models import CycleType, Grade, Pillar, Recommendation, Respondent
from pqa.models import Role, ServiceArea, Team, User
from pqa.services import edit_conflict_keep

def person(username, role, **extra):
    return User.objects.create_user(
        username, f"{username}@trust.example", "correct-horse-battery-staple", role=role,
        first_name=username.title(), last_name="Tester", **extra)

area = ServiceArea.objects.create(name="Children in Care")
team = Team.objects.create(service_area=area, name="CiC Team 1")
hub = person("hub", Role.PRACTICE_HUB)
manager = person("manager", Role.TEAM_MANAGER, team=team)
evaluator = person("evaluator", Role.EVALUATOR)
moderator = person("moderator", Role.MODERATOR)
cycle = ev.cycle_open(quarter="2025-26-Q1", type=CycleType.TRUST_WIDE, actor=hub)
first, second, third = ev.evaluations_allocate(cycle=cycle, actor=hub, requests=[
    ev.AllocationRequest(child_ref=f"CHILD{n:06d}", practitioner=f"SW-{n}", team=team, evaluator=evaluator,
                         due_date=dt.date(2025, 6, 30))
    for n in (1, 2, 3)])
saved = ev.evaluation_save_draft(
    evaluation=first, actor=evaluator, expected_version=1,
    fields={"evaluation_date": dt.date(2025, 5, 1), "overall_grade": Grade.REQUIRES_IMPROVEMENT,
            "intervention_appropriate": "yes", "positive_difference": "partly", "record_reflects_work": "no",
            "strengths": "Warm, consistent relationship with the child.", "safeguarding_concern": True,
            "safeguarding_description": "Unexplained bruising seen on a home visit."},
    pillars={p: {"tell_me": f"Told about {p}", "show_me": f"Shown {p}", "grade": Grade.REQUIRES_IMPROVEMENT}
             for p in Pillar.values},
    feedback={Respondent.CHILD: {"spoken_to": True, "understood_why": "yes", "quote": "She listens to me."}},
    recommendations=[
        {"action": "Update the chronology", "owner": manager, "due_date": dt.date(2025, 7, 1)},
        {"action": "Visit within 10 days", "owner": evaluator, "due_date": dt.date(2025, 6, 1)}])
ev.evaluation_submit(evaluation=saved, actor=evaluator, expected_version=saved.version)
ev.moderation_record(evaluation=first, moderated_grade=Grade.GOOD, moderator=moderator, rationale="Strong work.")
ev.recommendation_set_status(recommendation=first.recommendations.order_by("pk").first(),
                             status=Recommendation.Status.DONE, actor=manager, expected_version=1,
                             note="Chronology updated.", completed_on=dt.date(2025, 6, 20))
ev.evaluation_save_draft(evaluation=second, actor=evaluator, expected_version=1, fields={"strengths": "Drafting"})
try:
    ev.evaluation_save_draft(evaluation=second, actor=evaluator, expected_version=1, editor_token="tab-b",
                             fields={"strengths": "From another tab"})
except ev.ConcurrentEditError as error:
    edit_conflict_keep(user=evaluator, instance=second, based_on_version=1,
                       data={"strengths": ["From another tab"]}, winning_version=error.current_version)
"""

SNAPSHOT = """
import json
from django.apps import apps
from django.db import connection
from evaluations.models import Evaluation, Recommendation
from pqa.models import EditConflict, Notification, User

with connection.cursor() as cursor:
    tables = sorted(connection.introspection.table_names(cursor))
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
first = Evaluation.objects.get(child_ref="CHILD000001")
values = {
    "evaluation": [first.reference, first.status, first.overall_grade, first.strengths,
                   str(first.evaluation_date), str(first.submitted_at), str(first.safeguarding_reported_at)],
    "pillars": sorted(first.pillar_grades.values_list("pillar", "grade", "tell_me", "show_me")),
    "feedback": list(first.feedback_gathered.values_list("respondent", "spoken_to", "quote")),
    "moderation": [first.moderation.moderated_grade, first.moderation.outcome, first.moderation.moderator.username,
                   first.moderation.rationale],
    "recommendations": list(Recommendation.objects.order_by("pk").values_list(
        "evaluation__reference", "action", "owner", "due_date", "status", "version", "completed_at")),
    "history": list(first.history.order_by("history_id").values_list(
        "history_type", "history_user__username", "status", "version", "history_date")),
    "users": sorted(User.objects.values_list("username", "email", "role", "team__name", "password")),
    "notifications": sorted(Notification.objects.values_list("kind", "recipients", "subject", "sent_at")),
    "conflicts": list(EditConflict.objects.values_list(
        "user__username", "based_on_version", "winning_version", "data", "refused_at", "resolved_at")),
}
models = sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)})
print("SNAPSHOT:" + json.dumps({"counts": counts, "models": models, "values": values}, default=str))
"""

# Every model whose rows must be in the backup, and must not be vacuously empty.
MUST_HAVE_ROWS = [
    "pqa_user",
    "pqa_historicaluser",
    "pqa_team",
    "pqa_servicearea",
    "pqa_notification",
    "pqa_editconflict",
    "evaluations_cycle",
    "evaluations_historicalcycle",
    "evaluations_evaluation",
    "evaluations_historicalevaluation",
    "evaluations_pillargrade",
    "evaluations_historicalpillargrade",
    "evaluations_evaluationfeedback",
    "evaluations_historicalevaluationfeedback",
    "evaluations_moderation",
    "evaluations_historicalmoderation",
    "evaluations_recommendation",
    "evaluations_historicalrecommendation",
    "django_migrations",
    "django_content_type",
    "auth_permission",
]


def manage(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("REDIS_URL", None)  # tasks run in-process: the data load needs no broker
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def snapshot(database_url: str) -> dict:
    output = manage(database_url, "shell", "-c", SNAPSHOT).stdout
    line = next(line for line in output.splitlines() if line.startswith("SNAPSHOT:"))
    return json.loads(line.removeprefix("SNAPSHOT:"))


def prove_backup_and_restore(live_url: str, empty_url: str, tmp_path: Path, engine: str, while_writing=None) -> None:
    manage(live_url, "migrate", "--noinput")
    manage(live_url, "shell", "-c", LOAD)
    before = snapshot(live_url)
    for table in MUST_HAVE_ROWS:
        assert before["counts"].get(table, 0) > 0, f"no rows in {table}: the test data would prove nothing"
    missing = sorted(set(before["models"]) - set(before["counts"]))
    assert not missing, f"models without a table: {missing}"
    assert before["values"]["moderation"][:2] == ["good", "upgraded"]

    with while_writing() if while_writing else _nothing():
        made = manage(live_url, "pqa_backup", "--output-dir", str(tmp_path / "backups"))
    backup = Path(made.stdout.strip().splitlines()[-1])
    assert backup.parent == tmp_path / "backups"
    assert backup.name.startswith(f"pqa-{engine}-")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not list(backup.parent.glob(".*partial"))

    manage(empty_url, "pqa_restore", str(backup))
    after = snapshot(empty_url)
    assert after["counts"] == before["counts"]
    assert after["values"] == before["values"]

    # A restore over a database with tables is refused, unless forced; forced, it replaces them.
    manage(empty_url, "shell", "-c", "from pqa.models import ServiceArea; ServiceArea.objects.create(name='Added')")
    refused = manage(empty_url, "pqa_restore", str(backup), check=False)
    assert refused.returncode != 0
    assert "already has" in refused.stderr and "--force" in refused.stderr
    assert snapshot(empty_url)["counts"]["pqa_servicearea"] == before["counts"]["pqa_servicearea"] + 1
    manage(empty_url, "pqa_restore", str(backup), "--force")
    assert snapshot(empty_url) == after


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_sqlite_backup_restores_every_record_into_an_empty_database(tmp_path):
    live = tmp_path / "live.sqlite3"
    restored = tmp_path / "restored.sqlite3"

    class uncommitted_write:
        """The site writing during the backup: the backup is consistent and leaves it out."""

        def __enter__(self):
            self.connection = sqlite3.connect(live, isolation_level=None)
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.execute("INSERT INTO pqa_servicearea (name) VALUES ('Not committed yet')")
            return self

        def __exit__(self, *exc):
            self.connection.execute("ROLLBACK")
            self.connection.close()
            return False

    prove_backup_and_restore(
        f"sqlite:///{live}", f"sqlite:///{restored}", tmp_path, "sqlite", while_writing=uncommitted_write
    )


def test_restore_refuses_a_backup_of_the_other_kind_of_database(tmp_path):
    not_a_backup = tmp_path / "pqa-postgresql-20250101T000000Z.dump"
    not_a_backup.write_bytes(b"PGDMP fake")
    result = manage(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "pqa_restore", str(not_a_backup), check=False)
    assert result.returncode != 0
    assert "is not a sqlite backup" in result.stderr
    assert not (tmp_path / "empty.sqlite3").exists()


def _postgres_server() -> str | None:
    url = os.environ.get("PQA_SERVICES_PG_URL", "")
    if not url and os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        url = os.environ["DATABASE_URL"]
    return url or None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _psql(url: str, sql: str) -> None:
    subprocess.run(  # noqa: S603 - fixed arguments
        [pg_tool("psql"), "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q", "-d", url, "-c", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.services
def test_a_postgresql_backup_restores_every_record_into_an_empty_database(tmp_path):
    server = _postgres_server()
    if server is None:
        message = "no PostgreSQL: PQA_SERVICES_PG_URL is not set (run `make test`, or `make services-up`)"
        if IN_CI:
            pytest.fail(f"{message}; under CI=true the PostgreSQL backup test must run")
        pytest.skip(message)
    suffix = uuid.uuid4().hex[:10]
    live, restored = f"pqa_backup_live_{suffix}", f"pqa_backup_restored_{suffix}"
    for name in (live, restored):
        _psql(server, f'CREATE DATABASE "{name}"')
    try:
        prove_backup_and_restore(_with_database(server, live), _with_database(server, restored), tmp_path, "postgresql")
    finally:
        for name in (live, restored):
            _psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
