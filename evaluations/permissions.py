"""Who may do what with evaluations: one place, used by views, selectors, services and the
menu. List-level scoping is in selectors.evaluations_visible_to, built on these rules."""

from evaluations.models import Evaluation
from pqa.models import Role
from pqa.permissions import has_role, is_team_manager, role_of

READ_ALL_ROLES = frozenset({Role.MODERATOR, Role.PRACTICE_HUB, Role.LEADER, Role.ADMINISTRATOR})
ALLOCATE_ROLES = frozenset({Role.PRACTICE_HUB, Role.ADMINISTRATOR})

__all__ = [
    "ALLOCATE_ROLES",
    "READ_ALL_ROLES",
    "can_acknowledge_safeguarding_concern",
    "MODERATE_ROLES",
    "can_be_moderated",
    "can_change_confirmed_moderation",
    "can_moderate",
    "can_see_moderation_consistency",
    "can_edit_evaluation",
    "can_manage_cycles",
    "can_read_all_evaluations",
    "can_read_evaluation",
    "can_see_all_safeguarding_concerns",
    "can_see_register",
    "can_see_team_safeguarding_concerns",
    "can_update_recommendation",
    "grades_hidden_from",
    "is_team_manager",
]


def can_read_all_evaluations(user) -> bool:
    return has_role(user, READ_ALL_ROLES)


def can_manage_cycles(user) -> bool:
    """Open and close cycles, allocate, reassign and import: the Practice Hub's work."""
    return has_role(user, ALLOCATE_ROLES)


def can_read_evaluation(user, evaluation: Evaluation) -> bool:
    if can_read_all_evaluations(user) or evaluation.evaluator_id == user.pk:
        return True
    return (
        is_team_manager(user)
        and user.team_id is not None
        and evaluation.team_id == user.team_id
        and evaluation.status == Evaluation.Status.RETURNED
    )


def can_edit_evaluation(user, evaluation: Evaluation) -> bool:
    """Only the allocated evaluator, and only until it is submitted."""
    return evaluation.evaluator_id == user.pk and evaluation.is_editable and user.is_active


# --- Safeguarding concerns: those who must act on them --------------------------------------


def can_see_all_safeguarding_concerns(user) -> bool:
    """The Practice Hub holds the central record, so it sees every concern."""
    return role_of(user) == Role.PRACTICE_HUB


def can_see_team_safeguarding_concerns(user) -> bool:
    """A team manager sees their own team's concerns (a manager with no team, none)."""
    return is_team_manager(user) and user.team_id is not None


def can_acknowledge_safeguarding_concern(user, evaluation: Evaluation) -> bool:
    """A team manager of the evaluation's team, or the Practice Hub; never the evaluator who
    raised it (someone else must have seen it)."""
    if evaluation.evaluator_id == user.pk:
        return False
    if can_see_all_safeguarding_concerns(user):
        return True
    return can_see_team_safeguarding_concerns(user) and evaluation.team_id == user.team_id


# --- Moderation -----------------------------------------------------------------------------

MODERATE_ROLES = frozenset({Role.MODERATOR, Role.PRACTICE_HUB})


def can_moderate(user) -> bool:
    """Moderators and the Practice Hub moderate (a queue of their own)."""
    return has_role(user, MODERATE_ROLES)


def can_be_moderated(evaluation: Evaluation, user=None) -> bool:
    """Moderation re-examines the grade an evaluator returned: only a returned evaluation has
    one. With a user: may this person moderate it? A moderator or the Practice Hub, and never
    the evaluator who graded it. The services, the admin, the import and the pages all ask this."""
    if evaluation.status != Evaluation.Status.RETURNED:
        return False
    if user is None:
        return True
    return can_moderate(user) and evaluation.evaluator_id != user.pk


def can_change_confirmed_moderation(user) -> bool:
    """A confirmed moderation is the grade of record: only the Practice Hub changes it (with a
    reason, as a new round). It also draws the sample and holds the panels."""
    return can_manage_cycles(user)


def can_see_moderation_consistency(user) -> bool:
    """Leaders, the Practice Hub, moderators and administrators see the consistency figures."""
    return can_read_all_evaluations(user)


def grades_hidden_from(user, evaluation: Evaluation) -> bool:
    """Blind first: a moderator does not see the grades of an evaluation waiting in the sample
    (any moderator may pick it up) until it has been graded blind. The Practice Hub, which draws
    the sample, and the evaluator themselves still see them. `evaluation.moderation` should be
    selected with the evaluation (selectors do)."""
    if role_of(user) != Role.MODERATOR or evaluation.evaluator_id == user.pk:
        return False
    moderation = getattr(evaluation, "moderation", None)
    return moderation is not None and moderation.state == moderation.State.SAMPLED


# --- The recommendations register ------------------------------------------------------------

REGISTER_ROLES = frozenset({Role.PRACTICE_HUB, Role.LEADER, Role.MODERATOR, Role.ADMINISTRATOR})


def can_see_register(user) -> bool:
    """The whole register: the Practice Hub holds it, leaders and moderators read it; a team
    manager sees their team's part of it (selectors.recommendations_visible_to)."""
    return has_role(user, REGISTER_ROLES) or (is_team_manager(user) and user.team_id is not None)


def can_update_recommendation(user, recommendation) -> bool:
    """Its owner and their managers move a recommendation along: the owner, a team manager of
    the evaluation's team or of the owner's team, the Practice Hub or an administrator."""
    if not getattr(user, "is_active", False):
        return False
    if recommendation.owner_id is not None and recommendation.owner_id == user.pk:
        return True
    if has_role(user, ALLOCATE_ROLES):
        return True
    if not (is_team_manager(user) and user.team_id):
        return False
    owner_team = recommendation.owner.team_id if recommendation.owner_id else None
    return user.team_id in (recommendation.evaluation.team_id, owner_team)
