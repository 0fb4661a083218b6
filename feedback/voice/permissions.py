"""Who may see and record compliments, responses and advocacy referrals: one rule each."""

from pqa.models import Role
from pqa.permissions import has_role, role_of

# Customer relations and the Practice Hub see everything and record; team managers see their
# own team's; leaders read the figures only (pqa.reporting), never a list with comments.
RECORD_ROLES = frozenset({Role.CUSTOMER_RELATIONS, Role.PRACTICE_HUB, Role.ADMINISTRATOR})
LIST_ROLES = RECORD_ROLES | {Role.TEAM_MANAGER}


def can_record_voice(user) -> bool:
    return has_role(user, RECORD_ROLES)


def can_list_voice(user) -> bool:
    """Team managers only with a team: without one they have nothing to see."""
    if role_of(user) == Role.TEAM_MANAGER:
        return user.team_id is not None
    return has_role(user, LIST_ROLES)
