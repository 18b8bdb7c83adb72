"""The fake LLM server, driven by the official OpenAI and Anthropic SDKs over real HTTP.

Timing assertions only check lower bounds (a slow answer takes at least its delay) or
generous upper bounds (a timeout fires well before the server would ever answer).
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import anthropic
import httpx2
import openai
import pytest

from gateway.fake_llm import FakeLLMServer
from gateway.fake_llm.server import demo_reply

PROJECT_DIR = Path(__file__).resolve().parents[2]
USER_MESSAGES = [{"role": "user", "content": "Summarise the release notes please"}]


def openai_client(server: FakeLLMServer, api_key: str = "sk-test", **kwargs) -> openai.OpenAI:
    options = {"max_retries": 0, "timeout": 10.0, **kwargs}
    return openai.OpenAI(base_url=server.openai_base_url, api_key=api_key, **options)


def anthropic_client(
    server: FakeLLMServer, api_key: str = "sk-ant-test", **kwargs
) -> anthropic.Anthropic:
    options = {"max_retries": 0, "timeout": 10.0, **kwargs}
    return anthropic.Anthropic(base_url=server.base_url, api_key=api_key, **options)


def chat(client: openai.OpenAI, model: str = "local-demo", **kwargs):
    return client.chat.completions.create(model=model, messages=USER_MESSAGES, **kwargs)


def message(client: anthropic.Anthropic, model: str = "claude-demo", **kwargs):
    options = {"max_tokens": 256, **kwargs}
    return client.messages.create(model=model, messages=USER_MESSAGES, **options)


def raw_post(url: str, data: bytes, headers: dict[str, str] | None = None):
    """POST without an SDK; returns (status, headers, body bytes)."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


EXPECTED_TEXT = 'Local demo model reply to: "Summarise the release notes please" (5 words).'


# --- OpenAI format ---------------------------------------------------------------------------


def test_openai_chat_completion(fake_llm):
    completion = chat(openai_client(fake_llm))

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "local-demo"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == EXPECTED_TEXT
    assert completion.choices[0].finish_reason == "stop"
    # Whitespace word counts: 5 prompt words, 12 reply words.
    assert completion.usage.prompt_tokens == 5
    assert completion.usage.completion_tokens == 12
    assert completion.usage.total_tokens == 17


def test_openai_stream_with_usage(fake_llm):
    stream = chat(openai_client(fake_llm), stream=True, stream_options={"include_usage": True})
    chunks = list(stream)  # ends cleanly only because the server sent [DONE]

    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta]
    assert len([piece for piece in content if piece]) == 12
    assert "".join(piece or "" for piece in content) == EXPECTED_TEXT
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.prompt_tokens == 5
    assert chunks[-1].usage.completion_tokens == 12


