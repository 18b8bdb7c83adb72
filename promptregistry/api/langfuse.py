"""The Langfuse-compatible prompt API at /api/public/ (mounted in config/urls.py).

Langfuse's own Python SDK (get_prompt, create_prompt, update_prompt) and LiteLLM's Langfuse
prompt management talk to PromptOps through these routes with a workspace key pair. The
shapes follow the installed `langfuse` package (langfuse/api/prompts, prompt_version) and
Langfuse's server: errors are {"message", "error"} with Langfuse's error names.

Behaviour follows Langfuse's own prompt API server tests (tests/api/test_langfuse_parity.py
proves each). Differences a client may notice are deliberate and listed, with the reason, in
docs/api-prompts.md; in short:
- Jinja2 prompts can't be compiled by Langfuse clients: 422 pointing to the native render
  endpoint. f-string prompts are served converted to {{var}}.
- Versions are kept for the audit trail: DELETE (admin keys) hides a version, or the whole
  prompt, everywhere without removing it, and refuses a version a protected label points at.
- Protected labels (production by default) need an admin key here too.
- Names: Langfuse's rule (names.py) plus a few refusals; chat roles are system, user and
  assistant.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Query
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from workspaces import access
from workspaces.api_auth import ApiKeyAuth
from workspaces.api_body import JsonObjectParser, RequestDataTooBig, body_problem, too_large_message
from workspaces.api_errors import ApiError
from workspaces.principal import Principal
from workspaces.roles import Action

from .. import selectors, services, serving, templating
from ..content import json_problem
from ..models import LATEST, PRODUCTION, Label, Prompt, PromptVersion
from ..services.access import name_unavailable
from .common import conditional_json, serve_visible
from .langfuse_shapes import (
    LangfuseError,
    LegacyPromptCreateIn,
    PromptCreateIn,
    PromptLabelsIn,
    aware,
    check_labels,
    configs_of,
    content_of,
    langfuse_error,
    langfuse_prompt,
    not_found_message,
    prompt_meta,
    served_from_db,
)
from .schemas import MAX_INT

langfuse_api = NinjaAPI(
    title="PromptOps — Langfuse-compatible prompt API",
    version="public",
    description="Langfuse's public prompt API, so Langfuse SDKs and LiteLLM work unchanged.",
    urls_namespace="api-public",
    auth=ApiKeyAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=JsonObjectParser(),
)


@langfuse_api.exception_handler(RequestDataTooBig)
def _too_large(request, exc) -> JsonResponse:
    return langfuse_error(413, too_large_message())


@langfuse_api.exception_handler(LangfuseError)
def _langfuse_error(request, exc: LangfuseError) -> JsonResponse:
    return langfuse_error(exc.status, exc.message, exc.error)


@langfuse_api.exception_handler(ApiError)
def _api_error(request, exc: ApiError) -> JsonResponse:
    return langfuse_error(exc.status, exc.message)


@langfuse_api.exception_handler(AuthenticationError)
def _unauthorized(request, exc) -> JsonResponse:
    return langfuse_error(
        401,
        "Invalid credentials: send a PromptOps workspace key pair (public key and secret key) "
        "as HTTP Basic auth.",
    )


@langfuse_api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError) -> JsonResponse:
    issues = [
        {
            "code": error.get("type", "invalid"),
            "path": [
                str(p)
                for p in error.get("loc", [])
                if p not in ("body", "query", "path", "payload")
            ],
            "message": error.get("msg", "Invalid value"),
        }
        for error in exc.errors
    ]
    return JsonResponse({"message": "Invalid request data", "error": issues}, status=400)


@langfuse_api.exception_handler(Http404)
def _not_found(request, exc: Http404) -> JsonResponse:
    return langfuse_error(404, str(exc) or "Not found")


@langfuse_api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied) -> JsonResponse:
    return langfuse_error(403, str(exc) or "Your key may not do this.")


@langfuse_api.exception_handler(ValidationError)
def _invalid_content(request, exc: ValidationError) -> JsonResponse:
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    text = "; ".join(
        f"{field}: {message}" if field and field != "__all__" else message
        for field, items in messages.items()
        for message in items
    )
    return langfuse_error(400, text or "Invalid request data")


@langfuse_api.exception_handler(templating.TemplateError)
def _template_error(request, exc: templating.TemplateError) -> JsonResponse:
    return langfuse_error(422, f"The prompt can't be served: {exc}")


@langfuse_api.exception_handler(HttpError)
def _http_error(request, exc: HttpError) -> JsonResponse:
    return langfuse_error(exc.status_code, body_problem(exc) or str(exc))


# --- Shapes ---------------------------------------------------------------------------------


def _principal(request: HttpRequest) -> Principal:
    return request.auth


def _get_prompt(
    request: HttpRequest,
    name: str,
    *,
    label: str | None,
    version: int | None,
    resolve: bool = True,
    not_found: str | None = None,
) -> HttpResponse:
    """`not_found`: the 404's message (default: Langfuse's v2 message naming what was asked)."""
    principal = _principal(request)
    if version is not None and label is not None:
        raise LangfuseError(400, "Cannot specify both version and label; ask for one.")
    try:
        served = serve_visible(principal, name, label=label, version=version, resolve=resolve)
    except (Http404, serving.PromptNotFound) as error:
        message = not_found or not_found_message(name, label, version)
        raise LangfuseError(404, message) from error
    payload = langfuse_prompt(served, workspace_slug=principal.workspace.slug)
    return conditional_json(request, payload, served)


@transaction.atomic
def _create_version(principal: Principal, payload: PromptCreateIn, extra_labels: list[str]):
    """Create the prompt or its next version, Langfuse-style: type fixed after v1, tags
    replaced when given, `latest` always on the new version."""
    access.require(principal, Action.EDIT)
    problem = json_problem(payload.model_dump())
    if problem:
        raise LangfuseError(400, problem)
    prompt_type = payload.type or (Prompt.Type.TEXT if isinstance(payload.prompt, str) else "chat")
    labels = list(dict.fromkeys([*payload.labels, *extra_labels]))
    check_labels(labels)
    labels = [label for label in labels if label != LATEST]
    config = payload.config if payload.config is not None else {}
    if not isinstance(config, dict):
        raise LangfuseError(400, "“config” must be a JSON object.")
    version_content = content_of(prompt_type, payload.prompt)
    existing = (
        Prompt.objects.alive().filter(workspace=principal.workspace, name=payload.name).first()
    )
    if existing is None:
        prompt = services.prompt_create(
            principal=principal,
            name=payload.name,
            prompt_type=prompt_type,
            tags=payload.tags or [],
            version_content=version_content,
            config=config,
            commit_message=payload.commitMessage or "",
            labels=labels,
        )
        prompt.refresh_from_db()
    else:
        if not selectors.may_see(principal, existing):
            raise name_unavailable(payload.name)  # the same answer as for any unusable name
        prompt = selectors.prompt_for(principal, existing.name, Action.EDIT)
        if prompt.type != prompt_type:
            raise LangfuseError(
                400,
                "Previous versions have a different prompt type. Create a new prompt with a "
                "different name.",
            )
        services.prompt_version_create(
            principal=principal,
            prompt=prompt,
            version_content=version_content,
            config=config,
            commit_message=payload.commitMessage or "",
            labels=labels,
        )
        if payload.tags is not None:
            current = sorted(prompt.tags.values_list("name", flat=True))
            if sorted({t.strip().lower() for t in payload.tags if t.strip()}) != current:
                services.prompt_update_details(
                    principal=principal,
                    prompt=prompt,
                    description=prompt.description,
                    tags=payload.tags,
                )
        prompt.refresh_from_db()
    version = selectors.version_of(prompt, prompt.latest_version_number)
    return served_from_db(prompt, version)


# --- Routes: /api/public/v2/prompts ---------------------------------------------------------


PROMPT_NOT_FOUND = "Prompt not found"
FROM_UPDATED_AT = Query(None, alias="fromUpdatedAt")
TO_UPDATED_AT = Query(None, alias="toUpdatedAt")


@langfuse_api.get("/v2/prompts", summary="List prompts (names, versions, labels)")
def prompt_list(
    request,
    name: str | None = None,
    label: str | None = None,
    tag: str | None = None,
    version: int | None = Query(None, ge=1, le=MAX_INT),
    page: int = Query(1, ge=1, le=MAX_INT),
    limit: int = Query(10, ge=1, le=100),
    from_updated_at: datetime | None = FROM_UPDATED_AT,
    to_updated_at: datetime | None = TO_UPDATED_AT,
):
    """PromptMetaListResponse: filters apply to versions (label, version, updated range) as
    Langfuse's do; `lastConfig` is the config of the newest version that matches."""
    for value in (name, label, tag):
        if value and "\x00" in value:
            raise LangfuseError(400, "Text may not contain NUL characters.")
    from_updated_at = aware(from_updated_at, "fromUpdatedAt")
    to_updated_at = aware(to_updated_at, "toUpdatedAt")
    version_filter = Q()
    if version is not None:
        version_filter &= Q(number=version)
    if from_updated_at:
        version_filter &= Q(created_at__gte=from_updated_at)
    if to_updated_at:
        version_filter &= Q(created_at__lt=to_updated_at)
    prompts = selectors.visible_prompts(_principal(request)).filter(latest_version_number__gt=0)
    if name:
        prompts = prompts.filter(name=name)
    if tag:
        prompts = prompts.filter(tags__name=tag)
    if label and label != LATEST:
        prompts = prompts.filter(labels__name=label)
    if version_filter:
        prompts = prompts.filter(
            pk__in=PromptVersion.objects.filter(version_filter).values("prompt_id")
        )
    total = prompts.distinct().count()
    offset = (page - 1) * limit
    rows = list(
        prompts.distinct()
        .order_by("name")
        .prefetch_related(
            "tags",
            Prefetch(
                "labels",
                queryset=Label.objects.select_related("version").only(
                    "name", "prompt_id", "version__number"
                ),
            ),
            Prefetch(
                "versions",
                queryset=PromptVersion.objects.filter(version_filter)
                .only("pk", "prompt_id", "number", "created_at")
                .order_by("number"),
                to_attr="matching_versions",
            ),
        )[offset : offset + limit]
    )
    metas = [prompt_meta(prompt, label) for prompt in rows]
    last_numbers = [(meta["_prompt_id"], meta["_last"]) for meta in metas if meta["_last"]]
    configs = configs_of(last_numbers)
    data = []
    for meta in metas:
        key = (meta.pop("_prompt_id"), meta.pop("_last"))
        meta["lastConfig"] = configs.get(key, {})
        data.append(meta)
    pages = (total + limit - 1) // limit
    meta = {"page": page, "limit": limit, "totalItems": total, "totalPages": pages}
    return {"data": data, "meta": meta, "pagination": meta}


