"""Tools through the completion service against the fake provider: OpenAI-format tools go to
OpenAI-compatible providers as they are and to Anthropic converted; the calls come back as one
ToolCalls event (a stream's fragments joined), finish_reason tool_calls, and the row keeps them."""

import json

import pytest

from gateway.completion import Delta, ToolCalls
from gateway.completion.upstream import _anthropic_tools
from gateway.models import Completion, GatewaySettings
from tests.gateway.test_completion_service import ask, only_row, run

pytestmark = pytest.mark.django_db

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["city", "unit"],
        },
    },
}
EXPECTED_ARGUMENTS = {"city": "example", "unit": "celsius"}


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize(
    ("model", "call_id"), [("demo", "call_demo_1"), ("claude", "toolu_demo_1")]
)
def test_a_tool_call_comes_back_as_one_event_and_the_row_keeps_it(
    gateway_models, acme, model, call_id, stream
):
    call, events, error = run(ask(acme, model=model, stream=stream, params={"tools": [WEATHER]}))

    assert error is None
    [tool_event] = [e for e in events if isinstance(e, ToolCalls)]
    [tool_call] = tool_event.calls
    assert (tool_call["id"], tool_call["name"]) == (call_id, "get_weather")
    assert json.loads(tool_call["arguments"]) == EXPECTED_ARGUMENTS
    assert not [e for e in events if isinstance(e, Delta)]
    assert call.result().finish_reason == "tool_calls"
    assert call.result().tool_calls == [tool_call]
    row = only_row()
    assert row.status == Completion.Status.OK
    assert row.finish_reason == "tool_calls"
    assert row.tool_calls == [tool_call]
    assert row.output_text == ""
    assert row.params["tools"] == [WEATHER]


def test_openai_compatible_providers_get_the_tools_as_they_are(gateway_models, acme, fake_llm):
    choice = {"type": "function", "function": {"name": "get_weather"}}
    run(
        ask(
            acme,
            params={"tools": [WEATHER], "tool_choice": choice, "parallel_tool_calls": False},
        )
    )

    sent = fake_llm.requests[-1].body
    assert sent["tools"] == [WEATHER]
    assert sent["tool_choice"] == choice
    assert sent["parallel_tool_calls"] is False


def test_anthropic_gets_the_tools_in_its_own_format(gateway_models, acme, fake_llm):
    run(ask(acme, model="claude", params={"tools": [WEATHER], "tool_choice": "required"}))

    sent = fake_llm.requests[-1].body
    assert sent["tools"] == [
        {
            "name": "get_weather",
            "description": "The weather in a city.",
            "input_schema": WEATHER["function"]["parameters"],
        }
    ]
    assert sent["tool_choice"] == {"type": "any"}
    assert "parallel_tool_calls" not in sent


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (None, None, None),
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            None,
            {"type": "tool", "name": "get_weather"},
        ),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
    ],
)
def test_openai_tool_choice_maps_to_anthropics(choice, parallel, expected):
    params = {"tools": [WEATHER], "tool_choice": choice, "parallel_tool_calls": parallel}
    converted = _anthropic_tools({k: v for k, v in params.items() if v is not None})
    assert converted.get("tool_choice") == expected
    assert converted["tools"][0]["name"] == "get_weather"


def test_tool_choice_none_sends_anthropic_no_tools():
    assert _anthropic_tools({"tools": [WEATHER], "tool_choice": "none"}) == {}


def test_a_tool_without_parameters_is_called_with_no_arguments(gateway_models, acme):
    bare = {"type": "function", "function": {"name": "ping"}}
    for model in ("demo", "claude"):
        call, _, error = run(ask(acme, model=model, stream=True, params={"tools": [bare]}))
        assert error is None
        assert [json.loads(c["arguments"]) for c in call.tool_calls] == [{}]


def test_redacted_logs_keep_the_tool_name_but_redact_its_arguments(gateway_models, acme):
    settings = GatewaySettings.for_workspace(acme)
    settings.store_content = "redacted"
    settings.save()
    tool = {
        "type": "function",
        "function": {
            "name": "email_user",
            "parameters": {"type": "object", "properties": {}, "required": []},
        },
    }
    run(ask(acme, params={"tools": [tool]}))

    assert only_row().tool_calls[0]["name"] == "email_user"


def test_without_tools_the_answer_is_text_as_before(gateway_models, acme):
    call, events, _ = run(ask(acme))

    assert not [e for e in events if isinstance(e, ToolCalls)]
    assert call.result().finish_reason == "stop"
    assert only_row().tool_calls == []
