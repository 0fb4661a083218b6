from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """The triangulating read side: reads evaluations and feedback through their selectors."""

    name = "pqa.reporting"
    label = "reporting"
    verbose_name = "PQA reports"

    def ready(self):
        from pqa import registry
        from pqa.models import Role
        from pqa.reporting.permissions import DASHBOARD_ROLES, REPORT_ROLES, can_see_dashboard

        # A long menu folds these into one "Reports" item (pqa.registry).
        registry.menu(
            label="Grade distribution",
            url_name="reporting:distribution",
            roles=REPORT_ROLES,
            order=60,
            group="Reports",
        )
        # Leaders read; the dashboard (a quarter beside the quarters before it) is where their work starts.
        registry.home(role=Role.LEADER, url_name="reporting:dashboard")
        registry.menu(
            label="Dashboard",
            url_name="reporting:dashboard",
            roles=DASHBOARD_ROLES,
            order=59,
            group="Reports",
            permission=can_see_dashboard,
        )
        registry.json_endpoint("reporting:distribution_json")
        # The KPI scorecard: the performance side, read by the same people as the reports.
        registry.menu(
            label="KPI scorecard", url_name="reporting:scorecard", roles=REPORT_ROLES, order=65, group="Reports"
        )
        registry.json_endpoint("reporting:scorecard_json")
        # A quarter's feedback figures, with the practice evaluation's own feedback beside them.
        registry.menu(
            label="Feedback figures", url_name="reporting:feedback", roles=REPORT_ROLES, order=67, group="Reports"
        )
        registry.json_endpoint("reporting:feedback_json")
        # The dashboard's feedback panels (complaints, compliments, children and families, advocacy).
        from pqa.reporting import dashboard, feedback_panels

        if feedback_panels.dashboard_feedback_panels not in dashboard.FEEDBACK_PANELS:
            dashboard.FEEDBACK_PANELS.append(feedback_panels.dashboard_feedback_panels)
