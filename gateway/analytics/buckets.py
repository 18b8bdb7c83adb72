"""Fixed histogram buckets for latency and time to first token, and percentiles from them.

Hourly rollups (rollups.py) keep how many calls fell in each bucket instead of every duration,
so any range of hours adds up by SQL SUM and p50/p95 come out of the summed counts. The same
bounds are the `le` buckets of the Prometheus histograms (gateway/metrics.py): change them and
both change together (old rollup rows keep their old meaning, so add a migration that rebuilds
them).

A percentile from buckets is exact to within its bucket: linear interpolation inside the
bucket that holds the rank (tests/gateway/test_analytics_rollups.py checks it against the exact
value on a known distribution).
"""

from collections.abc import Sequence

# Upper bounds in milliseconds, each bucket is [previous bound, bound); the last bucket is
# everything from 120 s up. Finer at the low end: a local model answers in tens of ms.
BOUNDS_MS: tuple[int, ...] = (
    25,
    50,
    100,
    200,
    300,
    500,
    750,
    1_000,
    1_500,
    2_000,
    3_000,
    5_000,
    10_000,
    20_000,
    30_000,
    60_000,
    120_000,
)
BUCKET_COUNT = len(BOUNDS_MS) + 1  # the last one is open-ended


def bucket_range(index: int) -> tuple[int, int | None]:
    """[low, high) of bucket `index` in ms; high is None for the open-ended last bucket."""
    low = 0 if index == 0 else BOUNDS_MS[index - 1]
    high = BOUNDS_MS[index] if index < len(BOUNDS_MS) else None
    return low, high


def bucket_of(value_ms: float) -> int:
    for index, bound in enumerate(BOUNDS_MS):
        if value_ms < bound:
            return index
    return len(BOUNDS_MS)


def percentile(counts: Sequence[int], q: float) -> float | None:
    """The q-th quantile (0 < q < 1) of the durations counted in `counts`, in ms.

    None when nothing was counted. In the open-ended last bucket the answer is its lower
    bound: the page says "≥ 120 s" rather than invent a number.
    """
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low, high = bucket_range(index)
            if high is None:
                return float(low)
            return low + (high - low) * (rank - seen) / count
        seen += count
    return float(bucket_range(len(counts) - 1)[0])


def is_open_ended(value_ms: float | None) -> bool:
    """True when a percentile landed in the last bucket (shown as "at least")."""
    return value_ms is not None and value_ms >= BOUNDS_MS[-1]
