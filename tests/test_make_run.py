"""`make run`, as a person runs it: the embedded product starts, serves the demo workspace
with its example prompts, and Ctrl-C stops every process it started."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-password-for-the-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited early:\n{process.stdout.read()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail("make run did not answer /healthz in time")


@pytest.fixture
def embedded(tmp_path):
    port, model_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "PORT": str(port),
        "DEMO_MODEL_PORT": str(model_port),
        "PROMPTOPS_VAR_DIR": str(tmp_path / "var"),
        "PROMPTOPS_DEMO_PASSWORD": PASSWORD,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base + "/healthz", process)
        yield base, f"http://127.0.0.1:{model_port}", process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_make_run_serves_the_demo_workspace_and_ctrl_c_stops_everything(embedded):
    base, model_url, process = embedded

    assert httpx.get(base + "/readyz", timeout=5).json()["status"] == "ok"
    assert "local" in httpx.get(model_url + "/v1/models", timeout=5).text
    with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as browser:
        page = browser.get("/accounts/sign-in/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed_in = browser.post(
            "/accounts/sign-in/",
            data={"csrfmiddlewaretoken": token, "email": "demo@example.com", "password": PASSWORD},
            headers={"Referer": base + "/accounts/sign-in/"},
        )
        assert signed_in.url.path == "/w/demo/"
        prompts = browser.get("/w/demo/prompts/?q=triage")
        assert "triage" in prompts.text

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
    process.wait(timeout=60)
    leftovers = subprocess.run(
        ["pgrep", "-g", str(process.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert leftovers == [], f"processes still running after Ctrl-C: {leftovers}"
    assert not (ROOT / "control").exists(), "the broker must keep its files under var/"
