"""Charts drawn on the server: an SVG plot inside a little HTML frame, no script, no CDN.

The plot area is an SVG stretched to its box (preserveAspectRatio="none", strokes that don't
scale), so it fills any width from a phone to a wide screen; the axis labels and legend are
HTML around it, so their text stays readable at every width. Each time slot carries a <title>:
hovering (or a screen reader) gives the exact values of that slot.

Styling (colours per series, sizes) is in static/css/gateway.css under "Charts".
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# The SVG's own coordinate space; the browser stretches it to the box.
WIDTH = 1000
HEIGHT = 300
MAX_X_LABELS = 7
MAX_DOTS = 48  # above this many slots a line is drawn without a dot per value


@dataclass
class Series:
    name: str
    values: Sequence[float | None]  # one per slot; None: no data in that slot
    tone: str  # a class suffix: chart-tone-<tone> (css colours)
    kind: str = "bar"  # "bar" (stacked with the chart's other bars) or "line"
    dashed: bool = False


@dataclass
class Chart:
    id: str
    title: str
    slots: Sequence[str]  # the x labels, one per slot ("14:00", "3 Mar")
    slot_titles: Sequence[str]  # the long label of each slot, for tooltips
    series: list[Series] = field(default_factory=list)
    fmt: Callable[[float], str] = lambda v: f"{v:g}"
    empty_text: str = "No calls in this period."

    @property
    def has_data(self) -> bool:
        return any(v for s in self.series for v in s.values if v)


def nice_ceiling(value: float) -> tuple[float, float]:
    """(top of the axis, step between its 4 gridlines) for values up to `value`."""
    if value <= 0:
        return 1.0, 0.25
    raw_step = value / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    for multiple in (1, 1.5, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if step * 4 >= value:
            return step * 4, step
    return 10 * magnitude * 4, 10 * magnitude  # pragma: no cover - the loop always returns


def render(chart: Chart) -> SafeString:
    if not chart.has_data:
        return format_html('<div class="chart-empty">{}</div>', chart.empty_text)
    slots = len(chart.slots)
    bars = [s for s in chart.series if s.kind == "bar"]
    lines = [s for s in chart.series if s.kind == "line"]
    stacked_top = max((sum(s.values[i] or 0 for s in bars) for i in range(slots)), default=0)
    line_top = max((v for s in lines for v in s.values if v is not None), default=0)
    top, step = nice_ceiling(max(stacked_top, line_top))
    slot_w = WIDTH / slots

    def y(value: float) -> float:
        return HEIGHT - (value / top) * HEIGHT

    parts: list[str] = []
    for n in range(1, 5):
        parts.append(
            format_html(
                '<line class="chart-grid" x1="0" x2="{}" y1="{}" y2="{}"'
                ' vector-effect="non-scaling-stroke"/>',
                WIDTH,
                _num(y(step * n)),
                _num(y(step * n)),
            )
        )
    gap = min(slot_w * 0.2, 6)
    for i in range(slots):
        base = 0.0
        for s in bars:
            value = s.values[i] or 0
            if value <= 0:
                continue
            parts.append(
                format_html(
                    '<rect class="chart-bar chart-tone-{}" x="{}" y="{}" width="{}" height="{}"/>',
                    s.tone,
                    _num(i * slot_w + gap / 2),
                    _num(y(base + value)),
                    _num(max(slot_w - gap, 1)),
                    _num(y(base) - y(base + value)),
                )
            )
            base += value
    for s in lines:
        parts.extend(_line(s, slot_w, y, dots=slots <= MAX_DOTS))
    for i in range(slots):
        tip = "\n".join(
            [chart.slot_titles[i]]
            + [
                f"{s.name}: {chart.fmt(s.values[i]) if s.values[i] is not None else '—'}"
                for s in chart.series
            ]
        )
        parts.append(
            format_html(
                '<rect class="chart-hit" x="{}" y="0" width="{}" height="{}">'
                "<title>{}</title></rect>",
                _num(i * slot_w),
                _num(slot_w),
                HEIGHT,
                tip,
            )
        )
    svg = format_html(
        '<svg class="chart-svg" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img"'
        ' aria-label="{}">{}</svg>',
        WIDTH,
        HEIGHT,
        f"{chart.title}: {', '.join(s.name for s in chart.series)} over time",
        mark_safe("".join(parts)),  # noqa: S308 - every part above is built with format_html
    )
    y_labels = format_html_join(
        "",
        '<span class="chart-y-label" style="bottom: {}%">{}</span>',
        ((_num(100 * n / 4), chart.fmt(step * n)) for n in range(0, 5)),
    )
    x_labels = format_html_join(
        "",
        '<span class="chart-x-label" style="left: {}%">{}</span>',
        ((_num(100 * (i + 0.5) / slots), chart.slots[i]) for i in _label_slots(slots)),
    )
    legend = format_html_join(
        "",
        '<li><span class="chart-key chart-tone-{}{}" aria-hidden="true"></span>{}</li>',
        ((s.tone, " chart-key-line" if s.kind == "line" else "", s.name) for s in chart.series),
    )
    return format_html(
        '<div class="chart" id="{}"><div class="chart-frame"><div class="chart-y"'
        ' aria-hidden="true">{}</div><div class="chart-plot">{}<div class="chart-x"'
        ' aria-hidden="true">{}</div></div></div><ul class="chart-legend">{}</ul></div>',
        chart.id,
        y_labels,
        svg,
        x_labels,
        legend,
    )


def _line(series: Series, slot_w: float, y: Callable[[float], float], dots: bool) -> list[str]:
    """A polyline per run of slots with data (a gap in the data is a gap in the line)."""
    out: list[str] = []
    run: list[str] = []
    dashed = " chart-line-dashed" if series.dashed else ""
    points = []
    for i, value in enumerate(series.values):
        if value is None:
            if len(run) > 1:
                out.append(_polyline(series.tone, dashed, run))
            run = []
            continue
        point = f"{_num((i + 0.5) * slot_w)},{_num(y(value))}"
        run.append(point)
        points.append(point)
    if len(run) > 1:
        out.append(_polyline(series.tone, dashed, run))
    if dots or len(points) == 1:
        # A zero-length path with a round cap: a dot that stays round however the SVG stretches.
        out.extend(
            format_html(
                '<path class="chart-dot chart-tone-{}" d="M{}l0 0"'
                ' vector-effect="non-scaling-stroke"/>',
                series.tone,
                point,
            )
            for point in points
        )
    return out


def _polyline(tone: str, dashed: str, points: list[str]) -> str:
    return format_html(
        '<polyline class="chart-line chart-tone-{}{}" points="{}"'
        ' vector-effect="non-scaling-stroke"/>',
        tone,
        dashed,
        " ".join(points),
    )


def _label_slots(slots: int) -> list[int]:
    if slots <= MAX_X_LABELS:
        return list(range(slots))
    every = math.ceil(slots / MAX_X_LABELS)
    return list(range(0, slots, every))


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# Formats for axes and tooltips ------------------------------------------------------------------


def fmt_count(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value / 1_000:.0f}k"
    if value >= 1_000:
        return f"{value / 1_000:.1f}k".replace(".0k", "k")
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def fmt_ms(value: float) -> str:
    if value >= 60_000:
        return f"{value / 60_000:.1f} min".replace(".0 min", " min")
    if value >= 1_000:
        return f"{value / 1_000:.1f} s".replace(".0 s", " s")
    return f"{value:.0f} ms"


def fmt_usd(value: float) -> str:
    if value == 0:
        return "$0"
    if value < 0.000001:
        return "<$0.000001"
    if value < 0.01:
        return "$" + f"{value:.6f}".rstrip("0")
    if value < 1:
        whole, _, decimals = f"{value:.3f}".rstrip("0").partition(".")
        return f"${whole}.{decimals.ljust(2, '0')}"
    if value < 100:
        return f"${value:.2f}"
    return f"${value:,.0f}"


def fmt_percent(value: float) -> str:
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"
