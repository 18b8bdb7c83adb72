"""Splitting template text into tokens for syntax highlighting in the editor."""

from __future__ import annotations

import re
from typing import Literal

from promptregistry.templating.formats import (
    DEFAULT_FORMAT,
    TemplateFormat,
    TemplateFormatLike,
    _coerce_format,
)
from promptregistry.templating.parsing import _Field, _parse, _Reference, _split_references

HighlightKind = Literal["text", "variable", "snippet"]

_JINJA_HIGHLIGHT = re.compile(r"(?P<expr>\{\{.*?\}\})|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def tokenize_for_highlight(
    text: str, fmt: TemplateFormatLike = DEFAULT_FORMAT
) -> list[tuple[HighlightKind, str]]:
    """Split ``text`` into ("text" | "variable" | "snippet", source) tokens.

    Joining the sources gives back ``text`` exactly. This never raises on
    invalid templates (the editor highlights while the author types):
    anything that is not a valid variable or reference is "text". For Jinja2
    every ``{{ ... }}`` expression is a "variable" token.
    """
    fmt = _coerce_format(fmt)
    tokens: list[tuple[HighlightKind, str]] = []
    if fmt is TemplateFormat.JINJA2:
        for chunk, is_reference, _ in _split_references(text, strict=False):
            if is_reference:
                tokens.append(("snippet", chunk))
            else:
                tokens.extend(_jinja_highlight(chunk))
    else:
        for piece in _parse(text, fmt, strict=False):
            if isinstance(piece, _Field):
                tokens.append(("variable", piece.source))
            elif isinstance(piece, _Reference):
                tokens.append(("snippet", piece.source))
            else:
                tokens.append(("text", piece.source))
    return _merge_text_tokens(tokens)


def _jinja_highlight(chunk: str) -> list[tuple[HighlightKind, str]]:
    tokens: list[tuple[HighlightKind, str]] = []
    position = 0
    for match in _JINJA_HIGHLIGHT.finditer(chunk):
        tokens.append(("text", chunk[position : match.start()]))
        tokens.append(("variable" if match.lastgroup == "expr" else "text", match.group()))
        position = match.end()
    tokens.append(("text", chunk[position:]))
    return tokens


def _merge_text_tokens(
    tokens: list[tuple[HighlightKind, str]],
) -> list[tuple[HighlightKind, str]]:
    merged: list[tuple[HighlightKind, str]] = []
    for kind, source in tokens:
        if not source:
            continue
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + source)
        else:
            merged.append((kind, source))
    return merged
