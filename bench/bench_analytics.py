"""The analytics page and /metrics on a million logged calls: rollups vs the raw rows.

Fills a scratch PostgreSQL database (PROMPTOPS_BENCH_DATABASE_URL; skipped without one) with
N completions over 30 days in one INSERT ... SELECT, brings the hourly rollups up to date
(timed: what the periodic task does once on a new install), then times what the analytics
page asks (its breakdowns and hourly series for 30 days) and the /metrics collection, read
from the rollups as the product does and, as the peer, from the raw rows alone. Also the
log's first page and a filtered keyset page. Runs in a child process so the scratch database
never meets the configured one.
"""

import json
import os
import sys
import time

from bench import harness

ROWS = int(os.environ.get("PROMPTOPS_BENCH_ANALYTICS_ROWS", "1000000"))


def run():
    url = os.environ.get("PROMPTOPS_BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield "skipped: set PROMPTOPS_BENCH_DATABASE_URL to a scratch PostgreSQL database"
        return
    child = harness.django_child("bench.bench_analytics", url)
    if child.returncode:
        yield f"failed: {child.stderr.strip().splitlines()[-1:]}"
        return
    yield from child.stdout.splitlines()


def _timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def _fill(workspace_id: int, rows: int) -> None:
    from django.db import connection

    from gateway.models import Completion

    expressions = {
        "public_id": "gen_random_uuid()",
        "workspace_id": str(workspace_id),
        "created_at": "now() - (random() * interval '30 days')",
        "source": "(ARRAY['api','openai','playground','evaluation'])[1 + (n %% 4)]",
        "status": "CASE WHEN n %% 50 = 0 THEN 'error' WHEN n %% 97 = 0 THEN 'cancelled' "
        "ELSE 'ok' END",
        "prompt_name": "'prompt-' || (n %% 40)",
        "prompt_version": "1 + (n %% 3)",
        "prompt_label": "'production'",
        "ab_split": "n %% 3 = 0",
        "model_name": "'model-' || (n %% 6)",
        "requested_model": "'model-' || (n %% 6)",
        "provider_name": "'provider-' || (n %% 3)",
        "error_type": "CASE WHEN n %% 50 = 0 THEN 'rate_limited' ELSE '' END",
        "input_tokens": "100 + (n %% 900)",
        "output_tokens": "10 + (n %% 300)",
        "cost": "((100 + (n %% 900)) * 0.15 + (10 + (n %% 300)) * 0.6) / 1000000",
        "queue_ms": "n %% 20",
        "ttft_ms": "CASE WHEN n %% 2 = 0 THEN 80 + (random() * 900)::int END",
        "latency_ms": "(exp(6.5 + random() * 1.2))::int",
        "stream": "n %% 2 = 0",
    }
    columns, values, params = [], [], []
    for field in Completion._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
        else:
            default = field.get_default()
            values.append("%s")
            params.append(json.dumps(default) if isinstance(default, dict | list) else default)
    sql = (
        f"INSERT INTO gateway_completion ({', '.join(columns)}) "  # noqa: S608 - our columns
        f"SELECT {', '.join(values)} FROM generate_series(1, {int(rows)}) AS n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("ANALYZE gateway_completion")


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from gateway.analytics import queries
    from gateway.analytics.models import CompletionRollup, RollupProgress
    from gateway.analytics.rollups import floor_hour, rolled_until, rollup_pending
    from gateway.logs.query import page_of
    from gateway.metrics import render_metrics
    from gateway.models import Completion
    from workspaces.models import Workspace

    call_command("migrate", verbosity=0)
    Completion.objects.all().delete()
    CompletionRollup.objects.all().delete()
    RollupProgress.objects.all().delete()
    workspace, _ = Workspace.objects.get_or_create(slug="bench-analytics", defaults={"name": "B"})

    started = time.perf_counter()
    _fill(workspace.pk, ROWS)
    print(f"{ROWS:,} completions over 30 days written in {time.perf_counter() - started:.1f} s")

    started, runs = time.perf_counter(), 0
    now = floor_hour(timezone.now())
    while (done := rollup_pending()) and done[1] < now:
        runs += 1
    elapsed = time.perf_counter() - started
    rollups = CompletionRollup.objects.count()
    print(f"rollups caught up in {elapsed:.1f} s ({runs + 1} runs): {rollups:,} rollup rows")
    started = time.perf_counter()
    rollup_pending()
    print(
        f"one periodic run afterwards (the last hour again): {time.perf_counter() - started:.2f} s"
    )

    end = timezone.now()
    start = floor_hour(end) - timezone.timedelta(days=31)  # whole hours, as the page asks
    fast = queries.Scope(workspace_id=workspace.pk, start=start, end=end, rolled=rolled_until())
    slow = queries.Scope(workspace_id=workspace.pk, start=start, end=end, rolled=None)

    def page(scope):
        combos = queries.combinations(scope)
        hours = queries.hourly(scope)
        return queries.total(combos).requests, len(hours)

    t_fast, (requests, hours) = _timed(lambda: page(fast))
    t_slow, (raw_requests, _) = _timed(lambda: page(slow), repeat=1)
    assert requests == raw_requests == ROWS, (requests, raw_requests)
    print(
        f"analytics, 31 days: {t_fast * 1000:.0f} ms from rollups vs {t_slow * 1000:.0f} ms "
        f"from raw rows ({t_slow / t_fast:.0f}x); {requests:,} calls, {hours} hours"
    )
    t_metrics, body = _timed(render_metrics)
    print(f"/metrics collection: {t_metrics * 1000:.0f} ms ({len(body):,} bytes)")

    visible = Completion.objects.filter(workspace=workspace)
    t_first, first = _timed(lambda: page_of(visible, before=None, after=None))
    t_deep, _ = _timed(lambda: page_of(visible, before=first.rows[-1].id - ROWS // 2, after=None))
    errors = visible.filter(status="error", model_name="model-3")
    t_filtered, _ = _timed(lambda: page_of(errors, before=None, after=None))
    print(
        f"log pages: first {t_first * 1000:.1f} ms, halfway down {t_deep * 1000:.1f} ms, "
        f"errors of one model {t_filtered * 1000:.1f} ms"
    )
    Completion.objects.all().delete()
    CompletionRollup.objects.all().delete()
    RollupProgress.objects.all().delete()


if __name__ == "__main__" and "--child" in sys.argv:
    child()
