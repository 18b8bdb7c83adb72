"""POST /v1/chat/completions and GET /v1/models through Django's test client: OpenAI's wire
format and error shape, the prompt fields, one row per call, tenant isolation."""

import json

import pytest

from gateway.models import Completion
from tests.gateway.conftest import add_model, add_provider
from tests.promptregistry.factories import make_prompt
from workspaces.roles import Role

pytestmark = pytest.mark.django_db
URL = "/v1/chat/completions"
VARIABLES = {"company": "Acme", "question": "Where is my order?"}


def post(client, secret, body, **headers):
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, payload, content_type="application/json", **headers)


def events(response) -> list:
    raw = b"".join(response.streaming_content).decode()
    return [block.removeprefix("data: ") for block in raw.split("\n\n") if block]


def openai_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code and error["message"]
    return error


def test_a_stored_prompt_answers_in_openai_format(client, acme_key, gateway_models, chat_prompt):
    response = post(
        client,
        acme_key(),
        {"model": "demo", "prompt_id": "support/triage", "prompt_variables": VARIABLES},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "demo"
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": 'Local demo model reply to: "Where is my order?" (4 words).',
        "refusal": None,
    }
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 9, "completion_tokens": 11, "total_tokens": 20}
    row = Completion.objects.get()
    assert body["id"] == f"chatcmpl-{row.public_id.hex}"
    assert response["x-promptops-completion-id"] == str(row.public_id)
    assert (row.source, row.prompt_version, row.api_key.name) == ("openai", 1, "gateway editor")


def test_a_stream_is_openai_chunks_with_the_usage_chunk_and_done(
    client, acme_key, gateway_models, chat_prompt
):
    response = post(
        client,
        acme_key(),
        {
            "model": "fast",
            "prompt_id": "support/triage",
            "prompt_variables": VARIABLES,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    data = events(response)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(item) for item in data[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == 'Local demo model reply to: "Where is my order?" (4 words).'
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 20
    assert Completion.objects.get().stream is True


def test_a_stream_without_include_usage_has_no_usage_chunk(client, acme_key, gateway_models):
    response = post(
        client,
        acme_key(),
        {"model": "demo", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
    )

    chunks = [json.loads(item) for item in events(response)[:-1]]
    assert all("usage" not in chunk for chunk in chunks)


def test_a_text_prompt_ignores_the_clients_messages(
    client, acme, acme_key, gateway_models, fake_llm
):
    make_prompt(acme, "greet", text="Greet {{name}}", labels=["production"])

    post(
        client,
        acme_key(),
        {
            "model": "demo",
            "prompt_id": "greet",
            "prompt_variables": {"name": "Ada"},
            "messages": [{"role": "user", "content": "ignored"}],
        },
    )

    assert fake_llm.requests[-1].body["messages"] == [{"role": "user", "content": "Greet Ada"}]


def test_a_chat_prompt_placeholder_takes_the_clients_messages(
    client, acme, acme_key, gateway_models, fake_llm
):
    make_prompt(
        acme,
        "chat",
        messages=[
            {"role": "system", "content": "You are {{who}}."},
            {"type": "placeholder", "name": "history"},
        ],
        labels=["staging"],
    )
    history = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Bye"},
    ]

    response = post(
        client,
        acme_key(),
        {
            "model": "demo",
            "prompt_id": "chat",
            "prompt_label": "staging",
            "prompt_variables": {"who": "kind"},
            "messages": history,
        },
    )

    assert response.status_code == 200
    sent = fake_llm.requests[-1].body["messages"]
    assert sent == [{"role": "system", "content": "You are kind."}, *history]
    assert Completion.objects.get().prompt_label == "staging"


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"model": "demo", "prompt_id": "nope"}, 404, "prompt_not_found", "prompt_id"),
        (
            {"model": "demo", "prompt_id": "support/triage", "prompt_variables": {"company": "A"}},
            400,
            "missing_variables",
            "prompt_variables",
        ),
        (
            {"model": "gpt-nope", "messages": [{"role": "user", "content": "x"}]},
            404,
            "model_not_found",
            "model",
        ),
        ({"model": "demo"}, 400, "invalid_request", "messages"),
        ({"model": "demo", "messages": "hi"}, 400, "invalid_request", "messages"),
        (
            {"model": "demo", "messages": [{"role": "user"}], "tools": [{}]},
            400,
            "invalid_request",
            "tools",
        ),
        (
            {"model": "demo", "messages": [{"role": "user", "content": "x"}], "n": 2},
            400,
            "invalid_request",
            "n",
        ),
        (
            {
                "model": "demo",
                "prompt_id": "support/triage",
                "prompt_label": "a",
                "prompt_version": 1,
            },
            400,
            "invalid_request",
            "prompt_label",
        ),
    ],
)
def test_bad_input_gets_openai_errors_that_say_what_is_wrong(
    client, acme_key, gateway_models, chat_prompt, body, status, code, param
):
    response = post(client, acme_key(), body)

    error = openai_error(response, status, code)
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"


def test_a_missing_variable_names_the_variable(client, acme_key, gateway_models, chat_prompt):
    response = post(
        client,
        acme_key(),
        {"model": "demo", "prompt_id": "support/triage", "prompt_variables": {"company": "A"}},
    )

    assert '"question"' in response.json()["error"]["message"]
    assert Completion.objects.get().error_type == "missing_variables"


@pytest.mark.parametrize("body", ["{not json", "[]", '{"model": "demo\\u0000"}'])
def test_bodies_that_are_not_a_json_object_are_400(client, acme_key, gateway_models, body):
    response = post(client, acme_key(), body)

    openai_error(response, 400, "invalid_request")
    assert not Completion.objects.exists()


