"""What one template render may allocate: hostile templates are refused before they build.

Each hostile template runs in a child process with an address-space limit (RLIMIT_AS)
and tracemalloc: a template is only refused properly if it raised a TemplateError
*and* its peak allocation stayed small. Refusing it because the allocation itself failed
(MemoryError) or because the clock ran out after a C call had already built a huge value
does not count: that is what blocked the server before.
"""

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from promptregistry.templating import (
    MissingVariablesError,
    RenderLimits,
    TemplateLimitError,
    TemplateSecurityError,
    TemplateSyntaxError,
    render,
    variables,
)

JINJA2 = "jinja2"
ROOT = Path(__file__).resolve().parents[2]

# Far below what any of these templates asked for before they were bounded (200 MB to
# several GB); a refused render allocates a few MB at most.
MAX_PEAK_BYTES = 40 * 2**20
ADDRESS_SPACE_LIMIT = 600 * 2**20
CHILD_TIMEOUT_SECONDS = 30

# 300000000 below is a width that would allocate 300 MB (1.2 GB as UCS-4).
HOSTILE_JINJA2 = {
    # str.format and format_map with nested specs read from a mapping or an index
    "format_map nested width": "{{ '{x:{w}}'.format_map({'x': 'a', 'w': 300000000}) }}",
    "format nested index": "{{ '{0:{1[0]}}'.format('a', [300000000]) }}",
    "format nested attribute width": "{{ '{0:>{1[w]}}'.format('a', {'w': 300000000}) }}",
    "format keyword width": "{{ '{:>{w}}'.format('a', w=300000000) }}",
    "format precision": "{{ '{:.199999f}{:.199999f}'.format(1.0, 2.0) }}",
    "format many fields": "{{ ('{:199999}' * 100).format(1) }}",
    "format repeated value": "{% set s = 'x' * 150000 %}{{ ('{0}' * 100).format(s) }}",
    "format repr": "{{ ('{0!r}' * 10).format('\\x01' * 150000) }}",
    "format via attr": "{{ ('{:199999}' * 100)|attr('format')(1) }}",
    # printf-style %
    "printf star width": "{{ '%*s' % (300000000, 'x') }}",
    "printf keyed star width": "{{ '%(a)*s' % {'a': 'x'} }}",
    "printf keyed width": "{{ '%(x)0300000000d' % {'x': 1} }}",
    "printf key in nested parentheses": "{{ '%(x(y))0300000000d' % {'x(y)': 1} }}",
    "printf many fields": "{{ ('%199999d' * 100) % ((1,) * 100) }}",
    "printf repeated key": "{% set s = 'x' * 150000 %}{{ ('%(a)s' * 100) % {'a': s} }}",
    "format filter width": "{{ '%0300000000d'|format(1) }}",
    # str methods
    "expandtabs width": "{{ ('\\t' * 100000).expandtabs(3000) }}",
    "translate to long strings": "{{ ('a' * 100000).translate({97: 'b' * 3000}) }}",
    "center": "{{ 'a'.center(300000000) }}",
    "ljust": "{{ 'a'.ljust(300000000) }}",
    "rjust": "{{ 'a'.rjust(300000000) }}",
    "zfill": "{{ 'a'.zfill(300000000) }}",
    "replace with count": "{{ ('a' * 100000).replace('a', 'b' * 30, 100000) }}",
    "replace empty": "{{ ('a' * 100000).replace('', 'b' * 10000) }}",
    "upper of long text": "{{ ('ß' * 190000).upper() }}",
    "join method": "{{ ('y' * 1000).join(('x' * 199999)|list) }}",
    # filters
    "map center": "{{ ['a']|map('center', 300000000)|list }}",
    "map center many": "{{ ('x' * 199999)|list|map('center', 1000)|list|length }}",
    "indent width": "{{ 'a\\na'|indent(300000000) }}",
    "indent many lines": "{{ ('a\\n' * 100000)|indent(199999) }}",
    "indent by a string": "{{ ('a\\n' * 100000)|indent('x' * 100000) }}",
    "wordwrap string": "{{ ('a ' * 100000)|wordwrap(5, wrapstring='x' * 100000) }}",
    "replace filter": "{{ ('a' * 100000)|replace('', 'b' * 10000) }}",
    "join huge": "{{ ('x' * 100000)|list|join('y' * 200000) }}",
    "join the characters of a text with a list": (
        "{% set big = 'q' * 199999 %}{{ ('x' * 50000)|join([big, big]) }}"
    ),
    "replace with a list": "{% set big = 'q' * 199999 %}{{ ('a' * 100000)|replace('a', [big]) }}",
    "tojson indent": "{{ (range(1000)|list)|tojson(indent=199999) }}",
    "escape": "{{ ('<' * 190000)|escape }}",
    "tojson": "{{ ('\\x01' * 190000)|tojson }}",
    "string of a list": "{{ ('x' * 190000)|list|string }}",
    "sum of lists": "{{ (('x' * 199999)|list|batch(1)|list)|sum(start=[]) }}",
    "many new rows": (
        "{% set ns = namespace() %}{% set ns.a = ('x' * 199999)|list|batch(1)|list %}"
        "{% set ns.b = ('y' * 199999)|list|slice(199999)|list %}{{ 1 }}"
    ),
    "lipsum": "{{ lipsum(100000) }}",
    # operators and loops
    "repeat": "{{ 'a' * 300000000 }}",
    "list repeat": "{{ (range(100000)|list) * 100000 }}",
    "concatenate lists": "{{ (range(100000)|list) + (range(100000)|list) }}",
    "integer squaring": (
        "{% set ns = namespace(x=2) %}"
        "{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}{% endfor %}{{ 1 }}"
    ),
    "capture in a loop": (
        "{% set x %}{% for i in range(100000) %}{{ 'a' * 199999 }}{% endfor %}{% endset %}"
        "{{ x|length }}"
    ),
    "capture of literal text": (
        "{% set x %}{% for i in range(100000) %}" + "A" * 1000 + "{% endfor %}{% endset %}"
        "{{ x|length }}"
    ),
    "macro output in a loop": (
        "{% macro m() %}{% for i in range(100000) %}{{ 'a' * 199999 }}{% endfor %}"
        "{% endmacro %}{{ m()|length }}"
    ),
    "self-sharing list printed": (
        "{% set ns = namespace(l=[1]) %}"
        "{% for i in range(60) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l|string }}"
    ),
    "self-sharing lists compared": (
        "{% set ns = namespace(a=[1], b=[1]) %}{% for i in range(60) %}"
        "{% set ns.a = [ns.a, ns.a] %}{% set ns.b = [ns.b, ns.b] %}{% endfor %}"
        "{{ ns.a == ns.b }}"
    ),
    "self-sharing via batch fill": (
        "{% set ns = namespace(l=[1]) %}{% for i in range(60) %}"
        "{% set ns.l = [1]|batch(3, ns.l)|first %}{% endfor %}{{ ns.l == ns.l|list }}"
    ),
}

