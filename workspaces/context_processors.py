from django.http import HttpRequest

from .access import workspaces_of
from .roles import Action


def workspace_nav(request: HttpRequest) -> dict:
    """The switcher's workspaces and what the acting member may do, for the layout."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    principal = getattr(request, "principal", None)
    can = {action.value: principal.can(action) for action in Action} if principal else {}
    return {"nav_workspaces": workspaces_of(request.user), "can": can}
