"""Folding runs of unchanged rows that are far from any change."""

from collections.abc import Sequence

from .constants import MIN_COLLAPSED_RUN
from .models import Group


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
