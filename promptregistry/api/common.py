"""What both prompt APIs share: serving a visible version with an ETag, error mapping, cursors.

Used by the native API (api.py, /api/v1/prompts) and the Langfuse-compatible one
(api/langfuse.py, /api/public/).
"""

import base64
import binascii
import functools
import hashlib
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from workspaces import access
from workspaces.api_errors import ApiError, error_response
from workspaces.models import LABEL_PATTERN
from workspaces.principal import Principal

from .. import content, services, serving, templating
from ..models import LATEST, PRODUCTION

# --- Errors ---------------------------------------------------------------------------------


def _field_and_message(error: ValidationError) -> tuple[str | None, str]:
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        return (None if field == "__all__" else field), messages[0]
    return None, error.messages[0] if error.messages else "Invalid request."


def api_errors(view):
    """Turn the registry's exceptions into the API's error shape (stable codes)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (Http404, serving.PromptNotFound) as error:
            message = str(error) or "Not found."
            return error_response(404, "not_found", message)
        except PermissionDenied as error:
            return error_response(403, "forbidden", str(error) or "Your role may not do this.")
        except services.StaleVersionError as error:
            return error_response(409, "conflict", error.messages[0], "base_version")
        except ValidationError as error:
            field, message = _field_and_message(error)
            return error_response(400, "invalid_request", message, field)
        except templating.MissingVariablesError as error:
            is_placeholder = isinstance(error, templating.MissingPlaceholdersError)
            field = "placeholders" if is_placeholder else "variables"
            response = error_response(422, "missing_variables", str(error), field)
            body = json.loads(response.content)
            body["error"]["missing"] = error.names
            return JsonResponse(body, status=422)
        except templating.TemplateError as error:
            return error_response(422, "template_error", str(error))

    return wrapper


# A served version is cached (pickled); a value nested deep enough to exhaust the recursion
# limit there would answer 500, and no config or variable needs anything close to this.
def clean_text(value: str | None, field: str) -> str | None:
    """Text from the URL, query or body: what the database can't store is refused first."""
    problem = content.text_problem(value) if value is not None else None
    if problem:
        raise ApiError(400, "invalid_request", problem, field)
    return value


def clean_body(value: Any, field: str = "body") -> None:
    problem = content.json_problem(value)
    if problem:
        raise ApiError(400, "invalid_request", problem, field)


def principal_of(request: HttpRequest) -> Principal:
    return request.auth


# --- Cursors --------------------------------------------------------------------------------


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": value}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type) -> Any:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        value = None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ApiError(400, "invalid_request", "This cursor is not one we gave out.", "cursor")
    return value


def cursor_page(rows: list, limit: int, key) -> tuple[list, str | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(key(rows[-1]))
    return rows, None


# --- Serving --------------------------------------------------------------------------------


def _variables(served: serving.ServedVersion) -> tuple[list[str], list[str]]:
    try:
        return (
            content.variables_of(served.content, served.template_format),
            content.placeholders_of(served.content),
        )
    except templating.TemplateError:
        return [], []


def served_payload(served: serving.ServedVersion) -> dict:
    variables, placeholders = _variables(served)
    return {
        "name": served.name,
        "kind": served.kind,
        "type": served.type,
        "version": served.number,
        "label": served.served_label,
        "labels": sorted(served.labels),
        "template_format": served.template_format,
        "content": served.content,
        "variables": variables,
        "placeholders": placeholders,
        "config": served.config,
        "commit_message": served.commit_message,
        "tags": served.tags,
        "created_at": served.created_at,
        "updated_at": served.updated_at,
        "created_by": served.created_by,
    }


def serve_visible(
    principal: Principal,
    name: str,
    *,
    label: str | None,
    version: int | None,
    seed: str | None = None,
    resolve: bool = True,
) -> serving.ServedVersion:
    """The served version if this key may see it (cached: no query on a hit)."""
    if label is not None and version is not None:
        raise ApiError(400, "invalid_request", "Ask for a label or a version, not both.", "label")
    if label is not None and label != LATEST and not LABEL_PATTERN.fullmatch(label):
        raise Http404(f"No version of “{name}” has the label “{label}”.")
    served = serving.serve(
        principal, name, label=label, version=version, seed=seed, resolve=resolve
    )
    if not access.may_see_with_roles(principal, served.required_view_roles):
        raise serving.not_found(name, label=label or PRODUCTION, version=version)
    return served


def conditional_json(
    request: HttpRequest, payload: dict, served: serving.ServedVersion
) -> HttpResponse:
    """JSON with an ETag over the payload; 304 when the client already holds it."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:40] + '"'
    held_header = request.headers.get("If-None-Match", "")
    held = {tag.strip().removeprefix("W/") for tag in held_header.split(",")}
    if etag in held or "*" in held:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["X-PromptOps-Version"] = str(served.number)
    response["Cache-Control"] = "private, no-cache"
    return response
