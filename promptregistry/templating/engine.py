"""The PromptOps template engine: one place that parses and renders every prompt.

Every part of the product (editor preview, retrieval API, gateway, playground,
evaluations) renders prompts through this module, so a prompt behaves the same
everywhere. It is pure Python: no Django models, no database.

Template formats
================

A prompt's format is one of :class:`TemplateFormat`. All three produce plain
text: nothing is HTML-escaped, because the output goes to a language model.

``mustache`` (the default)
    ``Hello {{name}}!`` or ``Hello {{ name }}!``: a logic-free subset of
    Mustache, compatible with Langfuse prompts.

    * ``{{ name }}`` is replaced by the value of the variable ``name``. Spaces
      inside the braces are optional. A name starts with a letter or ``_`` and
      continues with letters, digits, ``_``, ``.`` or ``-``. The whole name is
      one key: ``{{user.name}}`` reads the variable called ``user.name``; there
      is no nested lookup.
    * ``{{> snippet}}`` is a snippet reference, not a variable (see below).
    * Anything else written as ``{{ ... }}`` on one line (sections such as
      ``{{#items}}``, comments ``{{! ... }}``, ``{{first name}}``) is a syntax
      error, so a typo never reaches a model silently. There is no escape for
      literal double braces: use the ``fstring`` or ``jinja2`` format when a
      prompt must contain them.
    * A ``{{`` that is never closed on its line is ordinary text.

``fstring``
    ``Hello {name}!``: Python's ``str.format`` field syntax, as used by
    LangChain. ``{{`` and ``}}`` produce literal ``{`` and ``}``. A field holds
    only a name (letters, digits and ``_``, not starting with a digit).
    Attribute access (``{user.name}``), indexing (``{items[0]}``), conversions
    (``{name!r}``), format specs (``{price:.2f}``) and positional fields
    (``{}``, ``{0}``) are refused with a syntax error: the engine never executes
    them.

``jinja2``
    Full Jinja2 syntax (``{{ user.name|upper }}``, ``{% for %}``, ``{% if %}``)
    running in Jinja2's immutable sandbox: private attributes such as
    ``__class__`` are refused, lists and dicts cannot be modified, undefined
    variables are errors (``StrictUndefined``), there is no file system loader
    (``{% include %}`` and ``{% extends %}`` cannot load anything) and a single
    trailing newline is kept. ``{% break %}`` and ``{% continue %}`` are
    available. Rendering is limited in time and output size
    (:class:`RenderLimits`, 1 second and 200,000 characters by default).

In every format a variable whose value is ``None`` renders as an empty string.
In ``mustache`` and ``fstring`` other values are converted with ``str()``,
except dicts and lists, which are written as JSON. ``jinja2`` templates receive
the values unchanged, so they can loop over lists and read dict keys.

Snippet references
==================

``{{> name}}``, ``{{> name|label=staging}}``, ``{{> name|version=3}}`` and the
Langfuse form ``@@@langfusePrompt:name=NAME|label=LABEL@@@`` include another
prompt's text; see :mod:`promptregistry.templating.snippets`. References are
resolved (``resolve_references``) *before* variables are rendered, and they
are recognised in every format. Functions in this module never treat a
reference as a variable; :func:`render` leaves an unresolved reference in the
output exactly as written.

How Jinja2 limits are enforced
==============================

Python cannot stop a thread from the outside, so a worker thread with a
timeout would leave a runaway loop burning CPU forever. Instead the loop is
interrupted from inside: Python's ``sys.monitoring`` calls the engine on every
loop iteration and every macro call of compiled template code (and nowhere
else), and once the render's deadline has passed that callback raises
:class:`TemplateLimitError` inside the template, which unwinds the render.
(When no ``sys.monitoring`` tool id is free, a ``sys.settrace`` function
tracing template code does the same job, more slowly.) The template renders
through ``Template.generate()``, and the size of the output is checked after
each chunk.

Operations that could build a huge value in a single C-level step, before the
next loop iteration, are checked before they run: ``range()`` (at most 100,000
items, Jinja's sandbox rule), repetition (``'a' * n``), exponentiation,
concatenation (``+``, ``~``), ``%`` and ``str.format`` widths, ``join`` and
``replace``, and the size of each ``{{ value }}`` written out. An integer
argument larger than the output limit passed to any function, method or filter
other than ``range()`` is refused, which covers widths such as
``center(10**9)`` or ``indent(10**9)``.
These checks bound the size of each single value; they do not bound the total
memory a template may allocate during its time budget, so workers that render
templates from untrusted authors should also run with an OS memory limit.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import functools
import json
import re
import string
import sys
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jinja2
import jinja2.meta
import jinja2.runtime
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError, safe_range


class TemplateFormat(enum.StrEnum):
    """The syntax a prompt template is written in."""

    MUSTACHE = "mustache"
    FSTRING = "fstring"
    JINJA2 = "jinja2"


DEFAULT_FORMAT = TemplateFormat.MUSTACHE

TemplateFormatLike = TemplateFormat | str
HighlightKind = Literal["text", "variable", "snippet"]


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class TemplateError(Exception):
    """Base class of every error raised by the template engine."""

    #: Set by :func:`render_messages` to the index of the chat message at fault.
    message_index: int | None = None


class TemplateSyntaxError(TemplateError):
    """The template cannot be parsed. ``lineno`` is 1-based when known."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        self.message = message
        self.lineno = lineno
        super().__init__(f"Line {lineno}: {message}" if lineno is not None else message)


