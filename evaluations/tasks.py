"""Celery tasks of the evaluations app: thin wrappers around services."""

import datetime as dt

from celery import shared_task

from evaluations import services


@shared_task(name="evaluations.tasks.send_recommendation_reminders")
def send_recommendation_reminders(today: str | None = None) -> str:
    """The daily reminders, as `pqa_reminders` sends them; `today` as YYYY-MM-DD (default today)."""
    return str(services.reminders_send(today=dt.date.fromisoformat(today) if today else None))
