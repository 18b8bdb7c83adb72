"""The analytics page: requests, errors, tokens, cost and latency over time, and by what."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_GET

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action

from ..analytics import charts, queries
from ..analytics.rollups import floor_hour, rolled_until
from ..forms import AnalyticsFilterForm
from ..logs.query import hidden_for

BREAKDOWN_ROWS = 12
VERSION_ROWS = 40


@dataclass(frozen=True)
class Range:
    slot: timedelta
    count: int
    label_format: str  # x axis
    title_format: str  # tooltips


RANGES = {
    "24h": Range(timedelta(hours=1), 24, "H:i", "j M, H:i"),
    "7d": Range(timedelta(hours=6), 28, "D j", "D j M, H:i"),
    "30d": Range(timedelta(days=1), 30, "j M", "D j M"),
    "90d": Range(timedelta(days=1), 90, "j M", "D j M"),
}


def _bounds(spec: Range, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the range: whole slots, the last one holding now (local days)."""
    if spec.slot < timedelta(days=1) and spec.count <= 24:
        end = floor_hour(now) + spec.slot
    else:
        local = timezone.localtime(now)
        end = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return end - spec.slot * spec.count, end


@login_required
@require_GET
def analytics(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.VIEW_LOGS)
    range_key = request.GET.get("range") if request.GET.get("range") in RANGES else "7d"
    spec = RANGES[range_key]
    start, end = _bounds(spec, timezone.now())
    hidden = hidden_for(request.principal)
    everything = queries.Scope(
        workspace_id=workspace.pk,
        start=start,
        end=end,
        hidden_prompt_names=hidden.prompt_names,
        hidden_prompt_paths=hidden.folder_paths,
        rolled=rolled_until(),
    )
    combos = queries.combinations(everything)
    form = AnalyticsFilterForm(
        request.GET or None,
        prompts=sorted({c.key["prompt_name"] for c in combos}),
        models=sorted({c.key["model_name"] for c in combos}),
    )
    scope = replace(
        everything,
        prompt_name=form.value_of("prompt"),
        model_name=form.value_of("model"),
        source=form.value_of("source"),
    )
    matching = queries.matching(scope, combos)
    hours = queries.hourly(scope)
    slots = queries.into_slots(hours, start, spec.slot, spec.count)
    feedback = queries.feedback_by_version(scope)
    context = {
        "nav_section": "analytics",
        "form": form,
        "range_key": range_key,
        "ranges": AnalyticsFilterForm.RANGES,
        "start": start,
        "end": end,
        "totals": queries.with_ttft_of(queries.total(matching), hours.values()),
        "charts": _charts(spec, start, slots),
        "by_prompt": _busiest(queries.fold(matching, "prompt_name")),
        "by_model": _busiest(queries.fold(matching, "model_name", "provider_name")),
        "by_source": _busiest(queries.fold(matching, "source")),
        "versions": _versions(matching, feedback),
        "ab_tests": _ab_tests(matching, feedback),
        "filtered": any(form.value_of(name) for name in ("prompt", "model", "source")),
    }
    htmx = request.htmx and not request.htmx.history_restore_request
    template = "gateway/analytics.html#body" if htmx else "gateway/analytics.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@dataclass
