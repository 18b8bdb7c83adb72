"""Small presentation helpers used by every page: icons and avatars."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html, mark_safe
from django.utils.timesince import timesince

from workspaces import audit

register = template.Library()

# Hand-drawn 24x24 stroke icons (currentColor), kept tiny on purpose.
ICON_PATHS = {
    "home": "M3 11l9-7 9 7v9a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z",
    "users": "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a6 6 0 0 1 12 0v1"
    "M16 3.5a4 4 0 0 1 0 7"
    "M22 21v-1a6 6 0 0 0-4-5.6",
    "mail": "M3 5h18v14H3zM3 6l9 7 9-7",
    "key": "M15 7a4 4 0 1 1-3.9 4.9L4 19v2h3v-2h2v-2h2l1.1-1.1A4 4 0 0 1 15 7zM16 9h.01",
    "shield": "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z",
    "settings": "M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0M14 4v4M8 10v4M16 16v4",
    "menu": "M4 6h16M4 12h16M4 18h16",
    "file": "M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8zM14 3v5h5M9 13h6M9 17h6",
    "folder": "M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z",
    "puzzle": "M10 4a2 2 0 1 1 4 0v2h4v4h-2a2 2 0 1 0 0 4h2v4h-4v-2a2 2 0 1 0-4 0v2H6v-4h2"
    "a2 2 0 1 0 0-4H6V6h4z",
    "plus": "M12 5v14M5 12h14",
    "check": "M5 12l5 5L20 7",
    "clock": "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 3",
    "tag": "M3 12V4a1 1 0 0 1 1-1h8l9 9-9 9zM7.5 7.5h.01",
    "play": "M7 4l13 8-13 8z",
    "beaker": "M9 3h6M10 3v6l-5 9a2 2 0 0 0 2 3h10a2 2 0 0 0 2-3l-5-9V3",
    "list": "M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01",
    "chart": "M4 20V10M10 20V4M16 20v-7M22 20H2",
    "cpu": "M6 6h12v12H6zM10 10h4v4h-4zM9 3v3M15 3v3M9 18v3M15 18v3M3 9h3M3 15h3M18 9h3M18 15h3",
    "archive": "M3 5h18v4H3zM5 9v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V9M10 13h4",
}


@register.simple_tag
def icon(name: str, size: int = 18) -> str:
    path = ICON_PATHS[name]
    return format_html(
        '<span class="nav-icon" aria-hidden="true"><svg width="{}" height="{}" viewBox="0 0 24 24"'
        ' fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"'
        ' stroke-linejoin="round"><path d="{}"/></svg></span>',
        size,
        size,
        mark_safe(path),  # noqa: S308 - constant paths defined above, never user input
    )


@register.filter
def initials(user) -> str:
    name = getattr(user, "name", "") or getattr(user, "email", "") or "?"
    parts = [p for p in name.replace("@", " ").replace(".", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")


def _display(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@register.filter
def audit_changes(event) -> list[tuple[str, str | None, str | None]]:
    """An audit event's before/after data as (field, before, after) rows for people to read."""
    before = event.data.get("before") or {}
    after = event.data.get("after") or {}
    keys = list(dict.fromkeys([*before, *after]))
    empty = (None, 0, "", [])  # a setting that stayed unset says nothing: left out
    return [
        (key.replace("_", " "), _display(before.get(key)), _display(after.get(key)))
        for key in keys
        if not (before.get(key) is None and after.get(key) in empty)
    ]


@register.filter
def audit_sentence(event) -> str:
    return audit.sentence(event)


@register.filter
def ago(value) -> str:
    """“just now” for the last minute, then “3 hours ago”: how people say it."""
    if not value:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value, depth=1)} ago"
