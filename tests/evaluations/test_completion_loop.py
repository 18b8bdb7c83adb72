"""The long-lived loop that evaluation tasks call the gateway on (completion/background_loop.py)."""

import asyncio
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
