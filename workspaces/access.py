"""The one place that answers "may this principal do this to that?".

Views, API endpoints and tasks call these functions on their first line. They return the
object or raise Http404 (can't see it: indistinguishable from missing, which is what an
object of another workspace always is) or PermissionDenied (can see it, can't do that).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from guardian.core import ObjectPermissionChecker

from .models import ApiKey, Invitation, Membership, Workspace
from .principal import Principal, WorkspaceRequest
from .roles import Action, Role, role_at_least


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


# Restricted objects (folders and prompts of the registry, anything with view_role/edit_role).
# A restriction names the lowest role that may see or edit the object and what it contains;
# django-guardian grants (view_<model> / change_<model>) let named users in on top of that.
# Admins and owners always see everything: they are the ones who set restrictions.


def _grant_codename(obj: Model, need: Action) -> str:
    verb = "view" if need == Action.READ else "change"
    return f"{obj._meta.app_label}.{verb}_{obj._meta.model_name}"


def _role_passes(principal: Principal, required_role: str) -> bool:
    return (
        not required_role
        or principal.role in (Role.OWNER, Role.ADMIN)
        or role_at_least(principal.role, required_role)
    )


def may_use(principal: Principal, obj: Model, need: Action, checker=None) -> bool:
    """May the principal see (READ) or change (any other need) this one restricted object?"""
    required = obj.view_role if need == Action.READ else (obj.edit_role or obj.view_role)
    if _role_passes(principal, required):
        return True
    if principal.user is None:
        return False  # API keys act by role only
    checker = checker or ObjectPermissionChecker(principal.user)
    return checker.has_perm(_grant_codename(obj, need).split(".", 1)[1], obj)


def check_restricted_chain(principal: Principal, chain: list[Model], need: Action) -> None:
    """chain: the enclosing folders from the top, then the object. 404 if any can't be seen."""
    restricted = [obj for obj in chain if obj.view_role or obj.edit_role]
    checker = None
    if restricted and principal.user is not None:
        checker = ObjectPermissionChecker(principal.user)
        checker.prefetch_perms(restricted)
    for obj in restricted:
        if not may_use(principal, obj, Action.READ, checker):
            raise Http404("Not found.")
    require(principal, need)
    if need != Action.READ:
        for obj in restricted:
            if not may_use(principal, obj, need, checker):
                raise PermissionDenied("This is restricted: ask an admin for edit access.")


def hidden_among(principal: Principal, restricted: list[Model]) -> list[Model]:
    """Which of these restricted objects the principal may not see (for list filters)."""
    if not restricted:
        return []
    checker = None
    if principal.user is not None and principal.role not in (Role.OWNER, Role.ADMIN):
        checker = ObjectPermissionChecker(principal.user)
        checker.prefetch_perms(restricted)
    return [obj for obj in restricted if not may_use(principal, obj, Action.READ, checker)]


def may_see_with_roles(principal: Principal, required_roles: list[str]) -> bool:
    """For cached answers that carry the view roles of an object and its folders (API keys)."""
    return all(_role_passes(principal, role) for role in required_roles)
