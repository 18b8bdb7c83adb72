"""/w/<slug>/prompts/export/: download a folder or the whole workspace as YAML files in a zip."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action

from ..as_code import export


@login_required
@require_GET
def export_zip(request: WorkspaceRequest, slug: str) -> HttpResponse:
    """`?folder=support/billing` narrows the export to one folder (and what it contains)."""
    access.workspace_for(request, slug, need=Action.READ)
    archive = export.export_archive(request.principal, request.GET.get("folder", ""))
    response = HttpResponse(archive.data, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, archive.filename)
    response["Cache-Control"] = "private, no-store"
    return response
