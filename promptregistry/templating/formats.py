"""The template formats a prompt can be written in.

Their syntax is documented in :mod:`promptregistry.templating.engine`.
"""

from __future__ import annotations

import enum


class TemplateFormat(enum.StrEnum):
    """The syntax a prompt template is written in."""

    MUSTACHE = "mustache"
    FSTRING = "fstring"
    JINJA2 = "jinja2"


DEFAULT_FORMAT = TemplateFormat.MUSTACHE

TemplateFormatLike = TemplateFormat | str


def _coerce_format(fmt: TemplateFormatLike) -> TemplateFormat:
    try:
        return TemplateFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in TemplateFormat)
        raise ValueError(f"Unknown template format {fmt!r}; choose one of {choices}") from None
