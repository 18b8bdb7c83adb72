"""The serving cache's invalidation: the workspace's "registry" generation
(workspaces/generations.py).

Every cached retrieval answer's key contains its workspace's generation; any change to a
version, label, snippet, name or restriction bumps it, so no stale answer is served (snippets
resolve into other prompts, so a workspace-wide bump is the simple correct choice).
"""

from typing import Any

from django.core.cache import cache

from workspaces import generations
from workspaces.process_cache import ProcessCache

TIMEOUT = 60 * 60
# Entries whose key carries the generation never change once written, so each web process keeps
# the most recent ones and asks the shared cache (Redis, a network round trip) only for what it
# lacks: a warm fetch then reads the generation alone from it.
LOCAL_SECONDS = 300
_local = ProcessCache(max_entries=2048)


SUBJECT = "registry"


def generation(workspace_id: int) -> int:
    return generations.current([SUBJECT], workspace_id)[0]


def invalidate(workspace_id: int) -> None:
    generations.bump_after_commit(SUBJECT, workspace_id)


def get_entry(key: str) -> Any:
    """An entry whose key carries the generation (None when absent): this process's copy,
    else the shared cache's."""
    value = _local.get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            _local.set(key, value, LOCAL_SECONDS)
    return value


def get_local(key: str) -> Any:
    """An entry from this process's memory alone (None when absent): no round trip."""
    return _local.get(key)


def set_entry(key: str, value: Any, timeout: int) -> None:
    """Store an entry whose key carries the generation, shared and in this process."""
    cache.set(key, value, timeout)
    _local.set(key, value, min(timeout, LOCAL_SECONDS))
