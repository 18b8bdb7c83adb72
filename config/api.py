"""The native JSON API at /api/v1/: one NinjaAPI, each app contributes a router."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from evaluations.api import router as evaluations_router
from gateway.views.completions_api import router as completions_router
from promptregistry.api.export import router as export_router
from promptregistry.api.native import router as prompt_router
from workspaces.api import router as workspace_router
from workspaces.api_auth import ApiKeyAuth
from workspaces.api_body import JsonObjectParser, RequestDataTooBig, body_problem, too_large_message
from workspaces.api_errors import ApiError, api_error_handler, error_response

api = NinjaAPI(
    title="PromptOps API",
    version="1",
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=JsonObjectParser(),
)
api.add_exception_handler(ApiError, api_error_handler)


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc) -> JsonResponse:
    return error_response(413, "payload_too_large", too_large_message())


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc) -> JsonResponse:
    return error_response(
        401,
        "unauthenticated",
        "Send a workspace API key: Authorization: Bearer sk-..., or HTTP Basic pk-...:sk-...",
    )


# workspaces.access raises these for endpoints too: another workspace's object is a 404, a role
# too low a 403, both in the error shape (ninja's defaults are {"detail"} and an HTML 403).
@api.exception_handler(Http404)
def _not_found(request, exc: Http404) -> JsonResponse:
    return error_response(404, "not_found", str(exc) or "Not found.")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied) -> JsonResponse:
    return error_response(403, "forbidden", str(exc) or "Your key may not do this.")


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError) -> JsonResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = list(first.get("loc", []))
    if len(loc) > 2 and loc[0] == "body":
        del loc[1]  # the view's parameter name ("payload"), not a field the client sent
    location = [str(part) for part in loc if part not in ("body", "query", "path")]
    return error_response(
        400, "invalid_request", first.get("msg", "Invalid request."), ".".join(location) or None
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError) -> JsonResponse:
    codes = {
        400: "invalid_request",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
    }
    message = body_problem(exc) or str(exc)
    return error_response(exc.status_code, codes.get(exc.status_code, "error"), message)


api.add_router("/", workspace_router)
api.add_router("/", export_router)
api.add_router("/prompts", prompt_router)
api.add_router("/completions", completions_router)
api.add_router("/evaluations", evaluations_router)
