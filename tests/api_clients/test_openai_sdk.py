"""The official `openai` SDK, unmodified, against PromptOps' /v1 on Django's live server:
sync, async, streaming, and the errors it raises for our error bodies.

(The live server is WSGI: an async view's stream is produced whole there and then sent. That
streams really arrive piece by piece is proven through the production server command in
tests/gateway/test_real_server.py.)"""

import asyncio
import json
import time

import openai
import pytest

from gateway.models import Completion, Provider
from tests.factories import api_key_for
from tests.gateway.conftest import add_model, add_provider
from tests.promptregistry.factories import make_prompt
from workspaces.roles import Role

VARIABLES = {"company": "Acme", "question": "Where is my order?"}
REPLY = 'Local demo model reply to: "Where is my order?" (4 words).'


@pytest.fixture
def setup(acme, fake_llm):
    provider = add_provider(
        acme, "Local", Provider.Kind.OPENAI_COMPATIBLE, fake_llm.openai_base_url
    )
    add_model(provider, "demo", "local-demo")
    make_prompt(
        acme,
        "support/triage",
        messages=[
            {"role": "system", "content": "You help customers of {{company}}."},
            {"role": "user", "content": "{{question}}"},
        ],
        labels=["production"],
    )
    return api_key_for(acme, Role.EDITOR)[1]


@pytest.fixture
def base_url(live_server) -> str:
    return live_server.url + "/v1"


PROMPT = {"prompt_id": "support/triage", "prompt_variables": VARIABLES}
# One request per connection: the live server's threads finish with their request rather than
# waiting on a kept-alive connection until after the test (and its database) has gone.
ONE_REQUEST = {"Connection": "close"}


def rows(count: int = 1) -> list[Completion]:
    """The rows, once written: the server writes each after it sent the response's last byte,
    which may be just after the client has read it."""
    deadline = time.monotonic() + 5
    while Completion.objects.count() < count and time.monotonic() < deadline:
        time.sleep(0.02)
    found = list(Completion.objects.all())
    assert len(found) == count
    return found


def test_the_sync_client_runs_a_stored_prompt(setup, base_url):
    client = openai.OpenAI(
        base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
    )

    completion = client.chat.completions.create(model="demo", messages=[], extra_body=PROMPT)

    assert completion.choices[0].message.content == REPLY
    assert completion.usage.total_tokens == 20
    assert rows()[0].status == "ok"


def test_the_sync_client_streams_with_usage(setup, base_url):
    client = openai.OpenAI(
        base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
    )

    stream = client.chat.completions.create(
        model="demo",
        messages=[],
        stream=True,
        stream_options={"include_usage": True},
        extra_body=PROMPT,
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == REPLY
    assert chunks[-1].usage.completion_tokens == 11
    assert rows()[0].stream is True


def test_the_async_client_runs_and_streams(setup, base_url):
    async def go():
        client = openai.AsyncOpenAI(
            base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
        )
        whole = await client.chat.completions.create(model="demo", messages=[], extra_body=PROMPT)
        stream = await client.chat.completions.create(
            model="demo", messages=[], stream=True, extra_body=PROMPT
        )
        pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        await client.close()
        return whole.choices[0].message.content, "".join(pieces)

    whole, streamed = asyncio.run(go())

    assert whole == streamed == REPLY
    assert len(rows(2)) == 2


def test_the_models_list(setup, base_url):
    client = openai.OpenAI(
        base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
    )

    assert [model.id for model in client.models.list()] == ["demo"]


def test_errors_are_the_sdks_exceptions_with_our_messages(setup, base_url, fake_llm):
    client = openai.OpenAI(
        base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
    )
    stranger = openai.OpenAI(
        base_url=base_url, api_key="sk-wrong", max_retries=0, default_headers=ONE_REQUEST
    )

    with pytest.raises(openai.AuthenticationError):
        stranger.chat.completions.create(model="demo", messages=[], extra_body=PROMPT)
    with pytest.raises(openai.BadRequestError, match='"question"') as missing:
        client.chat.completions.create(
            model="demo",
            messages=[],
            extra_body={"prompt_id": "support/triage", "prompt_variables": {"company": "A"}},
        )
    with pytest.raises(openai.NotFoundError, match="nope"):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.NotFoundError, match="elsewhere"):
        client.chat.completions.create(
            model="demo", messages=[], extra_body={"prompt_id": "elsewhere"}
        )
    fake_llm.fail_next("500", times=3)
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="demo", messages=[{"role": "user", "content": "x"}])

    assert missing.value.code == "missing_variables"
    assert failed.value.status_code == 502 and "scripted fault" in failed.value.message


def test_a_stream_cut_by_the_provider_raises_in_the_sdk(setup, base_url, fake_llm):
    client = openai.OpenAI(
        base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
    )
    fake_llm.fail_next("cut")

    stream = client.chat.completions.create(
        model="demo", messages=[], stream=True, extra_body=PROMPT
    )
    with pytest.raises(openai.APIError, match="broke off"):
        list(stream)

    assert rows()[0].status == "error"


LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Find an order by its number.",
        "parameters": {
            "type": "object",
            "properties": {"order_number": {"type": "string"}},
            "required": ["order_number"],
        },
    },
}
ASK = [{"role": "user", "content": "Where is my order?"}]


def test_the_sdk_reads_the_tool_calls_of_a_whole_answer(setup, base_url):
    client = openai.OpenAI(
        base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
    )

    completion = client.chat.completions.create(
        model="demo", messages=ASK, tools=[LOOKUP], tool_choice="auto"
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls
    assert (call.id, call.type, call.function.name) == ("call_demo_1", "function", "lookup_order")
    assert json.loads(call.function.arguments) == {"order_number": "example"}
    row = rows()[0]
    assert row.tool_calls == [
        {"id": "call_demo_1", "name": "lookup_order", "arguments": call.function.arguments}
    ]


def test_the_sdk_reads_streamed_tool_calls(setup, base_url):
    client = openai.OpenAI(
        base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
    )

    with client.chat.completions.stream(model="demo", messages=ASK, tools=[LOOKUP]) as stream:
        final = stream.get_final_completion()

    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert call.function.name == "lookup_order"
    assert json.loads(call.function.arguments) == {"order_number": "example"}
    assert rows()[0].stream is True


def test_the_async_client_streams_tool_call_deltas_by_index(setup, base_url):
    async def go():
        client = openai.AsyncOpenAI(
            base_url=base_url, api_key=setup, max_retries=0, default_headers=ONE_REQUEST
        )
        stream = await client.chat.completions.create(
            model="demo", messages=ASK, tools=[LOOKUP], stream=True
        )
        chunks = [chunk async for chunk in stream]
        await client.close()
        return chunks

    chunks = asyncio.run(go())

    fragments = [f for c in chunks if c.choices for f in c.choices[0].delta.tool_calls or []]
    assert [(f.index, f.id, f.function.name) for f in fragments] == [
        (0, "call_demo_1", "lookup_order")
    ]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