# The child process: renders one template under an address-space limit, recording the
# error and the peak traced allocation. One process per template, so a template that
# stalls inside a C call (as some did) fails its own test by timing out.
_CHILD = textwrap.dedent(
    """
    import json, resource, sys, tracemalloc
    from promptregistry.templating import TemplateError, render
    limit, (fmt, text, values) = json.loads(sys.stdin.read())
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    tracemalloc.start()
    try:
        render(text, fmt, values)
        outcome = {"error": None, "message": ""}
    except TemplateError as exc:
        outcome = {"error": type(exc).__name__, "message": str(exc)[:300]}
    except BaseException as exc:
        outcome = {"error": "!" + type(exc).__name__, "message": str(exc)[:300]}
    outcome["peak"] = tracemalloc.get_traced_memory()[1]
    print(json.dumps(outcome))
    """
)


def _render_in_child(fmt: str, text: str, values: dict) -> dict:
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", _CHILD],
            input=json.dumps([ADDRESS_SPACE_LIMIT, [fmt, text, values]]),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=CHILD_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"Still rendering after {CHILD_TIMEOUT_SECONDS}s: stuck in one C call")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


BIG_VALUE = "y" * 200_000
HOSTILE = {
    **{name: (JINJA2, text, {}) for name, text in HOSTILE_JINJA2.items()},
    "mustache repeated value": ("mustache", "{{x}}" * 100, {"x": BIG_VALUE}),
    "fstring repeated value": ("fstring", "{x}" * 100, {"x": BIG_VALUE}),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_template_is_refused_before_it_allocates(name):
    outcome = _render_in_child(*HOSTILE[name])
    assert outcome["error"] in ("TemplateLimitError", "TemplateSecurityError"), outcome
    assert "memory" not in outcome["message"], outcome  # refused by a check, not by the OS
    assert outcome["peak"] < MAX_PEAK_BYTES, outcome


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("expandtabs width", "limit of 200,000 characters"),
        ("printf star width", "'*' widths"),
        ("capture in a loop", "10,000,000 characters in total"),
    ],
)
def test_limit_errors_say_what_was_too_large(name, expected):
    fmt, text, values = HOSTILE[name]
    with pytest.raises(TemplateLimitError, match=re.escape(expected)):
        render(text, fmt, values)


