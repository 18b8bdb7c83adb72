"""The diff's data: what goes in (VersionSnapshot, Message) and what comes out (VersionDiff).

Frozen dataclasses; the algorithms that fill them live in the sibling modules.
"""

import json
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, NamedTuple, Self


class Missing(Enum):
    """The value on the side of a config change where the key does not exist (not JSON null)."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing.MISSING

PromptKind = Literal["text", "chat"]
SegmentOp = Literal["equal", "insert", "delete"]
RowStatus = Literal["equal", "changed", "inserted", "deleted"]
MessageStatus = Literal["equal", "changed", "added", "removed"]
ChangeKind = Literal["added", "removed", "changed"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# --- Input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One chat message (or a whole text prompt, with role None), normalised for diffing."""

    role: str | None
    text: str
    # Set for {"type": "placeholder", "name": ...}: messages spliced in at run time.
    placeholder: str | None = None

    @property
    def is_placeholder(self) -> bool:
        return self.placeholder is not None

    @property
    def key(self) -> tuple[str, ...]:
        # Placeholders compare by name only; other messages by (role, content).
        if self.placeholder is not None:
            return ("placeholder", self.placeholder)
        return ("message", self.role or "", self.text)

    @property
    def lines(self) -> list[str]:
        # Split on "\n" only (not splitlines) so a "\r" left at a line end is a visible change.
        return self.text.split("\n") if self.text else []


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # OpenAI-style content parts: keep text parts readable, show the others as JSON.
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            else:
                parts.append(_json(part))
        return "\n".join(parts)
    return _json(content)


def _message_from_dict(raw: Any) -> Message:
    if not isinstance(raw, Mapping):
        return Message(role=None, text=_content_text(raw))
    if raw.get("type") == "placeholder":
        name = str(raw.get("name", ""))
        return Message(role=None, text=name, placeholder=name)
    role = raw.get("role")
    return Message(role=None if role is None else str(role), text=_content_text(raw.get("content")))


@dataclass(frozen=True)
class VersionSnapshot:
    """The parts of a prompt version that a diff looks at."""

    kind: PromptKind
    content: Mapping[str, Any]
    config: Mapping[str, Any] = field(default_factory=dict)
    template_format: str = "mustache"

    @classmethod
    def from_dicts(
        cls,
        content: Mapping[str, Any],
        config: Mapping[str, Any] | None = None,
        template_format: str = "mustache",
        *,
        kind: PromptKind | None = None,
    ) -> Self:
        """Build from a version's stored JSON; kind is inferred from content when not given."""
        if not isinstance(content, Mapping):
            raise ValueError("content must be a JSON object")
        inferred: PromptKind
        if "messages" in content:
            inferred = "chat"
        elif "text" in content:
            inferred = "text"
        else:
            raise ValueError('content needs "text" (text prompt) or "messages" (chat prompt)')
        if kind is not None and kind != inferred:
            raise ValueError(f"content looks like a {inferred} prompt, not {kind}")
        if inferred == "chat" and not isinstance(content["messages"], list):
            raise ValueError('"messages" must be a list')
        if config is not None and not isinstance(config, Mapping):
            raise ValueError("config must be a JSON object")
        # Copies, so a diff cannot change when the caller later edits its dicts.
        return cls(
            kind=inferred,
            content=deepcopy(dict(content)),
            config=deepcopy(dict(config or {})),
            template_format=template_format,
        )

    def messages(self) -> tuple[Message, ...]:
        if self.kind == "text":
            return (Message(role=None, text=_content_text(self.content.get("text"))),)
        return tuple(_message_from_dict(raw) for raw in self.content.get("messages", []))


# --- Output -----------------------------------------------------------------------------------


class Segment(NamedTuple):
    """A piece of a line: ("equal" | "insert" | "delete", text)."""

    op: SegmentOp
    text: str


@dataclass(frozen=True)
class Line:
    """One side of a side-by-side row; number is 1-based within its message."""

    number: int
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class Row:
    """A side-by-side row. left is None for "inserted" rows, right None for "deleted" ones."""

    status: RowStatus
    left: Line | None
    right: Line | None


