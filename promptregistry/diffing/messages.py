"""Matching the messages of two versions and diffing each pair."""

import difflib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from .constants import DEFAULT_CONTEXT, PAIRING_CUTOFF, SAME_ROLE_BONUS
from .grouping import group_rows
from .lines import _diff_lines, _RowBuilder
from .models import Message, MessageDiff, MessageStatus
from .pairing import Alignment, _align
from .words import similarity


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
