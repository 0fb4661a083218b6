"""Object-level rules for evaluations; list-level scoping is in selectors.evaluations_visible_to."""

from evaluations.models import Evaluation
from pqa.permissions import can_manage_cycles, can_read_all_evaluations, is_team_manager

__all__ = ["can_be_moderated", "can_edit_evaluation", "can_manage_cycles", "can_read_evaluation"]


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


def can_be_moderated(evaluation: Evaluation) -> bool:
    """Moderation re-examines the grade an evaluator returned: only a returned evaluation has
    one. The service, the admin and the import all ask this."""
    return evaluation.status == Evaluation.Status.RETURNED
