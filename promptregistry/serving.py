"""Serving a prompt to a client: name + label or version -> its content, snippets resolved.

Answers are cached per workspace generation (cache.py) and the A/B arm is picked per request,
after the cache, so a split label still splits. Used by the native API, the Langfuse-compatible
API and the gateway; the served version is returned so callers can log it.
"""

import hashlib
import secrets
from dataclasses import dataclass, field, replace

from workspaces import access
from workspaces.principal import Principal

from . import cache, templating
from .models import LATEST, PRODUCTION, Folder, Label, Prompt, PromptVersion
from .snippet_refs import graph_node, prompt_named, resolve_content

CACHE_SECONDS = 300


class PromptNotFound(LookupError):
    pass


def not_found(name: str, *, label: str | None, version: int | None) -> PromptNotFound:
    """One answer for a prompt that is missing, has no such version or label, or is hidden
    from the caller: they must read alike, or a refusal tells what exists."""
    if version is not None:
        return PromptNotFound(f"“{name}” has no version {version}.")
    return PromptNotFound(f"No version of “{name}” has the label “{label}”.")


@dataclass(frozen=True)
class ServedVersion:
    """Everything a client needs about the version it was served (plain data: cacheable)."""

    prompt_id: int
    name: str
    kind: str
    type: str
    number: int
    template_format: str
    content: dict
    config: dict
    commit_message: str
    labels: list[str]
    tags: list[str]
    created_at: str
    updated_at: str
    created_by: str
    served_label: str | None
    # The roles a caller must hold to see this prompt (its own and its folders' restrictions):
    # checked by access.may_see_with_roles before anything is returned.
    required_view_roles: list[str] = field(default_factory=list)
    # Saved through an API key (Langfuse's createdBy "API") rather than by a person.
    created_via_api: bool = False
    # The snippets resolved into `content`: {"root": node, "edges": [[parent, child], ...]}
    # with nodes {"prompt_id", "name", "version"}; None without references or unresolved.
    resolution_graph: dict | None = None
    # Served through a label that splits traffic (A/B): which arm it is, the version says.
    ab_split: bool = False

    @property
    def is_active(self) -> bool:
        return PRODUCTION in self.labels


def _pick_arm(label: dict, seed: str | None) -> int:
    """Stable per caller when a seed (session or user id) is given, random otherwise."""
    if not label.get("split_number"):
        return label["number"]
    if seed:
        digest = hashlib.sha256(f"{label['prompt_id']}:{label['name']}:{seed}".encode()).digest()
        bucket = int.from_bytes(digest[:4], "big") % 100
    else:
        bucket = secrets.randbelow(100)
    return label["split_number"] if bucket < label["split_percent"] else label["number"]


def _labels_by_number(prompt: Prompt) -> dict[int, list[str]]:
    """Each version's labels in the order they were put on it, `latest` last (as Langfuse
    lists them: the labels of a create, then latest)."""
    by_number: dict[int, list[str]] = {}
    for label in prompt.labels.select_related("version").order_by("updated_at", "id"):
        by_number.setdefault(label.version.number, []).append(label.name)
    by_number.setdefault(prompt.latest_version_number, []).append(LATEST)
    return by_number


def _resolve_content(
    principal: Principal, prompt: Prompt, version: PromptVersion, resolve: bool
) -> tuple[dict, dict | None]:
    """The content with snippets resolved, and the graph of what was resolved (or None)."""
    if not resolve:
        return version.content, None
    resolution = templating.Resolution(root=graph_node(prompt, version.number))
    resolved = resolve_content(
        principal=principal, name=prompt.name, stored=version.content, resolution=resolution
    )
    if not resolution.edges:
        return resolved, None
    edges = [[parent, child] for parent, child in resolution.edges]
    return resolved, {"root": resolution.root, "edges": edges}


def served_version(
    prompt: Prompt,
    version: PromptVersion,
    *,
    labels: list[str],
    content: dict | None = None,
    served_label: str | None = None,
    required_view_roles: list[str] | None = None,
    resolution_graph: dict | None = None,
) -> ServedVersion:
    """One version as plain data; `content` overrides the stored one (snippets resolved).
    `labels` in the order clients see them (see _labels_by_number)."""
    return ServedVersion(
        prompt_id=prompt.pk,
        name=prompt.name,
        kind=prompt.kind,
        type=prompt.type,
        number=version.number,
        template_format=version.template_format,
        content=version.content if content is None else content,
        config=version.config,
        commit_message=version.commit_message,
        labels=list(labels),
        tags=sorted(prompt.tags.values_list("name", flat=True)),
        created_at=version.created_at.isoformat(),
        updated_at=prompt.updated_at.isoformat(),
        created_by=version.author_label,
        served_label=served_label,
        required_view_roles=required_view_roles or [],
        created_via_api=version.author_id is None and version.author_api_key_id is not None,
        resolution_graph=resolution_graph,
    )


