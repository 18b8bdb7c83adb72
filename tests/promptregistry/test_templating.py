"""Behaviour of the template engine shared by every part of PromptOps.

Pure Python: none of these tests touch the database.
"""

import sys
import threading
import time

import pytest

from promptregistry.templating import (
    MissingPlaceholdersError,
    MissingVariablesError,
    RenderLimits,
    TemplateError,
    TemplateFormat,
    TemplateFormatNotConvertible,
    TemplateLimitError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
    VariableReport,
    check_variables,
    jinja,
    message_placeholders,
    message_variables,
    render,
    render_messages,
    to_mustache,
    tokenize_for_highlight,
    variables,
)

MUSTACHE = TemplateFormat.MUSTACHE
FSTRING = TemplateFormat.FSTRING
JINJA2 = TemplateFormat.JINJA2


# --------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------


def test_mustache_is_the_default_format():
    assert render("Hello {{name}}!", variables={"name": "Ada"}) == "Hello Ada!"


def test_formats_can_be_given_as_plain_strings():
    assert render("Hi {name}", "fstring", {"name": "Ada"}) == "Hi Ada"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="Unknown template format"):
        render("x", "handlebars", {})


def test_mustache_allows_spaces_inside_the_braces():
    assert render("{{ name }} / {{name}} / {{  name}}", MUSTACHE, {"name": "Ada"}) == (
        "Ada / Ada / Ada"
    )


def test_mustache_names_may_contain_dots_and_dashes_as_one_flat_key():
    text = "{{user.first-name}}"
    assert variables(text, MUSTACHE) == ["user.first-name"]
    assert render(text, MUSTACHE, {"user.first-name": "Ada"}) == "Ada"


def test_mustache_refuses_sections_with_a_clear_error():
    with pytest.raises(TemplateSyntaxError, match="sections"):
        render("{{#items}}x{{/items}}", MUSTACHE, {})


def test_mustache_reports_the_line_of_an_invalid_tag():
    with pytest.raises(TemplateSyntaxError) as raised:
        variables("first line\nsecond {{first name}}", MUSTACHE)
    assert raised.value.lineno == 2
    assert "first name" in str(raised.value)


def test_mustache_leaves_an_unclosed_opening_as_text():
    assert render("use {{ to open", MUSTACHE, {}) == "use {{ to open"


def test_mustache_output_is_not_html_escaped():
    assert render("{{code}}", MUSTACHE, {"code": "<b>&</b>"}) == "<b>&</b>"


def test_fstring_renders_and_unescapes_double_braces():
    text = 'Reply as JSON like {{"answer": "{answer}"}}'
    assert render(text, FSTRING, {"answer": "yes"}) == 'Reply as JSON like {"answer": "yes"}'


def test_fstring_refuses_attribute_access():
    with pytest.raises(TemplateSyntaxError, match="Attribute and index access"):
        render("{user.__class__}", FSTRING, {"user": "x"})


def test_fstring_refuses_index_access():
    with pytest.raises(TemplateSyntaxError, match="Attribute and index access"):
        variables("{items[0]}", FSTRING)


def test_fstring_refuses_format_specs_and_conversions():
    with pytest.raises(TemplateSyntaxError, match="Format specs"):
        render("{price:>10}", FSTRING, {"price": 1})
    with pytest.raises(TemplateSyntaxError, match="Conversions"):
        render("{name!r}", FSTRING, {"name": "x"})


def test_fstring_refuses_positional_fields():
    for text in ("{}", "{0}"):
        with pytest.raises(TemplateSyntaxError, match="Positional"):
            variables(text, FSTRING)


def test_fstring_reports_the_line_of_a_lone_brace():
    with pytest.raises(TemplateSyntaxError) as raised:
        render("ok\nok\nbroken { here", FSTRING, {})
    assert raised.value.lineno == 3
    assert "'{{'" in raised.value.message


def test_jinja2_renders_logic_and_keeps_the_trailing_newline():
    text = "{% for item in items %}- {{ item|upper }}\n{% endfor %}"
    assert render(text, JINJA2, {"items": ["a", "b"]}) == "- A\n- B\n"


def test_jinja2_output_is_not_html_escaped():
    assert render("{{ code }}", JINJA2, {"code": "<b>&</b>"}) == "<b>&</b>"


def test_jinja2_supports_break_in_loops():
    text = "{% for i in range(5) %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}"
    assert render(text, JINJA2, {}) == "01"