class MissingVariablesError(TemplateError):
    """Variables used by the template were not given a value."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        super().__init__(self._describe(self.names))

    @staticmethod
    def _describe(names: list[str]) -> str:
        quoted = ", ".join(f'"{name}"' for name in names)
        if len(names) == 1:
            return f"Missing value for variable {quoted}"
        return f"Missing values for variables {quoted}"


class MissingPlaceholdersError(MissingVariablesError):
    """Chat placeholders (e.g. ``history``) were not given any messages."""

    @staticmethod
    def _describe(names: list[str]) -> str:
        quoted = ", ".join(f'"{name}"' for name in names)
        if len(names) == 1:
            return f"Missing messages for placeholder {quoted}"
        return f"Missing messages for placeholders {quoted}"


class TemplateLimitError(TemplateError):
    """Rendering exceeded its time or size limit."""


class TemplateSecurityError(TemplateError):
    """A Jinja2 template tried something the sandbox forbids."""


class TemplateRenderError(TemplateError):
    """A Jinja2 template failed while rendering (e.g. a division by zero)."""


class TemplateFormatNotConvertible(TemplateError):
    """The template cannot be expressed in the requested format."""


# --------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderLimits:
    """Limits applied while rendering Jinja2 templates."""

    timeout_seconds: float = 1.0
    max_output_chars: int = 200_000


DEFAULT_LIMITS = RenderLimits()


@dataclass(frozen=True)
class VariableReport:
    """Variables the template needs but were not given, and ones given but unused."""

    missing: list[str]
    unknown: list[str]


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def variables(template: str, fmt: TemplateFormatLike = DEFAULT_FORMAT) -> list[str]:
    """Names of the variables ``template`` uses, in order of first appearance.

    Snippet references are not variables. For Jinja2 these are the names the
    template reads from its context (loop variables and ``{% set %}`` names are
    excluded, as are Jinja's globals such as ``range``).
    """
    fmt = _coerce_format(fmt)
    if fmt is TemplateFormat.JINJA2:
        source = _mask_references(template)[0]
        _compile_jinja(source)  # reports errors parsing alone misses, e.g. unknown filters
        return _jinja_variables(source)
    return _unique(piece.name for piece in _parse(template, fmt) if isinstance(piece, _Field))


def check_variables(
    template: str,
    fmt: TemplateFormatLike = DEFAULT_FORMAT,
    provided: Mapping[str, Any] | None = None,
) -> VariableReport:
    """Compare the variables ``template`` uses with the ``provided`` values.

    For Jinja2, ``missing`` also lists variables the template only reads
    conditionally (``{% if tone is defined %}``); rendering succeeds without
    those.
    """
    provided = provided or {}
    used = variables(template, fmt)
    return VariableReport(
        missing=[name for name in used if name not in provided],
        unknown=[name for name in provided if name not in used],
    )


def render(
    template: str,
    fmt: TemplateFormatLike = DEFAULT_FORMAT,
    variables: Mapping[str, Any] | None = None,
    *,
    limits: RenderLimits | None = None,
) -> str:
    """Render ``template`` with ``variables``.

    Raises :class:`MissingVariablesError` naming every variable without a value,
    :class:`TemplateSyntaxError`, and for Jinja2 :class:`TemplateLimitError`,
    :class:`TemplateSecurityError` or :class:`TemplateRenderError`. Values given
    for variables the template does not use are ignored (see
    :func:`check_variables`). Snippet references must be resolved first; any
    left in ``template`` are copied to the output unchanged.
    """
    fmt = _coerce_format(fmt)
    values = variables or {}
    if fmt is TemplateFormat.JINJA2:
        return _render_jinja(template, values, limits or DEFAULT_LIMITS)
    pieces = _parse(template, fmt)
    missing = _unique(p.name for p in pieces if isinstance(p, _Field) and p.name not in values)
    if missing:
        raise MissingVariablesError(missing)
    return "".join(_render_piece(piece, values) for piece in pieces)


def render_messages(
    messages: Sequence[Mapping[str, Any]],
    fmt: TemplateFormatLike = DEFAULT_FORMAT,
    variables: Mapping[str, Any] | None = None,
    placeholders: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    allow_missing_placeholders: bool = False,
    limits: RenderLimits | None = None,
) -> list[dict[str, Any]]:
    """Render a chat prompt.

    ``messages`` holds ``{"role": ..., "content": str}`` messages, whose content
    is rendered, and ``{"type": "placeholder", "name": ...}`` entries, which are
    replaced by the messages in ``placeholders[name]`` (copied as they are, not
    rendered: they are usually conversation history). A placeholder without
    messages raises :class:`MissingPlaceholdersError`, unless
    ``allow_missing_placeholders`` is true (previews), in which case it is kept
    in the result as it was. Missing variables are collected across all
    messages into one :class:`MissingVariablesError`. Jinja2 ``limits`` apply
    to each message separately.
    """
    placeholders = placeholders or {}
    result: list[dict[str, Any]] = []
    missing_variables: list[str] = []
    missing_placeholders: list[str] = []
    for index, message in enumerate(messages):
        if _is_placeholder(message):
            name = str(message.get("name", ""))
            if name in placeholders:
                result.extend(dict(item) for item in placeholders[name])
            elif allow_missing_placeholders:
                result.append(dict(message))
            else:
                missing_placeholders.append(name)
            continue
        try:
            result.append(_render_message(message, fmt, variables, limits))
        except MissingVariablesError as exc:
            missing_variables.extend(exc.names)
        except TemplateError as exc:
            exc.message_index = index
            raise
    if missing_variables:
        raise MissingVariablesError(_unique(missing_variables))
    if missing_placeholders:
        raise MissingPlaceholdersError(_unique(missing_placeholders))
    return result


def message_variables(
    messages: Sequence[Mapping[str, Any]], fmt: TemplateFormatLike = DEFAULT_FORMAT
) -> list[str]:
    """Variables used across chat ``messages`` in order of first appearance."""
    names: list[str] = []
    for index, message in enumerate(messages):
        content = message.get("content")
        if _is_placeholder(message) or not isinstance(content, str):
            continue
        try:
            names.extend(variables(content, fmt))
        except TemplateError as exc:
            exc.message_index = index
            raise
    return _unique(names)


def message_placeholders(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the placeholder entries in chat ``messages``, in order."""
    return _unique(str(m.get("name", "")) for m in messages if _is_placeholder(m))


def to_mustache(template: str, fmt: TemplateFormatLike = DEFAULT_FORMAT) -> str:
    """Rewrite ``template`` in mustache form, e.g. for Langfuse clients.

    ``{name}`` becomes ``{{name}}`` and the escapes ``{{``/``}}`` become ``{``/``}``.
    Raises :class:`TemplateFormatNotConvertible` for Jinja2 templates and for
    f-strings whose literal text would read as mustache tags.
    """
    fmt = _coerce_format(fmt)
    if fmt is TemplateFormat.MUSTACHE:
        return template
    if fmt is TemplateFormat.JINJA2:
        raise TemplateFormatNotConvertible("Jinja2 templates cannot be converted to mustache")
    pieces = _parse(template, fmt)
    converted = "".join(_mustache_source(piece) for piece in pieces)
    # Literal text such as "{{{{x}}}}" would come out as "{{x}}", which mustache
    # reads as a variable; parse the result back to prove the meaning is kept.
    try:
        same = _merge_literals(_parse(converted, TemplateFormat.MUSTACHE)) == _merge_literals(
            pieces
        )
    except TemplateError:
        same = False
    if not same:
        raise TemplateFormatNotConvertible(
            "The template's literal text contains double braces, which mustache would read as"
            " variables"
        )
    return converted


def tokenize_for_highlight(
    text: str, fmt: TemplateFormatLike = DEFAULT_FORMAT
) -> list[tuple[HighlightKind, str]]:
    """Split ``text`` into ("text" | "variable" | "snippet", source) tokens.

    Joining the sources gives back ``text`` exactly. This never raises on
    invalid templates (the editor highlights while the author types):
    anything that is not a valid variable or reference is "text". For Jinja2
    every ``{{ ... }}`` expression is a "variable" token.
    """
    fmt = _coerce_format(fmt)
    tokens: list[tuple[HighlightKind, str]] = []
    if fmt is TemplateFormat.JINJA2:
        for chunk, is_reference, _ in _split_references(text, strict=False):
            if is_reference:
                tokens.append(("snippet", chunk))
            else:
                tokens.extend(_jinja_highlight(chunk))
    else:
        for piece in _parse(text, fmt, strict=False):
            if isinstance(piece, _Field):
                tokens.append(("variable", piece.source))
            elif isinstance(piece, _Reference):
                tokens.append(("snippet", piece.source))
            else:
                tokens.append(("text", piece.source))
    return _merge_text_tokens(tokens)


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _coerce_format(fmt: TemplateFormatLike) -> TemplateFormat:
    try:
        return TemplateFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in TemplateFormat)
        raise ValueError(f"Unknown template format {fmt!r}; choose one of {choices}") from None


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _is_placeholder(message: Mapping[str, Any]) -> bool:
    return message.get("type") == "placeholder"