# --- What stays possible ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("{{ '{:.2f}'.format(price) }}", {"price": 3.14159}, "3.14"),
        ("{{ '{name:>6}|'.format_map(user) }}", {"user": {"name": "Ada"}}, "   Ada|"),
        ("{{ '{0!r}'.format(name) }}", {"name": "Ada"}, "'Ada'"),
        ("{{ '%05.1f' % x }}", {"x": 2.25}, "002.2"),
        ("{{ '%(a)s-%(b)s' % {'a': 1, 'b': 2} }}", {}, "1-2"),
        ("{{ '%s and %s'|format('this', 'that') }}", {}, "this and that"),
        ("{{ name.center(9, '*') }}", {"name": "Ada"}, "***Ada***"),
        ("{{ 'a,b'.split(',')|join(' + ') }}", {}, "a + b"),
        ("{{ text.replace('cat', 'dog') }}", {"text": "cat cat"}, "dog dog"),
        ("{{ 'ab\\tc'.expandtabs(4) }}", {}, "ab  c"),
        ("{{ 'abc'.translate({97: 'A', 98: None}) }}", {}, "Ac"),
        ("{{ '7'.zfill(3) }} {{ 'x'.ljust(3) }}|", {}, "007 x  |"),
        ("{{ text|wordwrap(5) }}", {"text": "aaa bbb ccc"}, "aaa\nbbb\nccc"),
        ("{{ text|indent(2, first=true) }}", {"text": "a\nb"}, "  a\n  b"),
        ("{{ data|tojson }}", {"data": {"a": [1, "é"]}}, '{"a": [1, "\\u00e9"]}'),
        ("{{ items|map('upper')|join(',') }}", {"items": ["a", "b"]}, "A,B"),
        ("{{ [3, 1, 2]|sort|list }}", {}, "[1, 2, 3]"),
        ("{{ range(4)|sum }} {{ [1, 2]|sum(start=10) }}", {}, "6 13"),
        ("{{ 1 < 2 < 3 }} {{ 'a' in 'cat' }} {{ 2 not in [1] }}", {}, "True True True"),
        (
            "{% for k, v in d|dictsort %}{{ k }}={{ v }};{% endfor %}",
            {"d": {"b": 2, "a": 1}},
            "a=1;b=2;",
        ),
        ("{% for k, v in d.items() %}{{ k }}{{ d.get(k) }}{% endfor %}", {"d": {"a": 1}}, "a1"),
        ("{% for i in range(3) %}{{ loop.cycle('x', 'y') }}{% endfor %}", {}, "xyx"),
        (
            "{% set ns = namespace(n=0) %}"
            "{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
            {},
            "3",
        ),
        (
            "{% set j = joiner(', ') %}{% for i in range(3) %}{{ j() }}{{ i }}{% endfor %}",
            {},
            "0, 1, 2",
        ),
        (
            "{% macro m(x) %}<{{ x }}{{ caller() }}>{% endmacro %}{% call m(1) %}!{% endcall %}",
            {},
            "<1!>",
        ),
        ("{% set x %}ab{{ 'c' * 3 }}{% endset %}{{ x|upper }}", {}, "ABCCC"),
        ("{% filter upper %}hi {{ name }}{% endfilter %}", {"name": "ada"}, "HI ADA"),
        ("{{ dict(a=1)|list }} {{ (1, 2)|list }} {{ {'k': [1]}['k'][0] }}", {}, "['a'] [1, 2] 1"),
        ("{{ ('x' * 150000)|length }}", {}, "150000"),
        ("{{ (2 ** 64) * 3 }}", {}, str(2**64 * 3)),
        ("{{ text|truncate(12) }}", {"text": "a long sentence here"}, "a long..."),
        (
            "{{ [1, 2, 3]|batch(2, 0)|list }} {{ [1, 2, 3]|slice(2)|list }}",
            {},
            "[[1, 2], [3, 0]] [[1, 2], [3]]",
        ),
        ("{{ rows|groupby('k')|length }}", {"rows": [{"k": 1}, {"k": 2}, {"k": 1}]}, "2"),
    ],
)
def test_ordinary_jinja2_templates_keep_working(text, values, expected):
    assert render(text, JINJA2, values) == expected


