""" "Gate production on evaluation": a workspace setting (EvaluationSettings.gate_production)
that refuses moving `production` to a version without a passing evaluation run.

Registered with the registry's label-move extension point (promptregistry/release_checks.py)
from EvaluationsConfig.ready(): the registry never imports this app. A passing run is a
completed run of that prompt version (on the gate's dataset, when one is set) whose mean score
is at least the gate's minimum.
"""

from django.core.exceptions import ValidationError

from .models import EvaluationRun, EvaluationSettings

GATED_LABEL = "production"


def passing_run(prompt, version_number: int, settings: EvaluationSettings):
    runs = EvaluationRun.objects.filter(
        workspace_id=settings.workspace_id,
        prompt=prompt,
        prompt_version=version_number,
        status=EvaluationRun.Status.COMPLETED,
        done_count__gt=0,
    )
    if settings.gate_dataset_id:
        runs = runs.filter(dataset_id=settings.gate_dataset_id)
    for run in runs.order_by("-created_at")[:20]:
        if (run.mean_score or 0) >= settings.gate_min_score:
            return run
    return None


def production_needs_passing_run(principal, prompt, name: str, version) -> None:
    if name != GATED_LABEL:
        return
    settings = EvaluationSettings.objects.filter(workspace_id=prompt.workspace_id).first()
    if settings is None or not settings.gate_production:
        return
    if passing_run(prompt, version.number, settings) is None:
        where = f" on “{settings.gate_dataset.name}”" if settings.gate_dataset_id else ""
        raise ValidationError(
            {
                "version": f"This workspace gates production on evaluation: version "
                f"{version.number} needs a completed run{where} with a mean score of at least "
                f"{settings.gate_min_score:g}. Run one first (Runs, or promptops eval)."
            }
        )
