"""How big a value is, and the budget every guarded step of one Jinja2 render charges.

Each step that can build a value in one C-level call (an operator, a str method, a
filter, a format) first computes how large its result can be and refuses to run when
that bound is too large; afterwards it charges what it built to the render's budget, so
many small steps cannot add up to a large allocation either. See "How Jinja2 limits
are enforced" in :mod:`promptregistry.templating.engine`.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from promptregistry.templating.errors import TemplateLimitError
from promptregistry.templating.limits import DEFAULT_LIMITS, RenderLimits

# A single step may be asked to build up to this many times the output limit before its
# result is measured (e.g. upper() of a long text, which may triple it); results larger
# than the output limit are then refused. Keeps each single allocation to a few MB.
GROWTH_SLACK = 12

# Each item of a list, tuple or dict a step builds counts as this many characters,
# and each new list or tuple itself as ROW_CHARS more.
ITEM_CHARS = 8
ROW_CHARS = 64

_CONTAINERS = (list, tuple, dict, set, frozenset)

# Integers above this bit length make ``**`` and ``*`` slow enough to stall the
# process inside a single C call, where the time limit cannot interrupt it.
MAX_INTEGER_BITS = 100_000


class RenderBudget:
    """The limits of the render in progress, how much it has built so far, and its deadline."""

    __slots__ = ("deadline", "limits", "spent")

    def __init__(self, limits: RenderLimits, deadline: float = math.inf) -> None:
        self.limits = limits
        self.spent = 0
        self.deadline = deadline

    def charge(self, size: int, what: str) -> None:
        self.spent += size
        if self.spent > self.limits.max_total_chars:
            raise TemplateLimitError(
                f"Template built more than {self.limits.max_total_chars:,} characters in"
                f" total while rendering (at: {what})"
            )


_active: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar(
    "promptops_template_budget", default=None
)


@contextlib.contextmanager
def render_budget(limits: RenderLimits) -> Iterator[RenderBudget]:
    budget = RenderBudget(limits, time.monotonic() + limits.timeout_seconds)
    token = _active.set(budget)
    try:
        yield budget
    finally:
        _active.reset(token)


def active_budget() -> RenderBudget:
    # Outside a render (e.g. a filter called while compiling) a throwaway budget applies.
    return _active.get() or RenderBudget(DEFAULT_LIMITS)


def check_deadline() -> None:
    """Stop a render past its deadline from inside Python code that templates drive.

    The loop guard (limits.py) watches template code only; a filter such as
    ``sort(attribute=...)`` or ``groupby`` runs Jinja's own Python code once per item
    inside one C-level sort, so the sandbox's attribute lookups check the clock too.
    """
    active = _active.get()
    if active is not None and time.monotonic() > active.deadline:
        raise TemplateLimitError(
            f"Template took longer than {active.limits.timeout_seconds:g}s to render"
        )


def cap() -> int:
    return active_budget().limits.max_output_chars


def charge(size: int, what: str) -> None:
    active_budget().charge(size, what)


def too_large(what: str, limit: int | None = None) -> TemplateLimitError:
    limit = cap() if limit is None else limit
    return TemplateLimitError(f"{what} would be longer than the limit of {limit:,} characters")


def check_size(size: int, what: str) -> None:
    """Refuse a single value of more than the output limit."""
    if size > cap():
        raise too_large(what)


def check_bound(bound: int, what: str) -> None:
    """Refuse a step whose result could be larger than GROWTH_SLACK times the limit."""
    if bound > cap() * GROWTH_SLACK:
        raise too_large(what)


def check_result(value: Any, what: str) -> Any:
    """Measure what a step built: refuse it when too large, else charge it."""
    size = built_size(value)
    if size:
        if isinstance(value, str):
            check_size(size, what)
        elif size // ITEM_CHARS > cap():
            raise TemplateLimitError(
                f"{what} would have more than {cap():,} items, the limit of a single value"
            )
        charge(size, what)
    return value


def built_size(value: Any) -> int:
    """What building ``value`` cost: its characters, or its items (not what they hold)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple | dict | set | frozenset):
        return ITEM_CHARS * len(value)
    return 0


