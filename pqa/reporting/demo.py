"""The demo's quarterly report (`load_demo`, through pqa.registry.demo_loader): the last
finished quarter's report with a short narrative by the demo Practice Hub, ready for them to
generate with one button from `make run`. It is not generated here: rendering the PDF took
4 s on the demo data even before the report had its charts, too long to add to every
`load_demo`. Idempotent: a quarter that already has a report is left alone."""

from __future__ import annotations

from django.utils import timezone

from pqa.models import Role, User
from pqa.quarters import Quarter
from pqa.reporting import services
from pqa.reporting.models import QuarterlyReport

DEMO_NARRATIVE = {
    "strengths": "Most practice evaluated this quarter was good or better, and children's views were recorded "
    "in most of the records seen.",
    "areas_for_development": "Plans do not always say what will change for the child, or by when.",
    "actions": "Team managers check every plan's outcomes in supervision; the Practice Hub revisits a sample "
    "next quarter.",
    "children_and_families": "Families told us they were listened to and kept informed; some said they would "
    "like fewer changes of social worker.",
}


def report_demo_load(*, actor=None, today=None) -> str:
    """Generate the last finished quarter's report with the demo narrative, unless it has one."""
    quarter = Quarter.containing(today or timezone.localdate()).previous()
    if QuarterlyReport.objects.filter(quarter=str(quarter)).exists():
        return ""
    hub = User.objects.filter(role=Role.PRACTICE_HUB, username__startswith="demo-").order_by("username").first()
    author = hub or actor
    services.report_save_narrative(quarter=quarter, narrative=DEMO_NARRATIVE, expected_version=0, actor=author)
    return f"the narrative of the {quarter} report (generate it from Quarterly reports)"