@dataclass(frozen=True)
class InlineLine:
    """An inline row: a changed line shows its deleted words, then its inserted words."""

    status: RowStatus
    old_number: int | None
    new_number: int | None
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)


@dataclass(frozen=True)
class Group[T]:
    """Consecutive rows shown together; collapsed=True: unchanged rows far from any change."""

    collapsed: bool
    items: tuple[T, ...]

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class DiffStats:
    words_added: int = 0
    words_removed: int = 0
    lines_added: int = 0
    lines_removed: int = 0

    def __add__(self, other: "DiffStats") -> "DiffStats":
        return DiffStats(
            words_added=self.words_added + other.words_added,
            words_removed=self.words_removed + other.words_removed,
            lines_added=self.lines_added + other.lines_added,
            lines_removed=self.lines_removed + other.lines_removed,
        )

    @property
    def words_label(self) -> str:
        return f"+{self.words_added} \u2212{self.words_removed} words"

    @property
    def lines_label(self) -> str:
        return f"+{self.lines_added} \u2212{self.lines_removed} lines"


@dataclass(frozen=True)
class MessageDiff:
    """One message of either version: equal, changed, added (new only) or removed (old only)."""

    status: MessageStatus
    old: Message | None
    new: Message | None
    old_index: int | None
    new_index: int | None
    rows: tuple[Row, ...]
    row_groups: tuple[Group[Row], ...]
    inline: tuple[InlineLine, ...]
    inline_groups: tuple[Group[InlineLine], ...]
    stats: DiffStats
    # An added/removed message whose exact twin was removed/added elsewhere: it moved.
    moved: bool = False

    @property
    def old_role(self) -> str | None:
        return self.old.role if self.old else None

    @property
    def new_role(self) -> str | None:
        return self.new.role if self.new else None

    @property
    def role(self) -> str | None:
        return self.new_role if self.new else self.old_role

    @property
    def role_changed(self) -> bool:
        return self.old is not None and self.new is not None and self.old.role != self.new.role

    @property
    def is_placeholder(self) -> bool:
        return any(message.is_placeholder for message in (self.old, self.new) if message)

    @property
    def placeholder_name(self) -> str | None:
        message = self.new or self.old
        return message.placeholder if message else None


@dataclass(frozen=True)
class ConfigChange:
    """One leaf that differs, e.g. path "response_format.json_schema.strict" or "stop[1]"."""

    path: str
    old: Any  # MISSING when added
    new: Any  # MISSING when removed
    kind: ChangeKind

    @property
    def has_old(self) -> bool:
        return self.old is not MISSING

    @property
    def has_new(self) -> bool:
        return self.new is not MISSING

    @property
    def old_display(self) -> str:
        return "" if self.old is MISSING else _json(self.old)

    @property
    def new_display(self) -> str:
        return "" if self.new is MISSING else _json(self.new)


@dataclass(frozen=True)
class ValueChange:
    old: str
    new: str


@dataclass(frozen=True)
class VersionDiff:
    old: VersionSnapshot
    new: VersionSnapshot
    messages: tuple[MessageDiff, ...]
    config_changes: tuple[ConfigChange, ...]
    template_format_change: ValueChange | None
    kind_change: ValueChange | None
    stats: DiffStats
    context: int | None

    @property
    def has_changes(self) -> bool:
        return (
            any(message.status != "equal" for message in self.messages)
            or bool(self.config_changes)
            or self.template_format_change is not None
            or self.kind_change is not None
        )

    @property
    def identical(self) -> bool:
        return not self.has_changes

    @property
    def messages_added(self) -> int:
        return sum(1 for message in self.messages if message.status == "added")

    @property
    def messages_removed(self) -> int:
        return sum(1 for message in self.messages if message.status == "removed")

    @property
    def messages_changed(self) -> int:
        return sum(1 for message in self.messages if message.status == "changed")
