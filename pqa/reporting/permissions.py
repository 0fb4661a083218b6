"""Who may read the reports: one rule, used by the reporting views and its menu entries."""

from pqa.models import Role
from pqa.permissions import has_role, is_team_manager

REPORT_ROLES = frozenset({Role.MODERATOR, Role.PRACTICE_HUB, Role.LEADER, Role.ADMINISTRATOR})
# Team managers too, held to their service area (forced_service_area).
DASHBOARD_ROLES = REPORT_ROLES | {Role.TEAM_MANAGER}


def can_see_reports(user) -> bool:
    return has_role(user, REPORT_ROLES)


def can_see_dashboard(user) -> bool:
    """The leaders' dashboard: whoever reads the reports, and team managers (for their service)."""
    return can_see_reports(user) or (is_team_manager(user) and user.team_id is not None)


def forced_service_area(user) -> str | None:
    """The service area a person's dashboard is held to: a team manager sees their team's
    service area only; everyone else chooses."""
    if can_see_reports(user) or not is_team_manager(user) or user.team is None:
        return None
    return user.team.service_area.name


# The quarterly report: the Practice Hub writes its narrative and generates it (administrators
# too, as for every Practice Hub page); everyone who reads the reports reads it (leaders take
# it to the Board).
REPORT_WRITE_ROLES = frozenset({Role.PRACTICE_HUB, Role.ADMINISTRATOR})


def can_write_reports(user) -> bool:
    return has_role(user, REPORT_WRITE_ROLES)
