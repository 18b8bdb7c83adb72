"""API keys: list, create, revoke.

Creating follows post/redirect/get: the POST keeps the new secret in the session and
redirects; the next GET pops it and shows it once. Reloading that page shows no secret
and creates nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from .. import access, services
from ..forms import ApiKeyForm
from ..principal import WorkspaceRequest
from ..roles import Action
from .helpers import apply_validation_error, paginate

SESSION_SLOT = "new_api_key"  # the one-time secret, until shown


@login_required
@require_http_methods(["GET", "POST"])
def api_key_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.MANAGE_KEYS)
    form = ApiKeyForm(request.POST or None, creator_role=request.principal.role)
    created = _pop_new_secret(request, workspace) if request.method == "GET" else None
    if request.method == "POST" and form.is_valid():
        try:
            api_key, secret = services.api_key_create(
                principal=request.principal,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            # Kept only until the next page view pops it (the session is server-side).
            request.session[SESSION_SLOT] = {"id": api_key.pk, "secret": secret}
            return redirect("workspaces:api-keys", slug)
    keys = workspace.api_keys.select_related("created_by").order_by("revoked_at", "-created_at")
    response = render(
        request,
        "workspaces/api_keys.html",
        {
            "nav_section": "api-keys",
            "form": form,
            "created": created,
            "page_obj": paginate(request, keys),
            "api_base": request.build_absolute_uri("/api/v1/"),
            "host": request.build_absolute_uri("/").rstrip("/"),
        },
        status=400 if form.errors else 200,
    )
    add_never_cache_headers(response)
    return response


def _pop_new_secret(request: WorkspaceRequest, workspace) -> dict | None:
    """The key created by the POST just before, with its secret: shown once, then gone."""
    kept = request.session.pop(SESSION_SLOT, None)
    if not isinstance(kept, dict):
        return None
    api_key = workspace.api_keys.filter(pk=kept.get("id"), revoked_at=None).first()
    return {"api_key": api_key, "secret": kept.get("secret")} if api_key else None


@login_required
@require_POST
def api_key_revoke(request: WorkspaceRequest, slug: str, api_key_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_KEYS)
    api_key = access.api_key_for(request, api_key_id, need=Action.MANAGE_KEYS)
    services.api_key_revoke(principal=request.principal, api_key=api_key)
    messages.success(request, f"The key “{api_key.name}” is revoked. Requests using it now fail.")
    return redirect("workspaces:api-keys", slug)
