"""Who may read the reports: one rule, used by the reporting views and its menu entries."""

from pqa.models import Role
from pqa.permissions import has_role

REPORT_ROLES = frozenset({Role.MODERATOR, Role.PRACTICE_HUB, Role.LEADER, Role.ADMINISTRATOR})


def can_see_reports(user) -> bool:
    return has_role(user, REPORT_ROLES)