def _repr_size(text: str) -> int:
    """Upper bound of ``len(repr(text))`` without building it."""
    if text.isprintable():
        return len(text) + 2 + text.count("\\") + text.count("'")
    # \x01 takes four characters, \U000e0001 ten.
    return (4 if text.isascii() else 10) * len(text) + 2


def estimated_size(value: Any, budget: int, *, nested: bool = False) -> int:
    """Roughly how many characters ``str(value)`` produces; stops counting past ``budget``.

    Values reached more than once (``[x, x]``) are counted each time, as ``str`` would
    write them each time, so a value doubled in a loop is measured at its true size.
    """
    kind = type(value)  # fast paths: most values written out are plain text or numbers
    if kind is str and not nested:
        return len(value)
    if kind is int:
        return value.bit_length() + 2
    if kind is float:
        return 25
    total = 0
    pending: list[tuple[Any, bool]] = [(value, nested)]
    while pending and total <= budget:
        item, inside = pending.pop()
        if isinstance(item, str):
            total += _repr_size(item) if inside else len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() + 2  # enough for any base, binary included
        elif isinstance(item, float):
            total += 25
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            pending.extend((key, True) for key in item)
            pending.extend((child, True) for child in item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            pending.extend((child, True) for child in item)
        else:
            total += 100  # jinja objects, Undefined: a short description
    return total


def item_count(value: Any, budget: int) -> int:
    """How many items ``value`` holds at every depth, counting shared ones each time.

    C code that walks a value (comparison, hashing, sorting) takes time in proportion to
    this, so a value built to share itself (``[x, x]`` doubled in a loop) is refused
    before it reaches such code. Stops counting past ``budget``.
    """
    total = 0
    pending = [value]
    while pending and total <= budget:
        item = pending.pop()
        total += len(item)
        if isinstance(item, dict):
            pending.extend(key for key in item if isinstance(key, tuple | frozenset))
            item = item.values()
        pending.extend(child for child in item if isinstance(child, _CONTAINERS))
    return total


def item_count_and_depth(value: Any, budget: int) -> tuple[int, int]:
    """Like :func:`item_count`, also returning how deeply ``value`` nests."""
    total, deepest = 0, 0
    pending = [(value, 1)]
    while pending and total <= budget:
        item, depth = pending.pop()
        total += len(item)
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, _CONTAINERS))
    return total, deepest


def check_items(values: Any, what: str | Callable[[], str]) -> None:
    """Refuse values holding more items (at every depth) than the output limit.

    ``what`` may be a function, called only to word the error.
    """
    for value in values:
        if not isinstance(value, _CONTAINERS) or not value:
            continue  # called for every filter, test and comparison: keep scalars cheap
        limit = cap()
        if item_count(value, limit) > limit:
            if callable(what):
                what = what()
            raise TemplateLimitError(
                f"{what}: a value with more than {limit:,} items (at every depth) is"
                " too large to use here"
            )


def check_integer_arguments(args: Any) -> None:
    for arg in args:
        if not isinstance(arg, int) or isinstance(arg, bool):
            continue
        limit = cap()
        if abs(arg) > limit:
            raise TemplateLimitError(
                f"Number {arg} is larger than the output limit of {limit:,} and is not allowed"
                " as an argument"
            )


def is_huge_product(operator: str, left: Any, right: Any) -> bool:
    if not (isinstance(left, int) and isinstance(right, int)):
        return False
    if operator == "**":
        if right <= 0 or abs(left) <= 1:
            return False
        return right * abs(left).bit_length() > MAX_INTEGER_BITS
    return left.bit_length() + right.bit_length() > MAX_INTEGER_BITS