def _render_message(
    message: Mapping[str, Any],
    fmt: TemplateFormatLike,
    values: Mapping[str, Any] | None,
    limits: RenderLimits | None,
) -> dict[str, Any]:
    rendered = dict(message)
    content = message.get("content")
    # Structured content (e.g. image parts) has no template text to render.
    if isinstance(content, str):
        rendered["content"] = render(content, fmt, values, limits=limits)
    return rendered


def _to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _split_references(text: str, *, strict: bool) -> list[tuple[str, bool, int]]:
    """Split ``text`` into (chunk, is_reference, offset) around snippet references."""
    # Imported here because snippets.py builds its errors on this module's.
    from promptregistry.templating import snippets

    chunks: list[tuple[str, bool, int]] = []
    position = 0
    for reference in snippets.find_references(text, strict=strict):
        start, end = reference.span
        if start > position:
            chunks.append((text[position:start], False, position))
        chunks.append((text[start:end], True, start))
        position = end
    if position < len(text) or not chunks:
        chunks.append((text[position:], False, position))
    return chunks


# --------------------------------------------------------------------------
# mustache and fstring: parsed into pieces, rendered without any evaluation
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Literal:
    text: str  # what the piece renders as
    source: str  # how it is written in the template


@dataclass(frozen=True)
class _Field:
    name: str
    source: str


