"""The request log's "Add to dataset" action (registered with gateway/extensions.py in
apps.py: the gateway's page includes evaluations/_add_to_dataset.html without importing us)."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from gateway.logs.query import completion_for
from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action

from ..forms import AddCompletionForm
from ..services import datasets


@login_required
@require_POST
def completion_add_to_dataset(
    request: WorkspaceRequest, slug: str, completion_id: UUID
) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.EDIT)
    completion = completion_for(request.principal, completion_id)
    form = AddCompletionForm(request.POST, workspace=workspace)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("gateway:log-detail", slug, completion.public_id)
    try:
        with transaction.atomic():
            dataset = form.cleaned_data["dataset"] or datasets.dataset_create(
                principal=request.principal, name=form.cleaned_data["new_dataset"]
            )
            datasets.dataset_items_from_completions(
                principal=request.principal, dataset=dataset, completions=[completion]
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("gateway:log-detail", slug, completion.public_id)
    messages.success(
        request, f"Added to “{dataset.name}”: its variables as inputs, its output as expected."
    )
    return redirect("gateway:log-detail", slug, completion.public_id)
