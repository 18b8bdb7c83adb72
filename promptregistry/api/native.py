"""The native prompt API at /api/v1/prompts (django-ninja; mounted in config/api.py).

request.auth is the API key's Principal. Reads of a served version come from serving.serve()
(cached; invalidated by promptregistry/cache.py on every change) and are checked with
access.may_see_with_roles, so a cached answer costs no query beyond the key lookup. Everything
else goes through selectors.prompt_for / access.require like the HTML views.

Path words: a prompt name may contain "/", so the actions after a name are matched first:
`{name}/versions`, `{name}/diff`, `{name}/render`, `{name}/labels/{label}` and
`{name}/labels/{label}/history`. A prompt whose own last segment is one of those words is still
served by the Langfuse-compatible GET /api/public/v2/prompts/{name}.

A/B splits: a label that splits traffic picks its version per request; pass `session_id` (or
`user_id`) to keep one caller on one arm.
"""

from typing import Any

from django.db.models import Prefetch
from django.http import HttpResponse
from ninja import Query, Router, Status

from workspaces import access
from workspaces.roles import Action

from .. import content, diffing, selectors, services, serving
from ..models import LATEST, Label, LabelMove, Prompt, PromptVersion
from .common import (
    api_errors,
    clean_body,
    clean_text,
    conditional_json,
    cursor_page,
    decode_cursor,
    principal_of,
    serve_visible,
    served_payload,
)
from .schemas import (
    MAX_INT,
    DiffOut,
    ErrorOut,
    LabelHistory,
    LabelMoveIn,
    LabelOut,
    PromptCreateIn,
    PromptList,
    PromptOut,
    RenderIn,
    RenderOut,
    VersionCreateIn,
    VersionList,
    VersionOut,
)

router = Router(tags=["prompts"])

DEFAULT_PAGE = 50
MAX_PAGE = 200
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- Prompts --------------------------------------------------------------------------------


@router.get("", response={200: PromptList, 400: ErrorOut}, summary="List prompts")
@api_errors
def prompt_list(
    request,
    folder: str | None = None,
    tag: str | None = None,
    label: str | None = None,
    type: str | None = Query(None, pattern="^(text|chat)$"),
    kind: str | None = Query(None, pattern="^(prompt|snippet)$"),
    search: str | None = None,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE),
):
    """Prompts and snippets this key may see, by name. `folder` includes sub-folders;
    `search` looks in names, descriptions and the newest content."""
    for field, value in (("folder", folder), ("tag", tag), ("label", label), ("search", search)):
        clean_text(value, field)
    prompts = selectors.visible_prompts(principal_of(request))
    if folder:
        prompts = prompts.filter(name__under=folder.strip("/"))
    if tag:
        prompts = prompts.filter(tags__name=tag.strip().lower())
    if label and label != LATEST:
        prompts = prompts.filter(labels__name=label)
    elif label == LATEST:
        prompts = prompts.filter(latest_version_number__gt=0)
    if type:
        prompts = prompts.filter(type=type)
    if kind:
        prompts = prompts.filter(kind=kind)
    if search:
        prompts = prompts.filter(search_text__contains=search.strip().lower())
    after = decode_cursor(cursor, str)
    if after is not None:
        prompts = prompts.filter(name__gt=after)
    rows = list(
        prompts.distinct()
        .order_by("name")
        .prefetch_related(
            "tags",
            Prefetch(
                "labels",
                queryset=Label.objects.select_related("version", "split_version").only(
                    "name",
                    "prompt_id",
                    "split_percent",
                    "version__number",
                    "split_version__number",
                ),
            ),
        )[: limit + 1]
    )
    rows, next_cursor = cursor_page(rows, limit, lambda p: p.name)
    return {"items": [_list_item(p) for p in rows], "next_cursor": next_cursor}


