"""The generations a process has read, kept current by Redis pub/sub, so a warm request reads
them from memory instead of making a round trip to Redis (bench B1 and B4: that round trip
was the largest cost left of a served prompt).

Each process remembers the values it read; a thread of its own, subscribed to CHANNEL, forgets
a key as soon as any process bumps it (generations.bump_after_commit publishes the key after
its INCR). The bumping process forgets its own key at once, so it always reads its own
changes; the others see a bump when its message arrives (well under a millisecond on one
network). Nothing is remembered while the subscription isn't confirmed (starting up, or Redis
went away: every read then goes to Redis, as without the watch), a value read while a bump's
message arrived is not kept (an epoch counter tells), and every value is forgotten after
KNOWN_SECONDS anyway, in case a message was lost without the connection noticing.
"""

import logging
import os
import threading
import time

logger = logging.getLogger(__name__)

CHANNEL = "promptops:generation-bumps"
KNOWN_SECONDS = 60.0
HEALTH_CHECK_SECONDS = 5


class GenerationWatch:
    def __init__(self, location: str) -> None:
        self.location = location
        self.pid = os.getpid()
        self._known: dict[str, tuple[int, float]] = {}  # key -> (value, forget after)
        self._epoch = 0
        self._live = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._listen, name="generation-watch", daemon=True)
        self._thread.start()

    # -- readers -------------------------------------------------------------------------

    def known(self, keys: list[str]) -> list[int] | None:
        """The values of all these keys, or None unless every one is known and current."""
        if not self._live:
            return None
        now = time.monotonic()
        values = []
        for key in keys:
            found = self._known.get(key)
            if found is None or found[1] <= now:
                return None
            values.append(found[0])
        return values

    def epoch(self) -> int:
        """Read before asking Redis; remember() keeps the answer only if it is unchanged."""
        return self._epoch

    def remember(self, values: dict[str, int], epoch: int) -> None:
        forget_after = time.monotonic() + KNOWN_SECONDS
        with self._lock:
            if self._live and epoch == self._epoch:
                for key, value in values.items():
                    self._known[key] = (value, forget_after)

    def forget(self, key: str) -> None:
        with self._lock:
            self._epoch += 1
            self._known.pop(key, None)

    def forget_all(self) -> None:
        with self._lock:
            self._epoch += 1
            self._known.clear()

    # -- the subscription ----------------------------------------------------------------

    def _listen(self) -> None:
        import redis

        wait = 0.5
        while True:
            try:
                client = redis.Redis.from_url(
                    self.location,
                    health_check_interval=HEALTH_CHECK_SECONDS,
                    socket_keepalive=True,
                )
                with client.pubsub() as pubsub:
                    pubsub.subscribe(CHANNEL)
                    while True:
                        # get_message pings Redis when the line was quiet for a while: a dead
                        # connection raises instead of waiting forever.
                        message = pubsub.get_message(timeout=1.0)
                        if message is None:
                            continue
                        if message["type"] == "subscribe":
                            self._set_live(True)
                            wait = 0.5
                        elif message["type"] == "message":
                            self.forget(message["data"].decode())
            except Exception as error:  # noqa: BLE001 - reconnect, whatever went wrong
                logger.warning("Generation watch lost its Redis subscription: %s", error)
            finally:
                self._set_live(False)
            time.sleep(wait)
            wait = min(wait * 2, 10.0)

    def _set_live(self, live: bool) -> None:
        with self._lock:
            self._live = live
            self._epoch += 1
            self._known.clear()


_watch: GenerationWatch | None = None
_watch_lock = threading.Lock()


def watch_for(location: str) -> GenerationWatch:
    """This process's watch (a process forked from one that had a watch starts its own)."""
    global _watch
    watch = _watch
    if watch is not None and watch.pid == os.getpid() and watch.location == location:
        return watch
    with _watch_lock:
        if _watch is None or _watch.pid != os.getpid() or _watch.location != location:
            _watch = GenerationWatch(location)
        return _watch


def current_watch() -> GenerationWatch | None:
    """The watch of this process, if it started one."""
    watch = _watch
    return watch if watch is not None and watch.pid == os.getpid() else None
