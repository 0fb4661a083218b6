"""Who may do what, by role. One place, used by views and selectors of every app."""

from pqa.models import Role

READ_ALL_ROLES = frozenset({Role.MODERATOR, Role.PRACTICE_HUB, Role.LEADER, Role.ADMINISTRATOR})
REPORT_ROLES = frozenset({Role.MODERATOR, Role.PRACTICE_HUB, Role.LEADER, Role.ADMINISTRATOR})
ALLOCATE_ROLES = frozenset({Role.PRACTICE_HUB, Role.ADMINISTRATOR})


def _role(user) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return Role.ADMINISTRATOR if user.is_superuser else user.role


def can_read_all_evaluations(user) -> bool:
    return _role(user) in READ_ALL_ROLES


def can_manage_cycles(user) -> bool:
    """Open and close cycles, allocate, reassign and import: the Practice Hub's work."""
    return _role(user) in ALLOCATE_ROLES


def can_see_reports(user) -> bool:
    return _role(user) in REPORT_ROLES


def is_team_manager(user) -> bool:
    return _role(user) == Role.TEAM_MANAGER


TWO_FACTOR_ROLES = frozenset({Role.ADMINISTRATOR, Role.PRACTICE_HUB, Role.MODERATOR})


def role_requires_two_factor(user) -> bool:
    """Administrators (by role, superuser or staff: anyone who can open the Django admin), the
    Practice Hub and moderators must use a second factor. Others may choose to."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.is_staff or user.role in TWO_FACTOR_ROLES
