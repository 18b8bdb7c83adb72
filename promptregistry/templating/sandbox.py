"""The sandboxed Jinja2 environment, with checks that keep each single value small.

Operations that could build a huge value in one C-level step (repetition, ``**``,
concatenation, ``%`` and ``str.format`` widths, ``join``, ``replace``, large integer
arguments) are checked against the limits of the render in progress before they run.
"""

from __future__ import annotations

import contextvars
import functools
import re
import string
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jinja2
import jinja2.runtime
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from promptregistry.templating.errors import TemplateLimitError
from promptregistry.templating.limits import DEFAULT_LIMITS, RenderLimits

# Integers above this bit length make ``**`` slow enough to stall the process
# inside a single C call, where the time limit cannot interrupt it.
_MAX_POWER_BITS = 100_000

_active_limits: contextvars.ContextVar[RenderLimits] = contextvars.ContextVar(
    "promptops_template_limits", default=DEFAULT_LIMITS
)


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
