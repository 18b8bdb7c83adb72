"""Generations remembered per process and kept current by Redis pub/sub
(workspaces/generation_watch.py): a warm read makes no round trip, and a bump made by any
process reaches the others. Needs Redis (REDIS_URL), as in production."""

import asyncio
import os
import time

import pytest
import redis
from django.core.cache import cache

from workspaces import generations
from workspaces.generation_watch import CHANNEL, current_watch

pytestmark = pytest.mark.redis
WORKSPACE = 9090


@pytest.fixture
def watched():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    first = generations.current(["registry"], WORKSPACE)[0]
    watch = current_watch()
    assert wait_for(lambda: watch._live), "the watch never subscribed"
    assert generations.current(["registry"], WORKSPACE) == [first]  # now remembered
    return first, redis.Redis.from_url(url)


def wait_for(condition, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_remembered_counter_is_read_without_asking_redis(watched):
    first, other_process = watched
    name = cache.make_and_validate_key(generations.key("registry", WORKSPACE))

    other_process.incr(name)  # changed behind its back, and not announced

    assert generations.current(["registry"], WORKSPACE) == [first]


def test_a_bump_announced_by_another_process_is_seen(watched):
    first, other_process = watched
    name = generations.key("registry", WORKSPACE)

    other_process.incr(cache.make_and_validate_key(name))
    other_process.publish(CHANNEL, name)

    assert wait_for(lambda: generations.current(["registry"], WORKSPACE) == [first + 1])


def test_this_process_reads_its_own_bump_at_once(db, watched, django_capture_on_commit_callbacks):
    first, _ = watched

    with django_capture_on_commit_callbacks(execute=True):
        generations.bump_after_commit("registry", WORKSPACE)

    assert generations.current(["registry"], WORKSPACE) == [first + 1]


def test_the_event_loop_reads_remembered_counters_too(watched):
    first, other_process = watched
    name = generations.key("registry", WORKSPACE)

    def read():
        return asyncio.run(generations.acurrent(["registry"], WORKSPACE))

    other_process.incr(cache.make_and_validate_key(name))  # not announced: memory answers
    assert read() == [first]
    other_process.publish(CHANNEL, name)

    assert wait_for(lambda: current_watch().known([name]) is None)
    assert read() == [first + 1]
