"""Third-party clients, unmodified, against PromptOps on Django's live server.

- `key_pair(role)`: a (public_key, secret_key) pair of an acme API key, as a Langfuse user
  would paste it.
- `live_requests`: the paths the live server was asked for during the test (counted through
  Django's request_started signal, which fires in the server thread), to prove client caches.
- `litellm_python`: a Python with LiteLLM and the langfuse 4.x SDK it requires, in its own
  virtual environment (the suite's venv carries langfuse 5). Built once from the pinned
  requirements/litellm-test.txt into var/litellm-venv and reused while the pins are unchanged;
  the only download the suite makes at run time, from PyPI. Skipped, saying why, when it can't
  be built (no network).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.signals import request_started

from tests.factories import api_key_for
from workspaces.roles import Role

ROOT = Path(__file__).resolve().parents[2]
LITELLM_PINS = ROOT / "requirements" / "litellm-test.txt"
LITELLM_VENV = ROOT / "var" / "litellm-venv"
PIP_TIMEOUT = 900


@pytest.fixture
def key_pair(acme):
    def make(role: str = Role.ADMIN, name: str = "client") -> tuple[str, str]:
        api_key, secret = api_key_for(acme, role, name=f"{name} ({role})")
        return api_key.public_key, secret

    return make


@pytest.fixture
def live_requests() -> Iterator[list[str]]:
    paths: list[str] = []
    lock = threading.Lock()

    def record(sender, environ=None, **kwargs):
        with lock:
            paths.append((environ or {}).get("PATH_INFO", ""))

    request_started.connect(record, weak=False)
    try:
        yield paths
    finally:
        request_started.disconnect(record)


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _pins_digest() -> str:
    return hashlib.sha256(LITELLM_PINS.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def litellm_python() -> Path:
    """The venv's python, with litellm importable; built on first use, then reused."""
    marker = LITELLM_VENV / ".pins-sha256"
    python = _venv_python(LITELLM_VENV)
    if python.exists() and marker.exists() and marker.read_text() == _pins_digest():
        return python
    shutil.rmtree(LITELLM_VENV, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [base, "-m", "venv", str(LITELLM_VENV)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "--no-input",
            "-r",
            str(LITELLM_PINS),
        ],
    ]
    for step in steps:
        try:
            result = subprocess.run(
                step, capture_output=True, text=True, timeout=PIP_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            shutil.rmtree(LITELLM_VENV, ignore_errors=True)
            pytest.skip(f"can't build the LiteLLM test venv ({' '.join(step[:3])}): {error}")
        if result.returncode != 0:
            shutil.rmtree(LITELLM_VENV, ignore_errors=True)
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            pytest.skip(
                "can't build the LiteLLM test venv (PyPI unreachable?): " + " | ".join(tail)
            )
    marker.write_text(_pins_digest())
    return python


def run_in(python: Path, script: str, env: dict[str, str], timeout: int = 120):
    """Run `script` with the given python and a clean environment plus `env`."""
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE")
    }
    return subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base_env, **env},
        check=False,
    )