def test_openai_stream_wire_format_ends_with_done(fake_llm):
    body = {"model": "local-demo", "messages": USER_MESSAGES, "stream": True}
    status, headers, raw = raw_post(
        fake_llm.openai_base_url + "/chat/completions",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )

    assert status == 200
    assert headers["Content-Type"] == "text/event-stream"
    events = [line for line in raw.decode().split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    # Without stream_options.include_usage there is no usage chunk.
    last_chunk = json.loads(events[-2].removeprefix("data: "))
    assert last_chunk["choices"][0]["finish_reason"] == "stop"
    assert "usage" not in last_chunk


@pytest.mark.parametrize("limit_param", ["max_tokens", "max_completion_tokens"])
def test_openai_max_tokens_truncates(fake_llm, limit_param):
    completion = chat(openai_client(fake_llm), **{limit_param: 3})

    assert completion.choices[0].message.content == "Local demo model"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 3


def test_list_models_both_providers(fake_llm):
    openai_ids = [model.id for model in openai_client(fake_llm).models.list()]
    anthropic_ids = [model.id for model in anthropic_client(fake_llm).models.list()]

    assert "local-demo" in openai_ids
    assert "fake-429" in openai_ids
    assert anthropic_ids == openai_ids


# --- Anthropic format ------------------------------------------------------------------------


def test_anthropic_message_with_system(fake_llm):
    reply = message(anthropic_client(fake_llm), system="You are terse")

    assert reply.type == "message"
    assert reply.role == "assistant"
    assert reply.content[0].type == "text"
    assert reply.content[0].text == EXPECTED_TEXT
    assert reply.stop_reason == "end_turn"
    assert reply.usage.input_tokens == 8  # 3 system words + 5 user words
    assert reply.usage.output_tokens == 12
    assert fake_llm.requests[-1].body["system"] == "You are terse"


def test_anthropic_max_tokens_truncates(fake_llm):
    reply = message(anthropic_client(fake_llm), max_tokens=2)

    assert reply.content[0].text == "Local demo"
    assert reply.stop_reason == "max_tokens"


def test_anthropic_stream_event_sequence(fake_llm):
    events = list(message(anthropic_client(fake_llm), stream=True))

    types = [event.type for event in events]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[2:-3] == ["content_block_delta"] * 12
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert "".join(event.delta.text for event in events[2:-3]) == EXPECTED_TEXT
    assert events[-2].delta.stop_reason == "end_turn"
    assert events[-2].usage.output_tokens == 12


def test_anthropic_stream_helper(fake_llm):
    client = anthropic_client(fake_llm)
    with client.messages.stream(
        model="claude-demo", max_tokens=256, messages=USER_MESSAGES, system="Be brief"
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert text == EXPECTED_TEXT
    assert final.usage.input_tokens == 7
    assert final.usage.output_tokens == 12


# --- Determinism and recording ---------------------------------------------------------------


def test_answers_are_deterministic(fake_llm):
    client = openai_client(fake_llm)
    first = chat(client).choices[0].message.content
    second = chat(client).choices[0].message.content
    other = client.chat.completions.create(
        model="local-demo", messages=[{"role": "user", "content": "Something else"}]
    )

    assert first == second
    assert other.choices[0].message.content != first
    assert message(anthropic_client(fake_llm)).content[0].text == first


def test_reply_quotes_last_user_message_truncated():
    long_text = "word " * 100

    reply = demo_reply(long_text)

    assert reply.startswith('Local demo model reply to: "word word')
    assert '..." (100 words).' in reply
    assert len(reply) < 260


def test_requests_are_recorded(fake_llm):
    chat(openai_client(fake_llm, api_key="sk-recorded"), temperature=0.2)
    message(anthropic_client(fake_llm, api_key="sk-ant-recorded"))

    openai_request, anthropic_request = fake_llm.requests
    assert openai_request.method == "POST"
    assert openai_request.path == "/v1/chat/completions"
    assert openai_request.headers["authorization"] == "Bearer sk-recorded"
    assert openai_request.body["temperature"] == 0.2
    assert openai_request.body["messages"] == USER_MESSAGES
    assert anthropic_request.path == "/v1/messages"
    # Anthropic SDK 2.x sends the key as a bearer token; older ones used x-api-key.
    anthropic_auth = anthropic_request.headers.get("x-api-key") or anthropic_request.headers.get(
        "authorization"
    )
    assert anthropic_auth.endswith("sk-ant-recorded")

    fake_llm.clear()
    assert fake_llm.requests == []


# --- Auth and request errors -----------------------------------------------------------------


def test_wrong_api_key_is_rejected():
    with FakeLLMServer(api_key="right-key") as server:
        assert chat(openai_client(server, api_key="right-key")).choices
        with pytest.raises(openai.AuthenticationError) as openai_error:
            chat(openai_client(server, api_key="wrong-key"))
        with pytest.raises(anthropic.AuthenticationError) as anthropic_error:
            message(anthropic_client(server, api_key="wrong-key"))

    assert openai_error.value.status_code == 401
    assert openai_error.value.body["code"] == "invalid_api_key"
    assert openai_error.value.body["type"] == "invalid_request_error"
    assert anthropic_error.value.body["error"]["type"] == "authentication_error"


def test_wrong_api_key_is_rejected_for_models():
    with FakeLLMServer(api_key="right-key") as server:
        assert list(openai_client(server, api_key="right-key").models.list())
        with pytest.raises(openai.AuthenticationError):
            list(openai_client(server, api_key="wrong-key").models.list())


def test_unknown_path_is_404_json(fake_llm):
    status, headers, raw = raw_post(fake_llm.base_url + "/v2/nothing", b"{}")

    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert "error" in json.loads(raw)


@pytest.mark.parametrize(
    ("path", "error_key"),
    [("/v1/chat/completions", "message"), ("/v1/messages", "type")],
)
def test_bad_json_is_400_provider_shaped(fake_llm, path, error_key):
    status, _, raw = raw_post(fake_llm.base_url + path, b"{not json")

    assert status == 400
    assert error_key in json.loads(raw)["error"]


# --- Scripted faults (queue) -----------------------------------------------------------------


def test_429_with_retry_after(fake_llm):
    fake_llm.fail_next("429", retry_after=7)
    with pytest.raises(openai.RateLimitError) as error:
        chat(openai_client(fake_llm))

    assert error.value.response.headers["retry-after"] == "7"
    assert error.value.body["code"] == "rate_limit_exceeded"
    assert chat(openai_client(fake_llm)).choices  # the fault was used up


def test_anthropic_429_is_rate_limit_error(fake_llm):
    fake_llm.fail_next("429")
    with pytest.raises(anthropic.RateLimitError) as error:
        message(anthropic_client(fake_llm))

    assert error.value.response.headers["retry-after"] == "1"
    assert error.value.body["error"]["type"] == "rate_limit_error"


def test_fail_next_times(fake_llm):
    fake_llm.fail_next("500", times=2)
    client = openai_client(fake_llm)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            chat(client)

    assert chat(client).choices[0].finish_reason == "stop"


def test_500_both_providers(fake_llm):
    fake_llm.fail_next("500", times=2)
    with pytest.raises(openai.InternalServerError):
        chat(openai_client(fake_llm))
    with pytest.raises(anthropic.InternalServerError) as error:
        message(anthropic_client(fake_llm))

    assert error.value.body["error"]["type"] == "api_error"


def test_malformed_body_raises(fake_llm):
    fake_llm.fail_next("malformed", times=2)
    with pytest.raises(ValueError):  # json.JSONDecodeError from the SDK's parser
        chat(openai_client(fake_llm))
    with pytest.raises(ValueError):
        message(anthropic_client(fake_llm))


def test_malformed_stream_raises(fake_llm):
    fake_llm.fail_next("malformed", times=2)
    with pytest.raises(ValueError):  # the second SSE event carries invalid JSON
        list(chat(openai_client(fake_llm), stream=True))
    with pytest.raises(ValueError):
        list(message(anthropic_client(fake_llm), stream=True))


def test_cut_openai_stream_raises(fake_llm):
    fake_llm.fail_next("cut")
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in chat(openai_client(fake_llm), stream=True):
            received.append(chunk)

    assert received  # a few chunks arrived before the connection dropped


def test_cut_anthropic_stream_raises(fake_llm):
    fake_llm.fail_next("cut")
    received = []
    # The Anthropic SDK lets the transport error through while iterating a stream.
    with pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)):
        for event in message(anthropic_client(fake_llm), stream=True):
            received.append(event.type)

    assert received[0] == "message_start"
    assert "message_stop" not in received


