"""Words: splitting text into tokens, how alike two texts are, and word-level line diffs."""

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .constants import MAX_WORD_DIFF_WORDS
from .models import Segment

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


# --- A changed line, word by word -------------------------------------------------------------

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