@dataclass(frozen=True)
class _Reference:
    source: str


_Piece = _Literal | _Field | _Reference

_MUSTACHE_TAG = re.compile(r"\{\{(?P<body>[^{}\n]*)\}\}")
_MUSTACHE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_FSTRING_TOKEN = re.compile(
    r"(?P<escape>\{\{|\}\})"
    r"|(?P<field>\{(?:[^{}]|\{[^{}]*\})*\})"  # one nesting level, as in "{a:{b}}"
    r"|(?P<lone>[{}])"
)
_FSTRING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _parse(text: str, fmt: TemplateFormat, *, strict: bool = True) -> list[_Piece]:
    """Parse a mustache or fstring template. Non-strict parsing never raises."""
    return list(_parse_cached(text, fmt, strict))


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str, fmt: TemplateFormat, strict: bool) -> tuple[_Piece, ...]:
    # The same few templates are rendered over and over (API, gateway, evaluations): parse
    # once. Pieces are frozen, and errors are raised, never cached.
    return tuple(_parse_uncached(text, fmt, strict=strict))


def _parse_uncached(text: str, fmt: TemplateFormat, *, strict: bool = True) -> list[_Piece]:
    parse_chunk = _parse_mustache_chunk if fmt is TemplateFormat.MUSTACHE else _parse_fstring_chunk
    pieces: list[_Piece] = []
    for chunk, is_reference, offset in _split_references(text, strict=strict):
        if is_reference:
            pieces.append(_Reference(chunk))
        else:
            pieces.extend(parse_chunk(chunk, text, offset, strict))
    return pieces


