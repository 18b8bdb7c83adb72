"""Hourly rollups: what they add up, that recomputing changes nothing, that readers add the raw
rows after them without counting anything twice, and percentiles from histogram buckets."""

import random
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gateway.analytics import buckets, queries
from gateway.analytics.models import CompletionRollup
from gateway.analytics.rollups import rolled_until, rollup_hours, rollup_pending
from gateway.models import Completion
from tests.gateway.factories_completions import make_completion

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def scope_of(workspace, start=T0 - timedelta(days=1), end=T0 + timedelta(days=1), **filters):
    return queries.Scope(workspace_id=workspace.pk, start=start, end=end, **filters)


def test_an_hour_is_added_up_per_prompt_version_model_source_and_status(acme):
    for minute, latency in ((1, 100), (2, 300), (3, 900)):
        make_completion(acme, at=T0 + timedelta(minutes=minute), latency_ms=latency)
    make_completion(
        acme,
        at=T0 + timedelta(minutes=4),
        status=Completion.Status.ERROR,
        error_type="rate_limited",
        input_tokens=None,
        output_tokens=None,
        cost=None,
        ttft_ms=None,
        latency_ms=50,
        retries=2,
    )
    make_completion(acme, at=T0 + timedelta(minutes=5), model_name="claude-haiku", cost=None)
    make_completion(acme, at=T0 + timedelta(hours=1, minutes=1))  # the next hour

    written = rollup_hours(start=T0, end=T0 + timedelta(hours=1))

    assert written == 3
    ok = CompletionRollup.objects.get(model_name="gpt-4o-mini", status="ok")
    assert (ok.hour, ok.requests, ok.input_tokens, ok.output_tokens) == (T0, 3, 126, 9)
    assert ok.cost == Decimal("0.00002430")
    assert (ok.prompt_name, ok.prompt_version) == ("support/triage", 3)
    assert ok.prompt_label == "production"
    assert ok.latency_sum_ms == 1300 and ok.ttft_count == 3 and ok.ttft_sum_ms == 540
    assert [ok.latency_03, ok.latency_05, ok.latency_07] == [1, 1, 1]  # 100, 300, 900 ms
    error = CompletionRollup.objects.get(status="error")
    assert (error.error_type, error.requests, error.retries, error.unpriced) == (
        "rate_limited",
        1,
        2,
        1,
    )
    assert error.ttft_count == 0 and error.latency_02 == 1
    assert CompletionRollup.objects.get(model_name="claude-haiku").unpriced == 1


def test_recomputing_an_hour_changes_nothing(acme, globex):
    for n in range(5):
        make_completion(acme, at=T0 + timedelta(minutes=n))
    make_completion(globex, at=T0 + timedelta(minutes=7), prompt_name="", prompt_version=None)
    rollup_hours(start=T0, end=T0 + timedelta(hours=1))
    first = list(CompletionRollup.objects.values().order_by("workspace_id"))

    rollup_hours(start=T0, end=T0 + timedelta(hours=1))

    again = list(CompletionRollup.objects.values().order_by("workspace_id"))
    assert [{k: v for k, v in row.items() if k != "id"} for row in again] == [
        {k: v for k, v in row.items() if k != "id"} for row in first
    ]
    assert CompletionRollup.objects.get(workspace=globex).prompt_version == 0


def test_the_pending_run_starts_at_the_oldest_call_and_stops_at_the_last_complete_hour(acme):
    make_completion(acme, at=T0 - timedelta(hours=5, minutes=30))
    make_completion(acme, at=T0 + timedelta(minutes=20))  # the current hour: not rolled yet

    done = rollup_pending(now=T0 + timedelta(minutes=30))

    assert done == (T0 - timedelta(hours=7), T0)
    assert list(CompletionRollup.objects.values_list("hour", flat=True)) == [
        T0 - timedelta(hours=6)
    ]
    assert rolled_until() == T0


def test_the_next_run_goes_on_from_where_the_last_one_stopped(acme):
    make_completion(acme, at=T0 - timedelta(hours=30))
    rollup_pending(now=T0)
    make_completion(acme, at=T0 + timedelta(minutes=5))

    done = rollup_pending(now=T0 + timedelta(hours=3, minutes=1))

    assert done == (T0 - timedelta(hours=1), T0 + timedelta(hours=3))
    assert rolled_until() == T0 + timedelta(hours=3)
    assert rollup_pending(now=T0 + timedelta(hours=3, minutes=2)) == (
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=3),
    )
    assert CompletionRollup.objects.count() == 2


def test_a_first_run_on_a_long_history_catches_up_a_week_at_a_time(acme):
    make_completion(acme, at=T0 - timedelta(days=20))
    make_completion(acme, at=T0 - timedelta(days=1))

    rollup_pending(now=T0)

    assert CompletionRollup.objects.count() == 1
    measures = queries.total(queries.combinations(scope_of(acme, start=T0 - timedelta(days=30))))
    assert measures.requests == 2  # the rest is read from the raw rows meanwhile


