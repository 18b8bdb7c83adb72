"""The one place that answers "may this principal do this to that?".

Views, API endpoints and tasks call these functions on their first line. They return the
object or raise Http404 (can't see it: indistinguishable from missing, which is what an
object of another workspace always is) or PermissionDenied (can see it, can't do that).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from .models import ApiKey, Invitation, Membership, Workspace
from .principal import Principal, WorkspaceRequest
from .roles import Action


def require(principal: Principal, need: Action) -> None:
    if not principal.can(need):
        raise PermissionDenied(f"Your role ({principal.role}) may not do this here.")


def workspace_for(request: HttpRequest, slug: str, need: Action = Action.READ) -> Workspace:
    """Load the workspace of the URL for the signed-in user and remember who is acting."""
    if not request.user.is_authenticated:
        raise Http404("No such workspace.")
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace__slug=slug, user=request.user)
        .first()
    )
    if membership is None:
        raise Http404("No such workspace.")
    principal = Principal.for_membership(membership)
    request.workspace = membership.workspace
    request.principal = principal
    require(principal, need)
    return membership.workspace


def principal_for(request: HttpRequest) -> Principal:
    principal = getattr(request, "principal", None)
    if principal is None:
        raise RuntimeError("access.workspace_for() must run before principal_for().")
    return principal


def object_for(
    principal: Principal, queryset: QuerySet, need: Action = Action.READ, **lookup
) -> Model:
    """Any workspace-owned object by lookup, scoped to the principal's workspace."""
    obj = queryset.filter(workspace=principal.workspace, **lookup).first()
    if obj is None:
        raise Http404("Not found.")
    require(principal, need)
    return obj


def membership_for(request: WorkspaceRequest, membership_id: int, need: Action) -> Membership:
    return object_for(
        request.principal, Membership.objects.select_related("user"), need, pk=membership_id
    )


def invitation_for(request: WorkspaceRequest, invitation_id: int, need: Action) -> Invitation:
    return object_for(request.principal, Invitation.objects.all(), need, pk=invitation_id)


def api_key_for(request: WorkspaceRequest, api_key_id: int, need: Action) -> ApiKey:
    return object_for(request.principal, ApiKey.objects.all(), need, pk=api_key_id)


def workspaces_of(user) -> QuerySet:
    """The workspaces a user belongs to, for the switcher and the home page."""
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user).order_by("name")
