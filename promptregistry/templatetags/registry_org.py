"""Folder and label helpers of the registry's organisation pages: `{% load registry_org %}`.

- `{% for name, path in prompt.folder_path|folder_crumbs %}`: each ancestor folder, clickable.
- `{{ label.name|label_badge }}`: the badge class of a release label.
- `{{ label|label_summary }}`: "v7", or "v7 90% · v8 10%" while traffic is split.
(Highlighting, Markdown and times are in the `registry` library.)
"""

from django import template

register = template.Library()


@register.filter
def folder_crumbs(path: str) -> list[tuple[str, str]]:
    """ "support/billing" -> [("support", "support"), ("billing", "support/billing")]."""
    if not path:
        return []
    parts = path.split("/")
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


@register.filter
def label_badge(name: str) -> str:
    """production and staging have their own colours; other labels the neutral one."""
    return {"production": "badge-production", "staging": "badge-staging"}.get(name, "")


@register.filter
def label_summary(label) -> str:
    """Where a label points: "v7", or with an A/B split "v7 90% · v8 10%"."""
    if not label.has_split:
        return f"v{label.version.number}"
    rest = 100 - label.split_percent
    return f"v{label.version.number} {rest}% · v{label.split_version.number} {label.split_percent}%"
