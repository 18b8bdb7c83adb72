"""Snippet references: including one prompt's text in another.

Syntax
======

A reference is replaced by the text of another prompt (a "snippet"). Two
spellings are understood, in every template format:

PromptOps form
    ``{{> name}}``, ``{{> name|label=staging}}`` or ``{{> name|version=3}}``.
    Spaces inside the braces are optional. A name contains letters, digits,
    ``/``, ``-``, ``_`` and ``.`` (``{{> shared/tone-of-voice}}``). A label
    contains letters, digits, ``_``, ``.`` and ``-``; a version is a number.

Langfuse form
    ``@@@langfusePrompt:name=NAME|label=LABEL@@@`` or
    ``@@@langfusePrompt:name=NAME|version=N@@@``, as written by Langfuse's
    prompt composability feature: ``name=`` first, then exactly one ``label=``
    or ``version=`` (a number). The name may contain any character except
    ``|`` and line breaks.

A PromptOps reference names either a label or a version, never both; without
either it means the ``production`` label. References are resolved before
variables are rendered (:func:`resolve_references`), and the snippet's text is
inserted as it is, so it should be written in the including prompt's template
format. Snippets may reference other snippets, up to ``max_depth`` levels below
the prompt (four, so five prompts in a chain, as Langfuse allows); a chain of
references that leads back to a prompt already being included is a cycle and
an error. Each reference is expanded once however often it appears, and all the
texts of one prompt may expand to at most ``DEFAULT_MAX_EXPANDED_CHARS``
characters together, checked while expanding.

Text that starts like a PromptOps reference but does not follow the syntax (for
example ``{{> name|tag=x}}``) is an error rather than ordinary text, so a typo
cannot leak a half-written reference into a prompt. A malformed Langfuse tag
(``@@@langfusePrompt:name=x@@@``, ``@@@langfusePrompt:version=1|name=x@@@``) is
left as ordinary text, as Langfuse leaves it.

A loader may return the text alone or a :class:`LoadedSnippet`, whose ``node``
(what was loaded, e.g. a prompt version) is recorded in the resolution's
``edges``: the dependency graph clients see as Langfuse's ``resolutionGraph``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from promptregistry.templating.errors import TemplateError, TemplateSyntaxError

DEFAULT_LABEL = "production"
# Levels of references below a prompt: a chain of five prompts, Langfuse's
# MAX_PROMPT_NESTING_DEPTH (its root is level 0 and level 5 is refused).
DEFAULT_MAX_DEPTH = 4
# What one prompt may expand to with its snippets, all texts together (a stored text holds at
# most 200,000 characters; this leaves room to compose, not to multiply).
DEFAULT_MAX_EXPANDED_CHARS = 1_000_000

ReferenceSyntax = Literal["promptops", "langfuse"]
SnippetLoader = Callable[["SnippetReference"], "str | LoadedSnippet"]


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class SnippetError(TemplateError):
    """Base class of snippet reference errors."""


class SnippetSyntaxError(SnippetError, TemplateSyntaxError):
    """Text that looks like a reference does not follow the reference syntax."""


class SnippetNotFoundError(SnippetError):
    """The loader has no text for a reference."""

    def __init__(self, reference: SnippetReference, chain: list[str] | None = None) -> None:
        self.reference = reference
        self.chain = list(chain or [])
        message = f"Snippet {reference.describe()} not found"
        if self.chain:
            message += f" (referenced from {' -> '.join(self.chain)})"
        super().__init__(message)


class SnippetCycleError(SnippetError):
    """References lead back to a prompt that is already being included."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = list(cycle)
        super().__init__(
            "Circular dependency detected: snippet references form a cycle:"
            f" {' -> '.join(self.cycle)}"
        )


class SnippetDepthError(SnippetError):
    """References are nested more deeply than allowed."""

    def __init__(self, chain: list[str], max_depth: int) -> None:
        self.chain = list(chain)
        self.max_depth = max_depth
        super().__init__(
            f"Maximum nesting depth exceeded: snippet references may nest {max_depth} levels"
            f" below a prompt ({max_depth + 1} prompts in a chain): {' -> '.join(self.chain)}"
        )


class SnippetNotTextError(SnippetError):
    """A reference names a chat prompt: only text can be included in another prompt."""

    def __init__(self, reference: SnippetReference) -> None:
        self.reference = reference
        super().__init__(
            f"Snippet {reference.describe()} is a chat prompt: only text prompts and snippets"
            " can be included in another prompt"
        )


