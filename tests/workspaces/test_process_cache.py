"""The per-process cache behind API key authentication and the serving cache."""

from workspaces import process_cache
from workspaces.process_cache import ProcessCache


def test_an_entry_expires_after_its_seconds(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(process_cache.time, "monotonic", lambda: now[0])
    cache = ProcessCache(max_entries=10)
    cache.set("key", "value", 3)

    now[0] += 2.9
    assert cache.get("key") == "value"
    now[0] += 0.2
    assert cache.get("key") is None


def test_the_least_recently_used_entry_goes_first_when_full():
    cache = ProcessCache(max_entries=2)
    cache.set("a", 1, 60)
    cache.set("b", 2, 60)
    cache.get("a")
    cache.set("c", 3, 60)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_every_reader_gets_its_own_copy_and_deleted_entries_are_gone():
    cache = ProcessCache(max_entries=10)
    cache.set("key", {"labels": ["production"]}, 60)
    cache.get("key")["labels"].append("changed by a caller")

    assert cache.get("key") == {"labels": ["production"]}
    cache.delete_many(["key"])
    assert cache.get("key") is None
