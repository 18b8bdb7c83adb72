"""Reading the editor's POST, its buttons, drafts and what the editor shows about a prompt."""

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from promptregistry.editor import analysis as editor_analysis
from promptregistry.editor import state as editor_state
from promptregistry.editor.forms import ConfigForm, config_fields_from
from promptregistry.editor.state import Block, EditorState, Op
from promptregistry.models import Draft, Prompt
from tests.promptregistry.factories import make_prompt, make_snippet, principal_for


def post(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in fields.items():
        data[key.replace("__", "-")] = value
    return data


def chat_prompt(prompt_type=Prompt.Type.CHAT) -> Prompt:
    """An unsaved prompt is enough for parsing: it only tells chat from text."""
    return Prompt(name="support/triage", type=prompt_type, latest_version_number=3)


def chat_state(*blocks: Block, **kwargs) -> EditorState:
    return EditorState(prompt_type="chat", blocks=list(blocks), **kwargs)


# --- Parsing ------------------------------------------------------------------------------------


def test_blocks_are_read_in_index_order_whatever_order_the_fields_came_in():
    data = post(
        m__10__kind="message", m__10__role="user", m__10__content="second",
        m__2__kind="message", m__2__role="system", m__2__content="first",
    )  # fmt: skip

    state = editor_state.state_from_post(data, chat_prompt())

    assert [b.content for b in state.blocks] == ["first", "second"]
    assert state.content() == {
        "messages": [
            {"role": "system", "content": "first"},
            {"role": "user", "content": "second"},
        ]
    }


def test_placeholders_become_placeholder_entries():
    data = post(
        m__0__kind="message", m__0__role="system", m__0__content="Hi",
        m__1__kind="placeholder", m__1__name=" history ",
    )  # fmt: skip

    state = editor_state.state_from_post(data, chat_prompt())

    assert state.content()["messages"][1] == {"type": "placeholder", "name": "history"}


def test_windows_line_breaks_become_plain_ones():
    data = post(m__0__kind="message", m__0__role="user", m__0__content="a\r\nb\rc")

    state = editor_state.state_from_post(data, chat_prompt())

    assert state.blocks[0].content == "a\nb\nc"


def test_an_unknown_role_or_format_falls_back_to_the_default():
    data = post(template_format="handlebars", m__0__kind="message", m__0__role="wizard")

    state = editor_state.state_from_post(data, chat_prompt())

    assert state.template_format == "mustache"
    assert state.blocks[0].role == "user"


def test_a_text_prompt_reads_its_text_and_ignores_blocks():
    data = post(text="Hello {{name}}", m__0__kind="message", m__0__content="stray")

    state = editor_state.state_from_post(data, chat_prompt(Prompt.Type.TEXT))

    assert state.content() == {"text": "Hello {{name}}"}
    assert state.blocks == []


def test_sample_values_settings_message_and_base_are_read():
    data = post(
        var__city="Paris", ph__history="[]", commit_message="Tweak", base_number="2",
        temperature="0.4", config='{"seed": 1}',
    )  # fmt: skip

    state = editor_state.state_from_post(data, chat_prompt())

    assert state.samples == {"city": "Paris"}
    assert state.placeholder_samples == {"history": "[]"}
    assert state.commit_message == "Tweak"
    assert state.base_number == 2
    assert state.config_fields["temperature"] == "0.4"
    assert state.config_fields["config"] == '{"seed": 1}'
    assert set(state.config_fields) == set(ConfigForm.base_fields)


def test_a_missing_base_number_falls_back_to_the_latest_version():
    state = editor_state.state_from_post(post(), chat_prompt())

    assert state.base_number == 3


# --- Operations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("add-message", Op("add-message")),
        ("remove-3", Op("remove", 3)),
        ("up-0", Op("up", 0)),
        ("down-12", Op("down", 12)),
        ("save-over", Op("save-over")),
        ("remove", Op("preview")),
        ("drop-tables", Op("preview")),
        ("", Op("preview")),
    ],
)
def test_the_op_button_is_read(value, expected):
    assert editor_state.op_from(post(op=value)) == expected


