"""The gateway through the production web command (granian, config/asgi.py): streams are relayed
as they arrive, curl and the openai SDK work, and a client that hangs up mid-stream cancels the
provider's answer and is logged as cancelled.

The server runs the demo setup (setup_demo, seed_demo_prompts, setup_demo_models) with the demo
model URL pointing at this test process's fake provider, so faults are scripted from here.
"""

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import openai
import pytest

from tests.config.test_web_server import _manage, _start, _stop

ROOT = Path(__file__).resolve().parent.parent.parent
TICKET = {"company": "Acme", "ticket": "My invoice is wrong"}


@pytest.fixture(scope="module")
def server_env(tmp_path_factory, fake_llm_server):
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PROMPTOPS_VAR_DIR": str(var),
        "PROMPTOPS_PLAIN_STATIC": "1",
        "PROMPTOPS_DEMO_MODEL_URL": fake_llm_server.openai_base_url,
    }
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "setup_demo")
    _manage(env, "seed_demo_prompts", "--workspace", "demo")
    _manage(env, "setup_demo_models", "--workspace", "demo")
    _public, secret = _manage(
        env, "create_api_key", "--workspace", "demo", "--name", "gw", "--role", "viewer"
    ).split()
    return env, secret, var / "promptops.sqlite3"


@pytest.fixture(scope="module")
def server(server_env):
    env, secret, database = server_env
    base, process = _start(env, workers=1)
    yield base, secret, database
    _stop(process)


def rows(database: Path, user: str) -> list[dict]:
    """The logged calls made for this `user` (each test its own: the server writes rows in
    batches, so an earlier test's rows may land while a later one runs)."""
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        found = connection.execute(
            "SELECT status, error_type, output_text, stream, prompt_name, model_name"
            " FROM gateway_completion WHERE user_ref = ? ORDER BY id",
            [user],
        ).fetchall()
    return [dict(row) for row in found]


def wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    return condition()


def body(stream: bool = True, user: str = "") -> dict:
    return {
        "model": "prompt",  # the demo prompt's config names local-demo
        "prompt_id": "support/triage",
        "prompt_variables": TICKET,
        "stream": stream,
        "user": user,
    }


def test_curl_gets_the_stream_piece_by_piece(server, fake_llm):
    base, secret, database = server
    fake_llm.fail_next("slow", delay=0, chunk_delay=0.15)
    command = [
        "curl", "-sN", f"{base}/v1/chat/completions",
        "-H", f"Authorization: Bearer {secret}", "-H", "Content-Type: application/json",
        "-d", json.dumps(body(user="curl")),
    ]  # fmt: skip
    arrivals, lines = [], []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as curl:
        for line in curl.stdout:
            if line.startswith("data: "):
                arrivals.append(time.monotonic())
                lines.append(line.removeprefix("data: ").strip())

    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == 'Local demo model reply to: "My invoice is wrong" (4 words).'
    # Relayed as the provider sent them (0.15 s apart), not buffered until the end.
    assert arrivals[-1] - arrivals[1] > 1.0
    written = wait_for(lambda: rows(database, "curl"))
    assert len(written) == 1
    assert written[0]["status"] == "ok" and written[0]["prompt_name"] == "support/triage"


def test_the_openai_sdk_streams_through_the_real_server(server):
    base, secret, database = server
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=secret, max_retries=0)

    stream = client.chat.completions.create(
        model="fast", messages=[], stream=True, extra_body=body()
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)

    assert text == 'Local demo model reply to: "My invoice is wrong" (4 words).'
    missing = client.chat.completions.create
    with pytest.raises(openai.BadRequestError, match="ticket"):
        missing(model="fast", messages=[], extra_body={"prompt_id": "support/triage"})


def test_a_client_hanging_up_mid_stream_cancels_upstream_and_is_logged_cancelled(server, fake_llm):
    base, secret, database = server
    fake_llm.fail_next("slow", delay=0, chunk_delay=0.3)

    with httpx.stream(
        "POST",
        f"{base}/v1/chat/completions",
        json=body(user="hung-up"),
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    ) as response:
        assert response.status_code == 200
        received = []
        for line in response.iter_lines():
            if line.startswith("data: "):
                received.append(line)
            if len(received) == 3:
                break  # leaving the block closes the connection mid-stream

    assert wait_for(lambda: fake_llm.cancelled), "the provider never saw the call cancelled"
    written = wait_for(lambda: rows(database, "hung-up"))
    assert len(written) == 1
    assert written[0]["status"] == "cancelled" and written[0]["error_type"] == "client_disconnected"
    assert written[0]["stream"] == 1


def test_a_client_giving_up_before_the_first_token_cancels_upstream_and_is_logged(server, fake_llm):
    base, secret, database = server
    fake_llm.fail_next("hang")

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{base}/v1/chat/completions",
            json=body(user="gave-up"),
            headers={"Authorization": f"Bearer {secret}"},
            timeout=1,
        )

    assert wait_for(lambda: fake_llm.cancelled), "the provider never saw the call cancelled"
    written = wait_for(lambda: rows(database, "gave-up"))
    assert len(written) == 1 and written[0]["status"] == "cancelled"


def test_a_provider_failure_before_the_stream_is_a_status_not_a_broken_stream(server, fake_llm):
    base, secret, database = server
    fake_llm.fail_next("500", times=3)

    response = httpx.post(
        f"{base}/v1/chat/completions",
        json=body(),
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "provider_error"


def test_rows_not_yet_written_are_written_when_the_server_stops(server_env):
    """The server writes rows in batches, a moment after each response: stopping it (SIGTERM,
    as a deploy does) right after a burst of calls still leaves every call logged."""
    env, secret, database = server_env
    base, process = _start(env, workers=1)
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}) as client:
            for _ in range(20):
                answer = client.post("/v1/chat/completions", json=body(False, "burst"), timeout=10)
                assert answer.status_code == 200
    finally:
        _stop(process)

    assert process.returncode is not None
    assert len(rows(database, "burst")) == 20
