"""Pairing the items of a replaced block (lines or messages) by how alike they are."""

from collections.abc import Callable, Sequence

from .constants import MAX_PAIRING_CANDIDATES

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
