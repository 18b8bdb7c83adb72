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
    available. Rendering is limited in time, output size and in what it may
    build along the way (:class:`RenderLimits`: 1 second, 200,000 characters
    of output, 10,000,000 characters built in total, by default); only
    allow-listed methods and filters can be called (see below).

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
tracing template code does the same job, more slowly.) Filters such as
``sort(attribute=...)`` run Jinja's own Python once per item inside one C call,
so the sandbox's attribute lookups, filters and tests check the deadline too. The template renders
through ``Template.generate()``, and the size of the output is checked after
each chunk.

The time limit can only fire between two steps of template code, not inside one
C call, and one C call (``'{x:{w}}'.format_map(...)``, ``expandtabs``, a
``join``) can allocate gigabytes. So every step that could build a large value
is sized *before* it runs (:mod:`.sandbox`, :mod:`.allowlist`, :mod:`.budget`):

* Only allow-listed things can be called: a fixed set of str methods, read-only
  dict and list methods, macros, ``loop``, ``caller`` and the globals ``range``
  (at most 100,000 items), ``dict``, ``namespace``, ``cycler``, ``joiner`` and
  ``lipsum``. Anything else (``str.encode``, ``int.to_bytes``, ``self.block()``)
  is a :class:`TemplateSecurityError`. Filters are allow-listed the same way;
  ``pprint`` is not available.
* For each allowed str method and filter the largest result its arguments can
  produce is computed first (``center(n)``: n; ``expandtabs(n)``: the number of
  tabs times n; ``translate``: the text times the longest replacement;
  ``indent``: the lines times the indent; ...); a bound above 12 times
  ``max_output_chars`` is refused without running the call, and a result
  longer than ``max_output_chars`` is refused after it.
* ``str.format``/``format_map`` run through a formatter that checks each field
  once its nested spec (``{x:{w}}``, ``{0:{1[0]}}``) is filled in, and the
  total; ``%`` formats are scanned as CPython scans them (keys in nested
  parentheses included), ``*`` widths are refused and the largest result is
  computed from the widths, precisions and argument sizes before formatting.
* Integer arguments larger than ``max_output_chars`` are refused (except for
  ``range()``), and so are ``*`` and ``**`` on integers past 100,000 bits.
* Lists, tuples and dicts written in the template, comparisons, hashing keys
  and every filter or test argument may hold at most ``max_output_chars``
  items at every depth (shared items counted each time), so a list doubled in
  a loop (``[x, x]``) never reaches C code that would walk it for hours.
* Every string and list a step builds, and all text written into a macro,
  block or ``{% set %}`` capture, is charged to a per-render budget
  (``max_total_chars``, 10,000,000 characters, a list item counting as 8):
  many small values cannot add up to a large allocation either.
* Nothing is evaluated at compile time (Jinja's constant folding is off), so
  saving a template never runs any of it.

mustache and f-string templates evaluate nothing, but a short template can
repeat a long value (``{{doc}}`` ten thousand times), so their output is
measured before it is built and refused past ``max_total_chars``. f-string
format specs (``{name:>999999999}``) are a syntax error, as they always were.

What these checks bound is what the template's own steps build, not the
process's memory as the OS counts it; a worker that renders templates from
untrusted authors can still be given an OS memory limit as a last line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from promptregistry.templating.errors import (
    MissingPlaceholdersError,
    MissingVariablesError,
    TemplateError,
    TemplateFormatNotConvertible,
    TemplateLimitError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
)
from promptregistry.templating.formats import (
    DEFAULT_FORMAT,
    TemplateFormat,
    TemplateFormatLike,
    _coerce_format,
)
from promptregistry.templating.highlight import HighlightKind, tokenize_for_highlight
from promptregistry.templating.jinja import (
    _compile_jinja,
    _jinja_variables,
    _mask_references,
    _render_jinja,
)
from promptregistry.templating.limits import DEFAULT_LIMITS, RenderLimits
from promptregistry.templating.parsing import (
    _Field,
    _Literal,
    _merge_literals,
    _mustache_source,
    _parse,
    _Piece,
    _to_text,
)

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_LIMITS",
    "HighlightKind",
    "MissingPlaceholdersError",
    "MissingVariablesError",
    "RenderLimits",
    "TemplateError",
    "TemplateFormat",
    "TemplateFormatLike",
    "TemplateFormatNotConvertible",
    "TemplateLimitError",
    "TemplateRenderError",
    "TemplateSecurityError",
    "TemplateSyntaxError",
    "VariableReport",
    "check_variables",
    "message_placeholders",
    "message_variables",
    "render",
    "render_messages",
    "to_mustache",
    "tokenize_for_highlight",
    "variables",
]


@dataclass(frozen=True)
class VariableReport:
    """Variables the template needs but were not given, and ones given but unused."""

    missing: list[str]
    unknown: list[str]


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
    return _join_limited(pieces, values, limits or DEFAULT_LIMITS)


def _join_limited(pieces: Sequence[_Piece], values: Mapping[str, Any], limits: RenderLimits) -> str:
    # A short template can repeat a long value many times ("{{doc}}" ten thousand times):
    # measure the output before building it (parts only refer to each value's text).
    converted: dict[str, str] = {}
    parts: list[str] = []
    size = 0
    for piece in pieces:
        if type(piece) is _Field:
            text = converted.get(piece.name)
            if text is None:
                text = converted[piece.name] = _to_text(values[piece.name])
        else:
            text = piece.text if type(piece) is _Literal else piece.source
        size += len(text)
        parts.append(text)
    if size > limits.max_total_chars:
        raise TemplateLimitError(
            f"Template output would be longer than the limit of {limits.max_total_chars:,}"
            " characters"
        )
    return "".join(parts)


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


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


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
