"""Third-party clients, unmodified, against PromptOps on Django's live server.

- `key_pair(role)`: a (public_key, secret_key) pair of an acme API key, as a Langfuse user
  would paste it.
- `live_requests`: the paths the live server was asked for during the test (counted through
  Django's request_started signal, which fires in the server thread), to prove client caches.
- `litellm_python`: a Python with LiteLLM and the langfuse 4.x SDK it requires, in its own
  virtual environment (the suite's venv carries langfuse 5). Built once from the pinned
  requirements/litellm-test.txt into var/litellm-venv by `make install-test` (rebuilt when the
  pins change). Skipped, saying why, when that venv is missing: tests download nothing.
"""

import hashlib
import os
import subprocess
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
    """The venv's python, with litellm importable. `make test` builds it (Makefile target
    var/litellm-venv); tests never download anything themselves."""
    marker = LITELLM_VENV / ".pins-sha256"
    python = _venv_python(LITELLM_VENV)
    if not (python.exists() and marker.exists() and marker.read_text().strip() == _pins_digest()):
        pytest.skip(
            "the LiteLLM client venv is missing or out of date: `make install-test` builds it "
            "from requirements/litellm-test.txt"
        )
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
