"""Feedback on a logged completion: a score from -1 to 1 (thumbs: -1 or 1) and a comment."""

import math

from django.core.exceptions import ValidationError
from django.db import transaction

from workspaces import access
from workspaces.principal import Principal
from workspaces.roles import Action

from ..models import Completion, Feedback


@transaction.atomic
def feedback_create(
    *, principal: Principal, completion: Completion, score: float, comment: str = ""
) -> Feedback:
    access.require(principal, Action.GIVE_FEEDBACK)
    if completion.workspace_id != principal.workspace.pk:
        raise ValidationError({"completion": "No such completion."})
    if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
        raise ValidationError({"score": "The score must be a number from -1 to 1."})
    feedback = Feedback(
        workspace=principal.workspace,
        completion=completion,
        score=float(score),
        comment=(comment or "").strip(),
        created_by=principal.user,
        api_key=principal.api_key,
    )
    try:
        feedback.full_clean()
    except ValidationError as error:
        if "score" in error.message_dict or not -1 <= score <= 1:
            raise ValidationError({"score": "The score must be a number from -1 to 1."}) from error
        raise
    feedback.save()
    return feedback
