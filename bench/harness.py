"""What the gateway benchmarks share: servers in their own process groups, the load generator
(aiohttp, open loop at a fixed rate, or N concurrent streams), percentiles, the machine's state
and the results file.

The load generator is the project's own small asyncio client rather than wrk so that it can keep
a fixed request rate (open loop: a request starts on schedule whether or not earlier ones have
answered, so a slow server shows as latency instead of a lower rate) and read streams event by
event.
"""

import asyncio
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VAR = ROOT / "var" / "bench"
RESULTS = Path(__file__).resolve().parent / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


class Server:
    """A server process in its own process group, up once `probe` answers."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict,
        port: int,
        probe: str = "/healthz",
        timeout: float = 90,
        log: Path | None = None,
    ) -> None:
        self.name, self.port, self.argv = name, port, argv
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + probe, timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"{name} did not start: {shlex.join(argv)}" + (f" (see {log})" if log else "")
        )

    def rss_kib(self) -> int:
        """Resident memory of the process group's largest process (granian's worker)."""
        found = subprocess.run(
            ["ps", "-o", "rss=", "-g", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        return max(int(n) for n in found) if found else 0

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Target:
    """One side of a comparison: where to POST and what."""

    name: str
    url: str
    headers: dict
    body: dict


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)  # seconds, successful calls only
    errors: int = 0
    sent: int = 0
    seconds: float = 0.0

    def pct(self, share: float) -> float:
        return percentile(self.latencies, share) if self.latencies else float("inf")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def _timed_post(session, url: str, body: bytes, headers: dict, sample: "Sample") -> None:
    """One request: its latency into the sample when it answers 200, else an error."""
    import aiohttp

    started = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            if response.status != 200:
                sample.errors += 1
                return
    except (TimeoutError, aiohttp.ClientError, OSError):
        sample.errors += 1
        return
    sample.latencies.append(time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def median(values) -> float:
    return statistics.median(list(values))


async def _open_loop(target: Target, rate: float, seconds: float, timeout: float) -> Sample:
    import aiohttp

    sample = Sample()
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    body = json.dumps(target.body).encode()
    headers = {"Content-Type": "application/json", **target.headers}
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:

        async def one() -> None:
            await _timed_post(session, target.url, body, headers, sample)

        tasks = []
        interval = 1.0 / rate
        begin = time.perf_counter()
        n = 0
        while (now := time.perf_counter()) - begin < seconds:
            due = begin + n * interval
            if due > now:
                await asyncio.sleep(due - now)
            tasks.append(asyncio.create_task(one()))
            n += 1
        await asyncio.gather(*tasks)
        sample.sent = n
        sample.seconds = time.perf_counter() - begin
    return sample


def open_loop(target: Target, rate: float, seconds: float, timeout: float = 10) -> Sample:
    """Requests started at `rate` per second for `seconds` (open loop); latencies of each."""
    return asyncio.run(_open_loop(target, rate, seconds, timeout))


@dataclass
class Streams:
    first: list[float] = field(default_factory=list)  # seconds to the first content event
    worst_gap: list[float] = field(default_factory=list)  # each stream's longest pause
    # (first content event, last byte) of each stream, seconds from the start of the run
    spans: list[tuple[float, float]] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0  # from the first request to the last stream's end
    cpu_seconds: float = 0.0  # the load generator's own CPU time (this process)

    @property
    def most_open(self) -> int:
        """The most streams that were delivering at the same moment (between their first
        content event and their last byte)."""
        edges = sorted([(a, 1) for a, _ in self.spans] + [(b, -1) for _, b in self.spans])
        most = now = 0
        for _, step in edges:
            now += step
            most = max(most, now)
        return most


async def _streams(
    target: Target, count: int, timeout: float, ramp: float, max_tokens: int | None
) -> Streams:
    import aiohttp

    found = Streams()
    connector = aiohttp.TCPConnector(limit=0)
    extra = {"max_tokens": max_tokens} if max_tokens else {}
    body = json.dumps({**target.body, **extra, "stream": True}).encode()
    headers = {"Content-Type": "application/json", **target.headers}
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:
        begin = time.perf_counter()

        async def one(delay: float) -> None:
            if delay:
                await asyncio.sleep(delay)
            started = time.perf_counter()
            first = last = None
            gap = 0.0
            tail = b""
            try:
                async with session.post(target.url, data=body, headers=headers) as response:
                    if response.status != 200:
                        found.errors += 1
                        return
                    # Whatever arrives in one read counts as one arrival: cheaper than splitting
                    # lines, and a stall is a time with no bytes at all.
                    async for data in response.content.iter_any():
                        now = time.perf_counter()
                        if first is None:
                            if b'"content"' not in data:
                                continue
                            first = now - started
                        else:
                            gap = max(gap, now - last)
                        last = now
                        tail = data[-16:]
            except (TimeoutError, aiohttp.ClientError, OSError):
                found.errors += 1
                return
            if first is None or not tail.endswith(b"data: [DONE]\n\n"):
                found.errors += 1
                return
            found.first.append(first)
            found.worst_gap.append(gap)
            found.spans.append((started + first - begin, last - begin))

        cpu = time.process_time()
        step = ramp / count if count else 0.0
        await asyncio.gather(*(one(i * step) for i in range(count)))
        found.cpu_seconds = time.process_time() - cpu
        found.seconds = time.perf_counter() - begin
    return found


def streams(
    target: Target,
    count: int,
    timeout: float = 60,
    *,
    ramp: float = 0.0,
    max_tokens: int | None = None,
) -> Streams:
    """`count` concurrent streams, started at once or evenly over `ramp` seconds, each asking
    for `max_tokens` (the fake provider streams that many chunks): first-event times, longest
    pauses and when each stream was delivering."""
    return asyncio.run(_streams(target, count, timeout, ramp, max_tokens))


def process_group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of a process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt
        # cmajflt utime stime
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def record(name: str, results: dict) -> None:
    """Merge one benchmark's results into bench/results/latest.json."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "latest.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = results | {
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "load_average": load_average(),
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


async def _closed_loop(target: Target, total: int, in_flight: int, timeout: float) -> Sample:
    import aiohttp

    sample = Sample()
    body = json.dumps(target.body).encode()
    headers = {"Content-Type": "application/json", **target.headers}
    left = total
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=timeout)
    ) as session:

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await _timed_post(session, target.url, body, headers, sample)

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        sample.sent = total
        sample.seconds = time.perf_counter() - begin
    return sample


def closed_loop(target: Target, total: int, in_flight: int, timeout: float = 30) -> Sample:
    """`total` requests, `in_flight` at a time, as fast as the server answers."""
    return asyncio.run(_closed_loop(target, total, in_flight, timeout))


def ensure_database(url: str) -> None:
    """Create the scratch PostgreSQL database of `url` if it doesn't exist yet (the benchmarks
    that fill one run first on a clean machine)."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_child(module: str, database_url: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m <module> --child` on the scratch database (created if missing), without
    Redis: the benchmarks that fill a database and time Django code in a process of its own,
    so the scratch database never meets the configured one."""
    ensure_database(database_url)
    child_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    child_env |= {"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(  # noqa: S603 - our own module, same interpreter
        [sys.executable, "-m", module, "--child"],
        cwd=ROOT,
        env=child_env | env,
        capture_output=True,
        text=True,
        check=False,
    )
