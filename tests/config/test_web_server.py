"""The web server: the production command from the README serves pages and the API, streams
without buffering, and a slow synchronous view holds up neither streams nor other requests.

The live tests start the README's granian command on the embedded default with a test-only
URLconf (tests/config/serving_urls.py) that adds a streaming and a slow view."""

import asyncio
import base64
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from asgiref.testing import ApplicationCommunicator

from config import asgi

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent


def production_web_command(*, host: str, port: int, workers: int) -> list[str]:
    """The web command the README's Production section runs, with this host, port, workers."""
    readme = (ROOT / "README.md").read_text()
    line = next(line for line in readme.splitlines() if line.startswith("granian "))
    argv = shlex.split(line.split("#")[0])
    for option, value in (("--host", host), ("--port", port), ("--workers", workers)):
        argv[argv.index(option) + 1] = str(value)
    return [str(VENV_BIN / argv[0]), *argv[1:]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture(scope="module")
def server_env(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "tests.config.serving_settings",
        "PROMPTOPS_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "PROMPTOPS_PLAIN_STATIC": "1",
    }
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "setup_demo")
    _manage(env, "seed_demo_prompts", "--workspace", "demo")
    public, secret = _manage(
        env, "create_api_key", "--workspace", "demo", "--name", "test", "--role", "viewer"
    ).split()
    return env, public, secret


def _start(env: dict, workers: int):
    port = _free_port()
    process = subprocess.Popen(
        production_web_command(host="127.0.0.1", port=port, workers=workers),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a busy CI machine can take a while to boot two workers
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the web server exited:\n{process.stdout.read()}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return base, process
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the web server did not answer /healthz in time")


def _stop(process) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def production_server(server_env):
    env, public, secret = server_env
    base, process = _start(env, workers=2)
    yield base, public, secret
    _stop(process)


@pytest.fixture(scope="module")
def one_worker(server_env):
    base, process = _start(server_env[0], workers=1)
    yield base
    _stop(process)


def test_the_production_command_is_the_one_the_operator_guide_gives():
    readme_line = production_web_command(host="0.0.0.0", port=8000, workers=4)  # noqa: S104
    guide = (ROOT / "docs" / "operators.md").read_text()

    assert shlex.join(["granian", *readme_line[1:]]) in guide


def test_the_production_command_serves_healthz_and_a_prompt_fetch(production_server):
    base, public, secret = production_server
    basic = "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()

    assert httpx.get(base + "/healthz", timeout=10).json() == {"status": "ok"}
    for _ in range(3):  # the first fetch fills the caches, the next ones are served from them
        response = httpx.get(
            base + "/api/public/v2/prompts/support/triage",
            params={"label": "production"},
            headers={"Authorization": basic},
            timeout=10,
        )
        assert response.status_code == 200
        assert response.json()["name"] == "support/triage"
        assert "production" in response.json()["labels"]
    signed_out = httpx.get(base + "/api/public/v2/prompts/support/triage", timeout=10)
    assert signed_out.status_code == 401


def test_a_stream_reaches_the_client_as_it_is_produced(one_worker):
    with httpx.stream("GET", one_worker + "/test/ticks", params={"gap": 2}, timeout=20) as stream:
        assert stream.headers["content-type"] == "text/event-stream"
        chunks = stream.iter_raw()
        first = next(chunks)
        first_at = time.monotonic()
        second = b"".join(chunks)
        second_at = time.monotonic()

    assert first == b"data: first\n\n"
    assert second == b"data: second\n\n"
    assert second_at - first_at > 1.5, "the first event was held back until the stream ended"


def test_slow_sync_views_hold_up_neither_streams_nor_other_requests(one_worker):
    with ThreadPoolExecutor(3) as pool:
        slow = [
            pool.submit(httpx.get, one_worker + "/test/slow?seconds=4", timeout=30)
            for _ in range(3)
        ]
        time.sleep(0.5)  # the three slow views are running now
        started = time.monotonic()
        with httpx.stream("GET", one_worker + "/test/ticks?gap=0.1", timeout=20) as stream:
            events = stream.read()
        health = httpx.get(one_worker + "/healthz", timeout=20)
        waited = time.monotonic() - started
        assert [future.result().text for future in slow] == ["done"] * 3

    assert events == b"data: first\n\ndata: second\n\n"
    assert health.status_code == 200
    assert waited < 2.5, f"answered after {waited:.1f} s, behind the slow views"


# --- In process: what the application hands Django ------------------------------------------


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = "tests.config.serving_urls"
    asgi._cached_route.cache_clear()
    yield
    asgi._cached_route.cache_clear()


def _call(
    app, path: str, *, method="GET", headers=(), body_parts=(b"",), client="127.0.0.1", query=b""
):
    async def run():
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": [(b"host", b"testserver"), *headers],
            "client": (client, 50000),
            "server": ("testserver", 80),
        }
        communicator = ApplicationCommunicator(app, scope)
        for n, part in enumerate(body_parts, 1):
            more = n < len(body_parts)
            await communicator.send_input({"type": "http.request", "body": part, "more_body": more})
        start = await communicator.receive_output(10)
        body = b""
        while True:
            message = await communicator.receive_output(10)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        return start["status"], body

    # A thread of its own: Playwright's sync API (tests/browser, earlier in the same run) leaves
    # an event loop running in the main thread, where async_to_sync refuses to start one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_a_chunked_upload_reaches_a_sync_view_whole(test_urls):
    status, body = _call(
        asgi.DjangoApplication(), "/test/echo", method="POST", body_parts=(b"hel", b"lo")
    )

    assert (status, body) == (200, b"hello")


def test_forwarded_headers_are_believed_only_from_the_configured_proxy(test_urls):
    app = asgi.with_proxy_headers(asgi.DjangoApplication(), ["127.0.0.1"])
    forwarded = [(b"x-forwarded-for", b"203.0.113.9"), (b"x-forwarded-proto", b"https")]

    assert _call(app, "/test/remote", headers=forwarded)[1] == b"203.0.113.9 https"
    assert _call(app, "/test/remote", headers=forwarded, client="198.51.100.7")[1] == (
        b"198.51.100.7 http"
    )


def test_a_non_ascii_path_and_query_reach_a_sync_view_as_sent(test_urls):
    status, body = _call(asgi.DjangoApplication(), "/test/path/café", query=b"q=na%C3%AFve&x=1")

    assert (status, body.decode()) == (200, "/test/path/café|café|naïve")
