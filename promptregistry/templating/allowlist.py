"""What a Jinja2 template may call, and how large each allowed call's result can be.

Only what is listed here can be called: the str methods below, read-only dict and
list methods, macros, ``loop``, the globals ``range``, ``dict``, ``namespace``,
``cycler``, ``joiner`` and ``lipsum``, and the filters below. For each str method
and filter a function computes, from the arguments and before the call, an upper bound
of the size of its result; the sandbox refuses the call when that bound is too large.
Anything else (a method of an unexpected type, ``str.encode``, the ``pprint`` filter)
is refused, so a template cannot reach an unchecked C call through a new name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import safe_range
from jinja2.utils import Cycler, Joiner, Namespace, generate_lorem_ipsum
from markupsafe import Markup

from promptregistry.templating import budget
from promptregistry.templating.formatting import _ESCAPE_GROWTH, check_printf

# (text, positional arguments, keyword arguments) -> upper bound of the result's size
SizeBound = Callable[[str, tuple, dict], int]


def _argument(args: tuple, kwargs: dict, index: int, name: str, default: Any) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _text(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    return budget.estimated_size(value, budget.cap() * budget.GROWTH_SLACK)


def _width(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _same(text: str, args: tuple, kwargs: dict) -> int:
    return len(text)


def _nothing(text: str, args: tuple, kwargs: dict) -> int:
    return 0


def _case(text: str, args: tuple, kwargs: dict) -> int:
    return 3 * len(text)  # "ß".upper() is "SS"; "ΐ".upper() is three characters


def _split(text: str, args: tuple, kwargs: dict) -> int:
    return len(text) + budget.ITEM_CHARS * (len(text) + 1)


def _pad(text: str, args: tuple, kwargs: dict) -> int:
    return max(len(text), _width(_argument(args, kwargs, 0, "width", 0)))


def _expandtabs(text: str, args: tuple, kwargs: dict) -> int:
    tabsize = _width(_argument(args, kwargs, 0, "tabsize", 8))
    return len(text) + text.count("\t") * max(tabsize, 0)


def _as_text(value: Any) -> str | None:
    """``str(value)`` when that is small enough to build, else None."""
    if isinstance(value, str):
        return value
    if _text(value) > budget.cap():
        return None
    return str(value)


def replace_bound(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    """Largest result of replacing ``old`` by ``new`` in ``text``.

    The replace filter writes ``str()`` of each argument, so a list given as ``new``
    counts at the length of its printed form.
    """
    text, old = _as_text(text), _as_text(old)
    if text is None or old is None:
        return budget.cap() * budget.GROWTH_SLACK + 1  # refused: too large to measure
    occurrences = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * max(0, _text(new) - len(old))


def _replace(text: str, args: tuple, kwargs: dict) -> int:
    return replace_bound(
        text,
        _argument(args, kwargs, 0, "old", None),
        _argument(args, kwargs, 1, "new", None),
        _argument(args, kwargs, 2, "count", -1),
    )


def join_bound(separator: Any, items: list[Any], growth: int = 1) -> int:
    limit = budget.cap() * budget.GROWTH_SLACK
    size = budget.estimated_size(items, limit) - 2 - 2 * len(items)
    return growth * (size + _text(separator) * max(0, len(items) - 1))


def join_text_bound(separator: Any, text: str) -> int:
    """Joining the characters of ``text`` (a str is iterable) with ``separator``."""
    return len(text) + _text(separator) * max(0, len(text) - 1)


def _translate(text: str, args: tuple, kwargs: dict) -> int:
    table = _argument(args, kwargs, 0, "table", None)
    if isinstance(table, Mapping):
        mapped: Iterable[Any] = table.values()
    elif isinstance(table, str | list | tuple):
        mapped = table
    else:
        return budget.cap() * budget.GROWTH_SLACK + 1  # refused: not a table we can measure
    longest = max((len(item) if isinstance(item, str) else 1 for item in mapped), default=1)
    return len(text) * max(longest, 1)


# str methods a template may call, with the largest result each can build.
STR_METHODS: dict[str, SizeBound] = {
    **dict.fromkeys(
        [
            "isalnum",
            "isalpha",
            "isascii",
            "isdecimal",
            "isdigit",
            "isidentifier",
            "islower",
            "isnumeric",
            "isprintable",
            "isspace",
            "istitle",
            "isupper",
            "startswith",
            "endswith",
            "find",
            "rfind",
            "index",
            "rindex",
            "count",
        ],
        _nothing,
    ),
    **dict.fromkeys(["strip", "lstrip", "rstrip", "removeprefix", "removesuffix"], _same),
    **dict.fromkeys(["lower", "upper", "title", "capitalize", "casefold", "swapcase"], _case),
    **dict.fromkeys(["split", "rsplit", "splitlines", "partition", "rpartition"], _split),
    **dict.fromkeys(["center", "ljust", "rjust", "zfill"], _pad),
    "expandtabs": _expandtabs,
    "replace": _replace,
    "translate": _translate,
    # "join" is measured once its argument is materialised (see sandbox.call);
    # "format" and "format_map" run through formatting.bounded_str_format.
}

DICT_METHODS = frozenset({"get", "items", "keys", "values"})
SEQUENCE_METHODS = frozenset({"index", "count"})
LOOP_METHODS = frozenset({"cycle", "changed"})
CYCLER_METHODS = frozenset({"next", "reset"})

# Callables the template may call as they are (their own output is charged as written).
TEMPLATE_CALLABLES = (Macro, LoopContext, Joiner)
CONSTRUCTORS = frozenset({Namespace, Cycler, Joiner, dict})


def lipsum_bound(args: tuple, kwargs: dict) -> int:
    paragraphs = _width(_argument(args, kwargs, 0, "n", 5))
    most_words = _width(_argument(args, kwargs, 3, "max", 100))
    return paragraphs * (most_words * 12 + 20)  # the longest lorem word has 12 letters


def is_lipsum(obj: Any) -> bool:
    return obj is generate_lorem_ipsum


def is_range(obj: Any) -> bool:
    return obj is safe_range


def escape_growth(owner: Any) -> int:
    """Markup's methods escape their arguments first, which can make them six times longer."""
    return _ESCAPE_GROWTH if isinstance(owner, Markup) else 1


