"""Writing the hourly rollups, and the measures both the rollups and raw rows answer.

The periodic task (gateway/tasks.py: `rollup_completions`, every minute) calls
`rollup_pending()`: it recomputes, from the Completion rows, every hour from one hour before
where the previous run stopped (RollupProgress) up to the last complete hour. Recomputing
(delete the hours, insert their sums, in one transaction) rather than adding to counters
makes a run idempotent: a retried or repeated run changes nothing, and a call written late (a
slow stream ends after its hour did) is counted by the next run, as long as it ends within
the hour after.

Readers (queries.py, gateway/metrics.py) add the rollups up to `rolled_until()` and the raw
rows after it (`MEASURES_OF_COMPLETIONS`), so what they show is never older than the last
call, with or without the task running; the task only keeps the raw part small.
"""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from ..models import Completion
from .buckets import BOUNDS_MS, bucket_range
from .models import DIMENSIONS, LATENCY_BUCKETS, TTFT_BUCKETS, CompletionRollup, RollupProgress

HOUR = timedelta(hours=1)
# One run recomputes at most this much history (the first run on a big log catches up over
# several runs; readers count the rest from raw rows meanwhile).
MAX_HOURS_PER_RUN = 24 * 7
PROGRESS = "completions"  # RollupProgress's row (runs lock it: one at a time)


def _bucket_filter(field: str, index: int) -> Q:
    low, high = bucket_range(index)
    condition = Q(**{f"{field}__gte": low}) if low else Q(**{f"{field}__isnull": False})
    if high is not None:
        condition &= Q(**{f"{field}__lt": high})
    return condition


# The measures of a set of Completion rows, as m_<CompletionRollup's column> (prefixed: an
# annotation named like a field would shadow it inside the other aggregates).
_COMPLETION_MEASURES = {
    "requests": Count("id"),
    "input_tokens": Coalesce(Sum("input_tokens"), 0),
    "output_tokens": Coalesce(Sum("output_tokens"), 0),
    "cost": Sum("cost"),
    "unpriced": Count("id", filter=Q(cost__isnull=True)),
    "retries": Coalesce(Sum("retries"), 0),
    "fallbacks": Count("id", filter=~Q(fallback_model="")),
    "latency_sum_ms": Coalesce(Sum("latency_ms"), 0),
    "ttft_count": Count("id", filter=Q(ttft_ms__isnull=False)),
    "ttft_sum_ms": Coalesce(Sum("ttft_ms"), 0),
    **{
        column: Count("id", filter=_bucket_filter("latency_ms", i))
        for i, column in enumerate(LATENCY_BUCKETS)
    },
    **{
        column: Count("id", filter=_bucket_filter("ttft_ms", i))
        for i, column in enumerate(TTFT_BUCKETS)
    },
}
MEASURE_NAMES = list(_COMPLETION_MEASURES)
MEASURES_OF_COMPLETIONS = {f"m_{name}": expr for name, expr in _COMPLETION_MEASURES.items()}
# The same measures added up over rollup rows.
MEASURES_OF_ROLLUPS = {f"m_{name}": Sum(name) for name in MEASURE_NAMES}

# Completion's dimensions as the rollups store them (NOT NULL: a call without prompt is 0).
DIMENSIONS_OF_COMPLETIONS = {
    name: (Coalesce("prompt_version", Value(0)) if name == "prompt_version" else name)
    for name in DIMENSIONS
}

assert len(BOUNDS_MS) + 1 == len(LATENCY_BUCKETS) == len(TTFT_BUCKETS)  # noqa: S101


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hourly_sums(completions):
    """The rollup rows of these completions: one dict per workspace, hour and dimensions."""
    return (
        completions.order_by()
        .values(
            "workspace_id",
            rollup_hour=TruncHour("created_at", tzinfo=UTC),
            **{
                f"d_{name}": expression_of(expr) for name, expr in DIMENSIONS_OF_COMPLETIONS.items()
            },
        )
        .annotate(**MEASURES_OF_COMPLETIONS)
    )


def expression_of(expr):
    return F(expr) if isinstance(expr, str) else expr


@transaction.atomic
def rollup_hours(*, start: datetime, end: datetime) -> int:
    """Recompute the rollups of the hours in [start, end) for every workspace; rows written.

    Also for rows written with past times (demo data, imports): readers trust the rollups for
    every hour before rolled_until(), so such rows count only once their hours are recomputed."""
    start, end = floor_hour(start), floor_hour(end)
    CompletionRollup.objects.filter(hour__gte=start, hour__lt=end).delete()
    rows = [
        CompletionRollup(
            workspace_id=row["workspace_id"],
            hour=row["rollup_hour"],
            **{name: row[f"d_{name}"] for name in DIMENSIONS},
            **{name: row[f"m_{name}"] or 0 for name in MEASURE_NAMES},
        )
        for row in hourly_sums(Completion.objects.filter(created_at__gte=start, created_at__lt=end))
    ]
    CompletionRollup.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def rollup_pending(*, now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """Bring the rollups up to the last complete hour; the range recomputed, or None.

    It recomputes from one hour before where the previous run stopped (calls that ended after
    their hour was rolled are counted now), or from the oldest call on the first run."""
    end = floor_hour(now or timezone.now())
    with transaction.atomic():
        progress = RollupProgress.objects.select_for_update().filter(name=PROGRESS).first()
        if progress is not None:
            start = progress.rolled_until - HOUR
        else:
            # Once ever (no progress yet): a full scan on a big log, then never again.
            oldest = Completion.objects.aggregate(oldest=Min("created_at"))["oldest"]
            if oldest is None:
                return None
            start = floor_hour(oldest) - HOUR
            progress = RollupProgress(name=PROGRESS, rolled_until=start)
        end = min(end, start + MAX_HOURS_PER_RUN * HOUR)
        if start >= end:
            return None
        rollup_hours(start=start, end=end)
        progress.rolled_until = max(progress.rolled_until, end)
        progress.save()
    return start, end


def rolled_until() -> datetime | None:
    """Where the rollups stop: readers count the raw rows from there, retention waits for it."""
    return (
        RollupProgress.objects.filter(name=PROGRESS).values_list("rolled_until", flat=True).first()
    )