def test_jinja2_syntax_error_carries_the_line_number():
    with pytest.raises(TemplateSyntaxError) as raised:
        render("line one\n{% for x in items %}\nno end", JINJA2, {"items": []})
    assert raised.value.lineno is not None
    assert "endfor" in str(raised.value)


def test_jinja2_unknown_filters_are_reported_when_listing_variables():
    with pytest.raises(TemplateSyntaxError, match="shout"):
        variables("{{ name|shout }}", JINJA2)


def test_jinja2_runtime_failures_become_render_errors():
    with pytest.raises(TemplateRenderError, match="division by zero"):
        render("{{ 1 / 0 }}", JINJA2, {})


def test_jinja2_cannot_load_other_templates():
    with pytest.raises(TemplateError):
        render("{% include 'secrets.txt' %}", JINJA2, {})


# --------------------------------------------------------------------------
# Variables
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (MUSTACHE, "{{b}} then {{a}} then {{b}} and {{c}}"),
        (FSTRING, "{b} then {a} then {b} and {c}"),
        (JINJA2, "{{ b }} then {{ a|upper }} then {{ b }} and {% if c %}{% endif %}"),
    ],
)
def test_variables_are_listed_once_in_order_of_first_appearance(fmt, text):
    assert variables(text, fmt) == ["b", "a", "c"]


def test_jinja2_variables_exclude_loop_variables_set_names_and_globals():
    text = (
        "{% set greeting = 'hi' %}{{ greeting }} {{ user.name }}\n"
        "{% for doc in documents %}{{ loop.index }} {{ doc }} {{ range(2)|list }}{% endfor %}"
    )
    assert variables(text, JINJA2) == ["user", "documents"]


def test_fstring_literal_braces_are_not_variables():
    assert variables("{{not_a_variable}} {real}", FSTRING) == ["real"]


def test_values_are_converted_to_text():
    values = {"n": 3, "flag": True, "data": {"k": ["é", 1]}, "items": [1, 2], "nothing": None}
    text = "{{n}} {{flag}} {{data}} {{items}} [{{nothing}}]"
    assert render(text, MUSTACHE, values) == '3 True {"k": ["é", 1]} [1, 2] []'
    assert render("{data}", FSTRING, values) == '{"k": ["é", 1]}'


def test_jinja2_receives_structured_values_unchanged():
    text = "{{ data.k[0] }} {{ items|sum }} [{{ nothing }}]"
    assert render(text, JINJA2, {"data": {"k": ["x"]}, "items": [1, 2], "nothing": None}) == (
        "x 3 []"
    )


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (MUSTACHE, "{{greeting}}, {{name}}. Today is {{day}}."),
        (FSTRING, "{greeting}, {name}. Today is {day}."),
        (JINJA2, "{{ greeting }}, {{ name }}. Today is {{ day }}."),
    ],
)
def test_it_names_every_missing_variable(fmt, text):
    with pytest.raises(MissingVariablesError) as raised:
        render(text, fmt, {"greeting": "Hello"})
    assert raised.value.names == ["name", "day"]
    assert str(raised.value) == 'Missing values for variables "name", "day"'


def test_a_single_missing_variable_is_named_in_the_singular():
    with pytest.raises(MissingVariablesError, match='^Missing value for variable "name"$'):
        render("Hi {{name}}", MUSTACHE, {})


def test_missing_variables_error_is_a_template_error():
    assert issubclass(MissingVariablesError, TemplateError)
    assert issubclass(TemplateSyntaxError, TemplateError)
    assert issubclass(TemplateLimitError, TemplateError)


def test_jinja2_optional_variables_guarded_by_is_defined_may_be_left_out():
    text = "{% if tone is defined %}Tone: {{ tone }}{% else %}Neutral{% endif %}"
    assert render(text, JINJA2, {}) == "Neutral"


def test_unknown_variables_are_reported_not_fatal():
    text = "Hello {{name}}"
    assert render(text, MUSTACHE, {"name": "Ada", "mood": "happy"}) == "Hello Ada"
    report = check_variables(text, MUSTACHE, {"mood": "happy"})
    assert report == VariableReport(missing=["name"], unknown=["mood"])


def test_check_variables_works_for_every_format():
    for fmt, text in [(FSTRING, "{a}{b}"), (JINJA2, "{{ a }}{{ b }}")]:
        report = check_variables(text, fmt, {"b": 1, "c": 2})
        assert report.missing == ["a"]
        assert report.unknown == ["c"]


