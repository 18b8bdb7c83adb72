"""The sandboxed Jinja2 environment: only allow-listed calls, each checked before it runs.

Every operation that could build a large value in one C-level step is measured before
it runs and charged to the render's budget after (:mod:`.budget`): the operators
``*``, ``**``, ``+``, ``%`` and ``~``; every call, which must be on the allow-list of
:mod:`.allowlist` (str methods, read-only dict and list methods, macros and Jinja's
helpers); every filter and test; ``str.format``/``format_map`` (:mod:`.formatting`);
list, tuple and dict literals; comparisons; and every piece of text a block, macro
or ``{% set %}`` capture writes. Nothing is evaluated at compile time.
"""

from __future__ import annotations

import functools
import operator
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import jinja2
import jinja2.runtime
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, operators
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Cycler

from promptregistry.templating import allowlist, budget
from promptregistry.templating.errors import TemplateLimitError
from promptregistry.templating.formatting import (
    _fail_if_undefined,
    bounded_str_format,
    check_printf_call,
)

_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda left, right: left in right,
    "notin": lambda left, right: left not in right,
}


class _OutputBuffer(list):
    """What a macro, block or ``{% set %}`` capture writes, charged as it is written."""

    __slots__ = ()

    def append(self, text: Any) -> None:
        budget.charge(len(text), "text written by a macro or block")
        super().append(text)

    def extend(self, texts: Iterable[Any]) -> None:
        texts = list(texts)
        budget.charge(sum(len(text) for text in texts), "text written by a macro or block")
        super().extend(texts)


