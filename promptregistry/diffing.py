"""What changed between two prompt versions, for the compare pages.

Pure standard library (difflib): no models, no database and no HTML. The compare templates
render the structures built here in two layouts:

* side by side: ``MessageDiff.row_groups`` -> ``Row`` (left ``Line`` | right ``Line``);
* inline: ``MessageDiff.inline_groups`` -> ``InlineLine``.

Both carry word-level ``Segment(op, text)`` pieces whose texts join back to the exact line,
so the template only has to escape each text and wrap "insert"/"delete" pieces in <ins>/<del>.
Runs of unchanged lines far from any change sit in ``Group(collapsed=True)`` so long system
prompts can fold away.

A text prompt is diffed as a single message with no role, so both layouts treat text and
chat prompts alike.
"""

import difflib
import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
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

DEFAULT_CONTEXT = 3
# Folding a single line behind an "expand" control saves no space, so shorter runs stay shown.
MIN_COLLAPSED_RUN = 2
# Two lines (or two messages of different roles) less alike than this are shown as a deletion
# plus an insertion: a word-level diff of unrelated text is just noise.
PAIRING_CUTOFF = 0.5
# Within a message, the same role is a strong hint that it is "the same" message rewritten.
SAME_ROLE_BONUS = 0.5
# Pairing items of a replaced block by similarity is quadratic; past this many candidate pairs
# (e.g. a 2,000-line prompt rewritten wholesale) we pair them in order instead.
MAX_PAIRING_CANDIDATES = 2_500
# Word-level matching gets slow on huge texts (seconds for a 30,000-word line). Past this many
# words, similarity compares whole lines instead; a single line that long therefore shows as
# deleted + inserted rather than word by word.
MAX_WORD_DIFF_WORDS = 2_000


# --- Tokens -----------------------------------------------------------------------------------

# Han and kana are written without spaces, so each character is its own "word".
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# Combining accents, variation selectors and skin tones belong to the character before them,
# so a diff never splits "é" (e + U+0301) or "👍🏽" in two.
_MARKS = "\u0300-\u036f\u20d0-\u20ff\ufe00-\ufe0f\U0001f3fb-\U0001f3ff"
_TOKEN_RE = re.compile(
    rf"[{_CJK}]"  # one Han/kana character
    rf"|(?:(?![{_CJK}])\w)(?:(?![{_CJK}])\w|[{_MARKS}])*"  # a word (letters, digits, _)
    r"|\s+"  # a run of whitespace, kept so whitespace-only edits show up
    rf"|[^\w\s](?:\u200d[^\w\s]|[{_MARKS}])*"  # one symbol, emoji ZWJ sequences kept whole
)


def tokenize(text: str) -> list[str]:
    """Split text into words, whitespace runs and single symbols; "".join() gives text back."""
    return _TOKEN_RE.findall(text)


def _count_words(tokens: Sequence[str]) -> int:
    # Punctuation counts as a word: "Hello." -> "Hello!" is a one-word change on the badge.
    return sum(1 for token in tokens if not token.isspace())


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    # Cached: pairing a replaced block compares every old line with every new line.
    return tuple(token for token in tokenize(text) if not token.isspace())


def similarity(old: str, new: str, floor: float = 0.0) -> float:
    """0..1 likeness of two texts by their words, ignoring whitespace.

    Returns 0.0 early when the texts cannot reach `floor`, which saves the full comparison.
    """
    if old == new:
        return 1.0
    old_items: Sequence[str] = _words(old)
    new_items: Sequence[str] = _words(new)
    if not old_items and not new_items:
        # Both blank: they differ only in whitespace, which is still "the same line".
        return 1.0
    if max(len(old_items), len(new_items)) > MAX_WORD_DIFF_WORDS:
        old_items, new_items = old.split("\n"), new.split("\n")
    matcher = difflib.SequenceMatcher(None, old_items, new_items)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


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


# --- Pairing ----------------------------------------------------------------------------------