def _label_out(label: Label) -> dict:
    return {
        "name": label.name,
        "version": label.version.number,
        "split_version": label.split_version.number if label.has_split else None,
        "split_percent": label.split_percent if label.has_split else 0,
    }


def _list_item(prompt: Prompt) -> dict:
    return {
        "name": prompt.name,
        "kind": prompt.kind,
        "type": prompt.type,
        "description": prompt.description,
        "folder": prompt.folder_path,
        "tags": [tag.name for tag in prompt.tags.all()],
        "labels": [_label_out(label) for label in prompt.labels.all()],
        "latest_version": prompt.latest_version_number,
        "updated_at": prompt.updated_at.isoformat(),
    }


@router.post("", response={201: PromptOut, **ERRORS}, summary="Create a prompt")
@api_errors
def prompt_create(request, payload: PromptCreateIn):
    """A new prompt or snippet with its first version (and labels). Editors and above."""
    principal = principal_of(request)
    access.require(principal, Action.EDIT)
    clean_body(payload.model_dump())
    prompt = services.prompt_create(
        principal=principal,
        name=payload.name,
        kind=payload.kind,
        prompt_type=payload.type,
        description=payload.description,
        tags=payload.tags,
        version_content=payload.content,
        template_format=payload.template_format,
        config=payload.config,
        commit_message=payload.commit_message,
        labels=payload.labels,
    )
    version = selectors.version_of(prompt, prompt.latest_version_number)
    return Status(201, _fresh_payload(prompt, version))


def _fresh_payload(prompt: Prompt, version: PromptVersion) -> dict:
    """The answer to a write, built from the database (the cache refreshes after commit)."""
    labels = sorted(
        [label.name for label in prompt.labels.filter(version=version)]
        + ([LATEST] if version.number == prompt.latest_version_number else [])
    )
    variables = content.variables_of(version.content, version.template_format)
    return {
        "name": prompt.name,
        "kind": prompt.kind,
        "type": prompt.type,
        "version": version.number,
        "label": None,
        "labels": labels,
        "template_format": version.template_format,
        "content": version.content,
        "variables": variables,
        "placeholders": content.placeholders_of(version.content),
        "config": version.config,
        "commit_message": version.commit_message,
        "tags": sorted(tag.name for tag in prompt.tags.all()),
        "created_at": version.created_at.isoformat(),
        "updated_at": prompt.updated_at.isoformat(),
        "created_by": version.author_label,
    }


# Sub-resources first: their paths would otherwise be read as part of a prompt name.


@router.get("/{path:name}/versions", response={200: VersionList, **ERRORS}, summary="List versions")
@api_errors
def version_list(
    request,
    name: str,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE),
):
    """Newest first, with the labels each version carries."""
    prompt = selectors.prompt_for(principal_of(request), clean_text(name, "name"), Action.READ)
    before = decode_cursor(cursor, int)
    versions = PromptVersion.objects.filter(prompt=prompt).select_related(
        "author", "author_api_key"
    )
    if before is not None:
        versions = versions.filter(number__lt=before)
    rows, next_cursor = cursor_page(list(versions.order_by("-number")[: limit + 1]), limit, _number)
    labels_by_number: dict[int, list[str]] = {}
    for label_name, number in Label.objects.filter(prompt=prompt).values_list(
        "name", "version__number"
    ):
        labels_by_number.setdefault(number, []).append(label_name)
    labels_by_number.setdefault(prompt.latest_version_number, []).append(LATEST)
    items = [_version_out(v, labels_by_number.get(v.number, [])) for v in rows]
    return {"items": items, "next_cursor": next_cursor}


def _number(version: PromptVersion) -> int:
    return version.number


def _version_out(version: PromptVersion, labels: list[str]) -> dict:
    return {
        "version": version.number,
        "template_format": version.template_format,
        "content": version.content,
        "config": version.config,
        "commit_message": version.commit_message,
        "labels": sorted(labels),
        "restored_from": version.restored_from,
        "created_at": version.created_at.isoformat(),
        "created_by": version.author_label,
    }


