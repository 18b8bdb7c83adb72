"""Human grades: a reviewer's 1..5 score and comment on a result, one per reviewer (a second
grade by the same reviewer replaces the first)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workspaces import access
from workspaces.principal import Principal
from workspaces.roles import Action

from ..models import EvaluationResult, HumanGrade


@transaction.atomic
def human_grade_set(
    *, principal: Principal, result: EvaluationResult, score: int, comment: str = ""
) -> HumanGrade:
    access.require(principal, Action.GIVE_FEEDBACK)
    if principal.user is None:
        raise ValidationError("Grades are given by people.")
    if result.status == EvaluationResult.Status.PENDING:
        raise ValidationError("This item has not been scored yet.")
    if not 1 <= score <= 5:
        raise ValidationError({"score": "A score from 1 to 5."})
    grade, created = HumanGrade.objects.select_for_update().get_or_create(
        result=result,
        grader=principal.user,
        defaults={"score": score, "comment": comment.strip()},
    )
    if not created:
        grade.score = score
        grade.comment = comment.strip()
        grade.updated_at = timezone.now()
        grade.full_clean()
        grade.save(update_fields=["score", "comment", "updated_at"])
    return grade