def test_a_call_written_after_its_hour_was_rolled_is_counted_by_the_next_run(acme):
    make_completion(acme, at=T0 + timedelta(minutes=10))
    rollup_pending(now=T0 + timedelta(hours=1, seconds=5))
    # A slow stream that started at 10:59:50 is written at 11:00:30, after the run.
    make_completion(acme, at=T0 + timedelta(minutes=59, seconds=50))

    rollup_pending(now=T0 + timedelta(hours=1, minutes=1))

    assert CompletionRollup.objects.get(hour=T0).requests == 2


def test_readers_add_the_raw_rows_after_the_rollups_without_counting_twice(acme):
    for n in range(4):
        make_completion(acme, at=T0 - timedelta(hours=3) + timedelta(minutes=n))
    rollup_pending(now=T0)
    for n in range(3):
        make_completion(acme, at=T0 + timedelta(minutes=n), status=Completion.Status.ERROR)

    combos = queries.combinations(scope_of(acme))
    hours = queries.hourly(scope_of(acme))

    assert CompletionRollup.objects.count() == 1  # the first four only
    measures = queries.total(combos)
    assert (measures.requests, measures.errors) == (7, 3)
    assert {hour: m.requests for hour, m in hours.items()} == {T0 - timedelta(hours=3): 4, T0: 3}


def test_readers_apply_filters_and_leave_out_hidden_prompts(acme, globex):
    make_completion(acme, at=T0, prompt_name="support/triage")
    make_completion(acme, at=T0, prompt_name="hr/salaries")
    make_completion(acme, at=T0, prompt_name="billing/refund", source=Completion.Source.PLAYGROUND)
    make_completion(globex, at=T0, prompt_name="support/triage")
    rollup_hours(start=T0, end=T0 + timedelta(hours=1))
    make_completion(acme, at=T0 + timedelta(hours=2), prompt_name="support/triage")

    scope = scope_of(acme, source="api", hidden_prompt_paths=("hr",))
    combos = queries.combinations(scope)

    assert {c.key["prompt_name"] for c in combos} == {"support/triage", "billing/refund"}
    assert queries.total(queries.matching(scope, combos)).requests == 2
    assert sum(m.requests for m in queries.hourly(scope).values()) == 2


# Percentiles from buckets -----------------------------------------------------------------------


def _lognormal_ms(n: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    return [max(1, int(rng.lognormvariate(6.3, 0.7))) for _ in range(n)]  # median ~545 ms


def _bucket_bounds_around(value: float) -> tuple[int, int | None]:
    return buckets.bucket_range(buckets.bucket_of(value))


def test_percentiles_from_buckets_land_in_the_bucket_of_the_exact_value():
    durations = _lognormal_ms(20_000)
    counts = [0] * buckets.BUCKET_COUNT
    for value in durations:
        counts[buckets.bucket_of(value)] += 1
    cut = statistics.quantiles(durations, n=100, method="inclusive")

    for q, exact in ((0.5, cut[49]), (0.95, cut[94])):
        estimate = buckets.percentile(counts, q)
        low, high = _bucket_bounds_around(exact)
        assert low <= estimate <= high, (q, exact, estimate)
        assert abs(estimate - exact) / exact < 0.15, (q, exact, estimate)


def test_percentiles_of_a_uniform_bucket_are_exact():
    # 100 values spread evenly over [200, 300): linear interpolation is exact there.
    counts = [0] * buckets.BUCKET_COUNT
    counts[buckets.bucket_of(250)] = 100

    assert buckets.percentile(counts, 0.5) == pytest.approx(250)
    assert buckets.percentile(counts, 0.95) == pytest.approx(295)
    assert buckets.percentile([0] * buckets.BUCKET_COUNT, 0.5) is None


def test_the_open_ended_bucket_answers_its_lower_bound():
    counts = [0] * buckets.BUCKET_COUNT
    counts[-1] = 10

    assert buckets.percentile(counts, 0.95) == 120_000
    assert buckets.is_open_ended(buckets.percentile(counts, 0.95))


def test_p50_and_p95_through_rollups_match_the_exact_values_within_their_bucket(acme):
    durations = _lognormal_ms(400, seed=11)
    Completion.objects.bulk_create(
        Completion(
            workspace=acme,
            created_at=T0 + timedelta(seconds=n),
            source="api",
            status="ok",
            model_name="gpt-4o-mini",
            latency_ms=value,
            ttft_ms=value // 3,
        )
        for n, value in enumerate(durations)
    )
    rollup_hours(start=T0, end=T0 + timedelta(hours=1))

    scope = scope_of(acme)
    measures = queries.with_ttft_of(
        queries.total(queries.combinations(scope)), queries.hourly(scope).values()
    )
    cut = statistics.quantiles(durations, n=100, method="inclusive")
    ttft_cut = statistics.quantiles([v // 3 for v in durations], n=100, method="inclusive")

    for estimate, exact in (
        (measures.latency_p50, cut[49]),
        (measures.latency_p95, cut[94]),
        (measures.ttft_p50, ttft_cut[49]),
        (measures.ttft_p95, ttft_cut[94]),
    ):
        low, high = _bucket_bounds_around(exact)
        assert low <= estimate <= high, (exact, estimate)
    assert measures.requests == 400
