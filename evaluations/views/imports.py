"""Upload a CSV/JSONL file into a dataset: upload -> column mapping with a preview -> import
(all rows or none, bad rows listed with their line numbers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error

from ..forms import MappingForm, UploadForm
from ..selectors import dataset_for
from ..services import imports

UPLOAD = "evaluations/dataset_upload.html"
MAPPING = "evaluations/dataset_mapping.html"


@login_required
@require_http_methods(["GET", "POST"])
def dataset_upload(request: WorkspaceRequest, slug: str, dataset_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    dataset = dataset_for(request.principal, dataset_id, need=Action.EDIT)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            token = imports.upload_store(
                principal=request.principal, dataset=dataset, upload=form.cleaned_data["file"]
            )
            imports.preview(dataset, token)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("evaluations:dataset-mapping", slug, dataset.pk, token)
    context = {"nav_section": "datasets", "dataset": dataset, "form": form}
    return render(request, UPLOAD, context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_mapping(
    request: WorkspaceRequest, slug: str, dataset_id: int, upload_token: str
) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    dataset = dataset_for(request.principal, dataset_id, need=Action.EDIT)
    try:
        found = imports.preview(dataset, upload_token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("evaluations:dataset-upload", slug, dataset.pk)
    form = MappingForm(request.POST or None, columns=found.columns, initial_mapping=found.mapping)
    errors: list[str] = []
    more = False
    if request.method == "POST" and (found.native or form.is_valid()):
        try:
            added = imports.dataset_import(
                principal=request.principal,
                dataset=dataset,
                token=upload_token,
                mapping=found.mapping if found.native else form.mapping(),
            )
        except imports.ImportFailed as failure:
            errors, more = failure.errors, failure.more
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Imported {added:,} row{'s' if added != 1 else ''}.")
            return redirect("evaluations:dataset", slug, dataset.pk)
    context = {
        "nav_section": "datasets",
        "dataset": dataset,
        "preview": found,
        "form": form,
        "fields": [(form[f"col_{i}"], column) for i, column in enumerate(found.columns)],
        "import_errors": errors,
        "more_errors": more,
    }
    return render(request, MAPPING, context, status=422 if errors or form.errors else 200)
