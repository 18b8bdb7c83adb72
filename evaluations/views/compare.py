"""Compare two or more runs on one dataset: aggregate deltas and the items that differ,
regressions first."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action

from ..models import EvaluationRun
from ..selectors import compare_runs

PAGE = "evaluations/compare.html"
MAX_RUNS = 5


@login_required
@require_GET
def run_compare(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.READ)
    ids = [int(v) for v in request.GET.getlist("runs") if v.isdigit() and len(v) < 10][:MAX_RUNS]
    found = {
        run.pk: run
        for run in EvaluationRun.objects.filter(workspace=workspace, pk__in=ids).select_related(
            "dataset"
        )
    }
    runs = [found[i] for i in dict.fromkeys(ids) if i in found]
    problem = ""
    aggregates, rows = [], []
    if len(runs) < 2:
        problem = "Pick two or more runs to compare."
    elif len({run.dataset_id for run in runs}) > 1:
        problem = "Runs can be compared only on the same dataset."
    else:
        aggregates, rows = compare_runs(runs)
    choices = EvaluationRun.objects.filter(workspace=workspace).select_related("dataset")[:100]
    context = {
        "nav_section": "runs",
        "runs": runs,
        "choices": list(choices),
        "selected": set(ids),
        "problem": problem,
        "aggregates": aggregates,
        "rows": rows,
    }
    return render(request, PAGE, context, status=400 if problem and ids else 200)