@dataclass(frozen=True)
class LoadedSnippet:
    """What a loader found for a reference: its text, and what it is (``node``, recorded in
    the resolution's dependency graph; e.g. ``{"name", "version", ...}``)."""

    text: str
    node: dict | None = None


# --------------------------------------------------------------------------
# Finding references
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SnippetReference:
    """One reference found in a text.

    ``label`` is ``"production"`` when the reference names neither a label nor
    a version. ``raw`` is the reference as written and ``span`` its
    ``(start, end)`` offsets in the text it was found in.
    """

    name: str
    label: str | None
    version: int | None
    raw: str
    span: tuple[int, int]
    syntax: ReferenceSyntax = "promptops"

    @property
    def key(self) -> tuple[str, str | None, int | None]:
        """What the reference points at, independent of where it was written."""
        return (self.name, self.label, self.version)

    def describe(self) -> str:
        if self.version is not None:
            return f'"{self.name}" (version {self.version})'
        return f'"{self.name}" (label "{self.label}")'


# Loose patterns find everything that claims to be a reference; the stricter
# ones below then decide whether it is well formed.
_CANDIDATE = re.compile(
    r"(?P<promptops>\{\{\s*>[^{}\n]*\}\})|(?P<langfuse>@@@langfusePrompt:.*?@@@)"
)
_PROMPTOPS = re.compile(
    r"\{\{\s*>\s*(?P<name>[A-Za-z0-9_./-]+)"
    r"(?:\s*\|\s*(?P<key>label|version)\s*=\s*(?P<value>[A-Za-z0-9_.-]+))?\s*\}\}"
)
_LABEL = re.compile(r"[A-Za-z0-9_.-]+")


def find_references(text: str, *, strict: bool = True) -> list[SnippetReference]:
    """Every snippet reference in ``text``, in order.

    With ``strict`` (the default) a malformed reference raises
    :class:`SnippetSyntaxError`; otherwise it is skipped, which suits editor
    highlighting while the author is still typing.
    """
    references: list[SnippetReference] = []
    for match in _CANDIDATE.finditer(text):
        try:
            reference = _parse_candidate(match)
        except ValueError as exc:
            if strict:
                lineno = text.count("\n", 0, match.start()) + 1
                raise SnippetSyntaxError(str(exc), lineno) from None
            continue
        if reference is not None:
            references.append(reference)
    return references


def _parse_candidate(match: re.Match[str]) -> SnippetReference | None:
    """The reference, None for a malformed Langfuse tag (ordinary text), ValueError for a
    malformed PromptOps reference."""
    raw = match.group()
    if match.lastgroup == "langfuse":
        return _langfuse_reference(raw, match.span())
    parsed = _PROMPTOPS.fullmatch(raw)
    if parsed is None:
        raise ValueError(
            f"Invalid snippet reference {raw}: write {{{{> name}}}},"
            " {{> name|label=staging}} or {{> name|version=3}}"
        )
    parameters = {"name": parsed["name"]}
    if parsed["key"]:
        parameters[parsed["key"]] = parsed["value"]
    name, label, version = _validate_parameters(raw, parameters)
    return SnippetReference(name, label, version, raw, match.span(), "promptops")


def _langfuse_reference(raw: str, span: tuple[int, int]) -> SnippetReference | None:
    """Langfuse's rule: ``name=NAME`` then ``label=LABEL`` or ``version=N``, nothing else;
    anything else is not a reference (the text stays as written)."""
    body = raw.removeprefix("@@@langfusePrompt:").removesuffix("@@@")
    parts = body.split("|")
    if len(parts) != 2:
        return None
    key, _, name = parts[0].partition("=")
    kind, _, value = parts[1].partition("=")
    if key != "name" or not name or not value:
        return None
    if kind == "version":
        if not (value.isascii() and value.isdigit()):
            return None
        return SnippetReference(name, None, int(value), raw, span, "langfuse")
    if kind == "label":
        return SnippetReference(name, value, None, raw, span, "langfuse")
    return None