def _parse_mustache_chunk(chunk: str, text: str, offset: int, strict: bool) -> list[_Piece]:
    pieces: list[_Piece] = []
    position = 0
    for match in _MUSTACHE_TAG.finditer(chunk):
        body = match.group("body").strip()
        if not _MUSTACHE_NAME.fullmatch(body):
            if strict:
                lineno = _line_of(text, offset + match.start())
                raise TemplateSyntaxError(_mustache_tag_problem(match.group(), body), lineno)
            continue  # left in the surrounding literal text
        if match.start() > position:
            literal = chunk[position : match.start()]
            pieces.append(_Literal(literal, literal))
        pieces.append(_Field(body, match.group()))
        position = match.end()
    if position < len(chunk):
        pieces.append(_Literal(chunk[position:], chunk[position:]))
    return pieces


def _mustache_tag_problem(tag: str, body: str) -> str:
    if not body:
        return f"Empty tag {tag}: write a variable name between the braces"
    if body[0] in "#^/":
        return f"Mustache sections such as {tag} are not supported; use the jinja2 format for logic"
    if body[0] == ">":
        return f"Invalid snippet reference {tag}: write {{{{> name}}}} or {{{{> name|label=x}}}}"
    if body[0] in "!&{=":
        return f"Mustache tag {tag} is not supported; only {{{{variable}}}} substitution is"
    return (
        f'Invalid variable name "{body}" in {tag}: names start with a letter or "_" and contain'
        ' only letters, digits, "_", "." and "-"'
    )


def _parse_fstring_chunk(chunk: str, text: str, offset: int, strict: bool) -> list[_Piece]:
    pieces: list[_Piece] = []
    position = 0
    for match in _FSTRING_TOKEN.finditer(chunk):
        if match.start() > position:
            literal = chunk[position : match.start()]
            pieces.append(_Literal(literal, literal))
        position = match.end()
        token = match.group()
        if match.lastgroup == "escape":
            pieces.append(_Literal(token[0], token))
            continue
        problem, name = _fstring_field(token) if match.lastgroup == "field" else (None, None)
        if match.lastgroup == "lone":
            problem = f"Single '{token}' in template: write '{token}{token}' for a literal brace"
        if problem is None and name is not None:
            pieces.append(_Field(name, token))
        elif strict:
            raise TemplateSyntaxError(problem or token, _line_of(text, offset + match.start()))
        else:
            pieces.append(_Literal(token, token))
    if position < len(chunk):
        pieces.append(_Literal(chunk[position:], chunk[position:]))
    return pieces


def _fstring_field(token: str) -> tuple[str | None, str | None]:
    """Validate one ``{...}`` field; return (problem, None) or (None, name)."""
    try:
        # Python's own parser, so fields split exactly as str.format would split them.
        [(_, name, spec, conversion)] = list(string.Formatter().parse(token))
    except ValueError as exc:
        return f"Invalid field {token}: {exc}", None
    assert name is not None  # noqa: S101 - the token regex only matches fields
    if conversion is not None:
        return f"Conversions such as !{conversion} are not supported: {token}", None
    if spec:
        return f"Format specs are not supported: {token}; format the value before rendering", None
    if not name or name.isdigit():
        return f"Positional field {token} is not supported: name the variable, e.g. {{name}}", None
    if "." in name or "[" in name:
        return (
            f"Attribute and index access are not supported: {token}; pass the value as a"
            " variable of its own",
            None,
        )
    if not _FSTRING_NAME.fullmatch(name):
        return (
            f'Invalid variable name "{name}" in {token}: names start with a letter or "_" and'
            ' contain only letters, digits and "_" (write {{ and }} for literal braces)',
            None,
        )
    return None, name


def _render_piece(piece: _Piece, values: Mapping[str, Any]) -> str:
    if isinstance(piece, _Field):
        return _to_text(values[piece.name])
    if isinstance(piece, _Reference):
        return piece.source
    return piece.text


def _mustache_source(piece: _Piece) -> str:
    if isinstance(piece, _Field):
        return "{{" + piece.name + "}}"
    if isinstance(piece, _Reference):
        return piece.source
    return piece.text


def _merge_literals(pieces: list[_Piece]) -> list[tuple[str, str]]:
    """Meaning of a parsed template: adjacent literal texts joined together."""
    merged: list[tuple[str, str]] = []
    for piece in pieces:
        if isinstance(piece, _Field):
            kind, value = "field", piece.name
        else:
            kind, value = "text", _render_piece(piece, {})
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + value)
        elif value or kind == "field":
            merged.append((kind, value))
    return merged


def _merge_text_tokens(
    tokens: list[tuple[HighlightKind, str]],
) -> list[tuple[HighlightKind, str]]:
    merged: list[tuple[HighlightKind, str]] = []
    for kind, source in tokens:
        if not source:
            continue
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + source)
        else:
            merged.append((kind, source))
    return merged


