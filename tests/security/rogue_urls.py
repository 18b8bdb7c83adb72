"""A URLconf with the project's URLs plus the mistakes the URL walk must catch.

Only test_url_walk.py uses it (through ROOT_URLCONF), to prove the walk has teeth. Each view
below is one way a real view goes wrong.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import include, path
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from ninja import NinjaAPI

from workspaces import access, audit
from workspaces.models import Membership, Workspace
from workspaces.roles import Action


@login_required
@require_GET
def workspace_peek(request, slug):
    """Forgot access.workspace_for(): any signed-in person reads any workspace."""
    workspace = get_object_or_404(Workspace, slug=slug)
    return HttpResponse(f"{workspace.name}: {workspace.memberships.count()} members")


@require_GET
def workspace_export(request, slug):
    """Forgot login_required and the access call: public to the whole internet."""
    return HttpResponse(get_object_or_404(Workspace, slug=slug).name)


@login_required
@require_http_methods(["GET", "POST"])
def workspace_rename(request, slug):
    """Checks membership but asks for READ where the write needs MANAGE_SETTINGS."""
    workspace = access.workspace_for(request, slug, need=Action.READ)
    if request.method == "POST":
        workspace.name = request.POST.get("name") or workspace.name
        workspace.save(update_fields=["name"])
        return redirect("rogue-rename", slug)
    return HttpResponse(workspace.name)


@login_required
@require_POST
def workspace_archive(request, slug):
    """Archives first and asks about the role after: the viewer's 403 comes too late."""
    workspace = access.workspace_for(request, slug, need=Action.READ)
    workspace.name = f"{workspace.name} (archived)"
    workspace.save(update_fields=["name"])
    audit.record(principal=access.principal_for(request), action="workspace.archive")
    if not access.principal_for(request).can(Action.MANAGE_SETTINGS):
        return HttpResponseForbidden("Your role may not archive this workspace.")
    return redirect("workspaces:members", slug)


@login_required
@require_POST
def member_promote(request, slug, membership_id):
    """Checks the slug's workspace, then loads the membership by id from any workspace."""
    access.workspace_for(request, slug, need=Action.MANAGE_MEMBERS)
    membership = get_object_or_404(Membership, pk=membership_id)
    membership.role = "admin"
    membership.save(update_fields=["role"])
    return redirect("workspaces:members", slug)


@login_required
@require_GET
def gizmo_detail(request, slug, gizmo_id):
    """Well guarded, but its kwarg has no sample: the walk can't fill it in."""
    access.workspace_for(request, slug)
    return HttpResponse(str(gizmo_id))


@login_required
@require_GET
def everything_dashboard(request):
    """No workspace in the URL and not declared user-level: what does it show, and to whom?"""
    return HttpResponse(str(Workspace.objects.count()))


@login_required
@require_GET
def workspace_crash(request, slug):
    access.workspace_for(request, slug)
    raise RuntimeError("a bug the owner trips over")


rogue_api = NinjaAPI(urls_namespace="rogue-api", docs_url=None, openapi_url=None)


@rogue_api.get("/workspaces")
def api_workspaces(request):
    """An API endpoint without auth: lists every workspace."""
    return [workspace.slug for workspace in Workspace.objects.all()]


urlpatterns = [
    path("w/<slug:slug>/rogue/peek/", workspace_peek, name="rogue-peek"),
    path("w/<slug:slug>/rogue/export/", workspace_export, name="rogue-export"),
    path("w/<slug:slug>/rogue/rename/", workspace_rename, name="rogue-rename"),
    path("w/<slug:slug>/rogue/archive/", workspace_archive, name="rogue-archive"),
    path(
        "w/<slug:slug>/rogue/members/<int:membership_id>/promote/",
        member_promote,
        name="rogue-promote",
    ),
    path("w/<slug:slug>/rogue/gizmos/<int:gizmo_id>/", gizmo_detail, name="rogue-gizmo"),
    path("rogue/dashboard/", everything_dashboard, name="rogue-dashboard"),
    path("w/<slug:slug>/rogue/crash/", workspace_crash, name="rogue-crash"),
    path("api/rogue/", rogue_api.urls),
    path("", include("config.urls")),
]
