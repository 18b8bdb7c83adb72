"""Completion rows of the HTTP APIs, built and written off the request path, in batches.

Inserting each call's row on its own (an INSERT through the ORM, a pooled connection checked
out and back) cost a web process about as much as the rest of the call. So when the web server
runs (config/asgi.py starts the recorder), a response that closes hands over how to build its
row (a function: building it may read the workspace's settings) to this process's recorder,
whose one thread builds and inserts whatever has gathered every FLUSH_SECONDS (or FLUSH_ROWS at
a time) with one bulk INSERT. Handing over is a queue put: the event loop may do it.

A row reaches the database within about FLUSH_SECONDS of its response. A clean shutdown writes
what is pending (the server's lifespan shutdown, and atexit); a process killed outright loses
at most those seconds of rows. A batch the database refuses is retried row by row, so one bad
row costs only itself (logged). Without a started recorder (tests, management commands,
Celery workers) rows are written at once, as CompletionCall.write_row does.
"""

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable

from workspaces.async_db import release_connections, running_on_event_loop

from ..models import Completion

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.2
FLUSH_ROWS = 500

RowMaker = Callable[[], Completion]
_pending: "queue.SimpleQueue[RowMaker | None]" = queue.SimpleQueue()
_thread: threading.Thread | None = None
_lock = threading.Lock()


def started() -> bool:
    return _thread is not None and _thread.is_alive()


def start() -> None:
    """Start this process's recorder (idempotent)."""
    global _thread
    with _lock:
        if started():
            return
        _thread = threading.Thread(target=_run, name="completion-recorder", daemon=True)
        _thread.start()
        atexit.register(stop)


def submit(make_row: RowMaker) -> None:
    """Queue a finished call's row; built and written at once when no recorder runs in this
    process. Never raises."""
    if not started():
        if not running_on_event_loop():
            _write(_built([make_row]))
            return
        start()  # served without lifespan events: still never write on the loop
    _pending.put(make_row)


def stop() -> None:
    """Write what is pending and stop the thread (server shutdown, atexit)."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    if thread is not None and thread.is_alive():
        _pending.put(None)
        thread.join(timeout=10)


def _run() -> None:
    running = True
    while running:
        row = _pending.get()
        batch, running = _gather(row)
        if batch:
            try:
                _write(_built(batch))
            finally:
                release_connections()  # back to the pool until the next batch


def _gather(first: RowMaker | None) -> tuple[list[RowMaker], bool]:
    """The rows that arrive within FLUSH_SECONDS of the first (None: stop after these)."""
    if first is None:
        return _drain([]), False
    batch = [first]
    deadline = time.monotonic() + FLUSH_SECONDS
    while len(batch) < FLUSH_ROWS:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            row = _pending.get(timeout=left)
        except queue.Empty:
            break
        if row is None:
            return _drain(batch), False
        batch.append(row)
    return batch, True


def _drain(batch: list[RowMaker]) -> list[RowMaker]:
    while True:
        try:
            row = _pending.get_nowait()
        except queue.Empty:
            return batch
        if row is not None:
            batch.append(row)


def _built(makers: list[RowMaker]) -> list[Completion]:
    rows = []
    for make_row in makers:
        try:
            rows.append(make_row())
        except Exception:  # noqa: BLE001 - the others are still written
            logger.exception("Could not build a completion row")
    return rows


def _write(rows: list[Completion]) -> None:
    """Never raises: the answers were sent already."""
    if not rows:
        return
    try:
        Completion.objects.bulk_create(rows, batch_size=FLUSH_ROWS)
        return
    except Exception:  # noqa: BLE001 - one refused row must not lose the batch
        if len(rows) == 1:
            logger.exception("Could not record completion %s", rows[0].public_id)
            return
    for row in rows:
        try:
            row.save(force_insert=True)
        except Exception:  # noqa: BLE001
            logger.exception("Could not record completion %s", row.public_id)
