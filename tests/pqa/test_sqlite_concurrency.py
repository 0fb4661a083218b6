"""`make run` on SQLite under concurrency: five evaluators submitting at the same moment all
succeed (WAL, a busy timeout and immediate transactions in pqa/settings.py). Without them the
same script had every submit fail with "database is locked"."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_is_set_up_for_a_web_server():
    from pqa.settings import sqlite_options

    assert sqlite_options() == {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        assert sqlite_options().items() <= database["OPTIONS"].items()


def test_five_simultaneous_submits_on_a_sqlite_file_all_succeed(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pqa.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    result = subprocess.run(  # noqa: S603 - our own script, with this interpreter
        [sys.executable, "-m", "tests.pqa.concurrent_submits"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["journal_mode"] == "wal"
    # Each submit is redirected to the returned evaluation's page.
    assert outcome["responses"] == [302] * 5, result.stderr[-3000:]
    assert outcome["statuses"] == ["completed"] * 5