def test_add_message_appends_the_role_that_usually_comes_next():
    state = chat_state(Block(role="system", content="S"), Block(role="user", content="U"))

    result = editor_state.apply_op(state, Op("add-message"), post())

    assert [b.role for b in result.state.blocks] == ["system", "user", "assistant"]
    assert result.focus == "m-2-content"
    assert len(state.blocks) == 2  # the original is untouched


def test_the_first_message_of_an_empty_prompt_is_a_system_message():
    result = editor_state.apply_op(chat_state(), Op("add-message"), post())

    assert result.state.blocks == [Block(role="system")]


def test_add_placeholder_uses_the_typed_name_or_a_free_one():
    state = chat_state(Block(kind="placeholder", name="history"))

    result = editor_state.apply_op(state, Op("add-placeholder"), post(placeholder_name="history"))

    assert [b.name for b in result.state.blocks] == ["history", "history_2"]
    assert result.focus == "m-1-name"


def test_remove_takes_the_block_out():
    state = chat_state(Block(content="a"), Block(content="b"), Block(content="c"))

    result = editor_state.apply_op(state, Op("remove", 1), post())

    assert [b.content for b in result.state.blocks] == ["a", "c"]
    assert result.focus == "m-1-content"


def test_removing_the_last_block_focuses_add_message():
    result = editor_state.apply_op(chat_state(Block(content="a")), Op("remove", 0), post())

    assert result.state.blocks == []
    assert result.focus == "add-message"


def test_move_up_and_down_swap_neighbours():
    state = chat_state(Block(content="a"), Block(content="b"), Block(content="c"))

    up = editor_state.apply_op(state, Op("up", 2), post())
    down = editor_state.apply_op(state, Op("down", 0), post())

    assert [b.content for b in up.state.blocks] == ["a", "c", "b"]
    assert up.focus == "m-1-up"
    assert [b.content for b in down.state.blocks] == ["b", "a", "c"]
    assert down.focus == "m-1-down"


def test_moving_past_an_end_changes_nothing_and_keeps_focus_on_an_enabled_button():
    state = chat_state(Block(content="a"), Block(content="b"))

    top = editor_state.apply_op(state, Op("up", 0), post())
    to_top = editor_state.apply_op(state, Op("up", 1), post())

    assert top.state.blocks == state.blocks
    assert top.focus == "m-0-down"
    assert to_top.focus == "m-0-down"


def test_an_operation_on_a_block_that_is_not_there_changes_nothing():
    state = chat_state(Block(content="a"))

    result = editor_state.apply_op(state, Op("remove", 7), post())

    assert result.state.blocks == state.blocks


def test_insert_snippet_appends_a_reference_to_the_chosen_message():
    state = chat_state(Block(content="one"), Block(kind="placeholder", name="h"), Block())

    result = editor_state.apply_op(
        state,
        Op("insert-snippet"),
        post(snippet="shared/tone", snippet_target="0"),
        {"shared/tone"},
    )

    assert result.state.blocks[0].content == "one\n{{> shared/tone}}"
    assert result.focus == "m-0-content"


def test_insert_snippet_refuses_a_name_that_is_not_offered():
    state = chat_state(Block(content="one"))

    result = editor_state.apply_op(state, Op("insert-snippet"), post(snippet="other"), {"tone"})

    assert result.problem == "Choose a snippet to insert."
    assert result.state.blocks[0].content == "one"


def test_insert_snippet_in_a_text_prompt_appends_to_the_text():
    state = EditorState(prompt_type="text", text="Hello")

    result = editor_state.apply_op(state, Op("insert-snippet"), post(snippet="tone"), {"tone"})

    assert result.state.text == "Hello\n{{> tone}}"


# --- Versions and drafts ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_editor_starts_from_the_latest_version(acme):
    prompt = make_prompt(
        acme,
        "triage",
        messages=[
            {"role": "system", "content": "Hi {{name}}"},
            {"type": "placeholder", "name": "h"},
        ],
    )

    state = editor_state.state_from_version(prompt, editor_state.latest_version(prompt))

    assert state.base_number == 1
    assert state.blocks == [
        Block(role="system", content="Hi {{name}}"),
        Block(kind="placeholder", name="h"),
    ]


