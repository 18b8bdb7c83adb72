"""Numbers as the gateway pages say them: durations, money, token counts, charts."""

import json

from django import template

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
def source_label(value: str) -> str:
    return dict(Completion.Source.choices).get(value, value or "—")
