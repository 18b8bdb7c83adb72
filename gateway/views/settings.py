"""The request log's settings: what it stores of each call, and how long it keeps calls."""

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

from ..forms import GatewaySettingsForm
from ..models import GatewaySettings
from ..services.settings import gateway_settings_update


@login_required
@require_http_methods(["GET", "POST"])
def log_settings(request: WorkspaceRequest, slug: str) -> HttpResponse:
    """Everyone may read them (what is kept about their calls); admins change them."""
    workspace = access.workspace_for(request, slug, need=Action.READ)
    current = GatewaySettings.for_workspace(workspace)
    initial = {"store_content": current.store_content, "retention_days": current.retention_days}
    form = GatewaySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        access.require(request.principal, Action.MANAGE_SETTINGS)
        if form.is_valid():
            try:
                gateway_settings_update(principal=request.principal, **form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, "Log storage settings saved. They apply to new calls.")
                return redirect("gateway:log-settings", slug)
    return render(
        request,
        "gateway/log_settings.html",
        {"nav_section": "log-settings", "form": form, "current": current},
        status=400 if form.errors else 200,
    )