def test_cut_non_stream_raises(fake_llm):
    fake_llm.fail_next("cut", times=2)
    with pytest.raises(openai.APIConnectionError):
        chat(openai_client(fake_llm))
    with pytest.raises(anthropic.APIConnectionError):
        message(anthropic_client(fake_llm))


def test_slow_answer_takes_at_least_the_delay(fake_llm):
    fake_llm.fail_next("slow", delay=0.3)
    started = time.monotonic()
    completion = chat(openai_client(fake_llm))

    assert time.monotonic() - started >= 0.3
    assert completion.choices[0].message.content == EXPECTED_TEXT


def test_slow_stream_waits_between_chunks(fake_llm):
    fake_llm.fail_next("slow", delay=0.1, chunk_delay=0.02)
    started = time.monotonic()
    events = list(message(anthropic_client(fake_llm), stream=True))

    # 0.1 s before answering plus 17 gaps of 0.02 s between the 18 events sent.
    assert time.monotonic() - started >= 0.1 + 17 * 0.02
    assert events[-1].type == "message_stop"


def test_hang_hits_the_client_timeout(fake_llm):
    fake_llm.fail_next("hang")
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat(openai_client(fake_llm, timeout=0.3))

    assert time.monotonic() - started < 5


def test_hang_does_not_block_stop():
    server = FakeLLMServer().start()
    server.fail_next("hang")
    errors = []

    def call() -> None:
        try:
            chat(openai_client(server, timeout=30.0))
        except openai.APIError as error:
            errors.append(error)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    caller.join(timeout=5)

    assert time.monotonic() - started < 3
    assert not caller.is_alive()
    assert isinstance(errors[0], openai.APIConnectionError)


def test_unknown_fault_kind_is_rejected(fake_llm):
    with pytest.raises(ValueError, match="unknown fault kind"):
        fake_llm.fail_next("explode")
    with pytest.raises(ValueError, match="unknown fault options"):
        fake_llm.fail_next("slow", seconds=1)