def test_a_prompt_without_versions_starts_with_a_system_and_a_user_message():
    state = editor_state.state_from_version(chat_prompt(), None)

    assert [b.role for b in state.blocks] == ["system", "user"]
    assert state.base_number == 0


def test_a_draft_round_trips():
    state = chat_state(
        Block(role="system", content="S {{city}}"),
        Block(kind="placeholder", name="history"),
        template_format="jinja2",
        samples={"city": "Oslo"},
        placeholder_samples={"history": "[]"},
        commit_message="wip",
        base_number=3,
    )
    draft = Draft(data=state.to_draft(), base_number=3)

    assert editor_state.state_from_draft(chat_prompt(), draft) == state


def test_a_damaged_draft_still_opens():
    draft = Draft(data={"blocks": "nope", "template_format": 5, "config": [1]}, base_number=2)

    state = editor_state.state_from_draft(chat_prompt(), draft)

    assert state.blocks == []
    assert state.template_format == "mustache"
    assert state.base_number == 2


def test_sample_values_do_not_make_a_state_different():
    plain = chat_state(Block(content="x"))
    with_samples = chat_state(Block(content="x"), samples={"a": "b"}, commit_message="m")

    assert plain.same_as(with_samples)
    assert not plain.same_as(chat_state(Block(content="y")))


# --- Config ---------------------------------------------------------------------------------------


def test_a_saved_config_reads_back_into_the_fields_exactly():
    config = {
        "model": "gpt-4o",
        "temperature": 0.7,
        "max_tokens": 200,
        "top_p": 1,
        "stop": ["END"],
        "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}},
        "tools": [{"type": "function"}],
    }
    form = ConfigForm(config_fields_from(config))

    assert form.is_valid(), form.errors
    assert form.merged_config == config


def test_settings_a_field_can_not_hold_stay_in_the_json_box():
    fields = config_fields_from({"stop": "END", "response_format": {"type": "text"}})

    assert fields["stop"] == ""
    assert fields["response_format"] == ""
    form = ConfigForm(fields)
    assert form.is_valid()
    assert form.merged_config == {"stop": "END", "response_format": {"type": "text"}}


def test_a_setting_given_twice_is_refused_next_to_the_json_box():
    form = ConfigForm(
        {**config_fields_from({}), "temperature": "1", "config": '{"temperature": 1}'}
    )

    assert not form.is_valid()
    assert "“temperature” is set in its own field above" in form.errors["config"][0]


def test_a_json_schema_is_needed_for_the_schema_response_format():
    form = ConfigForm({**config_fields_from({}), "response_format": "json_schema"})

    assert not form.is_valid()
    assert form.errors["json_schema"] == ["Paste the JSON schema the answer must follow."]


def test_a_config_that_is_not_an_object_is_refused():
    form = ConfigForm({**config_fields_from({}), "config": "[1, 2]"})

    assert not form.is_valid()
    assert "Write a JSON object in curly braces" in form.errors["config"][0]


# --- What the editor shows ------------------------------------------------------------------------


@pytest.fixture
def prompt(acme):
    return make_prompt(acme, "triage", messages=[{"role": "user", "content": "Hi"}])


@pytest.mark.django_db
def test_variables_are_listed_in_order_with_their_sample_values(prompt):
    state = chat_state(
        Block(role="system", content="{{b}} and {{a}}"),
        Block(content="{{a}} again, {{c}}"),
        samples={"a": "1", "old": "kept"},
    )

    analysis = editor_analysis.analyse(principal_for(prompt.workspace), prompt, state)

    assert [(r.name, r.value) for r in analysis.variables] == [("b", ""), ("a", "1"), ("c", "")]
    assert [r.name for r in analysis.unused] == ["old"]
    assert analysis.preview.missing == ["b", "c"]


