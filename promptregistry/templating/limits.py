"""Render limits for Jinja2 templates, and the guard that enforces the time limit.

See "How Jinja2 limits are enforced" in :mod:`promptregistry.templating.engine`.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jinja2

from promptregistry.templating.errors import TemplateLimitError

# The file name Jinja gives code compiled from a string.
_JINJA_FILENAME = "<template>"


@dataclass(frozen=True)
class RenderLimits:
    """Limits applied while rendering templates.

    ``timeout_seconds`` and ``max_output_chars`` apply to Jinja2 templates: the time a
    render may take, and the size of its output and of any single value it builds.
    ``max_total_chars`` bounds everything one render builds along the way, in every
    format: for Jinja2 the sum of every string and list its operators, calls, filters
    and captures build (a list item counting as 8 characters); for mustache and
    f-string templates the length of the output.
    """

    timeout_seconds: float = 1.0
    max_output_chars: int = 200_000
    max_total_chars: int = 10_000_000


DEFAULT_LIMITS = RenderLimits()


def _output_too_large(limits: RenderLimits) -> TemplateLimitError:
    return TemplateLimitError(
        f"Template output is longer than the limit of {limits.max_output_chars:,} characters"
    )


def _too_slow(limits: RenderLimits) -> TemplateLimitError:
    return TemplateLimitError(f"Template took longer than {limits.timeout_seconds:g}s to render")


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
