"""mustache and fstring templates: parsed into pieces, rendered without any evaluation.

Also splits any template around its snippet references, for every format.
"""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promptregistry.templating import snippets
from promptregistry.templating.errors import TemplateSyntaxError
from promptregistry.templating.formats import TemplateFormat


@dataclass(frozen=True)
class _Literal:
    text: str  # what the piece renders as
    source: str  # how it is written in the template


@dataclass(frozen=True)
class _Field:
    name: str
    source: str


@dataclass(frozen=True)
class _Reference:
    source: str


_Piece = _Literal | _Field | _Reference

_MUSTACHE_TAG = re.compile(r"\{\{(?P<body>[^{}\n]*)\}\}")
_MUSTACHE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_FSTRING_TOKEN = re.compile(
    r"(?P<escape>\{\{|\}\})"
    r"|(?P<field>\{(?:[^{}]|\{[^{}]*\})*\})"  # one nesting level, as in "{a:{b}}"
    r"|(?P<lone>[{}])"
)
_FSTRING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _parse(text: str, fmt: TemplateFormat, *, strict: bool = True) -> list[_Piece]:
    """Parse a mustache or fstring template. Non-strict parsing never raises."""
    return list(_parse_cached(text, fmt, strict))


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str, fmt: TemplateFormat, strict: bool) -> tuple[_Piece, ...]:
    # The same few templates are rendered over and over (API, gateway, evaluations): parse
    # once. Pieces are frozen, and errors are raised, never cached.
    return tuple(_parse_uncached(text, fmt, strict=strict))


def _parse_uncached(text: str, fmt: TemplateFormat, *, strict: bool = True) -> list[_Piece]:
    parse_chunk = _parse_mustache_chunk if fmt is TemplateFormat.MUSTACHE else _parse_fstring_chunk
    pieces: list[_Piece] = []
    for chunk, is_reference, offset in _split_references(text, strict=strict):
        if is_reference:
            pieces.append(_Reference(chunk))
        else:
            pieces.extend(parse_chunk(chunk, text, offset, strict))
    return pieces


def _parse_mustache_chunk(chunk: str, text: str, offset: int, strict: bool) -> list[_Piece]:
    pieces: list[_Piece] = []
    position = 0
    for match in _MUSTACHE_TAG.finditer(chunk):
        body = match.group("body").strip()
        if not _MUSTACHE_NAME.fullmatch(body):
            if strict:
                lineno = _line_of(text, offset + match.start())
                raise TemplateSyntaxError(_mustache_tag_problem(match.group(), body), lineno)
            continue  # left in the surrounding literal text
        if match.start() > position:
            literal = chunk[position : match.start()]
            pieces.append(_Literal(literal, literal))
        pieces.append(_Field(body, match.group()))
        position = match.end()
    if position < len(chunk):
        pieces.append(_Literal(chunk[position:], chunk[position:]))
    return pieces


def _mustache_tag_problem(tag: str, body: str) -> str:
    if not body:
        return f"Empty tag {tag}: write a variable name between the braces"
    if body[0] in "#^/":
        return f"Mustache sections such as {tag} are not supported; use the jinja2 format for logic"
    if body[0] == ">":
        return f"Invalid snippet reference {tag}: write {{{{> name}}}} or {{{{> name|label=x}}}}"
    if body[0] in "!&{=":
        return f"Mustache tag {tag} is not supported; only {{{{variable}}}} substitution is"
    return (
        f'Invalid variable name "{body}" in {tag}: names start with a letter or "_" and contain'
        ' only letters, digits, "_", "." and "-"'
    )


