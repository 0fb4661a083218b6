"""Celery tasks of feedback: thin wrappers around services."""

from celery import shared_task

from feedback.complaints.notifications import complaints_digest_send


@shared_task(name="feedback.tasks.complaints_digest")
def complaints_digest() -> str:
    return complaints_digest_send()
