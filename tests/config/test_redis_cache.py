"""The production cache backend: Django's RedisCache, with one redis-py client per pool."""

import os

import pytest

from config.redis_cache import ReusedClientRedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    cache = ReusedClientRedisCache(url, {"KEY_PREFIX": "test-redis-cache"})
    yield cache
    cache.delete_many(["served", "generation", "gone"])


def test_it_keeps_one_client_for_reads_and_writes(redis_cache):
    client = redis_cache._cache.get_client()

    assert redis_cache._cache.get_client(write=True) is client


def test_it_behaves_as_djangos_redis_cache(redis_cache):
    redis_cache.set("served", {"name": "support/triage", "version": 3}, 30)
    redis_cache.set("generation", 1, None)
    redis_cache.set("gone", "soon", 30)
    redis_cache.incr("generation")
    redis_cache.delete_many(["gone"])

    assert redis_cache.get_many(["served", "generation", "gone"]) == {
        "served": {"name": "support/triage", "version": 3},
        "generation": 2,
    }
