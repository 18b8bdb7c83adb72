"""GET /api/v1/export: the prompts-as-code zip for API keys (what `promptops pull` downloads)."""

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Query, Router

from workspaces.api_errors import ApiError
from workspaces.principal import Principal

from ..as_code import export
from .schemas import ErrorOut

router = Router(tags=["export"])

ZIP_RESPONSE = {
    "responses": {
        200: {
            "description": "A zip with one YAML file per prompt, at `<name>.yaml`.",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get(
    "/export",
    response={401: ErrorOut, 404: ErrorOut},
    summary="Download prompts as YAML files in a zip",
    description="The newest version of every prompt and snippet the key may see, or of one "
    "folder's (`?folder=support/billing`, at any depth), in the prompts-as-code format.",
    openapi_extra=ZIP_RESPONSE,
)
def export_zip(
    request, folder: str = Query("", description="A folder path; empty for everything.")
) -> HttpResponse:
    principal: Principal = request.auth
    try:
        archive = export.export_archive(principal, folder)
    except Http404 as error:
        raise ApiError(404, "not_found", f"No folder “{folder}”.", "folder") from error
    response = HttpResponse(archive.data, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, archive.filename)
    response["X-Prompt-Count"] = str(archive.count)
    return response
