"""Celery tasks of the core: thin wrappers around services."""

import dataclasses

from celery import shared_task

from pqa import services


@shared_task(name="pqa.tasks.deliver_notification")
def deliver_notification(notification_id: int) -> bool:
    return services.notification_deliver(notification_id=notification_id)


@shared_task(name="pqa.tasks.deliver_pending_notifications")
def deliver_pending_notifications() -> int:
    return services.notifications_deliver_pending()


@shared_task(name="pqa.tasks.housekeeping")
def housekeeping() -> dict:
    return dataclasses.asdict(services.housekeeping_run())


@shared_task(name="pqa.tasks.run_import_job")
def run_import_job(job_id: int) -> str | None:
    from pqa import jobs

    job = jobs.import_job_run(job_id=job_id)
    return job.state if job else None


@shared_task(name="pqa.tasks.sweep_jobs")
def sweep_jobs() -> int:
    """Every kind of background job's safety net (pqa.jobs): imports, reports..."""
    from pqa import jobs

    return jobs.jobs_sweep()


@shared_task(name="pqa.tasks.sweep_import_jobs")
def sweep_import_jobs() -> int:
    """The sweep's former name, kept for a beat schedule saved in the database before it
    swept every kind: it sweeps every kind too (running twice is harmless: a job is claimed once)."""
    from pqa import jobs

    return jobs.jobs_sweep()
