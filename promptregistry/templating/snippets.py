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
    prompt composability feature. The name may contain any character except
    ``|``, ``@`` and line breaks.

A reference names either a label or a version, never both. Without either it
means the ``production`` label. References are resolved before variables are
rendered (:func:`resolve_references`), and the snippet's text is inserted as it
is, so it should be written in the including prompt's template format.
Snippets may reference other snippets, up to ``max_depth`` levels; a chain of
references that leads back to a prompt already being included is a cycle and
an error.

Text that starts like a reference but does not follow the syntax (for example
``{{> name|tag=x}}``) is an error rather than ordinary text, so a typo cannot
leak a half-written reference into a prompt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from promptregistry.templating.errors import TemplateError, TemplateSyntaxError

DEFAULT_LABEL = "production"
DEFAULT_MAX_DEPTH = 5

ReferenceSyntax = Literal["promptops", "langfuse"]
SnippetLoader = Callable[["SnippetReference"], str]


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
        super().__init__(f"Snippet references form a cycle: {' -> '.join(self.cycle)}")


class SnippetDepthError(SnippetError):
    """References are nested more deeply than allowed."""

    def __init__(self, chain: list[str], max_depth: int) -> None:
        self.chain = list(chain)
        self.max_depth = max_depth
        super().__init__(
            f"Snippet references are nested more than {max_depth} levels deep:"
            f" {' -> '.join(self.chain)}"
        )


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
    r"(?P<promptops>\{\{\s*>[^{}\n]*\}\})|(?P<langfuse>@@@langfusePrompt:[^@\n]*@@@)"
)
_PROMPTOPS = re.compile(
    r"\{\{\s*>\s*(?P<name>[A-Za-z0-9_./-]+)"
    r"(?:\s*\|\s*(?P<key>label|version)\s*=\s*(?P<value>[A-Za-z0-9_.-]+))?\s*\}\}"
)
_LANGFUSE_PARAMETER = re.compile(r"(?P<key>name|label|version)=(?P<value>[^|@\n]+)")
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
            references.append(_parse_candidate(match))
        except ValueError as exc:
            if strict:
                lineno = text.count("\n", 0, match.start()) + 1
                raise SnippetSyntaxError(str(exc), lineno) from None
    return references


def _parse_candidate(match: re.Match[str]) -> SnippetReference:
    raw = match.group()
    if match.lastgroup == "promptops":
        parsed = _PROMPTOPS.fullmatch(raw)
        if parsed is None:
            raise ValueError(
                f"Invalid snippet reference {raw}: write {{{{> name}}}},"
                " {{> name|label=staging}} or {{> name|version=3}}"
            )
        parameters = {"name": parsed["name"]}
        if parsed["key"]:
            parameters[parsed["key"]] = parsed["value"]
        syntax: ReferenceSyntax = "promptops"
    else:
        parameters = _langfuse_parameters(raw)
        syntax = "langfuse"
    name, label, version = _validate_parameters(raw, parameters)
    return SnippetReference(name, label, version, raw, match.span(), syntax)


def _langfuse_parameters(raw: str) -> dict[str, str]:
    body = raw.removeprefix("@@@langfusePrompt:").removesuffix("@@@")
    parameters: dict[str, str] = {}
    for part in body.split("|"):
        parsed = _LANGFUSE_PARAMETER.fullmatch(part.strip())
        if parsed is None or parsed["key"] in parameters:
            raise ValueError(
                f"Invalid Langfuse prompt reference {raw}: write"
                " @@@langfusePrompt:name=NAME|label=LABEL@@@ or"
                " @@@langfusePrompt:name=NAME|version=N@@@"
            )
        parameters[parsed["key"]] = parsed["value"].strip()
    return parameters


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


def resolve_references(
    text: str,
    load: SnippetLoader,
    max_depth: int = DEFAULT_MAX_DEPTH,
    *,
    root_name: str | None = None,
) -> str:
    """Replace every reference in ``text`` by the text ``load`` returns for it.

    Loaded text is resolved too, so snippets may include snippets. ``load``
    signals an unknown reference by raising ``KeyError`` or another
    ``LookupError``. Give ``root_name`` (the name of the prompt ``text``
    belongs to) so that a reference back to it is reported as a cycle.

    Raises :class:`SnippetNotFoundError`, :class:`SnippetCycleError` (e.g.
    "a -> b -> a"), :class:`SnippetDepthError` when references nest more than
    ``max_depth`` levels, and :class:`SnippetSyntaxError`.
    """
    chain = [root_name] if root_name is not None else []
    return _resolve(text, load, max_depth, chain, cache={})


def _resolve(
    text: str,
    load: SnippetLoader,
    max_depth: int,
    chain: list[str],
    cache: dict[tuple[str, str | None, int | None], str],
    depth: int = 0,
) -> str:
    """Resolve references in ``text``, which is itself included ``depth`` levels deep."""
    try:
        references = find_references(text)
    except SnippetSyntaxError as exc:
        if depth == 0:
            raise
        # The line number is within the snippet, so say which snippet it is.
        raise SnippetSyntaxError(f"In snippet {chain[-1]}: {exc.message}", exc.lineno) from None
    parts: list[str] = []
    position = 0
    for reference in references:
        start, end = reference.span
        parts.append(text[position:start])
        parts.append(_resolve_one(reference, load, max_depth, chain, cache, depth + 1))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _resolve_one(
    reference: SnippetReference,
    load: SnippetLoader,
    max_depth: int,
    chain: list[str],
    cache: dict[tuple[str, str | None, int | None], str],
    depth: int,
) -> str:
    if reference.name in chain:
        # Cycles are matched by name, whatever the label or version: a prompt
        # that includes another version of itself is almost always a mistake.
        raise SnippetCycleError([*chain[chain.index(reference.name) :], reference.name])
    if depth > max_depth:
        raise SnippetDepthError([*chain, reference.name], max_depth)
    if reference.key not in cache:
        try:
            cache[reference.key] = load(reference)
        except LookupError:  # KeyError, or the loader's own "not found"
            raise SnippetNotFoundError(reference, chain) from None
    return _resolve(cache[reference.key], load, max_depth, [*chain, reference.name], cache, depth)


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
                loaded = load(reference)
            except LookupError:
                continue
            found = visit(loaded, [*path, reference.name])
            if found:
                return found
        return None

    return visit(text, [name])


def check_references(
    name: str, text: str, load: SnippetLoader, max_depth: int = DEFAULT_MAX_DEPTH
) -> None:
    """Save-time validation: raise if ``text`` cannot be resolved as prompt ``name``.

    Raises :class:`SnippetSyntaxError`, :class:`SnippetCycleError`,
    :class:`SnippetNotFoundError` or :class:`SnippetDepthError`.
    """
    find_references(text)  # syntax errors first: they are the author's to fix here
    cycle = detect_cycle(name, text, load)
    if cycle:
        raise SnippetCycleError(cycle)
    resolve_references(text, load, max_depth, root_name=name)
