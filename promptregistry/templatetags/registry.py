"""Template helpers of the prompt registry: `{% load registry %}`.

- `{{ comment.body|markdown }}`: safe Markdown (promptregistry/markdown.py).
- `{{ message.content|highlight:version.template_format }}`: the template text, escaped, with
  variables in <mark class="highlight-variable"> and snippet references in
  <mark class="highlight-snippet"> (one tokenizer for every format: templating).
- `{{ row.left|diff_line:row.status }}`: a diff line's words with <ins>/<del> (the diffing package).
- `{{ version.created_at|ago }}`: "5 minutes ago", "just now".
- `{{ value|pretty_json }}` / `{{ value|config_display }}`: config values for people.
"""

import json

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from workspaces.templatetags.ui import ago

from .. import templating
from ..markdown import render_markdown

register = template.Library()

HIGHLIGHT_CLASSES = {"variable": "highlight-variable", "snippet": "highlight-snippet"}


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(str(render_markdown(text)))  # noqa: S308 - markdown.py escapes all input


@register.filter
def highlight(text: str, fmt: str = templating.DEFAULT_FORMAT) -> SafeString:
    try:
        tokens = templating.tokenize_for_highlight(text or "", fmt or templating.DEFAULT_FORMAT)
    except ValueError:  # an unknown format: show the text as it is
        return escape(text or "")
    parts = []
    for kind, chunk in tokens:
        css = HIGHLIGHT_CLASSES.get(kind)
        if css:
            parts.append(format_html('<mark class="{}">{}</mark>', css, chunk))
        else:
            parts.append(escape(chunk))
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above


@register.filter
def diff_line(line, status: str = "changed") -> SafeString:
    """Whole added or removed lines are plain text (the row's colour says it); a changed line
    marks the words that changed."""
    if line is None:
        return mark_safe("")
    if not line.text:
        return mark_safe("<br>")
    if status in ("inserted", "deleted", "equal"):
        return escape(line.text)
    parts = []
    for op, text in line.segments:
        if op == "insert":
            parts.append(format_html("<ins>{}</ins>", text))
        elif op == "delete":
            parts.append(format_html("<del>{}</del>", text))
        else:
            parts.append(escape(text))
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above


register.filter("ago", ago)  # one definition, shared with the workspace pages


@register.filter
def pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


@register.filter
def config_display(value) -> str:
    """A config value as a person reads it: text as is, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