type Alignment = list[tuple[int | None, int | None]]


def _interleave(old_count: int, new_count: int, pairs: Sequence[tuple[int, int]]) -> Alignment:
    """Order-preserving alignment: unpaired old items (removals) come before unpaired new ones."""
    alignment: Alignment = []
    old_next = new_next = 0
    for old_index, new_index in [*pairs, (old_count, new_count)]:
        alignment.extend((i, None) for i in range(old_next, old_index))
        alignment.extend((None, j) for j in range(new_next, new_index))
        if old_index < old_count:
            alignment.append((old_index, new_index))
        old_next, new_next = old_index + 1, new_index + 1
    return alignment


def _align(old_count: int, new_count: int, score: Callable[[int, int], float | None]) -> Alignment:
    """Pair the items of a replaced block, keeping order, maximising the summed score.

    score(i, j) is None when old item i and new item j must not be paired. This is an LCS
    over scores rather than equality, so a message edited *and* preceded by a new one still
    pairs with its edited self instead of with the newcomer.
    """
    if old_count * new_count > MAX_PAIRING_CANDIDATES:
        in_order = [(k, k) for k in range(min(old_count, new_count)) if score(k, k) is not None]
        return _interleave(old_count, new_count, in_order)

    scores = [[score(i, j) for j in range(new_count)] for i in range(old_count)]
    best = [[0.0] * (new_count + 1) for _ in range(old_count + 1)]
    for i in range(1, old_count + 1):
        for j in range(1, new_count + 1):
            value = max(best[i - 1][j], best[i][j - 1])
            pair_score = scores[i - 1][j - 1]
            if pair_score is not None:
                value = max(value, best[i - 1][j - 1] + pair_score)
            best[i][j] = value

    pairs: list[tuple[int, int]] = []
    i, j = old_count, new_count
    while i > 0 and j > 0:
        pair_score = scores[i - 1][j - 1]
        if pair_score is not None and best[i][j] == best[i - 1][j - 1] + pair_score:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif best[i][j] == best[i - 1][j]:
            i -= 1
        else:
            j -= 1
    pairs.reverse()
    return _interleave(old_count, new_count, pairs)


# --- Lines and words --------------------------------------------------------------------------

type Opcode = tuple[str, int, int, int, int]


def _word_opcodes(old_tokens: Sequence[str], new_tokens: Sequence[str]) -> list[Opcode]:
    opcodes = difflib.SequenceMatcher(None, old_tokens, new_tokens).get_opcodes()
    # A lone space between two edits ("a b c" -> "x y z") would chop the change into
    # del/ins/space/del/ins...; fold such whitespace-only gaps into one edit.
    merged: list[Opcode] = []
    for position, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        is_gap = (
            tag == "equal"
            and 0 < position < len(opcodes) - 1
            and all(token.isspace() for token in old_tokens[i1:i2])
        )
        if tag == "equal" and not is_gap:
            merged.append((tag, i1, i2, j1, j2))
        elif merged and merged[-1][0] != "equal":
            _, start_old, _, start_new, _ = merged[-1]
            merged[-1] = ("replace", start_old, i2, start_new, j2)
        else:
            merged.append(("replace", i1, i2, j1, j2))
    return merged