def test_a_long_input_can_still_be_shortened():
    doc = "word " * 100_000  # longer than the output limit itself
    assert render("{{ doc|truncate(14) }}", JINJA2, {"doc": doc}) == "word word..."
    assert render("{{ doc[:9] }}", JINJA2, {"doc": doc}) == "word word"


def test_mustache_and_fstring_repeat_values_up_to_the_total_limit():
    limits = RenderLimits(max_total_chars=1_000)
    assert render("{{x}}" * 9, "mustache", {"x": "y" * 100}, limits=limits) == "y" * 900
    with pytest.raises(TemplateLimitError, match="1,000 characters"):
        render("{x}" * 11, "fstring", {"x": "y" * 100}, limits=limits)


def test_fstring_format_specs_are_refused_so_no_width_can_be_asked_for():
    with pytest.raises(TemplateSyntaxError, match="Format specs"):
        render("{name:>999999999}", "fstring", {"name": "x"})
    with pytest.raises(TemplateSyntaxError):
        render("{name:{width}}", "fstring", {"name": "x", "width": 999999999})


@pytest.mark.parametrize(
    "text",
    [
        "{{ 'x'.encode() }}",
        "{{ (2).to_bytes(100, 'big') }}",
        "{{ (1.5).as_integer_ratio() }}",
        "{{ {}.fromkeys(range(10)) }}",
        "{{ 'x'.maketrans('a', 'b') }}",
    ],
)
def test_calls_outside_the_allow_list_are_refused(text):
    with pytest.raises(TemplateSecurityError, match="not allowed"):
        render(text, JINJA2, {})


def test_filters_whose_output_cannot_be_bounded_are_not_available():
    with pytest.raises(TemplateSyntaxError, match="pprint"):
        variables("{{ data|pprint }}", JINJA2)


def test_the_total_budget_stops_many_small_values():
    text = "{% for i in range(1000) %}{% set x = 'a' * 100 %}{% endfor %}done"
    assert render(text, JINJA2, {}) == "done"
    with pytest.raises(TemplateLimitError, match="10,000 characters in total"):
        render(text, JINJA2, {}, limits=RenderLimits(max_total_chars=10_000))


@pytest.mark.parametrize("text", ["{{ '{:.1f}'.format(x) }}", "{{ 'a'.center(x) }}"])
def test_an_undefined_argument_is_reported_as_a_missing_variable(text):
    with pytest.raises(MissingVariablesError) as caught:
        render(text, JINJA2, {})
    assert caught.value.names == ["x"]