class Busiest:
    """The busiest rows of a breakdown, and how many there were in all."""

    rows: list
    total: int

    def __iter__(self):
        return iter(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _busiest(rows: list) -> Busiest:
    return Busiest(rows[:BREAKDOWN_ROWS], len(rows))


def _charts(spec: Range, start: datetime, slots: list[queries.Measures]) -> dict:
    starts = [timezone.localtime(start + spec.slot * i) for i in range(spec.count)]
    labels = [date_format(moment, spec.label_format) for moment in starts]
    titles = [date_format(moment, spec.title_format) for moment in starts]

    empty = {
        "chart-ttft": "No streamed calls in this period.",
        "chart-tokens": "No token counts in this period.",
        "chart-cost": "No cost to show: the models used have no price, or cost nothing.",
    }

    def chart(id_: str, title: str, fmt, *series: charts.Series) -> charts.Chart:
        return charts.Chart(
            id=id_,
            title=title,
            slots=labels,
            slot_titles=titles,
            series=list(series),
            fmt=fmt,
            empty_text=empty.get(id_, "No calls in this period."),
        )

    return {
        "requests": chart(
            "chart-requests",
            "Requests",
            charts.fmt_count,
            charts.Series("OK", [m.ok for m in slots], "ok"),
            charts.Series("Errors", [m.errors for m in slots], "error"),
            charts.Series("Cancelled", [m.cancelled for m in slots], "cancelled"),
        ),
        "latency": chart(
            "chart-latency",
            "Latency",
            charts.fmt_ms,
            charts.Series("p50", [m.latency_p50 for m in slots], "p50", kind="line"),
            charts.Series("p95", [m.latency_p95 for m in slots], "p95", kind="line"),
        ),
        "ttft": chart(
            "chart-ttft",
            "Time to first token",
            charts.fmt_ms,
            charts.Series("p50", [m.ttft_p50 for m in slots], "p50", kind="line"),
            charts.Series("p95", [m.ttft_p95 for m in slots], "p95", kind="line"),
        ),
        "tokens": chart(
            "chart-tokens",
            "Tokens",
            charts.fmt_count,
            charts.Series("Input", [m.input_tokens for m in slots], "in"),
            charts.Series("Output", [m.output_tokens for m in slots], "out"),
        ),
        "cost": chart(
            "chart-cost",
            "Cost",
            charts.fmt_usd,
            charts.Series("Cost (USD)", [float(m.cost) for m in slots], "cost"),
        ),
    }


@dataclass
class VersionRow:
    prompt_name: str
    version: int
    labels: list[str]
    ab: bool
    measures: queries.Measures
    feedback: dict | None


def _versions(matching, feedback) -> "Busiest":
    """Each prompt version with its calls and the feedback it got, grouped by prompt."""
    rows: dict[tuple, VersionRow] = {}
    for (name, version, label, ab), measures in queries.fold(
        matching, "prompt_name", "prompt_version", "prompt_label", "ab_split"
    ):
        if not name:
            continue
        row = rows.setdefault(
            (name, version),
            VersionRow(name, version, [], False, queries.Measures(), feedback.get((name, version))),
        )
        row.measures.add(measures)
        row.ab = row.ab or ab
        if label and label not in row.labels:
            row.labels.append(label)
    ordered = sorted(rows.values(), key=lambda r: (r.prompt_name, -r.version))
    return Busiest(ordered[:VERSION_ROWS], len(ordered))


def _ab_tests(matching, feedback) -> list[dict]:
    """Labels that split traffic: their arms (versions) side by side."""
    tests: dict[tuple[str, str], dict[int, queries.Measures]] = {}
    for (name, label, version), measures in queries.fold(
        [c for c in matching if c.key["ab_split"]], "prompt_name", "prompt_label", "prompt_version"
    ):
        tests.setdefault((name, label), {}).setdefault(version, queries.Measures()).add(measures)
    result = []
    for (name, label), arms in sorted(tests.items()):
        arm_rows = [
            {"version": version, "measures": m, "feedback": feedback.get((name, version))}
            for version, m in sorted(arms.items())
        ]
        if len(arm_rows) >= 2:
            _mark_best(arm_rows)
        result.append({"prompt_name": name, "label": label, "arms": arm_rows})
    return result


def _mark_best(arms: list[dict]) -> None:
    """Which arm does better on each measure (only among arms with calls)."""

    def best(key, lower_is_better=True):
        values = [(a[key], i) for i, a in enumerate(arms) if a[key] is not None]
        if len(values) < 2 or len({v for v, _ in values}) < 2:
            return None
        return (min(values) if lower_is_better else max(values))[1]

    for arm in arms:
        m = arm["measures"]
        arm["error_rate"] = m.error_rate
        arm["latency_p50"] = m.latency_p50
        arm["cost_per_call"] = m.cost_per_call
        arm["score"] = arm["feedback"]["average"] if arm["feedback"] else None
    for key, lower in (
        ("error_rate", True),
        ("latency_p50", True),
        ("cost_per_call", True),
        ("score", False),
    ):
        winner = best(key, lower)
        for i, arm in enumerate(arms):
            arm[f"best_{key}"] = i == winner
