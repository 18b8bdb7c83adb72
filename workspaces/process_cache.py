"""A small cache inside one process: bounded, expiring, thread-safe.

For answers the hot paths need on every request and may keep briefly without asking Redis (a
network round trip each): authenticated API keys (api_auth.py) and generation-keyed serving
entries (promptregistry/cache.py). Values are kept pickled, so every reader gets its own copy,
as from Django's cache.
"""

import pickle
import threading
import time
from collections import OrderedDict
from typing import Any


class ProcessCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """The value, or None when absent or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        return pickle.loads(entry[1])  # noqa: S301 - pickled by this process

    def set(self, key: str, value: Any, seconds: float) -> None:
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, data)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete_many(self, keys) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
