"""One long-lived event loop per process for synchronous callers of the async completion service
(Celery tasks: evaluation items and their LLM judge).

`async_to_sync(complete)(request)` makes a new event loop per call, so the loop's SDK clients
and aiohttp pool (clients.py keeps them per loop) were built again for every item: a new SSL
context (a third of a worker's CPU in the B5 profile, bench/README.md), a new session and a new
TCP connection to the provider. `call(complete, request)` runs the coroutine on a loop that
lives as long as the process (a daemon thread), so those are made once and connections are
kept alive between items, while the coroutine's `sync_to_async` parts (the plan, the row) still
run in the calling thread, as under async_to_sync: the caller's database connection, its
transaction (tests), and Celery's connection housekeeping keep working.

A forked child (Celery's prefork pool) starts its own loop on first use: a loop and its
connections are never shared across processes.
"""

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Awaitable, Callable

from asgiref.current_thread_executor import CurrentThreadExecutor
from asgiref.sync import AsyncToSync

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def running_loop() -> asyncio.AbstractEventLoop:
    """This process's loop, started on first use (again after a fork)."""
    global _loop, _loop_pid
    with _lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            threading.Thread(target=run, name="completion-loop", daemon=True).start()
            started.wait()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def call[**P, R](function: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """`async_to_sync(function)(*args, **kwargs)` on the long-lived loop. Blocks this thread,
    which meanwhile runs the coroutine's thread-sensitive sync parts. Many threads may call at
    once (Celery's threads pool): their coroutines share the loop and its connections.

    If this thread is interrupted while waiting (Celery's soft time limit raises in it), the
    coroutine is cancelled and its clean-up (the completion row says "cancelled") runs here
    before the exception goes on."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # blocking here would stop that loop (async_to_sync refuses the same)
        raise RuntimeError("call() blocks: from async code, await the coroutine instead.")
    loop = running_loop()
    executor = CurrentThreadExecutor(getattr(AsyncToSync.executors, "current", None))
    started: concurrent.futures.Future[asyncio.Task] = concurrent.futures.Future()

    async def main() -> R:
        # What async_to_sync sets up: sync_to_async (thread-sensitive) inside the coroutine
        # finds this executor and runs its function in the calling thread.
        AsyncToSync.executors.current = executor
        started.set_result(asyncio.current_task())
        return await function(*args, **kwargs)

    future = asyncio.run_coroutine_threadsafe(main(), loop)
    try:
        executor.run_until_future(future)
    except BaseException:
        loop.call_soon_threadsafe(started.result().cancel)
        executor.run_until_future(future)
        raise
    return future.result()
