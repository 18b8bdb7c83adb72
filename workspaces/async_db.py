"""Synchronous work (the ORM) from async views, without keeping a database connection.

Under ASGI an async view's synchronous parts run on a thread of the request's own, and a
connection opened there would stay checked out of the pool until the response ends: for a
stream, its whole length, so a thousand open streams would need a thousand connections.
`in_thread` runs the function there and hands the connections back before returning.
"""

import asyncio

from asgiref.sync import sync_to_async
from django.db import connections


def running_on_event_loop() -> bool:
    """Whether this thread is running an event loop (where blocking I/O must not happen)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def release_connections() -> None:
    """Hand back (close, or return to the pool) this thread's connections."""
    for connection in connections.all(initialized_only=True):
        # Inside a transaction (a test's, or an outer atomic block) closing would roll it back.
        if not connection.in_atomic_block:
            connection.close()


def _then_release(function, args, kwargs):
    try:
        return function(*args, **kwargs)
    finally:
        release_connections()


async def in_thread(function, /, *args, **kwargs):
    """`await in_thread(f, ...)`: f(...) on the request's thread, its connections released."""
    return await sync_to_async(_then_release)(function, args, kwargs)


async def arelease_connections() -> None:
    """Hand back the connections the request's thread holds (before a long stream starts:
    the middleware and the view are done with them)."""
    await sync_to_async(release_connections)()


async def released_first(events):
    """The stream's events, with the request thread's connections handed back first."""
    await arelease_connections()
    async for event in events:
        yield event