# --------------------------------------------------------------------------
# Jinja2 sandbox and limits
# --------------------------------------------------------------------------


def test_jinja2_sandbox_blocks_attribute_escape():
    with pytest.raises(TemplateSecurityError, match="__class__"):
        render("{{ ''.__class__.__mro__ }}", JINJA2, {})


def test_jinja2_sandbox_blocks_escape_through_a_variable():
    text = "{{ name.__class__.__base__.__subclasses__() }}"
    with pytest.raises(TemplateSecurityError):
        render(text, JINJA2, {"name": "x"})


def test_jinja2_sandbox_forbids_modifying_values():
    with pytest.raises(TemplateSecurityError):
        render("{{ items.append(3) }}", JINJA2, {"items": [1]})


def test_jinja2_infinite_loop_is_stopped_by_time_or_size_limit():
    # Nested loops that print nothing: only the time limit can stop them.
    text = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateLimitError, match="longer than 0.2s"):
        render(text, JINJA2, {}, limits=RenderLimits(timeout_seconds=0.2))
    assert time.monotonic() - started < 3


def test_jinja2_loop_over_a_large_variable_is_stopped_by_the_time_limit():
    text = "{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(TemplateLimitError):
        render(text, JINJA2, {"items": list(range(50_000))}, limits=RenderLimits(0.2))
    assert time.monotonic() - started < 3


def test_jinja2_runaway_recursion_is_stopped():
    text = "{% macro grow(n) %}{{ grow(n + 1) }}{{ grow(n + 1) }}{% endmacro %}{{ grow(0) }}"
    with pytest.raises(TemplateLimitError):
        render(text, JINJA2, {}, limits=RenderLimits(timeout_seconds=0.2))


def test_jinja2_output_longer_than_the_limit_is_refused():
    text = "{% for i in range(100000) %}{{ i }}{% endfor %}"
    with pytest.raises(TemplateLimitError, match="1,000 characters"):
        render(text, JINJA2, {}, limits=RenderLimits(max_output_chars=1_000))


def test_jinja2_huge_range_is_refused():
    with pytest.raises(TemplateLimitError):
        render("{% for i in range(10**9) %}{% endfor %}", JINJA2, {})
    with pytest.raises(TemplateLimitError):
        render("{% for i in range(0, 10**9, 2) %}{% endfor %}", JINJA2, {})


@pytest.mark.parametrize(
    "expression",
    [
        "'a' * 10**9",
        "['a'] * 10**9",
        "9 ** (9 ** 9)",
        "'a'|center(10**9)",
        "'a'.ljust(10**9)",
        "'{:999999999}'.format(1)",
        "'%0999999999d' % 1",
        "('a' * 150000) ~ ('a' * 150000)",
        "('a' * 1000).replace('a', 'b' * 1000)",
        "('a' * 1000)|replace('a', 'b' * 1000)",
        "(range(100000)|map('string')|list)|join('-----')",
    ],
)
def test_jinja2_single_operations_cannot_build_huge_values(expression):
    started = time.monotonic()
    with pytest.raises(TemplateLimitError):
        render("{{ " + expression + " }}", JINJA2, {})
    assert time.monotonic() - started < 3


def test_jinja2_value_doubling_in_a_loop_is_stopped():
    text = (
        "{% set ns = namespace(text='ab') %}"
        "{% for i in range(100) %}{% set ns.text = ns.text ~ ns.text %}{% endfor %}"
    )
    with pytest.raises(TemplateLimitError):
        render(text, JINJA2, {})


def test_a_stopped_render_leaves_later_renders_working():
    with pytest.raises(TemplateLimitError):
        render(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            JINJA2,
            {},
            limits=RenderLimits(timeout_seconds=0.1),
        )
    text = "{% for i in range(3) %}{% for j in range(3) %}.{% endfor %}{% endfor %}"
    assert render(text, JINJA2, {}) == "........."


def test_a_runaway_render_in_one_thread_does_not_affect_renders_in_others():
    runaway = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    outcome: list[type[Exception]] = []

    def render_runaway() -> None:
        try:
            render(runaway, JINJA2, {}, limits=RenderLimits(timeout_seconds=0.5))
        except TemplateLimitError as exc:
            outcome.append(type(exc))

    thread = threading.Thread(target=render_runaway)
    thread.start()
    loop = "{% for i in items %}{{ i }}{% endfor %}"
    for _ in range(50):
        assert render(loop, JINJA2, {"items": [1, 2, 3]}) == "123"
    thread.join(timeout=5)
    assert outcome == [TemplateLimitError]


