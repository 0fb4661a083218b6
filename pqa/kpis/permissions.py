"""Who may enter KPI values: the Practice Hub, who keep the performance data, and
administrators. Who may read them is the reports' rule (pqa.reporting.permissions)."""

from pqa.models import Role
from pqa.permissions import has_role

KPI_ENTRY_ROLES = frozenset({Role.PRACTICE_HUB, Role.ADMINISTRATOR})


def can_enter_kpi_values(user) -> bool:
    return has_role(user, KPI_ENTRY_ROLES)