@langfuse_api.post("/v2/prompts", summary="Create a prompt version")
def prompt_create(request, payload: PromptCreateIn):
    """A new prompt, or a new version of an existing one (it always gets `latest`)."""
    principal = _principal(request)
    served = _create_version(principal, payload, [])
    return JsonResponse(langfuse_prompt_for_write(served, principal), status=201)


def langfuse_prompt_for_write(served: serving.ServedVersion, principal: Principal) -> dict:
    return langfuse_prompt(served, workspace_slug=principal.workspace.slug, for_write=True)


# PATCH .../{name}/versions/{version} is matched before the catch-all GET/DELETE route, as
# Langfuse's own router does; GET and DELETE of a prompt whose name ends in
# "versions/<n>" fall through to the prompt itself.


@langfuse_api.patch(
    "/v2/prompts/{path:name}/versions/{int:version}", summary="Update a version's labels"
)
@transaction.atomic
def version_update(request, name: str, version: int, payload: PromptLabelsIn):
    """Move `newLabels` onto this version (off any other version). `latest` is refused;
    protected labels need an admin key."""
    principal = _principal(request)
    check_labels(payload.newLabels)
    if LATEST in payload.newLabels:
        raise LangfuseError(
            400, "“latest” always points at the newest version; it can't be set by hand."
        )
    try:
        prompt = selectors.prompt_for(principal, name, Action.EDIT)
        target = selectors.version_of(prompt, version) if version <= MAX_INT else None
    except Http404:
        target = None
    if target is None:
        raise LangfuseError(404, not_found_message(name, None, version))
    for label in dict.fromkeys(payload.newLabels):
        services.label_move(principal=principal, prompt=prompt, name=label, version=target)
    prompt.refresh_from_db()
    return langfuse_prompt_for_write(served_from_db(prompt, target), principal)


