"""Numbers as the gateway pages say them: durations, money, token counts, charts."""

import json
from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..analytics import charts
from ..models import Completion

register = template.Library()


@register.filter
def ms(value) -> str:
    """1234 -> "1.2 s"; None -> "—"."""
    return "—" if value is None else charts.fmt_ms(float(value))


@register.filter
def usd(value) -> str:
    return "—" if value is None else charts.fmt_usd(float(value))


@register.filter
def count(value) -> str:
    return "—" if value is None else charts.fmt_count(float(value))


@register.filter
def percent(value) -> str:
    return "—" if value is None else charts.fmt_percent(float(value))


@register.filter
def share(part, whole) -> float:
    """part as a percentage of whole, for bar widths."""
    return round(100 * part / whole, 1) if whole else 0


@register.simple_tag
def chart(spec) -> str:
    return charts.render(spec)


@register.filter
def bound_field(form, name: str):
    return form[name]


@register.filter
def message_text(content) -> str:
    """A message's content as text: strings as they are, parts joined, anything else as JSON."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        texts = [p.get("text") for p in content if isinstance(p.get("text"), str)]
        if len(texts) == len(content):
            return "\n".join(texts)
    return json.dumps(content, ensure_ascii=False, indent=2)


@register.filter
def as_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@register.filter
def tool_arguments(arguments) -> str:
    """A tool call's arguments (the JSON text the model wrote) pretty-printed; text that isn't
    JSON as it came (the model may write broken JSON: showing it is the point)."""
    try:
        return json.dumps(json.loads(arguments), ensure_ascii=False, indent=2)
    except (TypeError, ValueError):
        return str(arguments or "")


@register.filter
def source_label(value: str) -> str:
    return dict(Completion.Source.choices).get(value, value or "—")


@register.filter
def price(value) -> str:
    """A price per million tokens: at least two decimals, no trailing zeros past them."""
    if value is None:
        return "—"
    text = f"{Decimal(value):.6f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


THUMB_UP = (
    "M7 10v11H4a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1zM7 10l4-7a2.5 2.5 0 0 1 3 2.7L13.4 9H19a2 2 0 0 1 "
    "2 2.3l-1.2 7A2 2 0 0 1 17.8 20H7"
)


@register.simple_tag
def thumb(direction: str, size: int = 16) -> str:
    """A thumbs up or down, drawn (emoji fonts are not everywhere)."""
    flip = ' transform="rotate(180 12 12)"' if direction == "down" else ""
    return format_html(
        '<svg class="thumb-icon thumb-{}" width="{}" height="{}" viewBox="0 0 24 24" fill="none"'
        ' stroke="currentColor" stroke-width="1.8" stroke-linecap="round"'
        ' stroke-linejoin="round" aria-hidden="true"><path d="{}"{}/></svg>',
        direction,
        size,
        size,
        THUMB_UP,
        mark_safe(flip),  # noqa: S308 - a constant
    )