# ---------------------------------------------------------------------------------------
# Filters: (value, options, keyword options) -> upper bound of the result's size
# ---------------------------------------------------------------------------------------

FilterBound = Callable[[Any, tuple, dict], int]


def _f_nothing(value: Any, options: tuple, kwargs: dict) -> int:
    return 0


def _f_same(value: Any, options: tuple, kwargs: dict) -> int:
    return _text(value)


def _f_case(value: Any, options: tuple, kwargs: dict) -> int:
    return 3 * _text(value)


def _f_items(value: Any, options: tuple, kwargs: dict) -> int:
    # Builds a new list (or lists) of what the value holds, plus any fill value.
    length = len(value) if hasattr(value, "__len__") else 0
    count = _width(_argument(options, kwargs, 0, "linecount", 0))
    fill = _argument(options, kwargs, 1, "fill_with", None)
    filled = count * (1 + budget.estimated_size(fill, budget.cap())) if fill is not None else 0
    return budget.ITEM_CHARS * (length + count) + filled


def _f_center(value: Any, options: tuple, kwargs: dict) -> int:
    return max(_text(value), _width(_argument(options, kwargs, 0, "width", 80)))


def _f_indent(value: Any, options: tuple, kwargs: dict) -> int:
    width = _argument(options, kwargs, 0, "width", 4)
    step = len(width) if isinstance(width, str) else _width(width)
    text = value if isinstance(value, str) else ""
    return _text(value) + (text.count("\n") + 2) * step


def _f_wordwrap(value: Any, options: tuple, kwargs: dict) -> int:
    width = max(_width(_argument(options, kwargs, 0, "width", 79)), 1)
    wrapstring = _argument(options, kwargs, 2, "wrapstring", None)
    text = value if isinstance(value, str) else ""
    breaks = len(text) // width + text.count("\n") + 1
    return _text(value) + breaks * (_text(wrapstring) if wrapstring is not None else 2)


def _f_truncate(value: Any, options: tuple, kwargs: dict) -> int:
    return _text(value) + _text(_argument(options, kwargs, 2, "end", "..."))


