"""The prompts-as-code file format: what git sees, and what push reads back."""

import pytest

from promptregistry.as_code.yaml_format import PromptFile, PromptFileError, dump, parse

CHAT = PromptFile(
    name="support/triage",
    kind="prompt",
    type="chat",
    template_format="mustache",
    description="Sorts incoming tickets.\nUsed by the helpdesk.",
    tags=["helpdesk", "support"],
    labels=["production", "staging"],
    config={
        "temperature": 0.2,
        "model": "gpt-4o-mini",
        "max_tokens": 400,
        "stop": ["\n\nHuman:", "END"],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "ticket",
                "schema": {
                    "type": "object",
                    "properties": {"priority": {"type": "string"}, "area": {"type": "string"}},
                },
            },
        },
        "seed": None,
        "released": "2024-05-01",
        "stream": False,
        "answer": "no",
    },
    content={
        "messages": [
            {
                "role": "system",
                "content": "You sort tickets for {{product}}.\n\nRules:\n"
                "- Be brief — ünïcödé ✓ 日本語\n",
            },
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{ticket}}"},
            {"role": "assistant", "content": "  indented first line\nthen flush"},
            {"role": "user", "content": "\tTabbed\n\tlines\nwithout final newline"},
            {"role": "user", "content": "trailing space \nstill exact"},
            {"role": "user", "content": "blank lines kept\n\n\n"},
        ]
    },
)

TEXT = PromptFile(
    name="snippets/tone",
    kind="snippet",
    type="text",
    template_format="fstring",
    content={"text": "Answer in a {tone} tone.\nNever promise refunds."},
)


@pytest.mark.parametrize("prompt", [CHAT, TEXT], ids=["chat", "text"])
def test_a_dumped_prompt_parses_back_to_exactly_the_same_prompt(prompt):
    parsed = parse(dump(prompt), "x.yaml")

    assert parsed == prompt
    assert parsed.same_version(prompt)
    assert dump(parsed) == dump(prompt)


def test_multi_line_text_is_a_block_so_a_git_diff_reads_like_the_prompt():
    text = dump(CHAT)

    assert "    content: |\n      You sort tickets for {{product}}.\n\n      Rules:\n" in text
    assert "description: |-\n  Sorts incoming tickets.\n  Used by the helpdesk.\n" in text
    assert "ünïcödé ✓ 日本語" in text  # unicode as written, not escaped
    assert "\\u" not in text


def test_fields_come_in_a_fixed_order_with_config_keys_sorted_at_every_level():
    text = dump(CHAT)
    top = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]

    assert top == [
        "name", "kind", "type", "template_format", "description", "tags", "labels", "config",
        "messages",
    ]  # fmt: skip
    assert text.index("  answer:") < text.index("  max_tokens:") < text.index("  model:")
    assert text.index("          area:") < text.index("          priority:")


def test_the_same_prompt_always_gives_the_same_bytes_whatever_the_key_order():
    shuffled = PromptFile(
        **{
            **CHAT.__dict__,
            "config": dict(reversed(list(CHAT.config.items()))),
            "tags": ["support", "helpdesk"],
        }
    )

    assert dump(shuffled) == dump(CHAT)


def test_text_that_yaml_would_read_as_something_else_stays_text():
    prompt = PromptFile(
        name="odd",
        type="text",
        content={"text": "yes"},
        config={"version": "1.10", "on": "off", "empty": "", "null_text": "null"},
    )

    assert parse(dump(prompt), "odd.yaml") == prompt


def test_a_hand_written_file_gets_defaults_for_what_it_leaves_out():
    prompt = parse("name: greet\ntext: Hello {{name}}\n", "greet.yaml")

    assert prompt == PromptFile(name="greet", type="text", content={"text": "Hello {{name}}"})
    chat = parse("name: bot\nmessages:\n- role: user\n  content: Hi\n", "bot.yaml")
    assert chat.type == "chat"
    assert chat.template_format == "mustache"
    assert chat.config == {}


