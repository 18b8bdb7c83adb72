"""Django's Redis cache backend, keeping one redis-py client, on one connection, per pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, which here cost
~85 µs of a ~130 µs GET, and each call then checks a connection out of the pool (a lock and a
socket poll). Django keeps one cache object per thread, so each thread's client can hold its
own connection (`single_connection_client`); pipelines still use the pool.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(
                connection_pool=pool, single_connection_client=True
            )
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient
