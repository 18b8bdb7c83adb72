"""Gateway (B1-B3, B6, B7): PromptOps' /v1/chat/completions against LiteLLM's proxy, side by side.

One run starts: the benchmarks' fake provider (bench/fake_provider.py: aiohttp, 20 ms per answer,
streams of 10 chunks 100 ms apart unless max_tokens asks for more), PromptOps on the README's
production web command with one worker (a stored prompt, `prompt_id` + variables, the demo model
pointed at the fake), the same
application with completion logging off (B6 only), and LiteLLM's proxy (var/bench/litellm-venv,
installed by `make bench` from bench/requirements-litellm.txt) with one worker, no database,
offline, on the same fake with the prompt's rendered text. Every round runs direct (the fake
itself), PromptOps and LiteLLM back to back, after a warm-up; figures are medians of rounds and
"added" is through-the-gateway minus direct at the same percentile in the same round.

- B1: added p50/p99 at 50 req/s, not streamed. Goal: PromptOps' added p99 <= 0.25 x LiteLLM's.
- B2: the highest rate of a ladder each side holds with added p99 <= 50 ms and no errors.
  Goal: PromptOps >= 3 x LiteLLM.
- B3: added time to first token p99 at 50 concurrent streams opened at once, 10 chunks each
  (goal <= 0.5 x LiteLLM's), and the most concurrent streams one process holds with none
  stalling (goal >= 1,000). Holding streams is a steady state, so each rung of that ladder (250,
  500, 1,000, 1,500) opens its N streams as clients arrive, B3_ARRIVALS (100) a second, and
  makes each one long enough (max_tokens, which the fake turns into that many chunks at the
  100 ms pace) that all N are open together for B3_TOGETHER (10) seconds once the last has
  started: 1,000 streams come over 10 s and last 20 s. A rung is held when no stream fails, none
  pauses longer than STALL (500 ms) between two arrivals of bytes once its first text came, and
  all N were delivering at the same moment (counted from each stream's first text to its last
  byte). The first-token times of a rung are printed, not judged: they include the queue of
  arrivals. Each rung also prints the CPU used by the load generator (this process), the fake
  provider and PromptOps (its process group: granian's main process and worker), as % of one
  core over the rung, and the load average: the three share the machine's two cores.
  (Until 2026-12-01 the ladder opened all N streams of 10 chunks at the same instant, so it
  measured a burst of N simultaneous starts -- plan, provider call, first row -- rather than
  how many streams a process keeps at pace.)
- B6: B2's ladder with logging off; goal: on >= 0.9 x off.
- B7: RSS of the web process after a warm-up and after PROMPTOPS_BENCH_B7_REQUESTS (100,000)
  more requests; goal: growth <= 10%.

PromptOps runs on PostgreSQL and Redis when PROMPTOPS_BENCH_DATABASE_URL and
PROMPTOPS_BENCH_REDIS_URL are set (a database it may drop, a Redis db it may flush), else on the
embedded default (SQLite). PROMPTOPS_BENCH_ONLY=B1,B3 runs a subset.
"""

import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version

from bench import harness
from bench.bench_serving import _embedded_env, _prepare, _production_env, production_web_command
from bench.harness import ROOT, VAR, Server, Target, free_port, median, met

ROUNDS = int(os.environ.get("PROMPTOPS_BENCH_ROUNDS", "5"))
SECONDS = float(os.environ.get("PROMPTOPS_BENCH_SECONDS", "5"))
B1_RATE = 50
B2_LADDER = [10, 25, 50, 100, 150, 200, 300, 400, 500, 650, 800, 1000, 1300]
B2_SECONDS = float(os.environ.get("PROMPTOPS_BENCH_B2_SECONDS", "4"))
OBJECTIVE_MS = 50
B3_STREAMS = 50
B3_LADDER = [250, 500, 1000, 1500]
B3_ARRIVALS = 100  # streams opened a second while a rung ramps up (1,000 take 10 s)
B3_TOGETHER = 10.0  # seconds all of a rung's streams are open together once the last has come
PACE = 0.1  # seconds between the fake provider's chunks
STALL = 5 * PACE  # a pause longer than this in any stream is a stall
B7_REQUESTS = int(os.environ.get("PROMPTOPS_BENCH_B7_REQUESTS", "100000"))
LITELLM = VAR / "litellm-venv" / "bin" / "litellm"
LITELLM_KEY = "sk-bench-0123456789abcdef0123456789abcdef"
PROMPT = "support/triage"
TICKET = {"company": "Acme", "ticket": "My invoice is wrong"}
ONLY = {b.strip() for b in os.environ.get("PROMPTOPS_BENCH_ONLY", "").split(",") if b.strip()}


