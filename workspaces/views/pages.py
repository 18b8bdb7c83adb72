"""Home, workspace creation, overview and settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import access, services
from ..forms import WorkspaceCreateForm, WorkspaceSettingsForm
from ..models import Invitation
from ..principal import WorkspaceRequest
from ..roles import Action, Role
from .helpers import apply_validation_error


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    workspaces = list(access.workspaces_of(request.user))
    last = request.session.get("last_workspace")
    if workspaces:
        chosen = next((ws for ws in workspaces if ws.slug == last), workspaces[0])
        return redirect("workspaces:overview", chosen.slug)
    invitations = (
        Invitation.objects.pending()
        .filter(email__iexact=request.user.email)
        .select_related("workspace", "invited_by")
    )
    return render(request, "workspaces/home.html", {"invitations": invitations})


@login_required
@require_http_methods(["GET", "POST"])
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.workspace_create(
                user=request.user, name=form.cleaned_data["name"], slug=form.cleaned_data["slug"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Workspace “{workspace.name}” is ready. Invite your team.")
            return redirect("workspaces:overview", workspace.slug)
    return render(
        request, "workspaces/create.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_GET
def overview(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.READ)
    request.session["last_workspace"] = workspace.slug
    counts = workspace.memberships.aggregate(
        members=Count("id"),
    ) | {
        "pending_invitations": Invitation.objects.pending().filter(workspace=workspace).count(),
        "active_keys": workspace.api_keys.filter(revoked_at__isnull=True).count(),
    }
    recent = None
    if request.principal.can(Action.VIEW_AUDIT):
        recent = workspace.audit_events.select_related(None)[:6]
    return render(
        request,
        "workspaces/overview.html",
        {"nav_section": "overview", "counts": counts, "recent_events": recent},
    )


@login_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.READ)
    initial = {"name": workspace.name, "protected_labels": ", ".join(workspace.protected_labels)}
    form = WorkspaceSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        access.require(request.principal, Action.MANAGE_SETTINGS)
        if form.is_valid():
            services.workspace_update(
                principal=request.principal,
                workspace=workspace,
                name=form.cleaned_data["name"],
                protected_labels=form.cleaned_data["protected_labels"],
            )
            messages.success(request, "Workspace settings saved.")
            return redirect("workspaces:settings", workspace.slug)
    # The last owner can't leave (services.membership_remove): the page says so instead.
    sole_owner = (
        request.principal.role == Role.OWNER
        and not workspace.memberships.owners().exclude(user=request.user).exists()
    )
    return render(
        request,
        "workspaces/settings.html",
        {"nav_section": "settings", "form": form, "sole_owner": sole_owner},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def workspace_leave(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.READ)
    membership = workspace.memberships.select_related("user").get(user=request.user)
    try:
        services.membership_remove(principal=request.principal, membership=membership)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("workspaces:settings", workspace.slug)
    messages.success(request, f"You left “{workspace.name}”.")
    return redirect("workspaces:home")
