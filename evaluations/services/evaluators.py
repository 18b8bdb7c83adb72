"""Evaluators: configured once per workspace, reused by runs."""

from django.core.exceptions import ValidationError
from django.db import transaction

from workspaces import access, audit
from workspaces.principal import Principal
from workspaces.roles import Action

from .. import evaluators as scorers
from ..models import EvaluationSettings, Evaluator


@transaction.atomic
def evaluator_create(*, principal: Principal, name: str, kind: str, config: dict) -> Evaluator:
    access.require(principal, Action.EDIT)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the evaluator."})
    if Evaluator.objects.filter(workspace=principal.workspace, name=name).exists():
        raise ValidationError({"name": "An evaluator with this name exists."})
    try:
        scorers.validate_config(kind, config)
    except ValidationError as error:
        raise ValidationError({"config": error.messages}) from None
    evaluator = Evaluator(
        workspace=principal.workspace,
        name=name,
        kind=kind,
        config=config,
        created_by=principal.user,
    )
    evaluator.full_clean()
    evaluator.save()
    audit.record(principal=principal, action="evaluator.create", target=evaluator)
    return evaluator


@transaction.atomic
def evaluator_delete(*, principal: Principal, evaluator: Evaluator) -> None:
    """Past runs keep the scores (their results copy the evaluator's name)."""
    access.require(principal, Action.EDIT)
    audit.record(principal=principal, action="evaluator.delete", target=evaluator)
    evaluator.delete()


@transaction.atomic
def evaluation_settings_update(
    *, principal: Principal, gate_production: bool, gate_dataset, gate_min_score: float
) -> EvaluationSettings:
    """The workspace's "gate production on evaluation" setting (admins)."""
    access.require(principal, Action.MANAGE_SETTINGS)
    if gate_dataset is not None and gate_dataset.workspace_id != principal.workspace.pk:
        raise ValidationError({"gate_dataset": "No such dataset."})
    if not 0 <= gate_min_score <= 1:
        raise ValidationError({"gate_min_score": "Between 0 and 1."})
    settings, _ = EvaluationSettings.objects.select_for_update().get_or_create(
        workspace=principal.workspace
    )
    settings.gate_production = gate_production
    settings.gate_dataset = gate_dataset
    settings.gate_min_score = gate_min_score
    settings.full_clean()
    settings.save()
    audit.record(
        principal=principal,
        action="evaluation.settings",
        target_label="gate production on evaluation",
        data={"gate_production": gate_production, "min_score": gate_min_score},
    )
    return settings
