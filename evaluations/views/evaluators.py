"""Evaluators of the workspace: list, create, delete (reused across runs)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error

from ..forms import EvaluatorForm
from ..models import Evaluator
from ..selectors import evaluator_for
from ..services import evaluators as service

PAGE = "evaluations/evaluators.html"

EXAMPLES = {
    "exact_match": '{"case_sensitive": false}',
    "contains": '{"value": "refund"}  or  {"values": ["a", "b"]}  (empty: the expected output)',
    "not_contains": '{"values": ["as an AI"]}',
    "regex": '{"pattern": "^\\\\d{4}$", "full_match": true}',
    "json_valid": "{}",
    "json_schema": '{"schema": {"type": "object", "required": ["answer"]}}',
    "numeric": '{"tolerance": 0.5}  or  {"relative_tolerance": 0.05}',
    "similarity": '{"method": "levenshtein", "threshold": 0.8}',
    "length": '{"min": 10, "max": 400, "unit": "characters"}',
    "latency": '{"max_ms": 2000}',
    "cost": '{"max_usd": 0.01}',
    "llm_judge": (
        '{"model": "gpt-4o-mini", "rubric": "…", "threshold": 0.7}'
        '  or  {"prompt": "judges/helpful"}'
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
def evaluator_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(
        request, slug, need=Action.READ if request.method == "GET" else Action.EDIT
    )
    form = EvaluatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            evaluator = service.evaluator_create(
                principal=request.principal,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                config=form.cleaned_data["config"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Evaluator “{evaluator.name}” added.")
            return redirect("evaluations:evaluators", slug)
    context = {
        "nav_section": "evaluators",
        "evaluators": list(Evaluator.objects.filter(workspace=request.workspace)),
        "form": form,
        "examples": [(kind, label, EXAMPLES[kind]) for kind, label in Evaluator.Kind.choices],
        "can_edit": request.principal.can(Action.EDIT),
    }
    return render(request, PAGE, context, status=422 if form.errors else 200)


@login_required
@require_POST
def evaluator_delete(request: WorkspaceRequest, slug: str, evaluator_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    evaluator = evaluator_for(request.principal, evaluator_id, need=Action.EDIT)
    service.evaluator_delete(principal=request.principal, evaluator=evaluator)
    messages.success(request, f"Evaluator “{evaluator.name}” deleted; past runs keep its scores.")
    return redirect("evaluations:evaluators", slug)