def _parse_fstring_chunk(chunk: str, text: str, offset: int, strict: bool) -> list[_Piece]:
    pieces: list[_Piece] = []
    position = 0
    for match in _FSTRING_TOKEN.finditer(chunk):
        if match.start() > position:
            literal = chunk[position : match.start()]
            pieces.append(_Literal(literal, literal))
        position = match.end()
        token = match.group()
        if match.lastgroup == "escape":
            pieces.append(_Literal(token[0], token))
            continue
        problem, name = _fstring_field(token) if match.lastgroup == "field" else (None, None)
        if match.lastgroup == "lone":
            problem = f"Single '{token}' in template: write '{token}{token}' for a literal brace"
        if problem is None and name is not None:
            pieces.append(_Field(name, token))
        elif strict:
            raise TemplateSyntaxError(problem or token, _line_of(text, offset + match.start()))
        else:
            pieces.append(_Literal(token, token))
    if position < len(chunk):
        pieces.append(_Literal(chunk[position:], chunk[position:]))
    return pieces


def _fstring_field(token: str) -> tuple[str | None, str | None]:
    """Validate one ``{...}`` field; return (problem, None) or (None, name)."""
    try:
        # Python's own parser, so fields split exactly as str.format would split them.
        [(_, name, spec, conversion)] = list(string.Formatter().parse(token))
    except ValueError as exc:
        return f"Invalid field {token}: {exc}", None
    assert name is not None  # noqa: S101 - the token regex only matches fields
    if conversion is not None:
        return f"Conversions such as !{conversion} are not supported: {token}", None
    if spec:
        return f"Format specs are not supported: {token}; format the value before rendering", None
    if not name or name.isdigit():
        return f"Positional field {token} is not supported: name the variable, e.g. {{name}}", None
    if "." in name or "[" in name:
        return (
            f"Attribute and index access are not supported: {token}; pass the value as a"
            " variable of its own",
            None,
        )
    if not _FSTRING_NAME.fullmatch(name):
        return (
            f'Invalid variable name "{name}" in {token}: names start with a letter or "_" and'
            ' contain only letters, digits and "_" (write {{ and }} for literal braces)',
            None,
        )
    return None, name


def _render_piece(piece: _Piece, values: Mapping[str, Any]) -> str:
    if isinstance(piece, _Field):
        return _to_text(values[piece.name])
    if isinstance(piece, _Reference):
        return piece.source
    return piece.text


def _mustache_source(piece: _Piece) -> str:
    if isinstance(piece, _Field):
        return "{{" + piece.name + "}}"
    if isinstance(piece, _Reference):
        return piece.source
    return piece.text


def _merge_literals(pieces: list[_Piece]) -> list[tuple[str, str]]:
    """Meaning of a parsed template: adjacent literal texts joined together."""
    merged: list[tuple[str, str]] = []
    for piece in pieces:
        if isinstance(piece, _Field):
            kind, value = "field", piece.name
        else:
            kind, value = "text", _render_piece(piece, {})
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + value)
        elif value or kind == "field":
            merged.append((kind, value))
    return merged


def _to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _split_references(text: str, *, strict: bool) -> list[tuple[str, bool, int]]:
    """Split ``text`` into (chunk, is_reference, offset) around snippet references."""
    chunks: list[tuple[str, bool, int]] = []
    position = 0
    for reference in snippets.find_references(text, strict=strict):
        start, end = reference.span
        if start > position:
            chunks.append((text[position:start], False, position))
        chunks.append((text[start:end], True, start))
        position = end
    if position < len(text) or not chunks:
        chunks.append((text[position:], False, position))
    return chunks


_UNCLOSED_SHOWN = 24  # characters of an unclosed tag quoted back to the author


def unclosed_mustache_tags(text: str) -> list[str]:
    """Every ``{{`` that no ``}}`` closes on its line, as written (``{{name``, ``{{name}``).

    The engine sends these as literal text (see engine.py), which is what Langfuse does
    too; the editor warns, because it is almost always a typo.
    """
    found: list[str] = []
    for line in text.split("\n"):
        rest = _MUSTACHE_TAG.sub(lambda match: " " * len(match.group()), line)
        start = rest.find("{{")
        while start != -1:
            end = rest.find("{{", start + 2)
            fragment = line[start : end if end != -1 else len(line)].rstrip()
            if len(fragment) > _UNCLOSED_SHOWN:
                fragment = fragment[:_UNCLOSED_SHOWN].rstrip() + "…"
            found.append(fragment)
            start = end
    return found
