from django import template

from ..models import Dataset

register = template.Library()


@register.simple_tag
def datasets_of(workspace) -> list[Dataset]:
    """The workspace's datasets, for the request log's "Add to dataset" menu."""
    return list(Dataset.objects.filter(workspace=workspace).only("id", "name")[:200])


@register.filter
def score_class(value) -> str:
    if value is None:
        return "is-none"
    if value >= 0.8:
        return "is-good"
    if value >= 0.5:
        return "is-mid"
    return "is-bad"


@register.filter
def signed(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:+.{digits}f}"


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def duration(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
