"""The long-lived loop that evaluation tasks call the gateway on (completion/background_loop.py)."""

import asyncio
import signal
import threading

import pytest
from asgiref.sync import sync_to_async

from gateway.completion.background_loop import call


async def _where() -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.get_running_loop()
    sync_thread = await sync_to_async(threading.current_thread)()
    return loop, sync_thread


def test_calls_share_one_loop_and_run_their_sync_parts_in_the_calling_thread():
    first_loop, first_thread = call(_where)
    second_loop, _ = call(_where)
    assert first_loop is second_loop  # the SDK clients and connections of that loop are reused
    assert first_thread is threading.current_thread()  # the caller's database connection


def test_an_error_reaches_the_caller():
    async def fail():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        call(fail)


def test_threads_call_at_once():
    seen = []

    async def slow(n: int) -> int:
        await asyncio.sleep(0.05)
        return n

    threads = [threading.Thread(target=lambda n=n: seen.append(call(slow, n))) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(8))


def test_async_code_is_told_to_await_instead():
    async def inside_a_loop():
        with pytest.raises(RuntimeError, match="await"):
            call(_where)

    asyncio.run(inside_a_loop())


class _Interrupted(Exception):
    pass


def test_an_interrupted_caller_cancels_the_coroutine_and_runs_its_clean_up():
    """Celery's soft time limit raises in the waiting thread: the call is cancelled, and its
    clean-up (the gateway writes the row as cancelled) still runs, in the caller's thread."""
    cleaned_up_in = []

    async def slow():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await sync_to_async(lambda: cleaned_up_in.append(threading.current_thread()))()
            raise

    def interrupt(_signum, _frame):
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(_Interrupted):
            call(slow)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert cleaned_up_in == [threading.current_thread()]