def _validate_parameters(
    raw: str, parameters: dict[str, str]
) -> tuple[str, str | None, int | None]:
    name = parameters.get("name", "")
    label = parameters.get("label")
    version = parameters.get("version")
    if not name:
        raise ValueError(f"Snippet reference {raw} has no name")
    if label is not None and version is not None:
        raise ValueError(f"Snippet reference {raw} names both a label and a version; keep one")
    if version is not None:
        if not version.isdigit():
            raise ValueError(f"Snippet reference {raw} has version {version!r}; use a number")
        return name, None, int(version)
    if label is not None and not _LABEL.fullmatch(label):
        raise ValueError(f"Snippet reference {raw} has an invalid label {label!r}")
    return name, label or DEFAULT_LABEL, None


# --------------------------------------------------------------------------
# Resolving references
# --------------------------------------------------------------------------


class SnippetSizeError(SnippetError):
    """References expand to more text than one prompt may hold."""

    def __init__(self, chain: list[str], limit: int) -> None:
        self.chain = list(chain)
        self.limit = limit
        where = f" (at {' -> '.join(self.chain)})" if self.chain else ""
        super().__init__(
            f"Snippet references expand to more than {limit:,} characters{where}: "
            "include fewer or shorter snippets"
        )


@dataclass
class Resolution:
    """What one prompt's resolution shares across its texts (a chat prompt's messages).

    ``limit`` bounds the characters all texts may expand to together, checked while
    expanding so an oversized fan-out stops early. ``resolved`` memoises each reference
    once expanded: ``(text, levels of nesting below it, names included below it, node)``.
    ``root`` is the node of the prompt being resolved (give it to record the graph) and
    ``edges`` the ``(parent node, child node)`` pairs met, each once, in the order of the
    references in each parent's text.
    """

    limit: int = DEFAULT_MAX_EXPANDED_CHARS
    used: int = 0
    loaded: dict = field(default_factory=dict)
    resolved: dict = field(default_factory=dict)
    root: dict | None = None
    edges: list = field(default_factory=list)

    def add_edge(self, parent: dict | None, child: dict | None) -> None:
        if parent is not None and child is not None and (parent, child) not in self.edges:
            self.edges.append((parent, child))

    @property
    def remaining(self) -> int:
        return self.limit - self.used


def resolve_references(
    text: str,
    load: SnippetLoader,
    max_depth: int = DEFAULT_MAX_DEPTH,
    *,
    root_name: str | None = None,
    resolution: Resolution | None = None,
) -> str:
    """Replace every reference in ``text`` by the text ``load`` returns for it.

    Loaded text is resolved too, so snippets may include snippets; each reference is
    loaded and expanded once however often it appears. ``load`` signals an unknown
    reference by raising ``KeyError`` or another ``LookupError``. Give ``root_name`` (the
    name of the prompt ``text`` belongs to) so that a reference back to it is reported as
    a cycle, and one ``resolution`` to every text of a prompt so their total size is
    bounded together.

    Raises :class:`SnippetNotFoundError`, :class:`SnippetCycleError` (e.g.
    "a -> b -> a"), :class:`SnippetDepthError` when references nest more than
    ``max_depth`` levels, :class:`SnippetSizeError` past the size limit and
    :class:`SnippetSyntaxError`.
    """
    resolution = resolution if resolution is not None else Resolution()
    chain = [root_name] if root_name is not None else []
    resolved, _, _ = _resolve(text, load, max_depth, chain, resolution, resolution.root)
    resolution.used += len(resolved)
    return resolved


def _loaded_text(loaded: str | LoadedSnippet) -> str:
    return loaded.text if isinstance(loaded, LoadedSnippet) else loaded


def _loaded_node(loaded: str | LoadedSnippet) -> dict | None:
    return loaded.node if isinstance(loaded, LoadedSnippet) else None


def _resolve(
    text: str,
    load: SnippetLoader,
    max_depth: int,
    chain: list[str],
    resolution: Resolution,
    node: dict | None,
    depth: int = 0,
) -> tuple[str, int, frozenset[str]]:
    """``text`` (of ``node``, included ``depth`` levels deep) resolved, how deep its
    references nest, and the names it includes."""
    try:
        references = find_references(text)
    except SnippetSyntaxError as exc:
        if depth == 0:
            raise
        # The line number is within the snippet, so say which snippet it is.
        raise SnippetSyntaxError(f"In snippet {chain[-1]}: {exc.message}", exc.lineno) from None
    if not references:
        if len(text) > resolution.remaining:
            raise SnippetSizeError(chain, resolution.limit)
        return text, 0, frozenset()
    parts: list[str] = []
    size = 0
    height = 0
    names: set[str] = set()
    position = 0
    for reference in references:
        start, end = reference.span
        expanded, below, included, child = _resolve_one(
            reference, load, max_depth, chain, resolution, depth + 1
        )
        resolution.add_edge(node, child)
        parts.append(text[position:start])
        parts.append(expanded)
        size += start - position + len(expanded)
        if size > resolution.remaining:
            raise SnippetSizeError([*chain, reference.name], resolution.limit)
        height = max(height, below + 1)
        names |= included
        names.add(reference.name)
        position = end
    parts.append(text[position:])
    size += len(text) - position
    if size > resolution.remaining:
        raise SnippetSizeError(chain, resolution.limit)
    return "".join(parts), height, frozenset(names)


