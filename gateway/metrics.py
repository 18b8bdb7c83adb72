"""GET /metrics: the gateway's numbers in Prometheus' text format, for every workspace.

Read from the database (the hourly rollups plus the calls after them, as the analytics page
does) rather than counted in each process: web processes, workers and restarts all see one
set of counters, which only grow (rollups outlive the calls retention deletes; deleting a
workspace drops its series). Protected by a bearer token (PROMPTOPS_METRICS_TOKEN); without
one set the endpoint answers 404, as if it did not exist.
"""

from collections import defaultdict

from django.db.models import F
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from .analytics.buckets import BOUNDS_MS
from .analytics.models import LATENCY_BUCKETS, TTFT_BUCKETS, CompletionRollup
from .analytics.rollups import MEASURES_OF_COMPLETIONS, MEASURES_OF_ROLLUPS, rolled_until
from .models import Completion

KEYS = ("workspace", "model", "status", "source", "provider", "error_type")


def _rows():
    """Measures grouped by KEYS: the rollups up to rolled_until, then the raw calls after."""
    keys = {
        "k_workspace": F("workspace__slug"),
        "k_model": F("model_name"),
        "k_status": F("status"),
        "k_source": F("source"),
        "k_provider": F("provider_name"),
        "k_error_type": F("error_type"),
    }
    boundary = rolled_until()
    rollups = CompletionRollup.objects.all()
    raw = Completion.objects.all()
    if boundary is not None:
        rollups = rollups.filter(hour__lt=boundary)
        raw = raw.filter(created_at__gte=boundary)
    else:
        rollups = rollups.none()
    yield from rollups.order_by().values(**keys).annotate(**MEASURES_OF_ROLLUPS)
    yield from raw.order_by().values(**keys).annotate(**MEASURES_OF_COMPLETIONS)


class GatewayCollector:
    def collect(self):
        merged: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        for row in _rows():
            key = tuple(row[f"k_{name}"] or "" for name in KEYS)
            for name, value in row.items():
                if name.startswith("m_"):
                    merged[key][name] += value or 0

        requests = CounterMetricFamily(
            "promptops_completions",
            "Model calls through the gateway.",
            labels=["workspace", "model", "status", "source"],
        )
        tokens = CounterMetricFamily(
            "promptops_completion_tokens",
            "Tokens of model calls (direction: input or output).",
            labels=["workspace", "model", "direction"],
        )
        cost = CounterMetricFamily(
            "promptops_completion_cost_usd",
            "Cost of model calls in US dollars, at each model's prices (unpriced calls add 0).",
            labels=["workspace", "model"],
        )
        errors = CounterMetricFamily(
            "promptops_provider_errors",
            "Model calls that failed, by provider and error type.",
            labels=["workspace", "provider", "error_type"],
        )
        by_request = defaultdict(int)
        by_model: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        by_error = defaultdict(int)
        for (workspace, model, status, source, provider, error_type), m in merged.items():
            by_request[(workspace, model, status, source)] += m["m_requests"]
            into = by_model[(workspace, model)]
            for name, value in m.items():
                into[name] += value
            if status == Completion.Status.ERROR:
                by_error[(workspace, provider, error_type or "unknown")] += m["m_requests"]
        for labels, value in sorted(by_request.items()):
            requests.add_metric(list(labels), value)
        for labels, value in sorted(by_error.items()):
            errors.add_metric(list(labels), value)

        latency = HistogramMetricFamily(
            "promptops_completion_latency_seconds",
            "Whole-call latency of model calls, from arrival to the last byte.",
            labels=["workspace", "model"],
        )
        ttft = HistogramMetricFamily(
            "promptops_completion_ttft_seconds",
            "Time from a call's arrival to its first streamed token.",
            labels=["workspace", "model"],
        )
        for (workspace, model), m in sorted(by_model.items()):
            labels = [workspace, model]
            tokens.add_metric([*labels, "input"], m["m_input_tokens"])
            tokens.add_metric([*labels, "output"], m["m_output_tokens"])
            cost.add_metric(labels, float(m["m_cost"]))
            latency.add_metric(
                labels,
                _cumulative(m, LATENCY_BUCKETS),
                sum_value=m["m_latency_sum_ms"] / 1000,
            )
            ttft.add_metric(
                labels, _cumulative(m, TTFT_BUCKETS), sum_value=m["m_ttft_sum_ms"] / 1000
            )

        lag = GaugeMetricFamily(
            "promptops_rollup_lag_seconds",
            "How far the analytics rollups are behind now (the periodic task keeps it under "
            "about an hour; the rest is read from raw calls).",
        )
        boundary = rolled_until()
        if boundary is not None:
            lag.add_metric([], (timezone.now() - boundary).total_seconds())
        yield from (requests, tokens, cost, errors, latency, ttft, lag)


def _cumulative(measures: dict, columns: list[str]) -> list[tuple[str, float]]:
    running = 0
    buckets = []
    for bound, column in zip((*BOUNDS_MS, None), columns, strict=True):
        running += measures[f"m_{column}"]
        buckets.append(("+Inf" if bound is None else _seconds(bound), running))
    return buckets


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g}"


# Collectors other apps add from their AppConfig.ready() (the gateway can't import them): e.g.
# the evaluations app's queue depth. Each is an object with collect() yielding metric families.
EXTRA_COLLECTORS: list = []


def register_collector(collector) -> None:
    if collector not in EXTRA_COLLECTORS:
        EXTRA_COLLECTORS.append(collector)


def render_metrics() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(GatewayCollector())
    for collector in EXTRA_COLLECTORS:
        registry.register(collector)
    return generate_latest(registry)
