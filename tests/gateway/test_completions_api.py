"""POST /api/v1/completions (the completions-guide shape, SSE) and its feedback endpoint."""

import json

import pytest

from gateway.models import Completion, Feedback
from tests.factories import api_key_for
from workspaces.roles import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/completions"
VARIABLES = {"company": "Acme", "question": "Where is my order?"}


def post(client, url, secret, body, header="x-api-key"):
    headers = (
        {"HTTP_X_API_KEY": secret}
        if header == "x-api-key"
        else {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    )
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_a_prompt_completion_answers_in_the_guides_shape(
    client, acme_key, gateway_models, chat_prompt
):
    response = post(
        client,
        URL,
        acme_key(),
        {"model": "demo", "prompt_name": "support/triage", "variables": VARIABLES},
    )

    assert response.status_code == 200, response.content
    row = Completion.objects.get()
    assert response.json() == {
        "id": str(row.public_id),
        "model": "demo",
        "completion": {
            "text": 'Local demo model reply to: "Where is my order?" (4 words).',
            "finish_reason": "stop",
        },
        "token_usage": {"prompt": 9, "completion": 11, "total": 20},
        "prompt": {"name": "support/triage", "version": 1, "label": "production"},
    }
    assert row.source == "api"


def test_raw_prompt_text_is_one_user_message(client, acme_key, gateway_models, fake_llm):
    response = post(client, URL, acme_key(), {"model": "demo", "prompt": "Hello there"}, "bearer")

    assert response.status_code == 200
    assert fake_llm.requests[-1].body["messages"] == [{"role": "user", "content": "Hello there"}]
    assert response.json()["prompt"] is None


def test_a_stream_sends_deltas_then_a_final_event_with_usage(client, acme_key, gateway_models):
    response = post(
        client, URL, acme_key(), {"model": "demo", "prompt": "Hello there", "stream": True}
    )

    assert response["Content-Type"].startswith("text/event-stream")
    raw = b"".join(response.streaming_content).decode()
    events = [json.loads(block.removeprefix("data: ")) for block in raw.split("\n\n") if block]
    deltas, final = events[:-1], events[-1]
    assert all(set(e) == {"completion"} and set(e["completion"]) == {"text"} for e in deltas)
    assert "".join(e["completion"]["text"] for e in deltas) == Completion.objects.get().output_text
    assert final["completion"] == {"text": "", "finish_reason": "stop"}
    assert (
        final["token_usage"]["total"]
        == final["token_usage"]["prompt"] + final["token_usage"]["completion"]
    )
    assert final["id"] == str(Completion.objects.get().public_id)


def test_errors_use_the_native_shape(client, acme_key, gateway_models, chat_prompt):
    unknown = post(client, URL, acme_key(), {"model": "nope", "prompt": "x"})
    missing = post(client, URL, acme_key(), {"model": "demo", "prompt_name": "support/triage"})
    no_key = client.post(
        URL, json.dumps({"model": "demo", "prompt": "x"}), content_type="application/json"
    )

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "model_not_found"
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "code": "missing_variables",
        "message": missing.json()["error"]["message"],
        "field": "prompt_variables",
    }
    assert '"company"' in missing.json()["error"]["message"]
    assert no_key.status_code == 401 and no_key.json()["error"]["code"] == "unauthenticated"
    assert Completion.objects.count() == 2


def test_feedback_scores_a_logged_completion(client, acme_key, gateway_models):
    post(client, URL, acme_key(), {"model": "demo", "prompt": "Hi"})
    row = Completion.objects.get()

    by_uuid = post(
        client, f"{URL}/{row.public_id}/feedback", acme_key(), {"score": 1, "comment": "Great"}
    )
    by_openai_id = post(
        client, f"{URL}/chatcmpl-{row.public_id.hex}/feedback", acme_key(), {"score": -0.5}
    )

    assert by_uuid.status_code == 201 and by_openai_id.status_code == 201
    assert by_uuid.json()["completion_id"] == str(row.public_id)
    assert list(Feedback.objects.order_by("id").values_list("score", "comment")) == [
        (1.0, "Great"),
        (-0.5, ""),
    ]
    assert Feedback.objects.first().api_key.name == "gateway editor"


@pytest.mark.parametrize("score", [2, -1.5, "high"])
def test_feedback_outside_minus_one_to_one_is_refused(client, acme_key, gateway_models, score):
    post(client, URL, acme_key(), {"model": "demo", "prompt": "Hi"})
    row = Completion.objects.get()

    response = post(client, f"{URL}/{row.public_id}/feedback", acme_key(), {"score": score})

    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_a_viewer_key_may_not_give_feedback(client, acme_key, gateway_models):
    post(client, URL, acme_key(), {"model": "demo", "prompt": "Hi"})
    row = Completion.objects.get()

    response = post(client, f"{URL}/{row.public_id}/feedback", acme_key(Role.VIEWER), {"score": 1})

    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert not Feedback.objects.exists()


def test_another_workspace_cant_score_this_completion(client, acme_key, globex, gateway_models):
    post(client, URL, acme_key(), {"model": "demo", "prompt": "Hi"})
    row = Completion.objects.get()
    outsider = api_key_for(globex, Role.OWNER)[1]

    for completion_id in (str(row.public_id), "not-a-uuid"):
        response = post(client, f"{URL}/{completion_id}/feedback", outsider, {"score": 1})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert not Feedback.objects.exists()


def test_the_api_schema_documents_completions(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert "/api/v1/completions" in schema["paths"]
    assert "/api/v1/completions/{completion_id}/feedback" in schema["paths"]


TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "parameters": {
            "type": "object",
            "properties": {"order_number": {"type": "string"}},
            "required": ["order_number"],
        },
    },
}
CALL = {"id": "call_demo_1", "name": "lookup_order", "arguments": '{"order_number": "example"}'}


@pytest.mark.parametrize("model", ["demo", "claude"])
def test_a_tool_call_is_in_the_completion(client, acme_key, gateway_models, model):
    body = {"model": model, "prompt": "Where is order 7?", "tools": [TOOL]}

    response = post(client, URL, acme_key(), body)

    assert response.status_code == 200, response.content
    completion = response.json()["completion"]
    assert completion["finish_reason"] == "tool_calls"
    assert completion["text"] == ""
    [call] = completion["tool_calls"]
    assert call["name"] == "lookup_order"
    assert json.loads(call["arguments"]) == {"order_number": "example"}


def test_a_streamed_tool_call_is_in_the_final_event(client, acme_key, gateway_models):
    body = {"model": "demo", "prompt": "Where is order 7?", "tools": [TOOL], "stream": True}

    response = post(client, URL, acme_key(), body)

    raw = b"".join(response.streaming_content).decode()
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    assert events[-1]["completion"] == {
        "text": "",
        "finish_reason": "tool_calls",
        "tool_calls": [CALL],
    }


def test_tools_that_are_not_functions_are_refused(client, acme_key, gateway_models):
    body = {"model": "demo", "prompt": "x", "tools": [{"type": "web_search"}]}

    response = post(client, URL, acme_key(), body)

    assert response.status_code == 400
    assert not Completion.objects.exists()
