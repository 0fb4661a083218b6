"""Who someone is, by role, and the core's own rule (the second factor). Each app keeps its
own rules in its own permissions module (evaluations.permissions, pqa.reporting.permissions)
built on these helpers: the core names no app's rule."""

from pqa.models import Role


def role_of(user) -> str | None:
    """The role whose rules apply to this person: None for someone not signed in or no longer
    active; a superuser counts as an administrator whatever their role field says."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return Role.ADMINISTRATOR if user.is_superuser else user.role


def has_role(user, roles) -> bool:
    return role_of(user) in roles


def is_team_manager(user) -> bool:
    return role_of(user) == Role.TEAM_MANAGER


# Every role reads children's records (a team manager their team's evaluations and
# safeguarding concerns, a leader every evaluation): OWASP ASVS level 2 expects a second factor
# for such access, so every role must use one.
TWO_FACTOR_ROLES = frozenset(Role)


def role_requires_two_factor(user) -> bool:
    """Everyone signed in must use a second factor: every role (TWO_FACTOR_ROLES), and anyone
    who can open the Django admin (staff or superuser) whatever their role field says."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.is_staff or user.role in TWO_FACTOR_ROLES
