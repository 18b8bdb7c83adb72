"""The serving cache's invalidation: one generation counter per workspace.

Every cached retrieval answer's key contains its workspace's generation; any change to a
version, label, snippet, name or restriction bumps it, so no stale answer is served (snippets
resolve into other prompts, so a workspace-wide bump is the simple correct choice).
"""

import time
from typing import Any

from django.core.cache import cache
from django.db import transaction

from workspaces.process_cache import ProcessCache

TIMEOUT = 60 * 60
# Entries whose key carries the generation never change once written, so each web process keeps
# the most recent ones and asks the shared cache (Redis, a network round trip) only for what it
# lacks: a warm fetch then reads the generation alone from it.
LOCAL_SECONDS = 300
_local = ProcessCache(max_entries=2048)


def _key(workspace_id: int) -> str:
    return f"registry-gen:{workspace_id}"


def _fresh() -> int:
    # A counter that is lost (Redis restarted or flushed) starts again from the clock, never
    # from a number it had before: processes still hold entries keyed by the old ones.
    return time.time_ns()


def generation(workspace_id: int) -> int:
    value = cache.get(_key(workspace_id))
    if value is None:
        cache.add(_key(workspace_id), _fresh(), timeout=None)
        value = cache.get(_key(workspace_id)) or _fresh()
    return value


def invalidate(workspace_id: int) -> None:
    def bump() -> None:
        try:
            cache.incr(_key(workspace_id))
        except ValueError:
            cache.set(_key(workspace_id), _fresh(), timeout=None)

    # After commit, so a reader can't cache the old state under the new generation.
    transaction.on_commit(bump)


def get_entry(key: str) -> Any:
    """An entry whose key carries the generation (None when absent): this process's copy,
    else the shared cache's."""
    value = _local.get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            _local.set(key, value, LOCAL_SECONDS)
    return value


def set_entry(key: str, value: Any, timeout: int) -> None:
    """Store an entry whose key carries the generation, shared and in this process."""
    cache.set(key, value, timeout)
    _local.set(key, value, min(timeout, LOCAL_SECONDS))
