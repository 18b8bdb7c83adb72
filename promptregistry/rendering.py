"""Will a version render? A template can be valid and still fail every render: a Jinja2
attribute the sandbox refuses (`{{ name.__class__ }}`), a snippet that no longer exists.
Saved as it is, each fetch that renders it would answer 422.

Checked in two places: after the editor saves (a warning, rendered with the author's sample
values) and before a protected label such as production points at a version (refused,
see services/labels.py). Snippets are resolved first, as the API does.
"""

from typing import Any

from workspaces.principal import Principal

from . import snippet_refs, templating
from .models import PromptVersion

# What a variable without a sample value is rendered with. Only failures that can't depend
# on the value (sandbox refusals, syntax, snippets) count then: a Jinja2 loop over a text
# fails for reasons a real list would not.
STAND_IN = "sample"
VALUE_INDEPENDENT = (templating.TemplateSecurityError, templating.TemplateSyntaxError)


def render_problem(
    *,
    principal: Principal,
    name: str,
    stored: dict,
    template_format: str,
    values: dict[str, Any] | None = None,
) -> str:
    """Why this content can't be rendered with `values` ("Message 2: …"), or ""."""
    try:
        resolved = snippet_refs.resolve_content(principal=principal, name=name, stored=stored)
    except templating.TemplateError as error:
        return str(error)
    values = dict(values or {})
    try:
        _render(resolved, template_format, values)
        return ""
    except templating.MissingVariablesError as missing:
        values |= dict.fromkeys(missing.names, STAND_IN)
    except templating.TemplateError as error:
        return _where(error)
    try:
        _render(resolved, template_format, values)
    except VALUE_INDEPENDENT as error:
        return _where(error)
    except templating.TemplateError:
        return ""  # depends on values nobody gave: not ours to guess
    return ""


def version_render_problem(version: PromptVersion, principal: Principal) -> str:
    return render_problem(
        principal=principal,
        name=version.prompt.name,
        stored=version.content,
        template_format=version.template_format,
    )


def _render(resolved: dict, template_format: str, values: dict[str, Any]) -> None:
    if "text" in resolved:
        templating.render(resolved["text"], template_format, values)
    else:
        templating.render_messages(
            resolved["messages"], template_format, values, allow_missing_placeholders=True
        )


def _where(error: templating.TemplateError) -> str:
    index = getattr(error, "message_index", None)
    return f"Message {index + 1}: {error}" if index is not None else str(error)