# --------------------------------------------------------------------------
# jinja2
# --------------------------------------------------------------------------

_JINJA_HIGHLIGHT = re.compile(r"(?P<expr>\{\{.*?\}\})|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
# Snippet references are not Jinja syntax; they are swapped for inert markers
# of the same line count before Jinja sees the text, and swapped back after.
_REFERENCE_MARKER = "\x00snippet{}\x00"
# The file name Jinja gives code compiled from a string.
_JINJA_FILENAME = "<template>"
# Integers above this bit length make ``**`` slow enough to stall the process
# inside a single C call, where the time limit cannot interrupt it.
_MAX_POWER_BITS = 100_000

_active_limits: contextvars.ContextVar[RenderLimits] = contextvars.ContextVar(
    "promptops_template_limits", default=DEFAULT_LIMITS
)


def _jinja_highlight(chunk: str) -> list[tuple[HighlightKind, str]]:
    tokens: list[tuple[HighlightKind, str]] = []
    position = 0
    for match in _JINJA_HIGHLIGHT.finditer(chunk):
        tokens.append(("text", chunk[position : match.start()]))
        tokens.append(("variable" if match.lastgroup == "expr" else "text", match.group()))
        position = match.end()
    tokens.append(("text", chunk[position:]))
    return tokens


def _mask_references(template: str) -> tuple[str, dict[str, str]]:
    """Replace snippet references by markers; return the text and marker -> reference."""
    parts: list[str] = []
    markers: dict[str, str] = {}
    for chunk, is_reference, _ in _split_references(template, strict=True):
        if is_reference:
            marker = _REFERENCE_MARKER.format(len(markers))
            markers[marker] = chunk
            chunk = marker
        parts.append(chunk)
    return "".join(parts), markers


def _jinja_variables(source: str) -> list[str]:
    environment = _environment()
    try:
        ast = environment.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateSyntaxError(exc.message or str(exc), exc.lineno) from None
    names = jinja2.meta.find_undeclared_variables(ast) - set(environment.globals)
    # The AST walk loses source order, so order names by their first token.
    first_seen: dict[str, int] = {}
    for index, (_, kind, value) in enumerate(environment.lex(source)):
        if kind == "name" and value in names:
            first_seen.setdefault(value, index)
    return sorted(names, key=lambda name: (first_seen.get(name, sys.maxsize), name))


def _render_jinja(template: str, values: Mapping[str, Any], limits: RenderLimits) -> str:
    source, markers = _mask_references(template)
    compiled = _compile_jinja(source)
    token = _active_limits.set(limits)
    try:
        output = _generate_limited(compiled, dict(values), limits)
    except SecurityError as exc:
        raise TemplateSecurityError(f"Not allowed in templates: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        missing = [name for name in _jinja_variables(source) if name not in values]
        if missing:
            raise MissingVariablesError(missing) from None
        raise TemplateRenderError(exc.message or str(exc)) from None
    except TemplateError:
        raise
    except OverflowError as exc:  # raised by the sandbox's range() and by float overflow
        raise TemplateLimitError(f"Value too large: {exc}") from None
    except RecursionError:
        raise TemplateLimitError("Template recursion is too deep") from None
    except MemoryError:
        raise TemplateLimitError("Template needed too much memory") from None
    except Exception as exc:
        raise TemplateRenderError(f"{type(exc).__name__}: {exc}") from None
    finally:
        _active_limits.reset(token)
    for marker, reference in markers.items():
        output = output.replace(marker, reference)
    return output


@functools.lru_cache(maxsize=256)
def _compile_jinja(source: str) -> jinja2.Template:
    # Compiling is far slower than rendering, and the gateway renders the same
    # few prompts over and over; compiled templates are safe to share.
    try:
        compiled = _environment().from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateSyntaxError(exc.message or str(exc), exc.lineno) from None
    _loop_guard.watch(compiled)
    return compiled


def _generate_limited(
    compiled: jinja2.Template, values: dict[str, Any], limits: RenderLimits
) -> str:
    chunks: list[str] = []
    size = 0
    deadline = time.monotonic() + limits.timeout_seconds
    generator = compiled.generate(values)
    try:
        with _loop_guard.deadline(deadline, limits):
            for chunk in generator:
                size += len(chunk)
                if size > limits.max_output_chars:
                    raise _output_too_large(limits)
                if time.monotonic() > deadline:
                    raise _too_slow(limits)
                chunks.append(chunk)
    finally:
        # Closed only once the deadline is lifted, so cleanup cannot trip it.
        generator.close()
    return "".join(chunks)


class _LoopGuard:
    """Interrupts compiled template code once the render deadline has passed.

    Loops and recursion in a template run as Python code compiled by Jinja.
    With ``sys.monitoring`` (Python 3.12+) the guard asks to be called on each
    backward jump (every loop iteration) and each function start (macro calls)
    of those code objects only, so the rest of the process runs at full speed.
    The callback raises TemplateLimitError inside the template's frame when the
    deadline of the render running in this context has passed.

    If every ``sys.monitoring`` tool id is taken (debuggers, profilers and
    coverage use some), the guard falls back to ``sys.settrace`` for the
    duration of each render, tracing only template code line by line.
    """

    _TOOL_NAME = "promptops-template-limits"
    _CANDIDATE_TOOL_IDS = (4, 3, 5)

    def __init__(self) -> None:
        self._deadline: contextvars.ContextVar[tuple[float, RenderLimits] | None] = (
            contextvars.ContextVar("promptops_template_deadline", default=None)
        )
        self._tool_id = self._claim_tool_id()

    def _claim_tool_id(self) -> int | None:
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is None:
            return None
        for tool_id in self._CANDIDATE_TOOL_IDS:
            if monitoring.get_tool(tool_id) == self._TOOL_NAME:
                return tool_id  # already ours, e.g. after a module reload
            try:
                monitoring.use_tool_id(tool_id, self._TOOL_NAME)
            except ValueError:
                continue  # in use by another tool
            for event in (monitoring.events.JUMP, monitoring.events.PY_START):
                monitoring.register_callback(tool_id, event, self._on_event)
            return tool_id
        return None

    def watch(self, compiled: jinja2.Template) -> None:
        """Ask for events from the code objects of a freshly compiled template."""
        if self._tool_id is None:
            return
        events = sys.monitoring.events.JUMP | sys.monitoring.events.PY_START
        functions = [compiled.root_render_func, *compiled.blocks.values()]
        pending = [function.__code__ for function in functions]
        while pending:  # macros and other nested functions live in co_consts
            code = pending.pop()
            sys.monitoring.set_local_events(self._tool_id, code, events)
            pending.extend(c for c in code.co_consts if isinstance(c, types.CodeType))

    @contextlib.contextmanager
    def deadline(self, deadline: float, limits: RenderLimits) -> Iterator[None]:
        token = self._deadline.set((deadline, limits))
        previous_trace = sys.gettrace()
        if self._tool_id is None:
            sys.settrace(self._trace_call)
        try:
            yield
        finally:
            if self._tool_id is None:
                sys.settrace(previous_trace)
            self._deadline.reset(token)

    def _check(self) -> None:
        active = self._deadline.get()
        if active is not None and time.monotonic() > active[0]:
            raise _too_slow(active[1])

    def _on_event(self, code: types.CodeType, *args: Any) -> None:
        self._check()

    def _trace_call(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != _JINJA_FILENAME:
            return None
        self._check()
        return self._trace_line

    def _trace_line(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        # Raising here raises inside the template's frame and switches tracing
        # off for this thread until the render restores it.
        self._check()
        return self._trace_line


_loop_guard = _LoopGuard()


def _output_too_large(limits: RenderLimits) -> TemplateLimitError:
    return TemplateLimitError(
        f"Template output is longer than the limit of {limits.max_output_chars:,} characters"
    )


def _too_slow(limits: RenderLimits) -> TemplateLimitError:
    return TemplateLimitError(f"Template took longer than {limits.timeout_seconds:g}s to render")


def _estimated_size(value: Any, budget: int) -> int:
    """Roughly how many characters ``str(value)`` produces; stops counting past ``budget``."""
    total = 0
    pending = [value]
    while pending and total <= budget:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += 2 + len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + len(item)
            pending.extend(item)
        else:
            total += 1
    return total


def _check_size(size: int, what: str) -> None:
    cap = _active_limits.get().max_output_chars
    if size > cap:
        raise TemplateLimitError(f"{what} would be longer than the limit of {cap:,} characters")


def _is_huge_power(base: Any, exponent: Any) -> bool:
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0:
        return False
    return abs(base) > 1 and exponent * abs(base).bit_length() > _MAX_POWER_BITS


def _check_integer_arguments(args: Iterable[Any]) -> None:
    cap = _active_limits.get().max_output_chars
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > cap:
            raise TemplateLimitError(
                f"Number {arg} is larger than the output limit of {cap:,} and is not allowed"
                " as an argument"
            )


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?")


def _check_printf_format(template: str) -> None:
    for match in _PRINTF_SPEC.finditer(template):
        for number in (match.group("width"), match.group("precision")):
            if number == "*":
                raise TemplateLimitError("'*' widths in % formatting are not supported")
            if number:
                _check_integer_arguments([int(number)])


def _check_format_string(template: str, depth: int = 0) -> None:
    """Refuse str.format widths such as '{:999999999}'."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format raises the same error itself
    for _, _, spec, _ in parsed:
        if spec:
            _check_integer_arguments(int(number) for number in re.findall(r"\d+", spec))
            if depth < 2:
                _check_format_string(spec, depth + 1)


def _check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        occurrences = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            occurrences = min(occurrences, count)
        growth = max(0, len(new) - len(old))
        _check_size(len(text) + occurrences * growth, "Replacing text")


def _check_join(separator: Any, items: Sequence[Any]) -> None:
    cap = _active_limits.get().max_output_chars
    size = _estimated_size(list(items), cap) + len(str(separator)) * max(0, len(items) - 1)
    _check_size(size, "Joined text")


class _GuardedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a size-checked concatenation."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.guarded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _PromptSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox plus checks that keep single values small."""

    code_generator_class = _GuardedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # output is prompt text for a model, not HTML
            keep_trailing_newline=True,
            loader=None,
            extensions=["jinja2.ext.loopcontrols"],
            finalize=self._finalize_value,
        )
        self.filters = {name: self._guard_filter(name, f) for name, f in self.filters.items()}

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        cap = _active_limits.get().max_output_chars
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                    _check_size(_estimated_size(sequence, cap) * max(times, 0), "Repeated value")
        elif operator == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                size = _estimated_size(left, cap) + _estimated_size(right, cap)
                _check_size(size, "Concatenated value")
        elif operator == "**":
            if _is_huge_power(left, right):
                raise TemplateLimitError(f"{left} ** {right} is too large a number")
        elif operator == "%" and isinstance(left, str):
            _check_printf_format(left)
        return super().call_binop(context, operator, left, right)

    def call(
        self,
        context: jinja2.runtime.Context,
        obj: Any,
        /,  # positional-only, so a template's keyword arguments cannot clash
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if obj is not safe_range:  # range() has its own limit on the number of items
            _check_integer_arguments([*args, *kwargs.values()])
        method = getattr(obj, "__name__", None)
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str) and method == "replace":
            _check_replace(owner, *args[:3])
        elif isinstance(owner, str) and method == "join" and args:
            items = list(args[0])
            _check_join(owner, items)
            args = (items, *args[1:])
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        _check_format_string(value.__self__)
        return wrapped

    def guarded_concat(self, values: Sequence[Any]) -> str:
        texts = [str(value) for value in values]
        _check_size(sum(len(text) for text in texts), "Concatenated text")
        return "".join(texts)

    @staticmethod
    def _finalize_value(value: Any) -> Any:
        cap = _active_limits.get().max_output_chars
        _check_size(_estimated_size(value, cap), "Output value")
        return "" if value is None else value

    @staticmethod
    def _guard_filter(name: str, filter_function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(filter_function)  # keeps Jinja's pass_context/pass_environment marks
        def guarded(*args: Any, **kwargs: Any) -> Any:
            # Jinja passes the context or environment first for some filters;
            # then comes the filtered value, which may legitimately be a big
            # number, then the filter's own arguments.
            start = 0
            while start < len(args) and isinstance(args[start], _JINJA_INTERNALS):
                start += 1
            value, options = (args[start], args[start + 1 :]) if start < len(args) else (None, ())
            _check_integer_arguments([*options, *kwargs.values()])
            if name == "replace":
                _check_replace(value, *options[:3])
            elif name == "join" and isinstance(value, Iterable) and not isinstance(value, str):
                items = list(value)  # materialised once: a generator can only be read once
                separator = options[0] if options else kwargs.get("d", "")
                _check_join(separator, items)
                args = (*args[:start], items, *args[start + 1 :])
            elif name == "format" and isinstance(value, str):
                _check_printf_format(value)
            return filter_function(*args, **kwargs)

        return guarded


_JINJA_INTERNALS = (jinja2.Environment, jinja2.runtime.Context, jinja2.nodes.EvalContext)


@functools.cache
def _environment() -> _PromptSandbox:
    return _PromptSandbox()
