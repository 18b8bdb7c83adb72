"""Datasets: the list, one dataset's table editor (keyset pages of items, add/edit/delete rows
in place over htmx), exports."""

import csv
import json
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gateway.logs.export import safe_cell
from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error

from ..forms import DatasetForm, ItemForm
from ..models import Dataset, DatasetItem, EvaluationRun
from ..selectors import PAGE_SIZE, dataset_for, item_for, keyset_page
from ..services import datasets
from .helpers import cursor, is_htmx

LIST = "evaluations/datasets.html"
DETAIL = "evaluations/dataset_detail.html"
EXPORT_CHUNK = 2000
MAX_EXPORT_COLUMNS = 200


@login_required
@require_http_methods(["GET", "POST"])
def dataset_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(
        request, slug, need=Action.READ if request.method == "GET" else Action.EDIT
    )
    form = DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = datasets.dataset_create(
                principal=request.principal,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, f"Dataset “{dataset.name}” created: add rows or upload a file."
            )
            return redirect("evaluations:dataset", slug, dataset.pk)
    rows = Dataset.objects.filter(workspace=request.workspace).order_by("name")
    context = {"nav_section": "datasets", "datasets": list(rows), "form": form}
    return render(request, LIST, context, status=422 if form.errors else 200)


def _detail_context(request: WorkspaceRequest, dataset: Dataset, **extra) -> dict:
    items = DatasetItem.objects.filter(dataset=dataset).only(
        "id", "position", "inputs", "expected_output", "metadata", "dataset_id"
    )
    page = keyset_page(items, after=cursor(request, "after"), before=cursor(request, "before"))
    context = {
        "nav_section": "datasets",
        "dataset": dataset,
        "page": page,
        "page_size": PAGE_SIZE,
        "can_edit": request.principal.can(Action.EDIT),
        "item_form": ItemForm(),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def dataset_detail(request: WorkspaceRequest, slug: str, dataset_id: int) -> HttpResponse:
    access.workspace_for(request, slug)
    dataset = dataset_for(request.principal, dataset_id)
    context = _detail_context(request, dataset)
    if not is_htmx(request):
        runs = EvaluationRun.objects.filter(dataset=dataset).order_by("-created_at")[:5]
        context["runs"] = list(runs)
    template = DETAIL + "#items" if is_htmx(request) else DETAIL
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def dataset_edit(request: WorkspaceRequest, slug: str, dataset_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    dataset = dataset_for(request.principal, dataset_id, need=Action.EDIT)
    form = DatasetForm(request.POST)
    if form.is_valid():
        try:
            datasets.dataset_update(
                principal=request.principal,
                dataset=dataset,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
    if form.errors:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("evaluations:dataset", slug, dataset.pk)


@login_required
@require_POST
def dataset_delete(request: WorkspaceRequest, slug: str, dataset_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.DELETE)
    dataset = dataset_for(request.principal, dataset_id, need=Action.DELETE)
    datasets.dataset_delete(principal=request.principal, dataset=dataset)
    messages.success(request, f"Dataset “{dataset.name}” deleted.")
    return redirect("evaluations:datasets", slug)


@login_required
@require_POST
def item_add(request: WorkspaceRequest, slug: str, dataset_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    dataset = dataset_for(request.principal, dataset_id, need=Action.EDIT)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            datasets.dataset_item_add(
                principal=request.principal,
                dataset=dataset,
                inputs=form.cleaned_data["inputs"],
                expected_output=form.cleaned_data["expected_output"],
                metadata=form.cleaned_data["metadata"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
    if not form.errors and not request.htmx:
        return redirect("evaluations:dataset", slug, dataset.pk)
    if form.errors and not request.htmx:
        context = _detail_context(request, dataset, item_form=form)
        return render(request, DETAIL, context, status=422)
    # htmx: the last page, where the new row is, and a fresh form (or the form's errors).
    dataset.refresh_from_db()
    context = _detail_context(request, dataset, item_form=form if form.errors else ItemForm())
    last = max(0, dataset.next_position - PAGE_SIZE - 1)
    context["page"] = keyset_page(
        DatasetItem.objects.filter(dataset=dataset), after=last or None, before=None
    )
    return render(request, DETAIL + "#editor", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: WorkspaceRequest, slug: str, dataset_id: int, item_id: int) -> HttpResponse:
    need = Action.EDIT
    access.workspace_for(request, slug, need=need)
    dataset = dataset_for(request.principal, dataset_id, need=need)
    item = item_for(dataset, item_id)
    if request.method == "GET":
        form = ItemForm.for_item(item)
        return render(
            request, "evaluations/_item_form.html", {"item": item, "form": form, "dataset": dataset}
        )
    form = ItemForm(request.POST, prefix=f"item-{item.pk}")
    if form.is_valid():
        try:
            datasets.dataset_item_update(
                principal=request.principal,
                item=item,
                inputs=form.cleaned_data["inputs"],
                expected_output=form.cleaned_data["expected_output"],
                metadata=form.cleaned_data["metadata"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
    if form.errors:
        return render(
            request,
            "evaluations/_item_form.html",
            {"item": item, "form": form, "dataset": dataset},
            status=422,
        )
    if request.htmx:
        return render(
            request,
            "evaluations/_item_row.html",
            {"item": item, "dataset": dataset, "can_edit": True},
        )
    return redirect("evaluations:dataset", slug, dataset.pk)


@login_required
@require_POST
def item_delete(
    request: WorkspaceRequest, slug: str, dataset_id: int, item_id: int
) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    dataset = dataset_for(request.principal, dataset_id, need=Action.EDIT)
    item = item_for(dataset, item_id)
    datasets.dataset_item_delete(principal=request.principal, item=item)
    if request.htmx:
        return HttpResponse("")
    return redirect("evaluations:dataset", slug, dataset.pk)


def _items(dataset: Dataset) -> Iterator[DatasetItem]:
    """Every item by position, a chunk at a time (no OFFSET, never all in memory)."""
    after = 0
    while True:
        chunk = list(
            DatasetItem.objects.filter(dataset=dataset, position__gt=after).order_by("position")[
                :EXPORT_CHUNK
            ]
        )
        if not chunk:
            return
        yield from chunk
        after = chunk[-1].position


class _Echo:
    def write(self, value: str) -> str:
        return value


def _input_columns(dataset: Dataset) -> list[str]:
    columns: list[str] = []
    seen: set[str] = set()
    for item in _items(dataset):
        for key in item.inputs:
            if key not in seen and len(columns) < MAX_EXPORT_COLUMNS:
                seen.add(key)
                columns.append(key)
    return columns


def csv_lines(dataset: Dataset) -> Iterator[str]:
    """One column per input variable (the upload's shape), expected_output, metadata (JSON)."""
    columns = _input_columns(dataset)
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([*columns, "expected_output", "metadata"])
    for item in _items(dataset):
        yield writer.writerow(
            [safe_cell(item.inputs.get(c, "")) for c in columns]
            + [safe_cell(item.expected_output), safe_cell(item.metadata or "")]
        )


def jsonl_lines(dataset: Dataset) -> Iterator[str]:
    for item in _items(dataset):
        record = {
            "inputs": item.inputs,
            "expected_output": item.expected_output,
            "metadata": item.metadata,
        }
        yield json.dumps(record, ensure_ascii=False) + "\n"


@login_required
@require_GET
def dataset_export(request: WorkspaceRequest, slug: str, dataset_id: int) -> HttpResponse:
    access.workspace_for(request, slug)
    dataset = dataset_for(request.principal, dataset_id)
    kind = "jsonl" if request.GET.get("format") == "jsonl" else "csv"
    lines = jsonl_lines(dataset) if kind == "jsonl" else csv_lines(dataset)
    response = StreamingHttpResponse(
        lines,
        content_type="application/x-ndjson" if kind == "jsonl" else "text/csv; charset=utf-8",
    )
    filename = "".join(c if c.isalnum() or c in "-_" else "-" for c in dataset.name)[:60]
    response["Content-Disposition"] = f'attachment; filename="{filename or "dataset"}.{kind}"'
    return response