@pytest.mark.django_db
def test_variables_inside_snippets_are_listed_too(acme, prompt):
    make_snippet(acme, "tone", "Speak like {{persona}}.")
    state = chat_state(Block(content="{{> tone}} {{name}}"))

    analysis = editor_analysis.analyse(principal_for(prompt.workspace), prompt, state)

    assert [r.name for r in analysis.variables] == ["persona", "name"]
    assert analysis.blocks[0].tokens == [
        ("snippet", "{{> tone}}"),
        ("text", " "),
        ("variable", "{{name}}"),
    ]


@pytest.mark.django_db
def test_a_syntax_error_belongs_to_its_block(prompt):
    state = chat_state(Block(content="fine"), Block(content="{% for %}"), template_format="jinja2")

    analysis = editor_analysis.analyse(principal_for(prompt.workspace), prompt, state)

    assert analysis.blocks[0].error == ""
    assert analysis.blocks[1].error
    assert analysis.preview.where == "Message 2"
    assert analysis.errors[0][0] == "Message 2"


@pytest.mark.django_db
def test_a_variable_and_a_history_with_one_name_is_a_problem(prompt):
    state = chat_state(Block(content="{{history}}"), Block(kind="placeholder", name="history"))

    analysis = editor_analysis.analyse(principal_for(prompt.workspace), prompt, state)

    assert "can't share a name: history" in analysis.problem


@pytest.mark.django_db
def test_the_preview_marks_sample_values_and_missing_ones(prompt):
    state = EditorState(
        prompt_type="text", text="Hi {{name}} from {{city}}", samples={"name": "Ana"}
    )

    preview = editor_analysis.analyse(principal_for(prompt.workspace), prompt, state).preview

    assert preview.missing == ["city"]
    assert preview.messages[0].segments == [
        ("text", "Hi "),
        ("value", "Ana"),
        ("text", " from "),
        ("missing", "city"),
    ]


@pytest.mark.django_db
def test_jinja_samples_that_look_like_json_are_data(prompt):
    state = EditorState(
        prompt_type="text",
        template_format="jinja2",
        text="{% for item in items %}[{{ item }}]{% endfor %}",
        samples={"items": '["a", "b"]'},
    )

    preview = editor_analysis.analyse(principal_for(prompt.workspace), prompt, state).preview

    assert preview.messages[0].text == "[a][b]"


@pytest.mark.django_db
def test_a_sample_history_is_spliced_in_and_labelled(prompt):
    state = chat_state(
        Block(role="system", content="S"),
        Block(kind="placeholder", name="history"),
        Block(kind="placeholder", name="later"),
        placeholder_samples={"history": '[{"role": "user", "content": "Earlier"}]'},
    )

    messages = editor_analysis.analyse(
        principal_for(prompt.workspace), prompt, state
    ).preview.messages

    assert [(m.role, m.text, m.from_history, m.placeholder) for m in messages] == [
        ("system", "S", "", ""),
        ("user", "Earlier", "history", ""),
        (None, "", "", "later"),
    ]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", ""),
        ("[]", ""),
        ("{", "This isn't valid JSON"),
        ('{"role": "user"}', "Write a list of messages in square brackets"),
        ('[{"role": "user"}]', "Message 1 needs a “role” and a “content” text."),
    ],
)
def test_a_sample_history_is_checked(typed, error):
    _, problem = editor_analysis.parse_history(typed)

    assert problem.startswith(error) if error else problem == ""


@pytest.mark.django_db
def test_service_errors_land_next_to_their_block_or_field(prompt):
    state = chat_state(Block(content="a"), Block(content="b"))
    analysis = editor_analysis.analyse(principal_for(prompt.workspace), prompt, state)
    config_form = ConfigForm(config_fields_from({}))
    config_form.is_valid()
    error = ValidationError(
        {
            "messages": ["Message 2: the role must be system, user or assistant."],
            "config": ["temperature must be a number from 0 to 2."],
            "template_format": ["Choose mustache, fstring or jinja2."],
        }
    )

    general = editor_analysis.place_errors(error, analysis, {"config": config_form})

    assert analysis.blocks[1].error.startswith("Message 2: the role")
    assert config_form.errors["config"] == ["temperature must be a number from 0 to 2."]
    assert general == ["Choose mustache, fstring or jinja2."]
