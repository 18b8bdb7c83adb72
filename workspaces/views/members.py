"""Members: list with the role matrix, role changes (htmx row swap), removal, ownership transfer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import access, services
from ..forms import RoleChangeForm
from ..principal import WorkspaceRequest
from ..roles import ROLE_DESCRIPTIONS, Action, Role, role_matrix_rows
from .helpers import paginate


def _error_text(error: Exception) -> str:
    return " ".join(getattr(error, "messages", None) or [str(error)])


@login_required
@require_GET
def member_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.READ)
    memberships = workspace.memberships.select_related("user").order_by("user__email")
    query = request.GET.get("q", "").strip()
    if query:
        memberships = memberships.filter(
            Q(user__email__icontains=query) | Q(user__name__icontains=query)
        )
    return render(
        request,
        "workspaces/members.html",
        {
            "nav_section": "members",
            "page_obj": paginate(request, memberships),
            "query": query,
            "roles": Role.choices,
            "role_descriptions": ROLE_DESCRIPTIONS,
            "matrix": role_matrix_rows(),
        },
    )


@login_required
@require_POST
def member_role(request: WorkspaceRequest, slug: str, membership_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_MEMBERS)
    membership = access.membership_for(request, membership_id, need=Action.MANAGE_MEMBERS)
    form = RoleChangeForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.membership_change_role(
                principal=request.principal, membership=membership, role=form.cleaned_data["role"]
            )
        except (ValidationError, PermissionDenied) as exc:
            error = _error_text(exc)
            membership.refresh_from_db()
    else:
        error = "Choose a valid role."
    if request.htmx:
        context = {"membership": membership, "row_error": error, "roles": Role.choices}
        return render(
            request, "workspaces/members.html#member-row", context, status=422 if error else 200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, f"{membership.user.email} is now {membership.get_role_display()}."
        )
    return redirect("workspaces:members", slug)


@login_required
@require_POST
def member_remove(request: WorkspaceRequest, slug: str, membership_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_MEMBERS)
    membership = access.membership_for(request, membership_id, need=Action.MANAGE_MEMBERS)
    try:
        services.membership_remove(principal=request.principal, membership=membership)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"{membership.user.email} was removed from the workspace.")
    return redirect("workspaces:members", slug)


@login_required
@require_POST
def member_transfer(request: WorkspaceRequest, slug: str, membership_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_OWNERS)
    membership = access.membership_for(request, membership_id, need=Action.MANAGE_OWNERS)
    try:
        services.ownership_transfer(principal=request.principal, to=membership)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, f"{membership.user.email} now owns the workspace; you are an admin."
        )
    return redirect("workspaces:members", slug)