class _GuardedCodeGenerator(CodeGenerator):
    """Compiles operations that build or walk values to size-checked calls."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.output_buffer()")

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        # Only plain template text is folded at compile time; every expression is
        # evaluated while rendering, where the limits apply.
        if not isinstance(node, nodes.TemplateData):
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.guarded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _guarded_literal(self, kind: str, node: nodes.Expr, frame: Frame, visit: Callable) -> None:
        self.write(f"environment.guarded_literal({kind!r}, ")
        visit(node, frame)
        self.write(")")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._guarded_literal("list", node, frame, super().visit_List)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._guarded_literal("dict", node, frame, super().visit_Dict)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # an assignment target such as "for a, b in pairs"
            super().visit_Tuple(node, frame)
        else:
            self._guarded_literal("tuple", node, frame, super().visit_Tuple)

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        # Operands are evaluated before comparing (templates have no side effects),
        # so values that would take C code too long to walk are refused first.
        self.write("environment.guarded_compare(")
        self.visit(node.expr, frame)
        self.write(", (")
        for operand in node.ops:
            if operand.op not in operators:
                self.fail(f"Unknown comparison {operand.op!r}", node.lineno)
            self.write(f"({operand.op!r}, ")
            self.visit(operand.expr, frame)
            self.write("), ")
        self.write("))")


class _PromptSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with an allow-list of calls and size checks."""

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
            optimized=False,  # no constant folding: every filter runs within the limits
        )
        self.filters = {
            name: self._guard_filter(name, function)
            for name, function in self.filters.items()
            if name in allowlist.FILTERS or name == "join"
        }
        self.tests = {name: self._guard_test(test) for name, test in self.tests.items()}

    # -- building blocks called by compiled templates -----------------------------------

    @staticmethod
    def output_buffer() -> _OutputBuffer:
        return _OutputBuffer()

    def guarded_concat(self, values: Sequence[Any]) -> str:
        limit = budget.cap()
        size = sum(budget.estimated_size(value, limit) for value in values)
        budget.check_size(size, "Concatenated text")
        return budget.check_result("".join([str(value) for value in values]), "Concatenated text")

    @staticmethod
    def guarded_literal(kind: str, value: Any) -> Any:
        budget.check_items([value], f"A {kind} written in the template")
        return value

    @staticmethod
    def guarded_compare(first: Any, operations: Sequence[tuple[str, Any]]) -> bool:
        left = first
        budget.check_items([left], "Comparing")
        for name, right in operations:
            budget.check_items([right], "Comparing")
            if not _COMPARE[name](left, right):
                return False
            left = right
        return True

    @staticmethod
    def _finalize_value(value: Any) -> Any:
        # Runs for every {{ value }}: plain text, the common case, is measured directly.
        limit = budget.cap()
        size = len(value) if type(value) is str else budget.estimated_size(value, limit)
        if size > limit:
            raise budget.too_large("Output value", limit)
        return "" if value is None else value

    # -- operators ------------------------------------------------------------------------

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        limit = budget.cap()
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                    size = budget.estimated_size(sequence, limit) * max(times, 0)
                    budget.check_size(size, "Repeated value")
        elif operator == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                size = budget.estimated_size(left, limit) + budget.estimated_size(right, limit)
                budget.check_size(size, "Concatenated value")
        elif operator == "%" and isinstance(left, str):
            check_printf_call(left, right)
        if operator in ("*", "**") and budget.is_huge_product(operator, left, right):
            raise TemplateLimitError(
                f"{_number(left)} {operator} {_number(right)} is too large a number"
            )
        result = super().call_binop(context, operator, left, right)
        if operator in ("*", "+", "%"):
            budget.check_result(result, "Result of " + operator)
        return result

    # -- attribute access and calls -------------------------------------------------------

    def getitem(self, obj: Any, argument: Any) -> Any:
        budget.check_deadline()
        # A tuple key is hashed, and hashing walks all of it.
        budget.check_items([argument], "Looking up a key")
        return super().getitem(obj, argument)

    def getattr(self, obj: Any, attribute: str) -> Any:
        budget.check_deadline()
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Jinja's own check (which builds a wrapper we would throw away), done in place.
        if (
            isinstance(value, types.MethodType | types.BuiltinMethodType)
            and value.__name__ in ("format", "format_map")
            and isinstance(value.__self__, str)
        ):
            return bounded_str_format(self, value)
        return None

    def is_safe_callable(self, obj: Any) -> bool:
        return _call_kind(obj) is not None and super().is_safe_callable(obj)

    def call(
        self,
        context: jinja2.runtime.Context,
        obj: Any,
        /,  # positional-only, so a template's keyword arguments cannot clash
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        kind = _call_kind(obj)
        if kind is None:
            raise SecurityError(f"calling {_describe(obj)} is not allowed in templates")
        if kind == "template":
            return super().call(context, obj, *args, **kwargs)
        if kind == "str-format":  # a bound str.format reached without getattr (|attr)
            obj = bounded_str_format(self, obj)
        options = [*args, *kwargs.values()]
        for option in options:
            _fail_if_undefined(option)
        if kind != "range":  # range() has its own limit on the number of items
            budget.check_integer_arguments(options)
        budget.check_items(options, lambda: "Calling " + _describe(obj))
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if kind == "str":
            growth = allowlist.escape_growth(owner)
            if name == "join" and args and isinstance(args[0], str):
                bound = growth * allowlist.join_text_bound(owner, args[0])
            elif name == "join":
                items = list(args[0]) if args else []
                bound = allowlist.join_bound(owner, items, growth)
                args = (items, *args[1:])
            else:
                bound = growth * allowlist.STR_METHODS[name](owner, args, kwargs)
            budget.check_bound(bound, f"Text from {name}()")
        elif kind == "lipsum":
            budget.check_bound(allowlist.lipsum_bound(args, kwargs), "Text from lipsum()")
        result = super().call(context, obj, *args, **kwargs)
        if kind in ("str", "constructor", "lipsum"):  # others return what the template had
            budget.check_result(result, f"Result of {name or _describe(obj)}()")
        return result

    # -- filters and tests ----------------------------------------------------------------

    @staticmethod
    def _guard_filter(name: str, filter_function: Callable[..., Any]) -> Callable[..., Any]:
        bound = allowlist.FILTERS.get(name)
        # Messages built once: the wrapper runs for every filter call of every render.
        arguments_what, text_what = f"The {name} filter", f"Text from the {name} filter"
        rows_what, result_what = f"Rows of the {name} filter", f"Result of the {name} filter"
        returns_reference = name in allowlist.REFERENCE_FILTERS
        makes_rows = name in allowlist.ROW_FILTERS

        @functools.wraps(filter_function)  # keeps Jinja's pass_context/pass_environment marks
        def guarded(*args: Any, **kwargs: Any) -> Any:
            budget.check_deadline()  # map() and select() call filters and tests per item
            start = _first_value_index(args)
            value, options = (args[start], args[start + 1 :]) if start < len(args) else (None, ())
            if options or kwargs:
                extra = (*options, *kwargs.values())
                budget.check_integer_arguments(extra)
                budget.check_items(extra, arguments_what)
            budget.check_items((value,), arguments_what)
            if name == "join":
                separator = options[0] if options else kwargs.get("d", "")
                if isinstance(value, str):  # joins its characters
                    size = allowlist.join_text_bound(separator, value)
                else:
                    value = list(value)  # materialised once: a generator is read once
                    size = allowlist.join_bound(separator, value)
                    args = (*args[:start], value, *args[start + 1 :])
                budget.check_bound(size, "Joined text")
            elif name == "sum":
                start_value = options[1] if len(options) > 1 else kwargs.get("start", 0)
                if not isinstance(start_value, int | float):
                    raise TemplateLimitError("sum() may only add numbers")
            elif bound is not None:
                budget.check_bound(bound(value, options, kwargs), text_what)
            result = filter_function(*args, **kwargs)
            if returns_reference:
                return result
            if makes_rows:  # lazy, and each row is a new list
                return _charged_rows(result, rows_what)
            return budget.check_result(result, result_what)

        return guarded

    @staticmethod
    def _guard_test(test_function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(test_function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            budget.check_deadline()
            start = _first_value_index(args)
            budget.check_items([*args[start:], *kwargs.values()], "A test")
            return test_function(*args, **kwargs)

        return guarded


def _charged_rows(rows: Iterable[Any], what: str) -> Iterable[Any]:
    """Charge each new row: now for a list (groupby), as they are read for a generator."""
    if isinstance(rows, list):
        budget.check_result(rows, what)
        for row in rows:
            budget.charge(budget.built_size(row) + budget.ROW_CHARS, what)
        return rows
    return _charge_each(rows, what)


def _charge_each(rows: Iterable[Any], what: str) -> Iterator[Any]:
    for row in rows:
        budget.charge(budget.built_size(row) + budget.ROW_CHARS, what)
        yield row


_JINJA_INTERNALS = (jinja2.Environment, jinja2.runtime.Context, jinja2.nodes.EvalContext)


def _first_value_index(args: Sequence[Any]) -> int:
    # Jinja passes the context or environment first for some filters and tests.
    if not args or not isinstance(args[0], _JINJA_INTERNALS):
        return 0
    start = 1
    while start < len(args) and isinstance(args[start], _JINJA_INTERNALS):
        start += 1
    return start


def _call_kind(obj: Any) -> str | None:
    """Which allow-list entry ``obj`` falls under, or None when it may not be called."""
    if isinstance(obj, (*allowlist.TEMPLATE_CALLABLES, jinja2.Undefined)):
        return "template"  # Undefined raises its own error when called
    if getattr(obj, "promptops_bounded_format", False):
        return "template"  # checks itself as it formats
    if allowlist.is_range(obj):
        return "range"
    if allowlist.is_lipsum(obj):
        return "lipsum"
    if isinstance(obj, type) and obj in allowlist.CONSTRUCTORS:
        return "constructor"
    if not isinstance(obj, types.BuiltinMethodType | types.MethodType):
        return None
    owner, name = getattr(obj, "__self__", None), obj.__name__
    if isinstance(owner, str):
        if name in ("format", "format_map"):
            return "str-format"
        return "str" if name in allowlist.STR_METHODS or name == "join" else None
    if isinstance(owner, dict) and name in allowlist.DICT_METHODS:
        return "container"
    if isinstance(owner, list | tuple) and name in allowlist.SEQUENCE_METHODS:
        return "container"
    if isinstance(owner, jinja2.runtime.LoopContext) and name in allowlist.LOOP_METHODS:
        return "container"
    if isinstance(owner, Cycler) and name in allowlist.CYCLER_METHODS:
        return "container"
    return None


def _number(value: int) -> str:
    # str() of a very large int is refused by Python itself (and slow): name its size.
    return str(value) if value.bit_length() < 64 else f"(a {value.bit_length():,}-bit number)"


def _describe(obj: Any) -> str:
    name = getattr(obj, "__name__", None) or type(obj).__name__
    owner = getattr(obj, "__self__", None)
    if owner is not None and not isinstance(owner, types.ModuleType):
        return f"{type(owner).__name__}.{name}()"
    return f"{name}()"


@functools.cache
def _environment() -> _PromptSandbox:
    return _PromptSandbox()
