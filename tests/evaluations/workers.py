"""Real Celery worker processes for the evaluation tests: `celery -A config worker` on Redis,
pointed at the test database (pytest-django's `test_<name>`), so they see what a
transactional test committed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def require_services() -> None:
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL (real workers share a Redis broker)")
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL on PostgreSQL (workers can't see SQLite's test database)")


def test_database_url() -> str:
    s = connection.settings_dict
    return (
        f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


class Worker:
    def __init__(self, name: str, log_dir: Path, concurrency: int = 2, beat: bool = False):
        self.name = name
        self.log = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "PROMPTOPS_BROKER_VISIBILITY_TIMEOUT": "4",
            "PROMPTOPS_ALLOW_PRIVATE_PROVIDERS": "1",
            "PROMPTOPS_EVALUATIONS_STALLED_AFTER": "6",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own venv's celery
                [
                    CELERY,
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    "celery",
                    "-n",
                    f"{name}@%h",
                    "--pool=threads",  # the pool of the documented worker command
                    f"--concurrency={concurrency}",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=info",
                    *(["-B", "-s", str(log_dir / f"{name}-beat")] if beat else []),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches its children
            )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: nothing gets to acknowledge or clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def wait_for(predicate, timeout: float, what: str, workers=(), state=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    logs = "\n".join(f"--- {w.name}\n{w.output()}" for w in workers)
    pytest.fail(f"timed out waiting for {what}\n{state() if state else ''}\n{logs}")