# --- Scripted faults (model name, for other processes) ---------------------------------------


def test_model_name_429(fake_llm):
    with pytest.raises(openai.RateLimitError) as error:
        chat(openai_client(fake_llm), model="fake-429")

    assert error.value.response.headers["retry-after"] == "1"


def test_model_name_500(fake_llm):
    with pytest.raises(anthropic.InternalServerError):
        message(anthropic_client(fake_llm), model="fake-500")


def test_model_name_slow_with_delay(fake_llm):
    started = time.monotonic()
    completion = chat(openai_client(fake_llm), model="fake-slow-0.3")

    assert time.monotonic() - started >= 0.3
    assert completion.model == "fake-slow-0.3"


def test_model_name_malformed(fake_llm):
    with pytest.raises(ValueError):
        chat(openai_client(fake_llm), model="fake-malformed")


def test_model_name_cut(fake_llm):
    with pytest.raises(openai.APIConnectionError):
        list(chat(openai_client(fake_llm), model="fake-cut", stream=True))


def test_model_name_hang(fake_llm):
    with pytest.raises(anthropic.APITimeoutError):
        message(anthropic_client(fake_llm, timeout=0.3), model="fake-hang")


# --- manage.py demo_model_server -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"demo_model_server exited early: {process.communicate()}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("demo_model_server did not answer in time")


def test_demo_model_server_command():
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    python = PROJECT_DIR / ".venv" / "bin" / "python"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(python if python.exists() else sys.executable), "manage.py", "demo_model_server"]
        + ["--port", str(port)],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_healthy(base_url, process)
        client = openai.OpenAI(base_url=base_url + "/v1", api_key="x", max_retries=0, timeout=10)
        completion = chat(client)
        assert completion.choices[0].message.content == EXPECTED_TEXT
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=15)

    assert process.returncode == 0, stderr
    assert "Local demo model" in stdout
    assert "not an LLM" in stdout
    assert base_url in stdout


# -- tools ---------------------------------------------------------------------------------

TOOL_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"],
}
OPENAI_TOOLS = [{"type": "function", "function": {"name": "forecast", "parameters": TOOL_SCHEMA}}]
ANTHROPIC_TOOLS = [{"name": "forecast", "input_schema": TOOL_SCHEMA}]


def test_openai_answers_a_request_with_tools_by_calling_the_first_tool(fake_llm):
    response = openai_client(fake_llm).chat.completions.create(
        model="local-demo", messages=USER_MESSAGES, tools=OPENAI_TOOLS
    )

    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls
    assert (call.id, call.function.name) == ("call_demo_1", "forecast")
    assert json.loads(call.function.arguments) == {"city": "example", "days": 1}


def test_openai_streams_a_tool_call_in_fragments_by_index(fake_llm):
    stream = openai_client(fake_llm).chat.completions.create(
        model="local-demo", messages=USER_MESSAGES, tools=OPENAI_TOOLS, stream=True
    )

    fragments, reasons = [], []
    for chunk in stream:
        for choice in chunk.choices:
            fragments += choice.delta.tool_calls or []
            reasons.append(choice.finish_reason)
    assert reasons[-1] == "tool_calls"
    assert {f.index for f in fragments} == {0}
    assert fragments[0].function.name == "forecast"
    arguments = "".join(f.function.arguments or "" for f in fragments)
    assert json.loads(arguments) == {"city": "example", "days": 1}


def test_anthropic_answers_a_request_with_tools_with_a_tool_use_block(fake_llm):
    message = anthropic_client(fake_llm).messages.create(
        model="local-demo", max_tokens=100, messages=USER_MESSAGES, tools=ANTHROPIC_TOOLS
    )

    assert message.stop_reason == "tool_use"
    [block] = message.content
    assert (block.type, block.id, block.name) == ("tool_use", "toolu_demo_1", "forecast")
    assert block.input == {"city": "example", "days": 1}


def test_anthropic_streams_a_tool_use_as_input_json_deltas(fake_llm):
    with anthropic_client(fake_llm).messages.stream(
        model="local-demo", max_tokens=100, messages=USER_MESSAGES, tools=ANTHROPIC_TOOLS
    ) as stream:
        message = stream.get_final_message()

    assert message.stop_reason == "tool_use"
    assert message.content[0].input == {"city": "example", "days": 1}