def test_the_time_limit_still_works_when_sys_monitoring_is_unavailable(monkeypatch):
    # Debuggers, profilers and coverage tools can take every sys.monitoring id.
    monkeypatch.setattr(jinja._LoopGuard, "_claim_tool_id", lambda self: None)
    monkeypatch.setattr(jinja, "_loop_guard", jinja._LoopGuard())
    jinja._compile_jinja.cache_clear()
    trace_before = sys.gettrace()
    try:
        runaway = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
        with pytest.raises(TemplateLimitError):
            render(runaway, JINJA2, {}, limits=RenderLimits(timeout_seconds=0.2))
        assert render("{% for i in range(3) %}{{ i }}{% endfor %}", JINJA2, {}) == "012"
        assert sys.gettrace() is trace_before
    finally:
        jinja._compile_jinja.cache_clear()


def test_ordinary_templates_render_well_within_the_limits():
    text = "{% for doc in docs %}[{{ loop.index }}] {{ doc.title }}: {{ doc.body }}\n{% endfor %}"
    docs = [{"title": f"Doc {i}", "body": "lorem ipsum " * 20} for i in range(200)]
    output = render(text, JINJA2, {"docs": docs})
    assert output.count("\n") == 200


# --------------------------------------------------------------------------
# Snippet references inside templates
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (MUSTACHE, "{{> shared/tone|label=staging}} Hi {{name}} {{>footer}}"),
        (FSTRING, "{{> shared/tone|label=staging}} Hi {name} {{>footer}}"),
        (JINJA2, "{{> shared/tone|label=staging}} Hi {{ name }} {{>footer}}"),
    ],
)
def test_snippet_references_are_not_variables(fmt, text):
    assert variables(text, fmt) == ["name"]


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (MUSTACHE, "{{name}} {{> intro}} @@@langfusePrompt:name=x|version=2@@@"),
        (FSTRING, "{name} {{> intro}} @@@langfusePrompt:name=x|version=2@@@"),
        (JINJA2, "{{ name }} {{> intro}} @@@langfusePrompt:name=x|version=2@@@"),
    ],
)
def test_unresolved_snippet_references_are_copied_to_the_output(fmt, text):
    expected = "Ada {{> intro}} @@@langfusePrompt:name=x|version=2@@@"
    assert render(text, fmt, {"name": "Ada"}) == expected


def test_a_malformed_snippet_reference_is_a_syntax_error_in_every_format():
    for fmt in TemplateFormat:
        with pytest.raises(TemplateSyntaxError, match="snippet reference"):
            variables("Hi\n{{> intro|tag=x}}", fmt)


# --------------------------------------------------------------------------
# Chat messages
# --------------------------------------------------------------------------

CHAT = [
    {"role": "system", "content": "You are {{persona}}."},
    {"type": "placeholder", "name": "history"},
    {"role": "user", "content": "{{question}} (as {{persona}})"},
]


