"""Celery tasks of the reporting side: thin wrappers around its services."""

from celery import shared_task


@shared_task(name="pqa.reporting.tasks.generate_report")
def generate_report(report_id: int) -> str | None:
    from pqa.reporting import services

    report = services.report_generate_run(report_id)
    return report.state if report else None
