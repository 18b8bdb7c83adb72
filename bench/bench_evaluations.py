"""Evaluations (B5): items per second of a 2,000-item run against the ideal and against promptfoo.

The fake provider (bench/fake_provider.py) answers after 200 ms; the run has concurrency 16, so
the ideal is 16 / 0.2 s = 80 items/s. PromptOps: the demo prompt (support/triage) on a
2,000-item dataset with a `contains` evaluator, started through the run service and worked by
two real Celery worker processes (threads pool, 8 each: 16 slots; `PROMPTOPS_BENCH_EVAL_POOL=
prefork` for the pool of a default `celery worker`) on Redis and PostgreSQL; time from the run's
start to its finish as the run records them. An item's work is mostly waiting (the model, the
database), so threads sharing one process's event loop and provider connections
(gateway/completion/background_loop.py) keep 16 items in flight on 2 cores where 16 prefork
processes spent more CPU on themselves. promptfoo (var/bench/promptfoo, installed
by `make bench` from bench/promptfoo/package-lock.json): the same prompt text, the same 2,000
tickets, the same provider, `-j 16`, a `contains` assertion, no cache, telemetry and update
checks off; its time is the eval's wall time minus that of a one-item eval (node's start-up).

Needs PROMPTOPS_BENCH_DATABASE_URL and PROMPTOPS_BENCH_REDIS_URL (Celery workers share a Redis
broker and see PostgreSQL); without them this benchmark says so and is skipped.
Goal: >= 0.85 x ideal and >= 1.5 x promptfoo.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import harness
from bench.bench_serving import _prepare, _production_env
from bench.harness import ROOT, VAR, Server, free_port, met

ITEMS = int(os.environ.get("PROMPTOPS_BENCH_EVAL_ITEMS", "2000"))
CONCURRENCY = 16
DELAY = 0.2
POOL = os.environ.get("PROMPTOPS_BENCH_EVAL_POOL", "threads")
IDEAL = CONCURRENCY / DELAY
PROMPTFOO = VAR / "promptfoo" / "node_modules" / ".bin" / "promptfoo"

SETUP = """
import json
from workspaces.models import Membership
from workspaces.principal import Principal
from evaluations.services import datasets, evaluators
membership = Membership.objects.filter(workspace__slug="demo", role="owner").first()
principal = Principal.for_membership(membership)
dataset = datasets.dataset_create(principal=principal, name="bench-{items}")
datasets.dataset_items_add(principal=principal, dataset=dataset, items=(
    {{"inputs": {{"company": "Acme", "ticket": f"Ticket {{i}}: my invoice is wrong"}},
      "expected_output": "answer"}}
    for i in range({items})))
evaluator = evaluators.evaluator_create(principal=principal, name="bench-contains",
    kind="contains", config={{"value": "answer"}})
print(json.dumps({{"dataset": dataset.pk, "evaluator": evaluator.pk, "owner": membership.pk}}))
"""

START = """
import json
from workspaces.models import Membership
from workspaces.principal import Principal
from evaluations.models import Dataset, Evaluator
from evaluations.services import runs
ids = json.loads({ids!r})
principal = Principal.for_membership(Membership.objects.get(pk=ids["owner"]))
run = runs.evaluation_run_start(principal=principal, prompt_name="support/triage",
    label="production", dataset=Dataset.objects.get(pk=ids["dataset"]),
    evaluators=[Evaluator.objects.get(pk=ids["evaluator"])], concurrency={concurrency})
print(run.pk)
"""

STATUS = """
from evaluations.models import EvaluationRun
run = EvaluationRun.objects.get(pk={run})
seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
print(run.status, run.done_count, run.failed_count, seconds)
"""


def _shell(env: dict, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return done.stdout.strip().splitlines()[-1]


def prompt_messages(env: dict) -> list[dict]:
    """support/triage's production messages, its snippets expanded, {{variables}} left in."""
    found = _shell(
        env,
        # The production text with its snippets ({{> shared/tone}}) expanded: promptfoo
        # gets the same words PromptOps sends, with only the variables left to fill.
        "import json, re; from promptregistry.models import PromptVersion as V\n"
        "def text(name): return V.objects.filter(prompt__name=name)"
        ".order_by('-number').first().content\n"
        "c = text('support/triage')\n"
        "for m in c['messages']:\n"
        "    if 'content' in m: m['content'] = re.sub(r'\\{\\{>\\s*([\\w/-]+)\\s*\\}\\}',"
        " lambda g: text(g.group(1))['text'], m['content'])\n"
        "print(json.dumps(c))",
    )
    return [
        {"role": m["role"], "content": m["content"]}
        for m in json.loads(found)["messages"]
        if "role" in m
    ]


