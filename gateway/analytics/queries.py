"""What the analytics page shows, read from the hourly rollups plus the raw rows after them.

Two grouped queries per source answer the whole page, whatever the number of calls: one by
every dimension without time (totals and the breakdowns by prompt, version, model and source
are folded from it in Python: it has one row per combination seen, not per call) and one by
hour (the charts). Each runs on the rollups up to `rolled_until` and on the Completion rows
after it (rollups.py), and the two answers are added up.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncHour

from ..models import Completion, Feedback
from .buckets import BUCKET_COUNT, is_open_ended, percentile
from .models import DIMENSIONS, LATENCY_BUCKETS, TTFT_BUCKETS, CompletionRollup
from .rollups import (
    DIMENSIONS_OF_COMPLETIONS,
    MEASURES_OF_COMPLETIONS,
    MEASURES_OF_ROLLUPS,
    expression_of,
    rolled_until,
)

ERROR = Completion.Status.ERROR
CANCELLED = Completion.Status.CANCELLED


_ADDED = [
    "requests",
    "errors",
    "cancelled",
    "input_tokens",
    "output_tokens",
    "cost",
    "unpriced",
    "retries",
    "fallbacks",
    "latency_sum_ms",
    "ttft_count",
    "ttft_sum_ms",
]


@dataclass
class Measures:
    """Calls added up: counts, tokens, cost and the two duration histograms."""

    requests: int = 0
    errors: int = 0
    cancelled: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    unpriced: int = 0
    retries: int = 0
    fallbacks: int = 0
    latency_sum_ms: int = 0
    ttft_count: int = 0
    ttft_sum_ms: int = 0
    latency: list[int] = field(default_factory=lambda: [0] * BUCKET_COUNT)
    ttft: list[int] = field(default_factory=lambda: [0] * BUCKET_COUNT)

    def add_row(self, row: dict, status: str) -> None:
        """Add a grouped row of measures (m_<column> keys, rollups.py) of calls of `status`."""
        requests = row["m_requests"] or 0
        self.requests += requests
        if status == ERROR:
            self.errors += requests
        elif status == CANCELLED:
            self.cancelled += requests
        for name in _ADDED[3:]:
            setattr(self, name, getattr(self, name) + (row.get(f"m_{name}") or 0))
        for i, column in enumerate(LATENCY_BUCKETS):
            self.latency[i] += row[f"m_{column}"] or 0
        for i, column in enumerate(TTFT_BUCKETS):
            self.ttft[i] += row.get(f"m_{column}") or 0

    def add(self, other: "Measures") -> None:
        for name in _ADDED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.latency = [a + b for a, b in zip(self.latency, other.latency, strict=True)]
        self.ttft = [a + b for a, b in zip(self.ttft, other.ttft, strict=True)]

    @property
    def ok(self) -> int:
        return self.requests - self.errors - self.cancelled

    @property
    def error_rate(self) -> float | None:
        return 100 * self.errors / self.requests if self.requests else None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def priced(self) -> int:
        return self.requests - self.unpriced

    @property
    def cost_per_call(self) -> Decimal | None:
        return self.cost / self.priced if self.priced else None

    @property
    def latency_p50(self) -> float | None:
        return percentile(self.latency, 0.5)

    @property
    def latency_p95(self) -> float | None:
        return percentile(self.latency, 0.95)

    @property
    def ttft_p50(self) -> float | None:
        return percentile(self.ttft, 0.5)

    @property
    def ttft_p95(self) -> float | None:
        return percentile(self.ttft, 0.95)

    @property
    def latency_p95_open(self) -> bool:
        return is_open_ended(self.latency_p95)


@dataclass(frozen=True)
class Scope:
    """Which calls: one workspace, a time range, optional filters, minus hidden prompts."""

    workspace_id: int
    start: datetime
    end: datetime
    prompt_name: str = ""
    model_name: str = ""
    source: str = ""
    hidden_prompt_names: tuple[str, ...] = ()
    hidden_prompt_paths: tuple[str, ...] = ()  # folders the principal may not see
    rolled: datetime | None | str = "ask"  # rolled_until(), when the caller read it already

    def narrow(self, rows, *, filtered: bool = True):
        rows = rows.filter(workspace_id=self.workspace_id)
        if self.hidden_prompt_names:
            rows = rows.exclude(prompt_name__in=self.hidden_prompt_names)
        for path in self.hidden_prompt_paths:
            rows = rows.exclude(prompt_name__startswith=path + "/")
        if filtered:
            for name in ("prompt_name", "model_name", "source"):
                if getattr(self, name):
                    rows = rows.filter(**{name: getattr(self, name)})
        return rows


def _grouped(
    scope: Scope, keys: dict, *, hourly: bool, filtered: bool, ttft: bool = True
) -> Iterable[dict]:
    """Rows of measures grouped by `keys` (name -> rollup field) [and hour], from both sources.

    Yields dicts with k_<name> keys, k_status, [k_hour] and the measure columns."""
    boundary = rolled_until() if scope.rolled == "ask" else scope.rolled
    split = min(max(boundary or scope.start, scope.start), scope.end)
    rolled_keys = {f"k_{name}": F(source) for name, source in keys.items()}
    raw_keys = {
        f"k_{name}": expression_of(DIMENSIONS_OF_COMPLETIONS[source])
        for name, source in keys.items()
    }
    if hourly:
        rolled_keys["k_hour"] = F("hour")
        raw_keys["k_hour"] = TruncHour("created_at", tzinfo=UTC)
    if split > scope.start:
        rollups = scope.narrow(
            CompletionRollup.objects.filter(hour__gte=scope.start, hour__lt=split),
            filtered=filtered,
        )
        yield from (
            rollups.order_by()
            .values(k_status=F("status"), **rolled_keys)
            .annotate(**_without_ttft(MEASURES_OF_ROLLUPS, ttft))
        )
    if split < scope.end:
        raw = scope.narrow(
            Completion.objects.filter(created_at__gte=split, created_at__lt=scope.end),
            filtered=filtered,
        )
        yield from (
            raw.order_by()
            .values(k_status=F("status"), **raw_keys)
            .annotate(**MEASURES_OF_COMPLETIONS)
        )


@dataclass
class Combination:
    """One combination of dimensions seen in the range, with its measures."""

    key: dict
    measures: Measures


def _without_ttft(measures: dict, keep: bool) -> dict:
    if keep:
        return measures
    return {name: expr for name, expr in measures.items() if not name.startswith("m_ttft_")}


def combinations(scope: Scope) -> list[Combination]:
    """Every combination of dimensions in the range (unfiltered: the filters' choices come
    from it; `matching()` applies the scope's filters).

    Without time-to-first-token: the breakdowns don't show it, and leaving its 20 columns out
    makes this, the page's biggest query, a third cheaper; `hourly()` has it, and
    `with_ttft_of()` puts its totals back."""
    names = [name for name in DIMENSIONS if name not in ("status", "error_type")]
    merged: dict[tuple, Measures] = defaultdict(Measures)
    by_name = {name: name for name in names}
    for row in _grouped(scope, by_name, hourly=False, filtered=False, ttft=False):
        key = tuple(row[f"k_{name}"] for name in names)
        merged[key].add_row(row, row["k_status"])
    return [
        Combination(key=dict(zip(names, key, strict=True)), measures=measures)
        for key, measures in merged.items()
    ]


def matching(scope: Scope, combos: list[Combination]) -> list[Combination]:
    wanted = {
        name: getattr(scope, name)
        for name in ("prompt_name", "model_name", "source")
        if getattr(scope, name)
    }
    return [c for c in combos if all(c.key[name] == value for name, value in wanted.items())]


def fold(combos: Iterable[Combination], *names: str) -> list[tuple[tuple, Measures]]:
    """Add the combinations up by the dimensions `names`, busiest first."""
    groups: dict[tuple, Measures] = defaultdict(Measures)
    for combo in combos:
        groups[tuple(combo.key[name] for name in names)].add(combo.measures)
    return sorted(groups.items(), key=lambda item: (-item[1].requests, item[0]))


def total(combos: Iterable[Combination]) -> Measures:
    result = Measures()
    for combo in combos:
        result.add(combo.measures)
    return result


def with_ttft_of(totals: Measures, hours: Iterable[Measures]) -> Measures:
    """`totals` (from combinations(), which leave time to first token out) with it put back
    from the hourly measures of the same scope."""
    totals.ttft_count = totals.ttft_sum_ms = 0
    totals.ttft = [0] * BUCKET_COUNT
    for m in hours:
        totals.ttft_count += m.ttft_count
        totals.ttft_sum_ms += m.ttft_sum_ms
        totals.ttft = [a + b for a, b in zip(totals.ttft, m.ttft, strict=True)]
    return totals


def hourly(scope: Scope) -> dict[datetime, Measures]:
    """The filtered calls of each hour that had any."""
    hours: dict[datetime, Measures] = defaultdict(Measures)
    for row in _grouped(scope, {}, hourly=True, filtered=True):
        hours[row["k_hour"].astimezone(UTC)].add_row(row, row["k_status"])
    return dict(hours)


def into_slots(hours: dict[datetime, Measures], start: datetime, slot: timedelta, count: int):
    """Hourly measures added into `count` consecutive slots of length `slot` from `start`."""
    slots = [Measures() for _ in range(count)]
    for hour, measures in hours.items():
        index = int((hour - start) / slot)
        if 0 <= index < count:
            slots[index].add(measures)
    return slots


def feedback_by_version(scope: Scope) -> dict[tuple[str, int], dict]:
    """{(prompt, version): {"count", "up", "down", "average"}} for feedback given in the range."""
    rows = Feedback.objects.filter(
        workspace_id=scope.workspace_id, created_at__gte=scope.start, created_at__lt=scope.end
    )
    rows = rows.exclude(completion__prompt_name="")
    if scope.hidden_prompt_names:
        rows = rows.exclude(completion__prompt_name__in=scope.hidden_prompt_names)
    for path in scope.hidden_prompt_paths:
        rows = rows.exclude(completion__prompt_name__startswith=path + "/")
    for name in ("prompt_name", "model_name", "source"):
        if getattr(scope, name):
            rows = rows.filter(**{f"completion__{name}": getattr(scope, name)})
    grouped = (
        rows.order_by()
        .values("completion__prompt_name", "completion__prompt_version")
        .annotate(
            count=Count("id"),
            up=Count("id", filter=Q(score__gt=0)),
            down=Count("id", filter=Q(score__lt=0)),
            average=Avg("score"),
        )
    )
    return {
        (row["completion__prompt_name"], row["completion__prompt_version"] or 0): row
        for row in grouped
    }
