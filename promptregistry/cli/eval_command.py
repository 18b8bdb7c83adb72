"""`promptops eval PROMPT@LABEL_OR_VERSION --dataset NAME`: the CI gate.

Starts an evaluation run through the API (POST /api/v1/evaluations/runs), waits for it, prints a
summary table and exits 0 when the run passes, 1 when it misses `--min-score` or regresses more
than `--max-regression` against `--baseline` (a label or version of the same prompt, run on the
same dataset now, or `run:ID`, an earlier run), or when it can't finish. A client of the HTTP
API only: nothing here imports the evaluations app.
"""

import argparse
import time
from typing import TextIO

from .client import Api
from .errors import EXIT_FAILED, EXIT_OK, CliError, UsageError

FINAL = {"completed", "cancelled"}


def add_parser(commands, parents: list) -> None:
    parser = commands.add_parser(
        "eval",
        parents=parents,
        help="run an evaluation and fail when it misses a threshold (the CI gate)",
        description="Run PROMPT at a label or version (PROMPT@production, PROMPT@7; default "
        "production) on a dataset, wait, print a summary and exit 1 when a threshold is missed.",
    )
    parser.add_argument("target", metavar="PROMPT@LABEL_OR_VERSION")
    parser.add_argument("--dataset", required=True, help="the dataset's name")
    parser.add_argument(
        "--evaluator",
        action="append",
        default=[],
        dest="evaluators",
        help="an evaluator's name (repeat; default: all the workspace's evaluators)",
    )
    parser.add_argument("--model", default="", help="model or alias (default: the prompt's)")
    parser.add_argument("--min-score", type=float, help="fail below this mean score (0..1)")
    parser.add_argument(
        "--max-regression",
        type=float,
        help="fail when the mean score is this much below the baseline's (needs --baseline)",
    )
    parser.add_argument(
        "--baseline", help="a label or version of the same prompt (run now), or run:ID"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait (1800)")
    parser.add_argument("--poll", type=float, default=2.0, help=argparse.SUPPRESS)
    parser.set_defaults(handler=evaluate)


def parse_target(target: str) -> tuple[str, str | None, int | None]:
    name, at, which = target.rpartition("@")
    if not at:
        name, which = target, "production"
    if not name or not which:
        raise UsageError(f"expected PROMPT@LABEL or PROMPT@VERSION, not “{target}”")
    if which.lstrip("v").isdigit():
        return name, None, int(which.lstrip("v"))
    return name, which, None


def _start(api: Api, args, name: str, label: str | None, version: int | None) -> dict:
    body = {
        "prompt": name,
        "dataset": args.dataset,
        "evaluators": args.evaluators,
        "model": args.model,
        "concurrency": args.concurrency,
    }
    if version is not None:
        body["version"] = version
    else:
        body["label"] = label
    if args.min_score is not None:
        body["min_score"] = args.min_score
    return api.request("POST", "/evaluations/runs", json=body).json()


def _wait(api: Api, run_ids: list[int], timeout: float, poll: float, out: TextIO) -> list[dict]:
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        runs = [api.request("GET", f"/evaluations/runs/{i}").json() for i in run_ids]
        line = " · ".join(
            f"run {r['id']}: {r['done'] + r['failed']}/{r['total']} {r['status']}" for r in runs
        )
        if line != last:
            print(line, file=out, flush=True)
            last = line
        if all(r["status"] in FINAL for r in runs):
            return runs
        if time.monotonic() > deadline:
            raise CliError(f"gave up after {timeout:g} s; the run goes on: {runs[0]['url']}")
        time.sleep(poll)


def _score(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def _rate(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def summary(run: dict, out: TextIO) -> None:
    which = f" ({run['label']})" if run["label"] else ""
    print(
        f"\nRun {run['id']}: {run['prompt']} v{run['version']}{which} on {run['dataset']}"
        f" with {run['model'] or 'the prompt model'}: {run['status']}",
        file=out,
    )
    rows = [("", "mean", "pass", "done", "failed")]
    for e in run["evaluators"]:
        rows.append((e["name"], _score(e["mean"]), _rate(e["pass_rate"]), "", ""))
    rows.append(
        (
            "overall",
            _score(run["mean_score"]),
            _rate(run["pass_rate"]),
            str(run["done"]),
            str(run["failed"]),
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  " + "  ".join(cells).rstrip(), file=out)
    print(f"  cost ${float(run['cost_usd']):.4f} · {run['url']}", file=out)


def evaluate(args, api: Api, out: TextIO) -> int:
    name, label, version = parse_target(args.target)
    if args.max_regression is not None and not args.baseline:
        raise UsageError("--max-regression needs --baseline (a label, a version or run:ID)")
    if args.min_score is None and args.max_regression is None:
        raise UsageError("give a threshold: --min-score and/or --max-regression with --baseline")
    run = _start(api, args, name, label, version)
    ids = [run["id"]]
    baseline_id = None
    if args.baseline:
        if args.baseline.startswith("run:") and args.baseline[4:].isdigit():
            baseline_id = int(args.baseline[4:])
        else:
            _, base_label, base_version = parse_target(f"{name}@{args.baseline}")
            baseline_id = _start(api, args, name, base_label, base_version)["id"]
            ids.append(baseline_id)
    print(f"Started run {run['id']}: {run['url']}", file=out, flush=True)
    runs = _wait(api, ids, args.timeout, args.poll, out)
    run = runs[0]
    summary(run, out)
    failures = []
    if run["status"] != "completed":
        failures.append(f"the run was {run['status']}")
    mean = run["mean_score"]
    if args.min_score is not None:
        if mean is None or mean < args.min_score:
            failures.append(f"mean score {_score(mean)} is below --min-score {args.min_score:g}")
        else:
            print(f"  mean score {_score(mean)} ≥ {args.min_score:g}", file=out)
    if baseline_id is not None:
        base = (
            runs[1]
            if len(runs) > 1
            else api.request("GET", f"/evaluations/runs/{baseline_id}").json()
        )
        if len(runs) > 1:
            summary(base, out)
        base_mean = base["mean_score"]
        if base_mean is None or mean is None:
            failures.append("no scores to compare with the baseline")
        else:
            regression = base_mean - mean
            print(
                f"  against baseline run {base['id']} (v{base['version']}): "
                f"{mean - base_mean:+.3f}",
                file=out,
            )
            if args.max_regression is not None and regression > args.max_regression:
                failures.append(
                    f"the mean score fell {regression:.3f} from the baseline's "
                    f"(--max-regression {args.max_regression:g})"
                )
    if failures:
        print("\nFAIL: " + "; ".join(failures), file=out)
        return EXIT_FAILED
    print("\nPASS", file=out)
    return EXIT_OK