def _worker(env: dict, name: str) -> subprocess.Popen:
    argv = [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "-Q"]
    argv += ["celery", "-n", f"{name}@%h", f"--pool={POOL}", f"--concurrency={CONCURRENCY // 2}"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=warning"]
    log = open(VAR / f"{name}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)


def _promptops(env: dict) -> tuple[list[str], float | None]:
    ids = _shell(env, SETUP.format(items=ITEMS))
    workers = [_worker(env, f"bench-eval-{n}") for n in (1, 2)]
    try:
        time.sleep(8)  # both workers up and listening (prefork children forked)
        run = _shell(env, START.format(ids=ids, concurrency=CONCURRENCY))
        deadline = time.monotonic() + max(600, ITEMS)
        while time.monotonic() < deadline:
            status, done, failed, seconds = _shell(env, STATUS.format(run=run)).split()
            if status == "completed":
                break
            time.sleep(2)
        else:
            return [f"B5 PromptOps: the run did not finish ({done} done, {failed} failed)"], None
    finally:
        for worker in workers:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=30)
    rate = int(done) / float(seconds)
    return [
        f"B5 PromptOps ({POOL} pool): {ITEMS:,} items ({done} done, {failed} failed) in "
        f"{float(seconds):.1f} s: "
        f"{rate:.1f} items/s = {rate / IDEAL:.2f} x ideal ({IDEAL:.0f} items/s; goal >= 0.85: "
        f"{met(rate / IDEAL >= 0.85 and int(failed) == 0)})"
    ], rate


def _promptfoo(
    fake_url: str, workdir: Path, messages: list[dict]
) -> tuple[list[str], float | None]:
    if not PROMPTFOO.exists():
        return [f"B5 promptfoo: not installed at {PROMPTFOO} (make bench installs it)"], None
    (workdir / "prompt.json").write_text(json.dumps(messages))

    def config(count: int) -> Path:
        tests = [
            {"vars": {"company": "Acme", "ticket": f"Ticket {i}: my invoice is wrong"}}
            for i in range(count)
        ]
        body = {
            "prompts": ["file://prompt.json"],
            "providers": [
                {
                    "id": "openai:chat:local-demo",
                    "config": {"apiBaseUrl": fake_url + "/v1", "apiKey": "bench"},
                }
            ],
            "defaultTest": {"assert": [{"type": "contains", "value": "answer"}]},
            "tests": tests,
        }
        path = workdir / f"promptfooconfig-{count}.json"
        path.write_text(json.dumps(body))
        return path

    env = {
        **os.environ,
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_DISABLE_SHARING": "1",
        "PROMPTFOO_CONFIG_DIR": str(workdir / "home"),
        "OPENAI_API_KEY": "bench",
    }

    def timed(count: int) -> tuple[float, str]:
        argv = [str(PROMPTFOO), "eval", "-c", str(config(count)), "-j", str(CONCURRENCY)]
        argv += ["--no-cache", "--no-write", "--no-progress-bar", "--no-table"]
        argv += ["-o", str(workdir / f"out-{count}.json")]
        started = time.monotonic()
        done = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True)
        return time.monotonic() - started, (done.stdout + done.stderr)[-600:]

    startup, _ = timed(1)
    seconds, tail = timed(ITEMS)
    out = workdir / f"out-{ITEMS}.json"
    if not out.exists():
        return [f"B5 promptfoo: the eval failed: {tail}"], None
    stats = json.loads(out.read_text()).get("results", {}).get("stats", {})
    passed, failed, errors = (stats.get(k, 0) for k in ("successes", "failures", "errors"))
    rate = ITEMS / max(seconds - startup, 0.001)
    return [
        f"B5 promptfoo: {ITEMS:,} items ({passed} passed, {failed} failed, {errors} errors) in "
        f"{seconds:.1f} s, {startup:.1f} s of it start-up: {rate:.1f} items/s = "
        f"{rate / IDEAL:.2f} x ideal"
    ], rate


def run():
    database_url = os.environ.get("PROMPTOPS_BENCH_DATABASE_URL")
    redis_url = os.environ.get("PROMPTOPS_BENCH_REDIS_URL")
    yield f"{os.cpu_count()} cores; load average {harness.load_average()}"
    if not (database_url and redis_url):
        yield (
            "B5 skipped: set PROMPTOPS_BENCH_DATABASE_URL and PROMPTOPS_BENCH_REDIS_URL "
            "(Celery workers need PostgreSQL and a Redis broker)"
        )
        return
    VAR.mkdir(parents=True, exist_ok=True)
    results: dict = {"ideal": IDEAL}
    with tempfile.TemporaryDirectory() as var_dir, tempfile.TemporaryDirectory() as pf_dir:
        port = free_port()
        argv = [sys.executable, "-m", "bench.fake_provider", "--port", str(port)]
        fake = Server("fake", argv + ["--delay", str(DELAY)], dict(os.environ), port, "/health")
        try:
            env = _production_env(var_dir, database_url, redis_url) | {
                "PROMPTOPS_DEMO_MODEL_URL": fake.url + "/v1",
                "PROMPTOPS_ALLOW_PRIVATE_PROVIDERS": "1",
            }
            _prepare(env)
            lines, ours = _promptops(env)
            yield from lines
            yield f"load average {harness.load_average()}"
            messages = prompt_messages(env)
            lines, peer = _promptfoo(fake.url, Path(pf_dir), messages)
            yield from lines
        finally:
            fake.stop()
    results |= {"pool": POOL, "promptops_items_s": ours, "promptfoo_items_s": peer}
    if ours:
        results["x_ideal"] = ours / IDEAL
    if ours and peer:
        ratio = ours / peer
        results["x_promptfoo"] = ratio
        yield f"B5 ratio: PromptOps = {ratio:.2f} x promptfoo (goal >= 1.5: {met(ratio >= 1.5)})"
    harness.record("evaluations", results)
    yield f"load average at the end {harness.load_average()}"