def _wanted(name: str) -> bool:
    return not ONLY or name in ONLY


def _rendered_messages(env: dict) -> list[dict]:
    """The stored prompt's production text, snippets expanded and variables filled in: what
    LiteLLM and the direct calls send, so every side asks the provider the same thing."""
    from bench.bench_evaluations import prompt_messages

    def fill(text: str) -> str:
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: TICKET.get(m.group(1), ""), text)

    return [{"role": m["role"], "content": fill(m["content"])} for m in prompt_messages(env)]


def _litellm(fake: str, port: int) -> Server:
    config = VAR / "litellm-config.yaml"
    config.write_text(
        "model_list:\n"
        "  - model_name: local-demo\n"
        "    litellm_params:\n"
        "      model: openai/local-demo\n"
        f"      api_base: {fake}/v1\n"
        "      api_key: bench\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
        "  drop_params: true\n"
        "general_settings:\n"
        "  disable_spend_logs: true\n"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PYTHONPATH")
    } | {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        # A master key, as in any real deployment (it refuses to start without one); with no
        # database, checking it is a string comparison, as PromptOps checks its key.
        "LITELLM_MASTER_KEY": LITELLM_KEY,
        "LITELLM_LOG": "ERROR",
        "NO_DOCS": "True",
        "DISABLE_ADMIN_UI": "True",
    }
    argv = [str(LITELLM), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--num_workers", "1"]
    return Server("litellm", argv, env, port, probe="/health/liveliness", log=VAR / "litellm.log")


def _versions() -> str:
    python = ".".join(map(str, sys.version_info[:3]))
    ours = ", ".join(f"{n} {version(n)}" for n in ("django", "granian", "aiohttp", "openai"))
    litellm = "not installed"
    if LITELLM.exists():
        litellm = subprocess.run(
            [
                str(LITELLM.parent / "python"),
                "-c",
                "import importlib.metadata as m;print(m.version('litellm'))",
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
    return f"Python {python}, {ours}; LiteLLM {litellm}"


def _added(side: list[harness.Sample], direct: list[harness.Sample], share: float) -> float:
    """Median over rounds of (side - direct) at this percentile, in ms."""
    return median((s.pct(share) - d.pct(share)) * 1e3 for s, d in zip(side, direct, strict=True))


def _b1(sides: dict[str, Target]) -> tuple[list[str], dict]:
    for target in sides.values():  # warm-up
        harness.open_loop(target, B1_RATE, 2)
    samples: dict[str, list[harness.Sample]] = {name: [] for name in sides}
    for _ in range(ROUNDS):
        for name, target in sides.items():
            samples[name].append(harness.open_loop(target, B1_RATE, SECONDS))
    direct = samples["direct"]
    lines, out = [], {}
    for name in sides:
        errors = sum(s.errors for s in samples[name])
        p50 = median(s.pct(0.5) for s in samples[name]) * 1e3
        p99 = median(s.pct(0.99) for s in samples[name]) * 1e3
        line = f"B1 {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, {errors} errors"
        if name != "direct":
            a50, a99 = _added(samples[name], direct, 0.5), _added(samples[name], direct, 0.99)
            out[name] = {"added_p50_ms": a50, "added_p99_ms": a99, "errors": errors}
            line += f"; added p50 {a50:.1f} ms, p99 {a99:.1f} ms"
        lines.append(line)
    if "litellm" in out:
        ratio = out["promptops"]["added_p99_ms"] / max(out["litellm"]["added_p99_ms"], 0.1)
        out["ratio"] = ratio
        lines.append(
            f"B1 ratio: PromptOps added p99 = {ratio:.2f} x LiteLLM's (goal <= 0.25: "
            f"{met(ratio <= 0.25 and out['promptops']['errors'] == 0)})"
        )
    return lines, out


def _ladder(sides: dict[str, Target]) -> tuple[list[str], dict[str, float]]:
    """Each side's highest ladder rate with added p99 <= OBJECTIVE_MS and no errors; the sides
    and the direct calls interleaved at every rate."""
    held = dict.fromkeys(sides, 0.0)
    held.pop("direct")
    alive = set(held)
    lines = []
    for rate in B2_LADDER:
        if not alive:
            break
        direct = harness.open_loop(sides["direct"], rate, B2_SECONDS)
        parts = [f"direct p99 {direct.pct(0.99) * 1e3:.0f} ms"]
        for name in sorted(alive):
            sample = harness.open_loop(sides[name], rate, B2_SECONDS)
            added = (sample.pct(0.99) - direct.pct(0.99)) * 1e3
            ok = sample.errors == 0 and added <= OBJECTIVE_MS and sample.rate >= 0.9 * rate
            parts.append(
                f"{name} added p99 {added:.0f} ms, {sample.rate:.0f} req/s done, "
                f"{sample.errors} errors{'' if ok else ' (over)'}"
            )
            if ok:
                held[name] = rate
            else:
                alive.discard(name)
        lines.append(f"  {rate} req/s: " + "; ".join(parts))
    return lines, held


def _b3(sides: dict[str, Target], promptops: Server, fake: Server) -> tuple[list[str], dict]:
    for target in sides.values():
        harness.streams(target, B3_STREAMS)
    firsts: dict[str, list[float]] = {name: [] for name in sides}
    errors = dict.fromkeys(sides, 0)
    for _ in range(ROUNDS):
        for name, target in sides.items():
            found = harness.streams(target, B3_STREAMS)
            errors[name] += found.errors
            if found.first:
                firsts[name].append(harness.percentile(found.first, 0.99) * 1e3)
    lines, out = [], {}
    direct = firsts["direct"]
    for name in sides:
        p99 = median(firsts[name]) if firsts[name] else float("inf")
        line = f"B3 {name}: first token p99 {p99:.1f} ms at {B3_STREAMS} streams"
        line += f", {errors[name]} errors"
        if name != "direct" and firsts[name]:
            added = median(s - d for s, d in zip(firsts[name], direct, strict=False))
            out[name] = {"added_ttft_p99_ms": added, "errors": errors[name]}
            line += f"; added {added:.1f} ms"
        lines.append(line)
    if "litellm" in out and "promptops" in out:
        ratio = out["promptops"]["added_ttft_p99_ms"] / max(
            out["litellm"]["added_ttft_p99_ms"], 0.1
        )
        out["ratio"] = ratio
        lines.append(
            f"B3 ratio: PromptOps added TTFT p99 = {ratio:.2f} x LiteLLM's (goal <= 0.5: "
            f"{met(ratio <= 0.5)})"
        )
    held, out["rungs"] = 0, []
    for count in B3_LADDER:
        ramp = count / B3_ARRIVALS
        chunks = round((ramp + B3_TOGETHER) / PACE)  # max_tokens: the fake's chunks a stream
        fake_cpu = harness.process_group_cpu(fake.process.pid)
        ours_cpu = harness.process_group_cpu(promptops.process.pid)
        found = harness.streams(
            sides["promptops"],
            count,
            timeout=ramp + 3 * chunks * PACE,
            ramp=ramp,
            max_tokens=chunks,
        )
        fake_cpu = harness.process_group_cpu(fake.process.pid) - fake_cpu
        ours_cpu = harness.process_group_cpu(promptops.process.pid) - ours_cpu
        worst = max(found.worst_gap, default=float("inf"))
        first = sorted(found.first) or [0.0]
        first_p50 = harness.percentile(first, 0.5) * 1e3
        first_p99 = harness.percentile(first, 0.99) * 1e3
        together = found.most_open
        ok = found.errors == 0 and worst <= STALL and together >= count
        share = {  # % of one core over the rung
            "load generator": 100 * found.cpu_seconds / found.seconds,
            "fake provider": 100 * fake_cpu / found.seconds,
            "PromptOps": 100 * ours_cpu / found.seconds,
        }
        lines.append(
            f"  {count} streams through one PromptOps process, opened over {ramp:.1f} s, "
            f"{chunks} chunks each: {found.errors} errors, {together} open at once, "
            f"longest pause {worst * 1e3:.0f} ms (pace {PACE * 1e3:.0f} ms; stall > "
            f"{STALL * 1e3:.0f} ms), first token p50 {first_p50:.0f} / p99 {first_p99:.0f} ms"
            f"{'' if ok else ' (not held)'}; CPU over {found.seconds:.0f} s (% of one core): "
            + ", ".join(f"{name} {value:.0f}%" for name, value in share.items())
            + f"; load average {harness.load_average()}"
        )
        out["rungs"].append(
            {
                "streams": count,
                "errors": found.errors,
                "open_at_once": together,
                "longest_pause_ms": worst * 1e3,
                "first_token_p50_ms": first_p50,
                "first_token_p99_ms": first_p99,
                "cpu_percent_of_one_core": share,
                "seconds": found.seconds,
            }
        )
        if not ok:
            break
        held = count
    out["concurrent_streams"] = held
    lines.append(f"B3 concurrent streams per process: {held} (goal >= 1,000: {met(held >= 1000)})")
    return lines, out


def _b7(target: Target, server: Server) -> tuple[list[str], dict]:
    harness.closed_loop(target, 2000, 32)  # warm-up: caches, pools, code paths
    before = server.rss_kib()
    started = time.monotonic()
    sample = harness.closed_loop(target, B7_REQUESTS, 32)
    after = server.rss_kib()
    growth = (after - before) / before
    return [
        f"B7 RSS of the web process: {before / 1024:.1f} MiB after a 2,000-request warm-up, "
        f"{after / 1024:.1f} MiB after {B7_REQUESTS:,} more ({sample.errors} errors, "
        f"{time.monotonic() - started:.0f} s): growth {growth:+.1%} (goal <= 10%: "
        f"{met(growth <= 0.10)})"
    ], {"rss_before_kib": before, "rss_after_kib": after, "growth": growth, "requests": B7_REQUESTS}


def run():
    import logging

    logging.getLogger("aiohttp").setLevel(logging.WARNING)
    VAR.mkdir(parents=True, exist_ok=True)
    yield _versions() + f"; {os.cpu_count()} cores; load average {harness.load_average()}"
    results: dict = {}
    servers: list[Server] = []
    with tempfile.TemporaryDirectory() as var_dir:
        try:
            port = free_port()
            argv = [
                sys.executable,
                "-m",
                "bench.fake_provider",
                "--port",
                str(port),
                "--delay",
                "0.02",
                "--chunks",
                "10",
                "--pace",
                str(PACE),
            ]
            fake = Server("fake provider", argv, dict(os.environ), port, probe="/health")
            servers.append(fake)
            database_url = os.environ.get("PROMPTOPS_BENCH_DATABASE_URL")
            redis_url = os.environ.get("PROMPTOPS_BENCH_REDIS_URL")
            if database_url and redis_url:
                env = _production_env(var_dir, database_url, redis_url)
                stack = "production stack (PostgreSQL, Redis)"
            else:
                env = _embedded_env(var_dir)
                stack = "embedded stack (SQLite)"
            env["PROMPTOPS_DEMO_MODEL_URL"] = fake.url + "/v1"
            env["PROMPTOPS_ALLOW_PRIVATE_PROVIDERS"] = "1"
            if os.environ.get("DATABASE_POOL"):  # an experiment: the pool setting passed on
                env["DATABASE_POOL"] = os.environ["DATABASE_POOL"]
            auth = _prepare(env)
            port = free_port()
            web = production_web_command(port=port, workers=1)
            promptops = Server("promptops", web, env, port, log=VAR / "promptops.log")
            servers.append(promptops)
            yield f"PromptOps on the {stack}: " + shlex.join(["granian", *web[1:]])
            messages = _rendered_messages(env)
            headers = {"Authorization": f"Basic {auth}", "X-Forwarded-Proto": "https"}
            sides = {
                "direct": Target(
                    "direct",
                    fake.url + "/v1/chat/completions",
                    {},
                    {"model": "local-demo", "messages": messages},
                ),
                "promptops": Target(
                    "promptops",
                    promptops.url + "/v1/chat/completions",
                    headers,
                    {"model": "prompt", "prompt_id": PROMPT, "prompt_variables": TICKET},
                ),
            }
            if LITELLM.exists():
                port = free_port()
                litellm = _litellm(fake.url, port)
                servers.append(litellm)
                yield (
                    "LiteLLM: "
                    + shlex.join(["litellm", *litellm.argv[1:]])
                    + " (LITELLM_LOCAL_MODEL_COST_MAP=True, no database, no callbacks)"
                )
                sides["litellm"] = Target(
                    "litellm",
                    litellm.url + "/v1/chat/completions",
                    {"Authorization": f"Bearer {LITELLM_KEY}"},
                    {"model": "local-demo", "messages": messages},
                )
            else:
                yield f"LiteLLM not installed at {LITELLM}: its half is skipped (make bench does)"
            if _wanted("B1"):
                lines, results["B1"] = _b1(sides)
                yield from lines
                yield f"load average {harness.load_average()}"
            if _wanted("B2") or _wanted("B6"):
                ladder = dict(sides)
                if _wanted("B6"):
                    port = free_port()
                    nolog_argv = [
                        a if a != "config.asgi:application" else "bench.asgi_nolog:application"
                        for a in production_web_command(port=port, workers=1)
                    ]
                    nolog = Server("promptops without logging", nolog_argv, env, port)
                    servers.append(nolog)
                    ladder["promptops-nolog"] = Target(
                        "promptops-nolog",
                        nolog.url + "/v1/chat/completions",
                        headers,
                        sides["promptops"].body,
                    )
                for target in ladder.values():
                    harness.open_loop(target, 50, 2)
                lines, held = _ladder(ladder)
                objective = f"added p99 <= {OBJECTIVE_MS} ms"
                yield f"B2 ladder ({B2_SECONDS:.0f} s a step; objective: {objective})"
                yield from lines
                results["B2"] = {"held_req_s": held}
                for name, rate in held.items():
                    yield f"B2 {name}: {rate:.0f} req/s within the objective"
                if "litellm" in held:
                    ratio = held["promptops"] / max(held["litellm"], 1)
                    results["B2"]["ratio"] = ratio
                    goal = met(ratio >= 3)
                    yield f"B2 ratio: PromptOps = {ratio:.1f} x LiteLLM (goal >= 3: {goal})"
                if "promptops-nolog" in held:
                    ratio = held["promptops"] / max(held["promptops-nolog"], 1)
                    results["B6"] = {
                        "ratio": ratio,
                        "on": held["promptops"],
                        "off": held["promptops-nolog"],
                    }
                    yield (
                        f"B6 logging on {held['promptops']:.0f} req/s vs off "
                        f"{held['promptops-nolog']:.0f} req/s: {ratio:.2f} (goal >= 0.9: "
                        f"{met(ratio >= 0.9)})"
                    )
                yield f"load average {harness.load_average()}"
            if _wanted("B3"):
                lines, results["B3"] = _b3(sides, promptops, fake)
                yield from lines
                yield f"load average {harness.load_average()}"
            if _wanted("B7"):
                lines, results["B7"] = _b7(sides["promptops"], promptops)
                yield from lines
        finally:
            for server in servers:
                server.stop()
    harness.record("gateway", results)
    yield f"load average at the end {harness.load_average()}"
    _ = ROOT