def test_placeholders_in_chat_are_replaced_by_the_given_messages():
    history = [
        {"role": "user", "content": "Hi {{not_rendered}}"},
        {"role": "assistant", "content": "Hello!"},
    ]
    result = render_messages(
        CHAT, MUSTACHE, {"persona": "a pirate", "question": "Why?"}, {"history": history}
    )
    assert result == [
        {"role": "system", "content": "You are a pirate."},
        {"role": "user", "content": "Hi {{not_rendered}}"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Why? (as a pirate)"},
    ]


def test_render_messages_does_not_modify_its_inputs():
    messages = [{"role": "user", "content": "{{q}}"}]
    render_messages(messages, MUSTACHE, {"q": "x"})
    assert messages == [{"role": "user", "content": "{{q}}"}]


def test_a_missing_placeholder_is_named():
    with pytest.raises(MissingPlaceholdersError) as raised:
        render_messages(CHAT, MUSTACHE, {"persona": "p", "question": "q"})
    assert raised.value.names == ["history"]
    assert str(raised.value) == 'Missing messages for placeholder "history"'


def test_an_empty_placeholder_list_is_allowed():
    result = render_messages(CHAT, MUSTACHE, {"persona": "p", "question": "q"}, {"history": []})
    assert [m["role"] for m in result] == ["system", "user"]


def test_previews_may_keep_missing_placeholders():
    result = render_messages(
        CHAT, MUSTACHE, {"persona": "p", "question": "q"}, allow_missing_placeholders=True
    )
    assert result[1] == {"type": "placeholder", "name": "history"}


def test_missing_variables_are_collected_across_all_messages():
    with pytest.raises(MissingVariablesError) as raised:
        render_messages(CHAT, MUSTACHE, {}, {"history": []})
    assert raised.value.names == ["persona", "question"]


def test_chat_syntax_errors_point_at_the_message():
    messages = [{"role": "system", "content": "ok"}, {"role": "user", "content": "{bad.attr}"}]
    with pytest.raises(TemplateSyntaxError) as raised:
        render_messages(messages, FSTRING, {})
    assert raised.value.message_index == 1


def test_message_variables_and_placeholders_are_listed_separately():
    assert message_variables(CHAT, MUSTACHE) == ["persona", "question"]
    assert message_placeholders(CHAT) == ["history"]


def test_chat_messages_render_in_jinja2():
    messages = [{"role": "user", "content": "{% for q in questions %}{{ q }}?{% endfor %}"}]
    result = render_messages(messages, JINJA2, {"questions": ["a", "b"]})
    assert result == [{"role": "user", "content": "a?b?"}]


# --------------------------------------------------------------------------
# Conversion to mustache
# --------------------------------------------------------------------------


def test_to_mustache_converts_fstring_fields_and_literal_braces():
    assert to_mustache('Hi {name}, reply {{"ok": true}}', FSTRING) == (
        'Hi {{name}}, reply {"ok": true}'
    )


def test_to_mustache_round_trip_renders_the_same_text():
    text = "Dear {name},\n{{literal}} braces, {topic} and {{> footer}}\n{{{name}}}"
    converted = to_mustache(text, FSTRING)
    values = {"name": "Ada", "topic": "maths"}
    assert render(converted, MUSTACHE, values) == render(text, FSTRING, values)
    assert variables(converted, MUSTACHE) == variables(text, FSTRING)


def test_to_mustache_keeps_snippet_references():
    assert to_mustache("{{> footer}} {x}", FSTRING) == "{{> footer}} {{x}}"


def test_to_mustache_leaves_mustache_unchanged():
    assert to_mustache("Hi {{ name }}", MUSTACHE) == "Hi {{ name }}"


def test_to_mustache_refuses_jinja2():
    with pytest.raises(TemplateFormatNotConvertible):
        to_mustache("{{ name }}", JINJA2)


def test_to_mustache_refuses_literal_text_that_would_read_as_a_variable():
    with pytest.raises(TemplateFormatNotConvertible):
        to_mustache("literal {{{{name}}}} here", FSTRING)


# --------------------------------------------------------------------------
# Highlighting
# --------------------------------------------------------------------------


def test_highlight_tokens_mark_variables_and_snippets_in_mustache():
    text = "Hi {{ name }}, {{> sign-off}} {{not valid}}"
    assert tokenize_for_highlight(text, MUSTACHE) == [
        ("text", "Hi "),
        ("variable", "{{ name }}"),
        ("text", ", "),
        ("snippet", "{{> sign-off}}"),
        ("text", " {{not valid}}"),
    ]


def test_highlight_tokens_in_fstring_skip_escaped_braces():
    assert tokenize_for_highlight("{{x}} {name}", FSTRING) == [
        ("text", "{{x}} "),
        ("variable", "{name}"),
    ]


def test_highlight_tokens_in_jinja2_mark_expressions():
    text = "{% if a %}{{ a|upper }}{% endif %}@@@langfusePrompt:name=x|label=y@@@"
    assert tokenize_for_highlight(text, JINJA2) == [
        ("text", "{% if a %}"),
        ("variable", "{{ a|upper }}"),
        ("text", "{% endif %}"),
        ("snippet", "@@@langfusePrompt:name=x|label=y@@@"),
    ]


@pytest.mark.parametrize("fmt", list(TemplateFormat))
@pytest.mark.parametrize(
    "text",
    ["", "plain", "{{ unclosed", "{single", "{{#section}} {a.b} {% for %}", "{{> bad|x=y}} {{a}}"],
)
def test_highlighting_never_fails_and_preserves_the_text(fmt, text):
    tokens = tokenize_for_highlight(text, fmt)
    assert "".join(source for _, source in tokens) == text
    assert {kind for kind, _ in tokens} <= {"text", "variable", "snippet"}