def _merge_segments(segments: list[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if merged and merged[-1].op == segment.op:
            merged[-1] = Segment(segment.op, merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return tuple(merged)


@dataclass(frozen=True)
class _LinePairDiff:
    left: tuple[Segment, ...]
    right: tuple[Segment, ...]
    inline: tuple[Segment, ...]
    words_added: int
    words_removed: int


def _diff_line_pair(old_line: str, new_line: str) -> _LinePairDiff:
    old_tokens, new_tokens = tokenize(old_line), tokenize(new_line)
    left: list[Segment] = []
    right: list[Segment] = []
    inline: list[Segment] = []
    words_added = words_removed = 0
    for tag, i1, i2, j1, j2 in _word_opcodes(old_tokens, new_tokens):
        old_text, new_text = "".join(old_tokens[i1:i2]), "".join(new_tokens[j1:j2])
        if tag == "equal":
            left.append(Segment("equal", old_text))
            right.append(Segment("equal", new_text))
            inline.append(Segment("equal", old_text))
            continue
        left.append(Segment("delete", old_text))
        right.append(Segment("insert", new_text))
        inline.extend([Segment("delete", old_text), Segment("insert", new_text)])
        words_removed += _count_words(old_tokens[i1:i2])
        words_added += _count_words(new_tokens[j1:j2])
    return _LinePairDiff(
        left=_merge_segments(left),
        right=_merge_segments(right),
        inline=_merge_segments(inline),
        words_added=words_added,
        words_removed=words_removed,
    )


def _whole(op: SegmentOp, text: str) -> tuple[Segment, ...]:
    return (Segment(op, text),) if text else ()


class _RowBuilder:
    """Accumulates side-by-side rows, the matching inline lines and the counts together."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.inline: list[InlineLine] = []
        self.words_added = self.words_removed = self.lines_added = self.lines_removed = 0

    def equal(self, old_number: int, new_number: int, text: str) -> None:
        segments = _whole("equal", text)
        self.rows.append(Row("equal", Line(old_number, segments), Line(new_number, segments)))
        self.inline.append(InlineLine("equal", old_number, new_number, segments))

    def deleted(self, old_number: int, text: str) -> None:
        segments = _whole("delete", text)
        self.rows.append(Row("deleted", Line(old_number, segments), None))
        self.inline.append(InlineLine("deleted", old_number, None, segments))
        self.lines_removed += 1
        self.words_removed += _count_words(tokenize(text))

    def inserted(self, new_number: int, text: str) -> None:
        segments = _whole("insert", text)
        self.rows.append(Row("inserted", None, Line(new_number, segments)))
        self.inline.append(InlineLine("inserted", None, new_number, segments))
        self.lines_added += 1
        self.words_added += _count_words(tokenize(text))

    def changed(self, old_number: int, new_number: int, old_text: str, new_text: str) -> None:
        pair = _diff_line_pair(old_text, new_text)
        self.rows.append(Row("changed", Line(old_number, pair.left), Line(new_number, pair.right)))
        self.inline.append(InlineLine("changed", old_number, new_number, pair.inline))
        self.lines_added += 1
        self.lines_removed += 1
        self.words_added += pair.words_added
        self.words_removed += pair.words_removed

    def stats(self) -> DiffStats:
        return DiffStats(self.words_added, self.words_removed, self.lines_added, self.lines_removed)


def _line_pair_score(old_line: str, new_line: str) -> float | None:
    ratio = similarity(old_line, new_line, floor=PAIRING_CUTOFF)
    return ratio if ratio >= PAIRING_CUTOFF else None


def _diff_lines(old_lines: Sequence[str], new_lines: Sequence[str], builder: _RowBuilder) -> None:
    # difflib's autojunk (on for 200+ lines) stops very frequent lines, such as the blank
    # lines of a long system prompt, from anchoring matches; without it a 2,000-line prompt
    # takes seconds. Such lines can then land inside a replaced block, hence the
    # identical-pair check below.
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                builder.equal(i1 + offset + 1, j1 + offset + 1, old_lines[i1 + offset])
            continue
        # delete/insert are replaces with an empty side; pair what is alike in the rest.
        old_block, new_block = old_lines[i1:i2], new_lines[j1:j2]
        alignment = _align(
            len(old_block),
            len(new_block),
            lambda i, j, old_block=old_block, new_block=new_block: _line_pair_score(
                old_block[i], new_block[j]
            ),
        )
        for old_offset, new_offset in alignment:
            if old_offset is not None and new_offset is not None:
                if old_block[old_offset] == new_block[new_offset]:
                    builder.equal(i1 + old_offset + 1, j1 + new_offset + 1, old_block[old_offset])
                    continue
                builder.changed(
                    i1 + old_offset + 1,
                    j1 + new_offset + 1,
                    old_block[old_offset],
                    new_block[new_offset],
                )
            elif old_offset is not None:
                builder.deleted(i1 + old_offset + 1, old_block[old_offset])
            elif new_offset is not None:
                builder.inserted(j1 + new_offset + 1, new_block[new_offset])


# --- Collapsing -------------------------------------------------------------------------------


def group_rows[T](
    items: Sequence[T], changed: Sequence[bool], context: int | None
) -> tuple[Group[T], ...]:
    """Split items into shown groups and collapsed groups of unchanged items.

    An item is shown when it is within `context` items of a changed one; context=None never
    collapses. A message with no changed line at all folds away entirely.
    """
    if not items:
        return ()
    if context is None:
        return (Group(collapsed=False, items=tuple(items)),)

    count = len(items)
    # Distance to the nearest change before and after each item, in two linear passes.
    far = count + context + 1
    distance = [far] * count
    last = -far
    for index in range(count):
        if changed[index]:
            last = index
        distance[index] = index - last
    last = count + far
    for index in range(count - 1, -1, -1):
        if changed[index]:
            last = index
        distance[index] = min(distance[index], last - index)
    hidden = [d > context for d in distance]

    runs: list[tuple[bool, list[T]]] = []
    for item, is_hidden in zip(items, hidden, strict=True):
        if runs and runs[-1][0] == is_hidden:
            runs[-1][1].append(item)
        else:
            runs.append((is_hidden, [item]))

    groups: list[Group[T]] = []
    for is_hidden, run in runs:
        collapsed = is_hidden and len(run) >= MIN_COLLAPSED_RUN
        if groups and not collapsed and not groups[-1].collapsed:
            groups[-1] = Group(collapsed=False, items=groups[-1].items + tuple(run))
        else:
            groups.append(Group(collapsed=collapsed, items=tuple(run)))
    return tuple(groups)


# --- Messages ---------------------------------------------------------------------------------


def _message_pair_score(old: Message, new: Message) -> float | None:
    if old.is_placeholder != new.is_placeholder:
        return None
    ratio = similarity(old.text, new.text)
    if old.role == new.role:
        return ratio + SAME_ROLE_BONUS
    # A different role pairs only when the text is recognisably the same message.
    return ratio if ratio >= PAIRING_CUTOFF else None


def _diff_message(
    old: Message | None,
    new: Message | None,
    old_index: int | None,
    new_index: int | None,
    context: int | None,
) -> MessageDiff:
    builder = _RowBuilder()
    status: MessageStatus
    if old is not None and new is not None:
        _diff_lines(old.lines, new.lines, builder)
        status = "equal" if old.key == new.key else "changed"
    elif old is not None:
        for number, text in enumerate(old.lines, start=1):
            builder.deleted(number, text)
        status = "removed"
    elif new is not None:
        for number, text in enumerate(new.lines, start=1):
            builder.inserted(number, text)
        status = "added"
    else:
        raise ValueError("a message diff needs an old or a new message")

    changed = [row.status != "equal" for row in builder.rows]
    return MessageDiff(
        status=status,
        old=old,
        new=new,
        old_index=old_index,
        new_index=new_index,
        rows=tuple(builder.rows),
        row_groups=group_rows(builder.rows, changed, context),
        inline=tuple(builder.inline),
        inline_groups=group_rows(builder.inline, changed, context),
        stats=builder.stats(),
    )


def _mark_moves(diffs: Sequence[MessageDiff]) -> tuple[MessageDiff, ...]:
    removed_at: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
    for position, diff in enumerate(diffs):
        if diff.status == "removed" and diff.old is not None:
            removed_at[diff.old.key].append(position)
    moved: set[int] = set()
    for position, diff in enumerate(diffs):
        if diff.status == "added" and diff.new is not None and removed_at[diff.new.key]:
            moved.update((position, removed_at[diff.new.key].pop(0)))
    return tuple(
        replace(diff, moved=True) if position in moved else diff
        for position, diff in enumerate(diffs)
    )


def diff_messages(
    old: Sequence[Message], new: Sequence[Message], *, context: int | None = DEFAULT_CONTEXT
) -> tuple[MessageDiff, ...]:
    """Match messages in order, so an inserted message is "added", not "everything changed"."""
    matcher = difflib.SequenceMatcher(
        None, [message.key for message in old], [message.key for message in new], autojunk=False
    )
    alignment: Alignment = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            alignment.extend(zip(range(i1, i2), range(j1, j2), strict=True))
            continue
        old_block, new_block = old[i1:i2], new[j1:j2]
        block_alignment = _align(
            len(old_block),
            len(new_block),
            lambda i, j, old_block=old_block, new_block=new_block: _message_pair_score(
                old_block[i], new_block[j]
            ),
        )
        alignment.extend(
            (None if i is None else i1 + i, None if j is None else j1 + j)
            for i, j in block_alignment
        )
    diffs = [
        _diff_message(
            None if i is None else old[i],
            None if j is None else new[j],
            i,
            j,
            context,
        )
        for i, j in alignment
    ]
    return _mark_moves(diffs)


# --- Config -----------------------------------------------------------------------------------

_PLAIN_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _key_path(path: str, key: Any) -> str:
    key = str(key)
    if _PLAIN_KEY_RE.fullmatch(key):
        return f"{path}.{key}" if path else key
    # Keys with dots, spaces etc. are quoted so the path stays unambiguous: a["x.y"].
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _same_value(old: Any, new: Any) -> bool:
    # JSON has one number type, so 1 and 1.0 are the same; but True == 1 in Python, and
    # `stream: 1` -> `stream: true` is a real change.
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    return old == new


def _walk_config(old: Any, new: Any, path: str, out: list[ConfigChange]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        # The old order first, then keys only the new version has: reads like the JSON.
        keys = list(old) + [key for key in new if key not in old]
        for key in keys:
            _walk_config(old.get(key, MISSING), new.get(key, MISSING), _key_path(path, key), out)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            _walk_config(
                old[index] if index < len(old) else MISSING,
                new[index] if index < len(new) else MISSING,
                f"{path}[{index}]",
                out,
            )
    elif old is MISSING:
        out.append(ConfigChange(path=path, old=MISSING, new=new, kind="added"))
    elif new is MISSING:
        out.append(ConfigChange(path=path, old=old, new=MISSING, kind="removed"))
    elif not _same_value(old, new):
        out.append(ConfigChange(path=path, old=old, new=new, kind="changed"))


def diff_config(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[ConfigChange, ...]:
    """Leaf-level changes; a key added or removed with a whole object is one change."""
    changes: list[ConfigChange] = []
    _walk_config(old or {}, new or {}, "", changes)
    return tuple(changes)


# --- Entry point ------------------------------------------------------------------------------


def diff_versions(
    old: VersionSnapshot, new: VersionSnapshot, *, context: int | None = DEFAULT_CONTEXT
) -> VersionDiff:
    """Everything that differs from old to new; context=None never collapses unchanged rows."""
    if context is not None and context < 0:
        raise ValueError("context must be >= 0 or None")
    messages = diff_messages(old.messages(), new.messages(), context=context)
    stats = DiffStats()
    for message in messages:
        stats += message.stats
    template_format_change = (
        ValueChange(old.template_format, new.template_format)
        if old.template_format != new.template_format
        else None
    )
    kind_change = ValueChange(old.kind, new.kind) if old.kind != new.kind else None
    return VersionDiff(
        old=old,
        new=new,
        messages=messages,
        config_changes=diff_config(old.config, new.config),
        template_format_change=template_format_change,
        kind_change=kind_change,
        stats=stats,
        context=context,
    )