@router.post(
    "/{path:name}/versions", response={201: VersionOut, **ERRORS}, summary="Create a version"
)
@api_errors
def version_create(request, name: str, payload: VersionCreateIn):
    """Version N+1. With `base_version`, a save on top of a newer version is refused (409)."""
    principal = principal_of(request)
    prompt = selectors.prompt_for(principal, clean_text(name, "name"), Action.EDIT)
    clean_body(payload.model_dump())
    version = services.prompt_version_create(
        principal=principal,
        prompt=prompt,
        version_content=payload.content,
        template_format=payload.template_format,
        config=payload.config,
        commit_message=payload.commit_message,
        base_number=payload.base_version,
        labels=payload.labels,
        refuse_unchanged=True,
    )
    labels = [label.name for label in prompt.labels.filter(version=version)] + [LATEST]
    return Status(201, _version_out(version, labels))


@router.get("/{path:name}/diff", response={200: DiffOut, **ERRORS}, summary="Diff two versions")
@api_errors
def version_diff(
    request,
    name: str,
    to: int | None = Query(None, ge=1, le=MAX_INT, description="Default: the newest version."),
    from_: int | None = Query(
        None, alias="from", ge=1, le=MAX_INT, description="Default: the version before `to`."
    ),
):
    """Word-level differences by message, plus config and template format changes."""
    prompt = selectors.prompt_for(principal_of(request), clean_text(name, "name"), Action.READ)
    new = selectors.version_of(prompt, to or prompt.latest_version_number)
    old_number = from_ if from_ is not None else (new.previous_number or new.number)
    old = new if old_number == new.number else selectors.version_of(prompt, old_number)
    result = diffing.diff_versions(_snapshot(prompt, old), _snapshot(prompt, new), context=None)
    return _diff_out(prompt, old, new, result)


def _snapshot(prompt: Prompt, version: PromptVersion) -> diffing.VersionSnapshot:
    return diffing.VersionSnapshot.from_dicts(
        version.content, version.config, version.template_format, kind=prompt.type
    )


def _json_value(value: Any) -> Any:
    return None if value is diffing.MISSING else value


def _diff_out(prompt, old, new, result: diffing.VersionDiff) -> dict:
    messages = []
    for message in result.messages:
        messages.append(
            {
                "status": message.status,
                "old_index": message.old_index,
                "new_index": message.new_index,
                "old_role": message.old_role,
                "new_role": message.new_role,
                "placeholder": message.placeholder_name,
                "moved": message.moved,
                "lines": [
                    {
                        "status": line.status,
                        "old_number": line.old_number,
                        "new_number": line.new_number,
                        "segments": [{"op": s.op, "text": s.text} for s in line.segments],
                    }
                    for line in message.inline
                ],
            }
        )
    format_change = result.template_format_change
    return {
        "name": prompt.name,
        "from_version": old.number,
        "to_version": new.number,
        "has_changes": result.has_changes,
        "words_added": result.stats.words_added,
        "words_removed": result.stats.words_removed,
        "lines_added": result.stats.lines_added,
        "lines_removed": result.stats.lines_removed,
        "template_format_change": (
            {"old": format_change.old, "new": format_change.new} if format_change else None
        ),
        "config_changes": [
            {
                "path": change.path,
                "kind": change.kind,
                "old": _json_value(change.old),
                "new": _json_value(change.new),
            }
            for change in result.config_changes
        ],
        "messages": messages,
    }


