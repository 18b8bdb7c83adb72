"""Generation counters: what a web process may remember about a workspace, and for how long.

One integer per workspace and subject ("registry", "gateway") in the shared cache (Redis in
production). Whatever a process remembers about a workspace is stored under the subject's
current generation, and every change bumps it after commit: a remembered answer is never
stale, only unreachable once the counter moves on. With Redis, each process also remembers the
counters themselves until a bump is announced (generation_watch.py), so a warm request makes no
round trip at all.

    generations.current(["registry", "gateway"], workspace_id)          # threads
    await generations.acurrent(["registry", "gateway"], workspace_id)   # the event loop
    generations.bump_after_commit("gateway", workspace_id)
"""

import asyncio
import time
import weakref

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.utils.module_loading import import_string

from .generation_watch import CHANNEL, current_watch, watch_for

_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, object]" = (
    weakref.WeakKeyDictionary()
)
_publishers: dict[str, object] = {}


def key(subject: str, workspace_id: int) -> str:
    return f"{subject}-gen:{workspace_id}"


def _fresh() -> int:
    # A counter that is lost (Redis restarted or flushed) starts again from the clock, never
    # from a number it had before: processes still hold entries under the old ones.
    return time.time_ns()


def current(subjects: list[str], workspace_id: int) -> list[int]:
    """The subjects' generations, in order: from memory while the watch vouches for them,
    else one shared-cache round trip (creating a counter that doesn't exist yet)."""
    keys = [key(subject, workspace_id) for subject in subjects]
    location = _redis_location()
    watch = watch_for(location) if location else None
    if watch is not None:
        known = watch.known(keys)
        if known is not None:
            return known
        epoch = watch.epoch()
    found = cache.get_many(keys)
    for name in keys:
        if found.get(name) is None:
            cache.add(name, _fresh(), timeout=None)
            found[name] = cache.get(name) or _fresh()
    if watch is not None:
        watch.remember(found, epoch)
    return [found[name] for name in keys]


async def acurrent(subjects: list[str], workspace_id: int) -> list[int] | None:
    """current() from the event loop without a thread: from memory, or one MGET on an asyncio
    Redis client, or the in-process cache read directly. None when a counter doesn't exist yet
    (the caller goes the synchronous way, which creates it)."""
    keys = [key(subject, workspace_id) for subject in subjects]
    location = _redis_location()
    if location is None:
        found = cache.get_many(keys)  # in-process memory: nothing to wait for
        values = [found.get(name) for name in keys]
        return None if None in values else values
    watch = watch_for(location)
    known = watch.known(keys)
    if known is not None:
        return known
    epoch = watch.epoch()
    raw = await _async_client(location).mget([cache.make_and_validate_key(name) for name in keys])
    # Django's Redis serializer stores integers as their digits.
    values = [int(value) if value is not None else None for value in raw]
    if None in values:
        return None
    watch.remember(dict(zip(keys, values, strict=True)), epoch)
    return values


def bump_after_commit(subject: str, workspace_id: int) -> None:
    """Move the workspace's counter on once the change is committed (before, a reader could
    remember the old state under the new number), and tell every process."""
    name = key(subject, workspace_id)

    def bump() -> None:
        try:
            cache.incr(name)
        except ValueError:
            cache.set(name, _fresh(), timeout=None)
        watch = current_watch()
        if watch is not None:
            watch.forget(name)  # this process reads its own change at once
        location = _redis_location()
        if location is not None:
            _publisher(location).publish(CHANNEL, name)

    transaction.on_commit(bump)


def forget_remembered() -> None:
    """Forget the counters this process remembers (tests: after the cache is cleared and the
    database rolled back behind the counters' back)."""
    watch = current_watch()
    if watch is not None:
        watch.forget_all()


def _redis_location() -> str | None:
    """The shared cache's Redis URL, or None when the cache lives in this process."""
    config = settings.CACHES["default"]
    backend = import_string(config["BACKEND"])
    return config["LOCATION"] if issubclass(backend, RedisCache) else None


def _async_client(location: str):
    """One asyncio Redis client per event loop (its connections belong to that loop)."""
    from redis import asyncio as aredis

    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        # Calls wait for a free connection rather than fail when many are in flight at once.
        pool = aredis.BlockingConnectionPool.from_url(location, max_connections=16, timeout=10)
        client = aredis.Redis(connection_pool=pool)
        _async_clients[loop] = client
    return client


def _publisher(location: str):
    import redis

    client = _publishers.get(location)
    if client is None:
        client = _publishers[location] = redis.Redis.from_url(location)
    return client
