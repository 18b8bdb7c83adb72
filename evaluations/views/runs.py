"""Evaluation runs: start, watch (a progress region htmx polls while the run is active),
results with per-evaluator aggregates and a failure filter, cancel, export."""

import csv
import json
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gateway.logs.export import safe_cell
from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error

from ..forms import GateForm, RunForm
from ..models import EvaluationResult, EvaluationRun, EvaluationSettings
from ..selectors import PAGE_SIZE, evaluator_summaries, keyset_page, run_for
from ..services import evaluators as settings_service
from ..services import runs as service
from .helpers import cursor, is_htmx

LIST = "evaluations/runs.html"
DETAIL = "evaluations/run_detail.html"
EXPORT_CHUNK = 1000


@login_required
@require_http_methods(["GET", "POST"])
def run_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(
        request, slug, need=Action.READ if request.method == "GET" else Action.EDIT
    )
    initial = {"dataset": request.GET.get("dataset")} if request.GET.get("dataset") else None
    form = RunForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        label, version = form.label_and_version()
        try:
            run = service.evaluation_run_start(
                principal=request.principal,
                prompt_name=form.cleaned_data["prompt"],
                label=label,
                version=version,
                model=form.cleaned_data["model"],
                dataset=form.cleaned_data["dataset"],
                evaluators=form.cleaned_data["evaluators"],
                concurrency=form.cleaned_data["concurrency"],
            )
        except (ValidationError, Http404) as error:
            if isinstance(error, Http404):
                error = ValidationError({"prompt": "No such prompt."})
            apply_validation_error(form, error)
        else:
            return redirect("evaluations:run", slug, run.pk)
    rows = EvaluationRun.objects.filter(workspace=workspace).select_related("dataset")[:100]
    context = {
        "nav_section": "runs",
        "runs": list(rows),
        "form": form,
        "can_edit": request.principal.can(Action.EDIT),
        "gate_form": _gate_form(request) if request.principal.can(Action.MANAGE_SETTINGS) else None,
    }
    return render(request, LIST, context, status=422 if form.errors else 200)


def _results(request: WorkspaceRequest, run: EvaluationRun):
    results = EvaluationResult.objects.filter(run=run).select_related("item")
    failures = request.GET.get("show") == "failures"
    if failures:
        results = results.exclude(status=EvaluationResult.Status.PENDING).exclude(passed=True)
    return failures, keyset_page(
        results, after=cursor(request, "after"), before=cursor(request, "before")
    )


@login_required
@require_GET
def run_detail(request: WorkspaceRequest, slug: str, run_id: int) -> HttpResponse:
    access.workspace_for(request, slug)
    run = run_for(request.principal, run_id)
    part = request.GET.get("part")
    context = {"nav_section": "runs", "run": run, "can_edit": request.principal.can(Action.EDIT)}
    if is_htmx(request) and part == "progress":
        response = render(request, DETAIL + "#progress", context)
    else:
        failures, page = _results(request, run)
        context.update(failures=failures, page=page, page_size=PAGE_SIZE)
        if not is_htmx(request):
            evaluators = list(run.evaluators.all())
            context.update(
                summaries=evaluator_summaries(run, evaluators),
                evaluator_names=[e.name for e in evaluators],
            )
        template = DETAIL + "#results" if is_htmx(request) else DETAIL
        response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def run_cancel(request: WorkspaceRequest, slug: str, run_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    run = run_for(request.principal, run_id, need=Action.EDIT)
    try:
        service.evaluation_run_cancel(principal=request.principal, run=run)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, "Run cancelled: the results so far are kept.")
    return redirect("evaluations:run", slug, run.pk)


def _result_rows(run: EvaluationRun) -> Iterator[EvaluationResult]:
    after = 0
    while True:
        chunk = list(
            EvaluationResult.objects.filter(run=run, position__gt=after)
            .select_related("item")
            .order_by("position")[:EXPORT_CHUNK]
        )
        if not chunk:
            return
        yield from chunk
        after = chunk[-1].position


def _record(result: EvaluationResult) -> dict:
    return {
        "position": result.position,
        "inputs": result.item.inputs,
        "expected_output": result.item.expected_output,
        "output": result.output,
        "status": result.status,
        "score": result.score,
        "passed": result.passed,
        "error": result.error,
        "latency_ms": result.latency_ms,
        "cost": str(result.cost) if result.cost is not None else None,
        "scores": result.scores,
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(run: EvaluationRun) -> Iterator[str]:
    writer = csv.writer(_Echo())
    columns = [
        "position", "inputs", "expected_output", "output", "status", "score", "passed",
        "error", "latency_ms", "cost", "scores",
    ]  # fmt: skip
    yield "\ufeff"
    yield writer.writerow(columns)
    for result in _result_rows(run):
        record = _record(result)
        yield writer.writerow([safe_cell(record[c]) for c in columns])


def _jsonl(run: EvaluationRun) -> Iterator[str]:
    for result in _result_rows(run):
        yield json.dumps(_record(result), ensure_ascii=False) + "\n"


@login_required
@require_GET
def run_export(request: WorkspaceRequest, slug: str, run_id: int) -> HttpResponse:
    access.workspace_for(request, slug)
    run = run_for(request.principal, run_id)
    kind = "jsonl" if request.GET.get("format") == "jsonl" else "csv"
    response = StreamingHttpResponse(
        _jsonl(run) if kind == "jsonl" else _csv(run),
        content_type="application/x-ndjson" if kind == "jsonl" else "text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.{kind}"'
    return response


def _gate_form(request: WorkspaceRequest, data=None) -> GateForm:
    current = EvaluationSettings.objects.filter(workspace=request.workspace).first()
    initial = (
        {
            "gate_production": current.gate_production,
            "gate_dataset": current.gate_dataset_id,
            "gate_min_score": current.gate_min_score,
        }
        if current
        else None
    )
    return GateForm(data, workspace=request.workspace, initial=initial)


@login_required
@require_POST
def gate_settings(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_SETTINGS)
    form = _gate_form(request, request.POST)
    if form.is_valid():
        try:
            settings_service.evaluation_settings_update(
                principal=request.principal,
                gate_production=form.cleaned_data["gate_production"],
                gate_dataset=form.cleaned_data["gate_dataset"],
                gate_min_score=form.cleaned_data["gate_min_score"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Evaluation gate saved.")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("evaluations:runs", slug)
