"""Jinja2 templates: compiling, reading their variables and rendering within limits."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Mapping
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SecurityError

from promptregistry.templating.budget import render_budget
from promptregistry.templating.errors import (
    MissingVariablesError,
    TemplateError,
    TemplateLimitError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
)
from promptregistry.templating.limits import (
    RenderLimits,
    _LoopGuard,
    _output_too_large,
    _too_slow,
)
from promptregistry.templating.parsing import _split_references
from promptregistry.templating.sandbox import _environment

# Snippet references are not Jinja syntax; they are swapped for inert markers
# of the same line count before Jinja sees the text, and swapped back after.
_REFERENCE_MARKER = "\x00snippet{}\x00"

# Read at call time, so a test can swap in a guard that uses the settrace fallback.
_loop_guard = _LoopGuard()


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
    try:
        with render_budget(limits):
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
        raise TemplateRenderError(_describe_error(exc)) from None
    for marker, reference in markers.items():
        output = output.replace(marker, reference)
    return output


def _describe_error(exc: Exception) -> str:
    message = f"{type(exc).__name__}: {exc}"
    # An error message may quote a value; the editor shows one line, not the whole value.
    return message if len(message) <= 500 else message[:500] + "…"


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