def test_a_bad_or_missing_key_is_401_in_openai_shape(client, gateway_models):
    for secret in (None, "sk-not-a-key"):
        response = post(client, secret, {"model": "demo", "messages": []})
        error = openai_error(response, 401, "invalid_api_key")
        assert error["type"] == "authentication_error"
    assert not Completion.objects.exists()


def test_a_provider_failure_is_passed_on_in_openai_shape(
    client, acme_key, gateway_models, fake_llm
):
    fake_llm.fail_next("500", times=3)

    response = post(
        client, acme_key(), {"model": "demo", "messages": [{"role": "user", "content": "x"}]}
    )

    error = openai_error(response, 502, "provider_error")
    assert "internal error (scripted fault)" in error["message"]
    assert Completion.objects.get().status == "error"


def test_a_rate_limit_passed_on_carries_retry_after(client, acme_key, gateway_models, fake_llm):
    fake_llm.fail_next("429", retry_after=90)

    response = post(
        client, acme_key(), {"model": "demo", "messages": [{"role": "user", "content": "x"}]}
    )

    openai_error(response, 429, "rate_limit_exceeded")
    assert response["Retry-After"] == "90"


def test_a_viewer_key_may_run_completions(client, acme_key, gateway_models):
    response = post(
        client,
        acme_key(Role.VIEWER),
        {"model": "demo", "messages": [{"role": "user", "content": "x"}]},
    )

    assert response.status_code == 200


def test_another_workspaces_key_cant_use_this_prompt_or_model(
    client, globex, gateway_models, chat_prompt, fake_llm
):
    from tests.factories import api_key_for

    add_model(
        add_provider(globex, "G", "openai_compatible", fake_llm.openai_base_url), "g", "local-demo"
    )
    secret = api_key_for(globex, Role.OWNER)[1]

    by_prompt = post(
        client, secret, {"model": "g", "prompt_id": "support/triage", "prompt_variables": VARIABLES}
    )
    by_model = post(
        client, secret, {"model": "demo", "messages": [{"role": "user", "content": "x"}]}
    )

    openai_error(by_prompt, 404, "prompt_not_found")
    openai_error(by_model, 404, "model_not_found")
    assert fake_llm.requests == []


def test_the_model_list_has_the_workspaces_models_and_aliases_only(
    client, acme_key, globex, gateway_models, fake_llm
):
    add_model(
        add_provider(globex, "G", "openai_compatible", fake_llm.openai_base_url), "theirs", "x"
    )

    response = client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {acme_key(Role.VIEWER)}")

    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["claude", "demo", "fast"]
    assert {m["owned_by"] for m in body["data"]} == {"Claude", "Local"}
    assert client.get("/v1/models").status_code == 401


def test_the_model_list_makes_constant_queries(
    client, acme_key, acme, gateway_models, assert_queries
):
    secret = acme_key()
    client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {secret}")  # the key is remembered
    with assert_queries(2):
        client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {secret}")
    for index in range(5):
        add_model(gateway_models["local"], f"more-{index}", "local-demo")
    with assert_queries(2):
        response = client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert len(response.json()["data"]) == 8


def test_a_warm_prompt_completion_only_writes_its_row(
    client, acme_key, gateway_models, chat_prompt, assert_queries
):
    secret = acme_key()
    body = {"model": "demo", "prompt_id": "support/triage", "prompt_variables": VARIABLES}
    post(client, secret, body)  # the key, the served prompt and the models are remembered

    with assert_queries(1) as queries:
        response = post(client, secret, body)

    assert response.status_code == 200
    assert queries.captured_queries[0]["sql"].startswith('INSERT INTO "gateway_completion"')


LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Find an order.",
        "parameters": {
            "type": "object",
            "properties": {"order_number": {"type": "string"}},
            "required": ["order_number"],
        },
    },
}
ASK = [{"role": "user", "content": "Where is order 7?"}]


def test_an_anthropic_tool_use_answers_as_openai_tool_calls(
    client, acme_key, gateway_models, fake_llm
):
    response = post(client, acme_key(), {"model": "claude", "messages": ASK, "tools": [LOOKUP]})

    assert response.status_code == 200, response.content
    [choice] = response.json()["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert choice["message"]["tool_calls"] == [
        {
            "id": "toolu_demo_1",
            "type": "function",
            "function": {"name": "lookup_order", "arguments": '{"order_number": "example"}'},
        }
    ]
    assert (
        fake_llm.requests[-1].body["tools"][0]["input_schema"] == LOOKUP["function"]["parameters"]
    )


def test_a_streamed_anthropic_tool_use_is_delta_tool_calls(client, acme_key, gateway_models):
    response = post(
        client,
        acme_key(),
        {"model": "claude", "messages": ASK, "tools": [LOOKUP], "stream": True},
    )

    data = events(response)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(item) for item in data[:-1]]
    calls = [
        c["choices"][0]["delta"]["tool_calls"]
        for c in chunks
        if "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls == [
        [
            {
                "index": 0,
                "id": "toolu_demo_1",
                "type": "function",
                "function": {"name": "lookup_order", "arguments": '{"order_number": "example"}'},
            }
        ]
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert Completion.objects.get().tool_calls[0]["name"] == "lookup_order"


def test_legacy_functions_and_tool_results_are_refused_saying_so(client, acme_key, gateway_models):
    functions = post(client, acme_key(), {"model": "demo", "messages": ASK, "functions": [{}]})
    tool_result = post(
        client,
        acme_key(),
        {"model": "demo", "messages": [*ASK, {"role": "tool", "content": "{}"}]},
    )

    assert "tools" in openai_error(functions, 400, "invalid_request")["message"]
    assert "Tool results" in openai_error(tool_result, 400, "invalid_request")["message"]
    assert not Completion.objects.exists()
