"""The exceptions raised by the template engine, all subclasses of :class:`TemplateError`."""

from __future__ import annotations

from collections.abc import Sequence


class TemplateError(Exception):
    """Base class of every error raised by the template engine."""

    #: Set by :func:`render_messages` to the index of the chat message at fault.
    message_index: int | None = None


class TemplateSyntaxError(TemplateError):
    """The template cannot be parsed. ``lineno`` is 1-based when known."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        self.message = message
        self.lineno = lineno
        super().__init__(f"Line {lineno}: {message}" if lineno is not None else message)


class MissingVariablesError(TemplateError):
    """Variables used by the template were not given a value."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        super().__init__(self._describe(self.names))

    @staticmethod
    def _describe(names: list[str]) -> str:
        quoted = ", ".join(f'"{name}"' for name in names)
        if len(names) == 1:
            return f"Missing value for variable {quoted}"
        return f"Missing values for variables {quoted}"


class MissingPlaceholdersError(MissingVariablesError):
    """Chat placeholders (e.g. ``history``) were not given any messages."""

    @staticmethod
    def _describe(names: list[str]) -> str:
        quoted = ", ".join(f'"{name}"' for name in names)
        if len(names) == 1:
            return f"Missing messages for placeholder {quoted}"
        return f"Missing messages for placeholders {quoted}"


class TemplateLimitError(TemplateError):
    """Rendering exceeded its time or size limit."""


class TemplateSecurityError(TemplateError):
    """A Jinja2 template tried something the sandbox forbids."""


class TemplateRenderError(TemplateError):
    """A Jinja2 template failed while rendering (e.g. a division by zero)."""


class TemplateFormatNotConvertible(TemplateError):
    """The template cannot be expressed in the requested format."""
