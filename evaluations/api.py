"""The evaluations API at /api/v1/evaluations (django-ninja; mounted in config/api.py): start a
run and read its summary. The CI gate (`promptops eval`) is a client of these two calls.
request.auth is the API key's Principal; errors use the project's error shape."""

import functools

from django.core.exceptions import ValidationError
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from workspaces import access
from workspaces.api_errors import error_response
from workspaces.principal import Principal
from workspaces.roles import Action

from .models import Dataset, EvaluationRun, Evaluator
from .selectors import evaluator_summaries, run_for
from .services import runs as service

router = Router(tags=["evaluations"])


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def principal_of(request) -> Principal:
    return request.auth


def api_errors(view):
    """A service's ValidationError is a 400 naming its field (Http404 and PermissionDenied are
    the NinjaAPI's handlers' in config/api.py)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ValidationError as error:
            field = None
            if hasattr(error, "error_dict"):
                field = next(iter(error.error_dict), None)
            return error_response(400, "invalid_request", " ".join(error.messages), field)

    return wrapper


class RunStartIn(Schema):
    prompt: str = Field(max_length=255)
    label: str | None = Field(None, max_length=36, description="Default: production")
    version: int | None = Field(None, ge=1, le=2_147_483_647)
    model: str = Field("", max_length=200, description="Model or alias; empty: the prompt's")
    dataset: str = Field(max_length=200, description="The dataset's name")
    evaluators: list[str] = Field(
        default_factory=list, max_length=20, description="Evaluator names; empty: all of them"
    )
    concurrency: int = Field(4, ge=1, le=service.MAX_CONCURRENCY)
    min_score: float | None = Field(None, ge=0, le=1, description="The gate's threshold")


class EvaluatorSummaryOut(Schema):
    name: str
    mean: float | None
    pass_rate: float | None
    errors: int


class RunOut(Schema):
    id: int
    status: str
    prompt: str
    version: int
    label: str
    model: str
    dataset: str
    total: int
    done: int
    failed: int
    remaining: int
    mean_score: float | None
    pass_rate: float | None
    min_score: float | None
    passed: bool | None = Field(description="Against min_score, once completed")
    cost_usd: str
    latency_ms_total: int
    evaluators: list[EvaluatorSummaryOut]
    url: str


def run_out(request, run: EvaluationRun) -> dict:
    evaluators = list(run.evaluators.all())
    summaries = evaluator_summaries(run, evaluators) if not run.is_active else []
    path = reverse("evaluations:run", args=[run.workspace.slug, run.pk])
    return {
        "id": run.pk,
        "status": run.status,
        "prompt": run.prompt_name,
        "version": run.prompt_version,
        "label": run.prompt_label,
        "model": run.model,
        "dataset": run.dataset.name,
        "total": run.total_items,
        "done": run.done_count,
        "failed": run.failed_count,
        "remaining": run.remaining,
        "mean_score": run.mean_score,
        "pass_rate": run.pass_rate,
        "min_score": run.min_score,
        "passed": run.gate_passed,
        "cost_usd": str(run.cost_total),
        "latency_ms_total": run.latency_total_ms,
        "evaluators": [
            {"name": s.name, "mean": s.mean, "pass_rate": s.pass_rate, "errors": s.errors}
            for s in summaries
        ],
        "url": request.build_absolute_uri(path),
    }


@router.post("/runs", response={201: RunOut, **ERRORS}, summary="Start an evaluation run")
@api_errors
def run_start(request, payload: RunStartIn):
    """Runs `prompt` at `version` (or the version `label` points at now) on `dataset`, scored by
    `evaluators`; poll GET /evaluations/runs/{id} until `status` is completed."""
    principal = principal_of(request)
    access.require(principal, Action.EDIT)
    dataset = access.object_for(principal, Dataset.objects.all(), name=payload.dataset)
    evaluators = Evaluator.objects.filter(workspace=principal.workspace)
    if payload.evaluators:
        evaluators = evaluators.filter(name__in=payload.evaluators)
        missing = set(payload.evaluators) - {e.name for e in evaluators}
        if missing:
            raise ValidationError({"evaluators": f"No evaluator named {sorted(missing)[0]!r}."})
    run = service.evaluation_run_start(
        principal=principal,
        prompt_name=payload.prompt,
        label=payload.label if payload.version is None else None,
        version=payload.version,
        model=payload.model,
        dataset=dataset,
        evaluators=list(evaluators),
        concurrency=payload.concurrency,
        min_score=payload.min_score,
    )
    run.workspace = principal.workspace
    return Status(201, run_out(request, run))


@router.get("/runs/{run_id}", response={200: RunOut, **ERRORS}, summary="An evaluation run")
@api_errors
def run_detail(request, run_id: int):
    principal = principal_of(request)
    run = run_for(principal, run_id)
    run.workspace = principal.workspace
    return Status(200, run_out(request, run))


@router.get(
    "/runs", response={200: list[RunOut], **ERRORS}, summary="Latest completed runs (baselines)"
)
@api_errors
def run_list(
    request,
    prompt: str | None = None,
    dataset: str | None = None,
    version: int | None = None,
    limit: int = 5,
):
    """The latest completed runs (of `prompt`, at `version`, on `dataset`), newest first: the
    CI gate's baseline lookup."""
    principal = principal_of(request)
    runs = EvaluationRun.objects.filter(
        workspace=principal.workspace, status=EvaluationRun.Status.COMPLETED
    ).select_related("dataset")
    if prompt is not None:
        runs = runs.filter(prompt_name=prompt)
    if dataset is not None:
        runs = runs.filter(dataset__name=dataset)
    if version is not None:
        runs = runs.filter(prompt_version=version)
    found = []
    for run in runs[: max(1, min(limit, 20))]:
        run.workspace = principal.workspace
        found.append(run_out(request, run))
    return Status(200, found)
