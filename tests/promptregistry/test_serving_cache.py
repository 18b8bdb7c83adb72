"""The serving cache's two layers: entries keyed by the workspace generation are kept by each
web process as well as in the shared cache, and a lost generation never comes back."""

from django.core.cache import cache as shared

from promptregistry import cache
from workspaces import generations


def test_an_entry_stored_here_is_read_without_the_shared_cache():
    cache.set_entry("serve:test:1", {"content": "Hello"}, 60)
    shared.delete("serve:test:1")  # as if the shared entry were evicted

    assert cache.get_entry("serve:test:1") == {"content": "Hello"}


def test_an_entry_another_process_stored_is_read_from_the_shared_cache():
    shared.set("serve:test:2", {"content": "From elsewhere"}, 60)

    assert cache.get_entry("serve:test:2") == {"content": "From elsewhere"}
    assert cache.get_entry("serve:test:missing") is None


def test_every_reader_gets_its_own_copy():
    cache.set_entry("serve:test:3", {"messages": ["Hi"]}, 60)
    cache.get_entry("serve:test:3")["messages"].append("changed by a caller")

    assert cache.get_entry("serve:test:3") == {"messages": ["Hi"]}


def test_a_lost_generation_starts_again_from_a_number_never_used():
    before = cache.generation(4242)
    shared.clear()  # Redis restarted: web processes still hold entries of the old generation
    generations.forget_remembered()  # ... and their watches resubscribed, forgetting counters

    assert cache.generation(4242) > before
