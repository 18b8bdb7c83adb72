"""The request log: the list (filters, keyset pages), one completion, feedback, exports."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Substr
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error

from ..extensions import completion_actions_for
from ..forms import FeedbackForm, LogFilterForm
from ..logs import export
from ..logs.query import PAGE_SIZE, completion_for, page_of, visible_completions
from ..logs.timing import waterfall
from ..models import Feedback
from ..services.feedback import feedback_create

LIST_TEMPLATE = "gateway/logs.html"
DETAIL_TEMPLATE = "gateway/log_detail.html"
LIST_FIELDS = [
    "id",
    "public_id",
    "created_at",
    "source",
    "status",
    "prompt_name",
    "prompt_version",
    "prompt_label",
    "ab_split",
    "model_name",
    "requested_model",
    "fallback_model",
    "provider_name",
    "input_tokens",
    "output_tokens",
    "tokens_estimated",
    "cost",
    "latency_ms",
    "ttft_ms",
    "retries",
    "error_type",
    "stream",
    "user_ref",
]


def _cursor(request: WorkspaceRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _filtered(request: WorkspaceRequest) -> tuple[LogFilterForm, object]:
    form = LogFilterForm(request.GET or None)
    completions = visible_completions(request.principal)
    if form.is_bound:
        completions = form.filter(completions) if form.is_valid() else completions.none()
    return form, completions


@login_required
@require_GET
def log_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.VIEW_LOGS)
    form, completions = _filtered(request)
    latest_score = Feedback.objects.filter(completion=OuterRef("pk")).order_by("-id")
    rows = completions.only(*LIST_FIELDS).annotate(
        output_preview=Substr("output_text", 1, 160),
        error_preview=Substr("error_message", 1, 160),
        feedback_score=Subquery(latest_score.values("score")[:1]),
    )
    page = page_of(rows, before=_cursor(request, "before"), after=_cursor(request, "after"))
    context = {
        "nav_section": "logs",
        "form": form,
        "page": page,
        "list_url": request.path,
        "export_query": request.GET.urlencode(),
        "page_size": PAGE_SIZE,
    }
    htmx = request.htmx and not request.htmx.history_restore_request
    response = render(
        request,
        LIST_TEMPLATE + "#results" if htmx else LIST_TEMPLATE,
        context,
        status=400 if form.errors and not htmx else 200,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _detail_context(request: WorkspaceRequest, completion, form=None) -> dict:
    prompt_url = None
    prompt = completion.prompt if completion.prompt_id else None
    if prompt is not None and prompt.deleted_at is None and completion.prompt_version:
        prompt_url = reverse(
            "promptregistry:version",
            args=[request.workspace.slug, prompt.name, completion.prompt_version],
        )
    return {
        "nav_section": "logs",
        "completion": completion,
        "prompt_url": prompt_url,
        "timing": waterfall(completion),
        "feedback": list(completion.feedback.select_related("created_by", "api_key")[:20]),
        "feedback_form": form or FeedbackForm(),
        "completion_actions": completion_actions_for(request.principal),
    }


@login_required
@require_GET
def log_detail(request: WorkspaceRequest, slug: str, completion_id: UUID) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.VIEW_LOGS)
    completion = completion_for(request.principal, completion_id)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, completion))


@login_required
@require_POST
def log_feedback(request: WorkspaceRequest, slug: str, completion_id: UUID) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.GIVE_FEEDBACK)
    completion = completion_for(request.principal, completion_id)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            feedback_create(
                principal=request.principal,
                completion=completion,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
    if not form.errors and not request.htmx:
        messages.success(request, "Thanks: your rating is saved.")
        return redirect("gateway:log-detail", slug, completion.public_id)
    context = _detail_context(request, completion, form if form.errors else None)
    context["feedback_saved"] = not form.errors
    if request.htmx:
        status = 422 if form.errors else 200
        return render(request, DETAIL_TEMPLATE + "#feedback", context, status=status)
    return render(request, DETAIL_TEMPLATE, context, status=400)


@login_required
@require_GET
def log_export(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.VIEW_LOGS)
    kind = request.GET.get("format", "csv")
    form, completions = _filtered(request)
    if kind not in ("csv", "jsonl") or form.errors:
        return HttpResponse(
            "Choose format=csv or format=jsonl and valid filters.",
            status=400,
            content_type="text/plain",
        )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if kind == "csv":
        response = StreamingHttpResponse(
            export.csv_lines(completions), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            export.jsonl_lines(completions), content_type="application/x-ndjson; charset=utf-8"
        )
    response["Content-Disposition"] = (
        f'attachment; filename="promptops-log-{workspace.slug}-{stamp}.{kind}"'
    )
    response["Cache-Control"] = "no-store"
    return response