def test_an_unquoted_date_in_config_stays_the_text_it_was_written_as():
    prompt = parse("name: a\ntext: x\nconfig:\n  released: 2024-05-01\n", "a.yaml")

    assert prompt.config == {"released": "2024-05-01"}


def test_what_makes_a_new_version_is_content_config_and_format_only():
    relabelled = PromptFile(**{**CHAT.__dict__, "labels": [], "description": "", "tags": []})
    reformatted = PromptFile(**{**CHAT.__dict__, "template_format": "jinja2"})
    retuned = PromptFile(**{**CHAT.__dict__, "config": {**CHAT.config, "temperature": 1}})

    assert relabelled.same_version(CHAT)
    assert not reformatted.same_version(CHAT)
    assert not retuned.same_version(CHAT)
    # 1 and 1.0 are different JSON once stored, so they are different versions too.
    one = PromptFile(name="a", content={"text": "x"}, config={"temperature": 1})
    assert not one.same_version(PromptFile(**{**one.__dict__, "config": {"temperature": 1.0}}))


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("name: a\ntext: [unclosed\n", None, "isn't valid YAML"),
        ("- just\n- a list\n", None, "expected a prompt file"),
        ("text: hello\n", "name", "is missing"),
        ("name: 12\ntext: x\n", "name", "must be text"),
        ("name: a\nmesages: []\n", "mesages", "unknown field"),
        ("name: a\nkind: macro\ntext: x\n", "kind", "must be one of prompt, snippet"),
        ("name: a\ntype: audio\ntext: x\n", "type", "must be one of chat, text"),
        ("name: a\ntemplate_format: handlebars\ntext: x\n", "template_format", "must be one of"),
        ("name: a\nkind: snippet\ntype: chat\ntext: x\n", "type", "a snippet is always text"),
        ("name: a\ntext: x\nmessages: []\n", "messages", "not both"),
        ("name: a\ntype: text\nmessages: []\n", "messages", "a text prompt has text"),
        ("name: a\ntype: chat\ntext: hi\n", "text", "a chat prompt has messages"),
        ("name: a\nmessages: []\n", "messages", "at least one message"),
        ("name: a\nmessages:\n- hello\n", "messages[1]", "must be a mapping"),
        ("name: a\nmessages:\n- role: robot\n  content: x\n", "messages[1].role", "one of"),
        ("name: a\nmessages:\n- role: user\n", "messages[1].content", "is missing"),
        ("name: a\nmessages:\n- role: user\n  content: [1]\n", "messages[1].content", "text"),
        ("name: a\nmessages:\n- role: user\n  content: x\n  name: y\n", "messages[1].name", ""),
        (
            "name: a\nmessages:\n- role: user\n  content: x\n- type: placeholder\n  name: 2 x\n",
            "messages[2].name",
            "a placeholder needs a name",
        ),
        ("name: a\ntext: x\nconfig: [1]\n", "config", "must be a mapping"),
        ("name: a\ntext: x\nconfig:\n  1: one\n", "config.1", "keys must be text"),
        ("name: a\ntext: x\nconfig:\n  t: .nan\n", "config.t", "finite number"),
        ("name: a\ntext: x\ntags: support\n", "tags", "a list of names"),
        ("name: a\ntext: x\nlabels: [1]\n", "labels", "a list of names"),
        ("name: a\ntext: 3\n", "text", "must be text, not a number"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_naming_the_file_and_the_field(text, field, message):
    with pytest.raises(PromptFileError) as raised:
        parse(text, "support/triage.yaml")

    assert str(raised.value).startswith("support/triage.yaml: " + (f"{field}: " if field else ""))
    assert message in str(raised.value)
    assert raised.value.field == field


def test_a_yaml_syntax_error_says_on_which_line():
    with pytest.raises(PromptFileError, match=r"mapping values are not allowed here \(line 3,"):
        parse("name: a\ntext: hello\nconfig: x: y\n", "a.yaml")


def test_a_field_given_twice_is_refused_rather_than_silently_dropped():
    with pytest.raises(PromptFileError, match="“text” is given twice"):
        parse("name: a\ntext: first\ntext: second\n", "a.yaml")
