"""Line-level diff of one message's text into side-by-side rows and inline lines."""

import difflib
from collections.abc import Sequence

from .constants import PAIRING_CUTOFF
from .models import DiffStats, InlineLine, Line, Row, Segment, SegmentOp
from .pairing import _align
from .words import _count_words, _diff_line_pair, similarity, tokenize


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
