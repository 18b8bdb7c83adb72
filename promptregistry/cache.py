"""The serving cache's invalidation: one generation counter per workspace.

Every cached retrieval answer's key contains its workspace's generation; any change to a
version, label, snippet, name or restriction bumps it, so no stale answer is served (snippets
resolve into other prompts, so a workspace-wide bump is the simple correct choice).
"""

from django.core.cache import cache
from django.db import transaction

TIMEOUT = 60 * 60


def _key(workspace_id: int) -> str:
    return f"registry-gen:{workspace_id}"


def generation(workspace_id: int) -> int:
    value = cache.get(_key(workspace_id))
    if value is None:
        cache.add(_key(workspace_id), 1, timeout=None)
        value = cache.get(_key(workspace_id)) or 1
    return value


def invalidate(workspace_id: int) -> None:
    def bump() -> None:
        try:
            cache.incr(_key(workspace_id))
        except ValueError:
            cache.set(_key(workspace_id), 2, timeout=None)

    # After commit, so a reader can't cache the old state under the new generation.
    transaction.on_commit(bump)