@router.post("/{path:name}/render", response={200: RenderOut, **ERRORS}, summary="Render a prompt")
@api_errors
def prompt_render(request, response: HttpResponse, name: str, payload: RenderIn):
    """The served version filled with variables, in any template format (Jinja2 included),
    snippets resolved. 422 `missing_variables` names what is missing. The served version is
    also in the `X-PromptOps-Version` header."""
    clean_body(payload.model_dump())
    served = serve_visible(
        principal_of(request),
        clean_text(name, "name"),
        label=payload.label,
        version=payload.version,
        seed=payload.session_id or payload.user_id,
    )
    rendered = serving.render_served(served, payload.variables, payload.placeholders)
    response["X-PromptOps-Version"] = str(served.number)
    is_text = isinstance(rendered, str)
    return {
        "name": served.name,
        "version": served.number,
        "label": served.served_label,
        "type": served.type,
        "template_format": served.template_format,
        "text": rendered if is_text else None,
        "messages": None if is_text else rendered,
        "config": served.config,
    }


@router.post(
    "/{path:name}/labels/{label}",
    response={200: LabelOut, **ERRORS},
    summary="Move a label to a version",
)
@api_errors
def label_move(request, name: str, label: str, payload: LabelMoveIn):
    """Point the label at the version (ending any split). Protected labels (production by
    default) need an admin key: 403 otherwise. Every move is audited and kept in its history."""
    principal = principal_of(request)
    prompt = selectors.prompt_for(principal, clean_text(name, "name"), Action.EDIT)
    version = selectors.version_of(prompt, payload.version)
    moved = services.label_move(
        principal=principal, prompt=prompt, name=clean_text(label, "label"), version=version
    )
    return _label_out(moved)


def _move_out(move: LabelMove) -> dict:
    return {
        "id": move.pk,
        "label": move.label_name,
        "action": move.action,
        "from_version": move.from_number,
        "to_version": move.to_number,
        "split_version": move.split_number,
        "split_percent": move.split_percent,
        "actor": move.actor_label,
        "at": move.at.isoformat(),
    }


@router.get(
    "/{path:name}/labels/{label}/history",
    response={200: LabelHistory, **ERRORS},
    summary="History of a label",
)
@api_errors
def label_history(
    request,
    name: str,
    label: str,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE),
):
    """Every move, split, promote, abort and removal of the label, newest first."""
    prompt = selectors.prompt_for(principal_of(request), clean_text(name, "name"), Action.READ)
    moves = LabelMove.objects.filter(prompt=prompt, label_name=clean_text(label, "label"))
    before = decode_cursor(cursor, int)
    if before is not None:
        moves = moves.filter(pk__lt=before)
    rows, next_cursor = cursor_page(list(moves.order_by("-pk")[: limit + 1]), limit, lambda m: m.pk)
    return {"label": label, "items": [_move_out(m) for m in rows], "next_cursor": next_cursor}


@router.get("/{path:name}", response={200: PromptOut, 304: None, **ERRORS}, summary="Get a prompt")
@api_errors
def prompt_get(
    request,
    name: str,
    label: str | None = None,
    version: int | None = Query(None, ge=1, le=MAX_INT),
    session_id: str | None = Query(
        None, description="Keeps one caller on one arm of an A/B split (or pass user_id)."
    ),
    user_id: str | None = None,
    resolve_snippets: bool = Query(True, alias="resolve"),
):
    """The version a label points at (default `production`; `latest` is the newest) or a
    version by number, snippets resolved. Carries an ETag (send If-None-Match for a 304) and
    the served version in `X-PromptOps-Version`."""
    served = serve_visible(
        principal_of(request),
        clean_text(name, "name"),
        label=clean_text(label, "label"),
        version=version,
        seed=clean_text(session_id or user_id, "session_id"),
        resolve=resolve_snippets,
    )
    return conditional_json(request, served_payload(served), served)


@router.delete("/{path:name}", response={204: None, **ERRORS}, summary="Delete a prompt")
@api_errors
def prompt_delete(request, name: str):
    """Soft delete: gone from lists and the API, versions kept for the audit trail. Admins."""
    principal = principal_of(request)
    prompt = selectors.prompt_for(principal, clean_text(name, "name"), Action.DELETE)
    services.prompt_delete(principal=principal, prompt=prompt)
    return Status(204, None)