def _f_replace(value: Any, options: tuple, kwargs: dict) -> int:
    return replace_bound(
        value,
        _argument(options, kwargs, 0, "old", None),
        _argument(options, kwargs, 1, "new", None),
        _argument(options, kwargs, 2, "count", None) or -1,
    )


def _f_format(value: Any, options: tuple, kwargs: dict) -> int:
    if isinstance(value, str):
        check_printf(value, kwargs or options)
    return 0  # check_printf refused anything too large; the result is charged after


def _f_string(value: Any, options: tuple, kwargs: dict) -> int:
    return budget.estimated_size(value, budget.cap() * budget.GROWTH_SLACK)


def _f_json(value: Any, options: tuple, kwargs: dict) -> int:
    # "\u00e9" is six characters for one; markupsafe-style escapes of <, >, & and ' too.
    size = 6 * budget.estimated_size(value, budget.cap() * budget.GROWTH_SLACK)
    indent = _argument(options, kwargs, 0, "indent", None)
    if indent:  # each item goes on its own line, indented once per level of nesting
        step = len(indent) if isinstance(indent, str) else _width(indent)
        items, depth = budget.item_count_and_depth(value, budget.cap())
        size += (items + 1) * (step * depth + 1)
    return size


def _f_urlencode(value: Any, options: tuple, kwargs: dict) -> int:
    return 12 * budget.estimated_size(value, budget.cap() * budget.GROWTH_SLACK)


def _f_escape(value: Any, options: tuple, kwargs: dict) -> int:
    return _ESCAPE_GROWTH * _text(value)


def _f_urlize(value: Any, options: tuple, kwargs: dict) -> int:
    # Each link becomes an <a href="..." rel="..." target="..."> element around itself.
    # Counted five times over on top: urlize is slow Python (about 15 µs a word), so
    # this also keeps its input to about 40,000 characters, a fraction of the time limit.
    extra = sum(_text(option) for option in (*options, *kwargs.values()))
    return 10 * _ESCAPE_GROWTH * _text(value) + extra * (_text(value) // 4 + 1)


def _f_xmlattr(value: Any, options: tuple, kwargs: dict) -> int:
    return _ESCAPE_GROWTH * budget.estimated_size(value, budget.cap() * budget.GROWTH_SLACK)


# Filters whose result is a number or a value the template already had: nothing is built.
REFERENCE_FILTERS = frozenset(
    {
        "abs",
        "attr",
        "count",
        "default",
        "d",
        "filesizeformat",
        "first",
        "float",
        "int",
        "last",
        "length",
        "max",
        "min",
        "random",
        "round",
        "safe",
        "sum",
        "wordcount",
    }
)

# Filters that yield new lists or tuples one by one: each is charged as it is made.
ROW_FILTERS = frozenset({"batch", "slice", "groupby"})

FILTERS: dict[str, FilterBound | None] = {
    **dict.fromkeys(REFERENCE_FILTERS, _f_nothing),
    # New lists of what the input holds (lazy ones are measured when made into a list).
    **dict.fromkeys(
        [
            "batch",
            "dictsort",
            "groupby",
            "items",
            "list",
            "map",
            "reject",
            "rejectattr",
            "reverse",
            "select",
            "selectattr",
            "slice",
            "sort",
            "unique",
        ],
        _f_items,
    ),
    **dict.fromkeys(["trim", "striptags"], _f_same),
    **dict.fromkeys(["upper", "lower", "title", "capitalize"], _f_case),
    "center": _f_center,
    "indent": _f_indent,
    "wordwrap": _f_wordwrap,
    "truncate": _f_truncate,
    "replace": _f_replace,
    "format": _f_format,
    "string": _f_string,
    "tojson": _f_json,
    "urlencode": _f_urlencode,
    "escape": _f_escape,
    "e": _f_escape,
    "forceescape": _f_escape,
    "urlize": _f_urlize,
    "xmlattr": _f_xmlattr,
    # "join" is measured once its input is materialised (see sandbox._guard_filter).
    # Not listed, so not available: "pprint" (its size depends on nesting and width).
}