def _build(
    principal: Principal, prompt: Prompt, number: int, served_label: str | None, resolve: bool
) -> ServedVersion | None:
    workspace = principal.workspace
    version = (
        PromptVersion.objects.select_related("author", "author_api_key")
        .filter(prompt=prompt, number=number)
        .first()
    )
    if version is None:
        return None
    required = [prompt.view_role] if prompt.view_role else []
    if prompt.folder_id:
        required += list(
            Folder.objects.filter(workspace=workspace, path__in=prompt.folder.ancestor_paths())
            .exclude(view_role="")
            .values_list("view_role", flat=True)
        )
    if not access.may_see_with_roles(principal, required):
        return None  # checked before resolving: a hidden prompt's snippets are never loaded
    content, graph = _resolve_content(principal, prompt, version, resolve)
    return served_version(
        prompt,
        version,
        labels=_labels_by_number(prompt).get(number, []),
        content=content,
        served_label=served_label,
        required_view_roles=required,
        resolution_graph=graph,
    )


def _label_row(prompt: Prompt, label_name: str) -> dict | None:
    if label_name == LATEST:
        return {"prompt_id": prompt.pk, "name": LATEST, "number": prompt.latest_version_number}
    label = (
        Label.objects.filter(prompt=prompt, name=label_name)
        .select_related("version", "split_version")
        .first()
    )
    if label is None:
        return None
    return {
        "prompt_id": prompt.pk,
        "name": label.name,
        "number": label.version.number,
        "split_number": label.split_version.number if label.has_split else None,
        "split_percent": label.split_percent,
    }


def _reader_key(principal: Principal) -> str:
    """Who snippets are resolved for: what they may read depends on the role, and for a
    member on their grants too (grant changes bump the generation)."""
    return principal.role if principal.user is None else f"{principal.role}-u{principal.user.pk}"


def serve(
    principal: Principal,
    name: str,
    *,
    label: str | None = None,
    version: int | None = None,
    seed: str | None = None,
    resolve: bool = True,
    generation: int | None = None,
) -> ServedVersion:
    """The version `name` + `label`/`version` serves, snippets resolved as the principal may
    read them (a snippet it can't read is "not found", as if missing). `generation`: the
    workspace's registry generation when the caller has already read it.

    Raises PromptNotFound; template errors of snippet resolution propagate (TemplateError).
    Whether the principal may see the prompt itself is the caller's check
    (api/common.py: serve_visible, with required_view_roles)."""
    workspace = principal.workspace
    if generation is None:
        generation = cache.generation(workspace.pk)
    if version is None and label is None:
        label = PRODUCTION
    base, built = _entry_keys(principal, name, generation, resolve)
    if version is not None:
        return _cached(
            f"{built}:v{version}", lambda: _serve_number(principal, name, version, None, resolve)
        )
    route = cache.get_entry(f"{base}:label:{label}")
    if route is None:
        prompt = prompt_named(workspace, name)
        route = _label_row(prompt, label) if prompt else None
        if route is None:
            raise not_found(name, label=label, version=None)
        route = {**route, "name": label, "prompt_name": prompt.name}
        cache.set_entry(f"{base}:label:{label}", route, CACHE_SECONDS)
    number = _pick_arm(route, seed)
    served = _cached(
        f"{built}:v{number}:{label}",
        lambda: _serve_number(principal, name, number, label, resolve),
    )
    return _through(served, route)


def serve_remembered(
    principal: Principal,
    name: str,
    *,
    label: str | None,
    version: int | None,
    seed: str | None,
    generation: int,
) -> ServedVersion | None:
    """serve() (snippets resolved) from this process's memory alone: no database, no shared
    cache, so the event loop may call it. None when anything it needs isn't remembered (the
    caller then calls serve() on a thread, which remembers it for next time)."""
    if version is None and label is None:
        label = PRODUCTION
    base, built = _entry_keys(principal, name, generation, True)
    if version is not None:
        return cache.get_local(f"{built}:v{version}")
    route = cache.get_local(f"{base}:label:{label}")
    if route is None:
        return None
    served = cache.get_local(f"{built}:v{_pick_arm(route, seed)}:{label}")
    return None if served is None else _through(served, route)


def _entry_keys(principal: Principal, name: str, generation: int, resolve: bool):
    """The cache keys of a name's label routes (base) and built versions (built)."""
    name_key = hashlib.sha256(name.encode()).hexdigest()[:32]
    base = f"serve:{principal.workspace.pk}:{generation}:{name_key}"
    built = f"{base}:{_reader_key(principal)}:1" if resolve else f"{base}:0"
    return base, built


def _through(served: ServedVersion, route: dict) -> ServedVersion:
    """The version as served through this label route (marked when the label splits)."""
    return replace(served, ab_split=True) if route.get("split_number") else served


def _serve_number(principal, name, number, label, resolve) -> ServedVersion:
    prompt = prompt_named(principal.workspace, name)
    served = _build(principal, prompt, number, label, resolve) if prompt else None
    if served is None:
        raise not_found(name, label=label, version=None if label else number)
    return served


def _cached(key: str, build) -> ServedVersion:
    served = cache.get_entry(key)
    if served is None:
        served = build()
        cache.set_entry(key, served, CACHE_SECONDS)
    return served


def render_served(
    served: ServedVersion, variables: dict, placeholders: dict | None = None
) -> str | list[dict]:
    """The served version filled with variables (one engine for every format)."""
    if served.type == Prompt.Type.TEXT:
        return templating.render(served.content["text"], served.template_format, variables)
    return templating.render_messages(
        served.content["messages"],
        served.template_format,
        variables,
        placeholders=placeholders or {},
    )
