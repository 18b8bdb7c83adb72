"""Serving (B4): prompt retrieval on the web server against the WSGI ceiling (gunicorn /healthz).

One web process each, 50 concurrent clients (wrk), both sides in the same run and interleaved
round by round (the machine is shared, so only ratios within a run mean anything):

- ceiling: the project's /healthz under gunicorn, one sync worker (WSGI, as little as Django
  can do per request);
- `make run`'s server: the README's production web command with one worker, on the embedded
  default (SQLite, in-process cache), fetching a prompt by label through the Langfuse API;
- the production server: the same command on PostgreSQL and Redis, when
  PROMPTOPS_BENCH_DATABASE_URL and PROMPTOPS_BENCH_REDIS_URL name a database it may drop and
  recreate and a Redis database it may flush (else that half is skipped and said so).

Goal: retrieval >= 0.5 x the ceiling with zero errors. wrk is installed with apt if missing.

Streaming, on the same `make run` server: 50 concurrent streams of /v1/chat/completions (a
stored prompt on the local demo model) against the same streams straight from the demo model:
time to the first event, p50 and p99, and what the server adds.
"""

import asyncio
import base64
import logging
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLIENTS = 50
SECONDS = int(os.environ.get("PROMPTOPS_BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("PROMPTOPS_BENCH_ROUNDS", "5"))
GOAL = 0.5
PROMPT_PATH = "/api/public/v2/prompts/support/triage?label=production"
STREAMS = 50
TICKET = {"company": "Acme", "ticket": "My invoice is wrong"}
CEILING_COMMAND = "gunicorn config.wsgi:application --workers 1 --bind 127.0.0.1:{port}"


def production_web_command(*, port: int, workers: int) -> list[str]:
    """The README's production web command, on loopback with this port and workers."""
    readme = (ROOT / "README.md").read_text()
    line = next(line for line in readme.splitlines() if line.startswith("granian "))
    argv = shlex.split(line.split("#")[0])
    for option, value in (("--host", "127.0.0.1"), ("--port", port), ("--workers", workers)):
        argv[argv.index(option) + 1] = str(value)
    return [str(BIN / argv[0]), *argv[1:]]


def _wrk() -> str:
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("bench_serving needs wrk: apt-get install wrk")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _prepare(env: dict) -> str:
    """A migrated database with the demo prompts; returns the Basic credentials of a key."""
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "setup_demo")
    _manage(env, "seed_demo_prompts", "--workspace", "demo")
    _manage(env, "setup_demo_models", "--workspace", "demo")
    public, secret = _manage(
        env, "create_api_key", "--workspace", "demo", "--name", "bench", "--role", "viewer"
    ).split()
    return base64.b64encode(f"{public}:{secret}".encode()).decode()


def _embedded_env(var_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PROMPTOPS_VAR_DIR": var_dir,
        "PROMPTOPS_PLAIN_STATIC": "1",
    }


def _production_env(var_dir: str, database_url: str, redis_url: str) -> dict:
    import psycopg
    import redis
    from cryptography.fernet import Fernet

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if name in ("promptops", "test_promptops", "postgres", ""):
        raise SystemExit(f"bench_serving drops its database: use one of its own, not {name!r}")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(redis_url).flushdb()
    return _embedded_env(var_dir) | {
        "PROMPTOPS_MODE": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PROMPTOPS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
    }


class Server:
    def __init__(
        self, name: str, argv: list[str], env: dict, port: int, probe: str = "/healthz"
    ) -> None:
        self.name, self.port = name, port
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + probe, timeout=1):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{name} did not start: {shlex.join(argv)}")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def _load(wrk: str, url: str, headers: list[str], seconds: int) -> tuple[float, int]:
    """(requests per second, errors: non-2xx/3xx answers and socket errors)."""
    argv = [wrk, "-t2", f"-c{CLIENTS}", f"-d{seconds}s"]
    for header in headers:
        argv += ["-H", header]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return rate, errors


async def _first_events(url: str, headers: dict, body: dict) -> tuple[list[float], int]:
    """STREAMS concurrent streams: seconds to each one's first SSE event, and failures."""
    import httpx

    limits = httpx.Limits(max_connections=STREAMS)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one() -> float | None:
            started = time.perf_counter()
            first = None
            try:
                async with client.stream("POST", url, headers=headers, json=body) as response:
                    if response.status_code != 200:
                        return None
                    async for line in response.aiter_lines():
                        if first is None and line.startswith("data:"):
                            first = time.perf_counter() - started
            except httpx.HTTPError:
                return None
            return first

        found = await asyncio.gather(*(one() for _ in range(STREAMS)))
    times = [seconds for seconds in found if seconds is not None]
    return times, STREAMS - len(times)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _streaming(gateway_url: str, auth: str, model_url: str) -> list[str]:
    """First-event times of STREAMS concurrent streams, straight from the demo model and through
    the server (a stored prompt on it): p50 and p99, median of the rounds, and what the server
    adds."""
    through = (
        gateway_url + "/v1/chat/completions",
        {"Authorization": f"Basic {auth}"},
        {"model": "prompt", "prompt_id": "support/triage", "prompt_variables": TICKET},
    )
    direct = (
        model_url + "/v1/chat/completions",
        {},
        {"model": "local-demo", "messages": [{"role": "user", "content": TICKET["ticket"]}]},
    )
    sides = {"direct": direct, "through": through}
    asyncio.run(_first_events(through[0], through[1], {**through[2], "stream": True}))  # warm up
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    failed = dict.fromkeys(sides, 0)
    for _ in range(ROUNDS):
        for name, (url, headers, body) in sides.items():
            times, errors = asyncio.run(_first_events(url, headers, {**body, "stream": True}))
            failed[name] += errors
            if times:
                found[name].append((_percentile(times, 0.5), _percentile(times, 0.99)))
    if not all(found.values()):
        return [f"streaming: no stream completed ({failed})"]
    p50 = {name: statistics.median(r[0] for r in rounds) * 1e3 for name, rounds in found.items()}
    p99 = {name: statistics.median(r[1] for r in rounds) * 1e3 for name, rounds in found.items()}
    return [
        f"streaming, {STREAMS} concurrent /v1/chat/completions streams: first event direct p50 "
        f"{p50['direct']:.1f} ms, p99 {p99['direct']:.1f} ms; through make run's server p50 "
        f"{p50['through']:.1f} ms, p99 {p99['through']:.1f} ms (added p50 "
        f"{p50['through'] - p50['direct']:.1f} ms, p99 {p99['through'] - p99['direct']:.1f} ms); "
        f"{failed['through']} failures"
    ]