@langfuse_api.get("/v2/prompts/{path:name}/versions/{int:version}", include_in_schema=False)
def prompt_get_versions_named(request, name: str, version: int):
    full_name = f"{name}/versions/{version}"
    return prompt_get(request, full_name, version=None, label=None, resolve_snippets=True)


@langfuse_api.delete("/v2/prompts/{path:name}/versions/{int:version}", include_in_schema=False)
def prompt_delete_versions_named(request, name: str, version: int):
    return prompt_delete(request, f"{name}/versions/{version}", version=None, label=None)


@langfuse_api.get("/v2/prompts/{path:name}", summary="Get a prompt")
def prompt_get(
    request,
    name: str,
    version: int | None = Query(None, ge=1, le=MAX_INT),
    label: str | None = None,
    resolve_snippets: bool = Query(True, alias="resolve"),
):
    """The version `label` points at (default production; `latest` is the newest) or
    `version`; snippet references resolved unless resolve=false."""
    if (label is not None and "\x00" in label) or "\x00" in name:
        raise LangfuseError(404, not_found_message(name, label, version))
    return _get_prompt(request, name, label=label, version=version, resolve=resolve_snippets)


@langfuse_api.delete("/v2/prompts/{path:name}", summary="Delete a prompt or some of its versions")
def prompt_delete(
    request,
    name: str,
    version: int | None = Query(None, ge=1, le=MAX_INT),
    label: str | None = None,
):
    """Admin keys. `version` or `label`: that version (soft: hidden everywhere, kept for the
    audit trail; refused while a protected label points at it). Neither: the whole prompt.
    Refused (400) while another prompt references what would go, as in Langfuse."""
    principal = _principal(request)
    if "\x00" in name or (label is not None and "\x00" in label):
        raise LangfuseError(404, PROMPT_NOT_FOUND)
    if version is not None and label is not None:
        raise LangfuseError(400, "Cannot specify both version and label")
    access.require(principal, Action.DELETE)
    try:
        prompt = selectors.prompt_for(principal, name, Action.DELETE)
        if version is None and label is None:
            services.prompt_delete(principal=principal, prompt=prompt, refuse_if_used=True)
        else:
            services.version_delete(principal=principal, prompt=prompt, number=version, label=label)
    except Http404 as error:
        raise LangfuseError(404, PROMPT_NOT_FOUND) from error
    return HttpResponse(status=204)


# --- Routes: legacy /api/public/prompts (older SDKs) ----------------------------------------


@langfuse_api.get("/prompts", summary="Get a prompt (legacy)")
def legacy_prompt_get(
    request,
    name: str = Query(..., min_length=1),
    version: int | None = Query(None, ge=1, le=MAX_INT),
):
    """`isActive` is true for the version labelled production (served by default). Not
    found is Langfuse's v1 answer, "Prompt not found"."""
    if "\x00" in name:
        raise LangfuseError(404, PROMPT_NOT_FOUND)
    return _get_prompt(request, name, label=None, version=version, not_found=PROMPT_NOT_FOUND)


@langfuse_api.post("/prompts", summary="Create a prompt (legacy)")
def legacy_prompt_create(request, payload: LegacyPromptCreateIn):
    """`isActive: true` also puts `production` on the new version."""
    principal = _principal(request)
    served = _create_version(principal, payload, [PRODUCTION] if payload.isActive else [])
    return JsonResponse(langfuse_prompt_for_write(served, principal), status=201)