def _resolve_one(
    reference: SnippetReference,
    load: SnippetLoader,
    max_depth: int,
    chain: list[str],
    resolution: Resolution,
    depth: int,
) -> tuple[str, int, frozenset[str], dict | None]:
    if reference.name in chain:
        # Cycles are matched by name, whatever the label or version: a prompt that includes
        # another version of itself is almost always a mistake.
        raise SnippetCycleError([*chain[chain.index(reference.name) :], reference.name])
    if depth > max_depth:
        raise SnippetDepthError([*chain, reference.name], max_depth)
    memo = resolution.resolved.get(reference.key)
    if memo is None:
        if reference.key not in resolution.loaded:
            try:
                resolution.loaded[reference.key] = load(reference)
            except LookupError:  # KeyError, or the loader's own "not found"
                raise SnippetNotFoundError(reference, chain) from None
        loaded = resolution.loaded[reference.key]
        node = _loaded_node(loaded)
        memo = (
            *_resolve(
                _loaded_text(loaded),
                load,
                max_depth,
                [*chain, reference.name],
                resolution,
                node,
                depth,
            ),
            node,
        )
        resolution.resolved[reference.key] = memo
        return memo
    # Expanded before, elsewhere in the tree: the same text, unless this place is deeper
    # or lies on a path its insides lead back to.
    _, height, included, _ = memo
    back = next((name for name in chain if name in included), None)
    if back is not None:
        raise SnippetCycleError([*chain[chain.index(back) :], reference.name, back])
    if depth + height > max_depth:
        raise SnippetDepthError([*chain, reference.name, "…"], max_depth)
    return memo


def detect_cycle(name: str, text: str, load: SnippetLoader) -> list[str] | None:
    """The reference chain that leads from ``text`` back to prompt ``name``, if any.

    Meant for save time: ``text`` is the new text of prompt ``name`` and
    ``load`` returns the stored text of a referenced prompt. Returns the cycle
    as a list of names such as ``["a", "b", "a"]``, or ``None``. References
    that ``load`` cannot find are skipped (resolving reports them) and cycles
    that do not pass through ``name`` are not followed twice.
    """
    explored: set[tuple[str, str | None, int | None]] = set()

    def visit(current_text: str, path: list[str]) -> list[str] | None:
        for reference in find_references(current_text, strict=False):
            if reference.name == name:
                return [*path, name]
            if reference.name in path or reference.key in explored:
                continue
            explored.add(reference.key)
            try:
                loaded = _loaded_text(load(reference))
            except LookupError:
                continue
            found = visit(loaded, [*path, reference.name])
            if found:
                return found
        return None

    return visit(text, [name])


def check_references(
    name: str,
    text: str,
    load: SnippetLoader,
    max_depth: int = DEFAULT_MAX_DEPTH,
    *,
    resolution: Resolution | None = None,
) -> None:
    """Save-time validation: raise if ``text`` cannot be resolved as prompt ``name``.

    Raises :class:`SnippetSyntaxError`, :class:`SnippetCycleError`,
    :class:`SnippetNotFoundError`, :class:`SnippetDepthError`, :class:`SnippetSizeError`
    or what the loader raises (:class:`SnippetNotTextError`).
    """
    find_references(text)  # syntax errors first: they are the author's to fix here
    resolution = resolution if resolution is not None else Resolution()

    def load_once(reference: SnippetReference) -> str | LoadedSnippet:
        if reference.key not in resolution.loaded:
            resolution.loaded[reference.key] = load(reference)
        return resolution.loaded[reference.key]

    cycle = detect_cycle(name, text, load_once)
    if cycle:
        raise SnippetCycleError(cycle)
    resolve_references(text, load_once, max_depth, root_name=name, resolution=resolution)