def _versions() -> str:
    from importlib.metadata import version

    names = ("django", "granian", "gunicorn", "django-ninja")
    python = ".".join(map(str, sys.version_info[:3]))
    return f"Python {python}, " + ", ".join(f"{name} {version(name)}" for name in names)


def run():
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    wrk = _wrk()
    yield _versions() + f"; {os.cpu_count()} cores; wrk -t2 -c{CLIENTS} -d{SECONDS}s"
    load_before = os.getloadavg()[0]
    # Behind the TLS proxy production expects: the proxy says the request came over HTTPS.
    https = "X-Forwarded-Proto: https"
    with tempfile.TemporaryDirectory() as embedded_var, tempfile.TemporaryDirectory() as prod_var:
        embedded = _embedded_env(embedded_var)
        targets: list[tuple[str, str, list[str], Server]] = []
        servers = []
        streaming: list[str] = []
        try:
            port = _free_port()
            demo_model = Server(
                "demo model",
                [sys.executable, "manage.py", "demo_model_server", "--port", str(port)],
                embedded,
                port,
                probe="/health",
            )
            servers.append(demo_model)
            embedded["PROMPTOPS_DEMO_MODEL_URL"] = demo_model.url + "/v1"
            auth = _prepare(embedded)
            port = _free_port()
            gunicorn = shlex.split(CEILING_COMMAND.format(port=port))
            ceiling = Server("gunicorn", [str(BIN / gunicorn[0]), *gunicorn[1:]], embedded, port)
            servers.append(ceiling)
            targets.append(("ceiling: gunicorn /healthz", "/healthz", [], ceiling))
            port = _free_port()
            make_run = Server(
                "make run", production_web_command(port=port, workers=1), embedded, port
            )
            servers.append(make_run)
            prompt_headers = [f"Authorization: Basic {auth}"]
            targets.append(("make run: prompt fetch", PROMPT_PATH, prompt_headers, make_run))
            database_url = os.environ.get("PROMPTOPS_BENCH_DATABASE_URL")
            redis_url = os.environ.get("PROMPTOPS_BENCH_REDIS_URL")
            if database_url and redis_url:
                production = _production_env(prod_var, database_url, redis_url)
                prod_auth = _prepare(production)
                port = _free_port()
                prod = Server(
                    "production", production_web_command(port=port, workers=1), production, port
                )
                servers.append(prod)
                prod_headers = [f"Authorization: Basic {prod_auth}", https]
                name = "production (PostgreSQL, Redis): prompt fetch"
                targets.append((name, PROMPT_PATH, prod_headers, prod))
            else:
                yield (
                    "production on PostgreSQL and Redis skipped: set PROMPTOPS_BENCH_DATABASE_URL "
                    "and PROMPTOPS_BENCH_REDIS_URL"
                )
            for _, path, headers, server in targets:  # warm up: caches filled, code paths hot
                _load(wrk, server.url + path, headers, 2)
            rates: dict[str, list[float]] = {name: [] for name, *_ in targets}
            errors: dict[str, int] = dict.fromkeys(rates, 0)
            for _ in range(ROUNDS):
                for name, path, headers, server in targets:
                    rate, failed = _load(wrk, server.url + path, headers, SECONDS)
                    rates[name].append(rate)
                    errors[name] += failed
            streaming = _streaming(make_run.url, auth, demo_model.url)
        finally:
            for server in servers:
                server.stop()
    # Each round's ratio compares runs seconds apart, so load from elsewhere on the machine
    # touches both sides alike; the median of the rounds is the result.
    ceiling_name = targets[0][0]
    for name, *_ in targets:
        rate = statistics.median(rates[name])
        line = f"{name}: {rate:,.0f} req/s (median of {ROUNDS} rounds), {errors[name]} errors"
        if name != ceiling_name:
            pairs = zip(rates[name], rates[ceiling_name], strict=True)
            ratios = [ours / ceiling for ours, ceiling in pairs]
            ratio = statistics.median(ratios)
            met = "met" if ratio >= GOAL and errors[name] == 0 else "NOT met"
            line += (
                f", {ratio:.2f}x the ceiling (rounds {min(ratios):.2f}-{max(ratios):.2f}; "
                f"goal >= {GOAL}: {met})"
            )
        yield line
    yield from streaming
    # A busy machine starves the single-threaded ceiling first and flatters the ratios.
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    busy = " (busy: the ratios overstate)" if load_before > (os.cpu_count() or 1) else ""
    yield load + busy
    web = production_web_command(port=8000, workers=1)
    yield "web command: " + shlex.join(["granian", *web[1:]])
    yield "ceiling command: " + CEILING_COMMAND.format(port=8000)
