"""``str.format``/``format_map`` and printf-style ``%`` in Jinja2 templates, size-checked.

``str.format`` runs through :class:`_BoundedFormatter`, which sees every field after its
nested parts (``{x:{w}}``, ``{0:{1[0]}}``) are filled in, so the spec checked is the one
Python will use. ``%`` formatting is C code from start to end, so its format is scanned
here the way CPython scans it (keys in balanced parentheses, flags, width, precision)
and the largest result it could produce is computed before it runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import Undefined
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter
from markupsafe import Markup

from promptregistry.templating import budget
from promptregistry.templating.errors import TemplateLimitError

# Room for a number written without width: a float such as 1e308 in "%f" or "{:f}".
_NUMBER_ROOM = 400
# markupsafe escapes each character to at most six ("&#34;").
_ESCAPE_GROWTH = 6

_DIGITS = re.compile(r"\d+")


def _text_size(value: Any, conversion: str | None = None) -> int:
    limit = budget.cap() * budget.GROWTH_SLACK
    if conversion in ("r", "a"):
        return budget.estimated_size(value, limit, nested=True)
    return budget.estimated_size(value, limit)


def _spec_room(spec: str) -> int:
    """Widths and precisions a format spec asks for, refused when above the limit."""
    numbers = [int(number) for number in _DIGITS.findall(spec)]
    budget.check_integer_arguments(numbers)
    return sum(numbers) + _NUMBER_ROOM


def _fail_if_undefined(value: Any) -> None:
    # An undefined variable reports itself (a missing variable), not a TypeError from
    # format() or a C method.
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()


class _BoundedFormatter(SandboxedFormatter):
    """Jinja's sandboxed formatter, keeping the whole result within the output limit."""

    _growth = 1

    def __init__(self, env: Any, template: str, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self._size = len(template)

    def _add(self, size: int) -> None:
        self._size += size
        budget.check_size(self._size, "Formatted text")

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        _fail_if_undefined(value)
        budget.check_items([value], "Formatting")
        if conversion:
            budget.check_size(_text_size(value, conversion), "Formatted value")
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        _fail_if_undefined(value)
        budget.check_items([value], "Formatting")
        size = _text_size(value) * self._growth + _spec_room(format_spec)
        self._add(size)
        return super().format_field(value, format_spec)


class _BoundedEscapeFormatter(_BoundedFormatter, SandboxedEscapeFormatter):
    _growth = _ESCAPE_GROWTH


def bounded_str_format(env: Any, method: Any) -> Callable[..., str] | None:
    """Replacement for ``str.format``/``format_map`` bound methods read by a template."""
    template: str = method.__self__
    is_format_map = method.__name__ == "format_map"
    str_type: type[str] = type(template)

    def wrapper(*args: Any, **kwargs: Any) -> str:
        if is_format_map:
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one argument")
            kwargs, args = args[0], ()
        if isinstance(template, Markup):
            formatter: _BoundedFormatter = _BoundedEscapeFormatter(
                env, template, escape=template.escape
            )
        else:
            formatter = _BoundedFormatter(env, template)
        result = str_type(formatter.vformat(template, args, kwargs))
        return budget.check_result(result, "Formatted text")

    wrapper.promptops_bounded_format = True  # type: ignore[attr-defined]
    wrapper.__name__ = method.__name__  # functools.update_wrapper costs more than the call
    return wrapper


def printf_specs(template: str) -> list[tuple[str | None, str, str, str]]:
    """(key, width, precision, conversion) of each ``%`` field, scanned as CPython does."""
    specs: list[tuple[str | None, str, str, str]] = []
    end = len(template)
    position = template.find("%")
    while 0 <= position < end - 1:
        index = position + 1
        if template[index] == "%":
            position = template.find("%", index + 1)
            continue
        key = None
        if template[index] == "(":
            depth, start = 1, index + 1
            index = start
            while depth and index < end:
                depth += {"(": 1, ")": -1}.get(template[index], 0)
                index += 1
            if depth:
                break  # Python raises "incomplete format key"
            key = template[start : index - 1]
        while index < end and template[index] in "-+ #0":
            index += 1
        width_start = index
        while index < end and (template[index].isdigit() or template[index] == "*"):
            index += 1
        width = template[width_start:index]
        precision = ""
        if index < end and template[index] == ".":
            index += 1
            precision_start = index
            while index < end and (template[index].isdigit() or template[index] == "*"):
                index += 1
            precision = template[precision_start:index] or "0"
        if index < end and template[index] in "hlL":
            index += 1
        conversion = template[index] if index < end else ""
        specs.append((key, width, precision, conversion))
        position = template.find("%", index + 1)
    return specs


def check_printf(template: str, arguments: Any) -> None:
    """Refuse ``template % arguments`` when its result could exceed the output limit."""
    specs = printf_specs(template)
    growth = _ESCAPE_GROWTH if isinstance(template, Markup) else 1
    if isinstance(arguments, tuple):
        positional: Sequence[Any] = arguments
    else:
        positional = (arguments,)
    budget.check_items(positional, "Formatting")
    size = len(template)
    next_argument = 0
    for key, width, precision, conversion in specs:
        if "*" in width or "*" in precision:
            raise TemplateLimitError("'*' widths in % formatting are not supported")
        numbers = [int(number) for number in (width, precision) if number.isdigit()]
        budget.check_integer_arguments(numbers)
        if key is not None:
            value = arguments.get(key) if isinstance(arguments, Mapping) else arguments
        elif next_argument < len(positional):
            value = positional[next_argument]
            next_argument += 1
        else:
            value = None
        room = sum(numbers) + _NUMBER_ROOM
        size += room + growth * _text_size(value, conversion)
        budget.check_size(size, "Formatted text")


def check_printf_call(template: Any, arguments: Any) -> None:
    if isinstance(template, str):
        check_printf(template, arguments)
