"""Configuration comes from the environment (docs/contracts/configuration.md)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings_value(name: str, **env: str) -> str:
    """Loads pqa.settings in a fresh interpreter with only the given variables set."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "EMAIL_", "REDIS_"))}
    clean.update({"DJANGO_DEBUG": "1", **env})
    code = f"import pqa.settings as s; print(repr(getattr(s, {name!r})))"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def test_email_url_configures_an_smtp_server_with_starttls():
    env = {"EMAIL_URL": "submission://pqa%40trust.example:s3cret@mail.trust.example:587"}
    assert settings_value("EMAIL_BACKEND", **env) == "'django.core.mail.backends.smtp.EmailBackend'"
    assert settings_value("EMAIL_HOST", **env) == "'mail.trust.example'"
    assert settings_value("EMAIL_HOST_USER", **env) == "'pqa@trust.example'"
    assert settings_value("EMAIL_USE_TLS", **env) == "True"


def test_without_email_url_notifications_go_to_the_console():
    assert settings_value("EMAIL_BACKEND") == "'django.core.mail.backends.console.EmailBackend'"


def test_without_redis_tasks_run_in_process():
    assert settings_value("CELERY_TASK_ALWAYS_EAGER") == "True"
