"""Snippet expansion has a size budget and expands each reference once (issue 7, item 7).

A 100 KB snippet referenced 100 times, itself referenced 50 times, used to take 22 s and
+936 MB to save and returned a 500 MB body. Now the expansion is refused as soon as it passes
the budget, at save with the chain named and when serving rows stored before the limit, in
bounded memory; and each reference is loaded and expanded once however often it appears.
"""

import tracemalloc

import pytest
from django.core.exceptions import ValidationError

from promptregistry import templating
from promptregistry.models import Prompt, PromptVersion
from tests.factories import api_key_for
from tests.promptregistry.factories import make_snippet, principal_for
from workspaces.roles import Role

BIG = "x" * 100_000
MB = 1024 * 1024


def peak_bytes_of(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_each_reference_is_loaded_and_expanded_once():
    loads = []
    texts = {"leaf": "leaf", "mid": "{{> leaf}}" * 50, "top": "{{> mid}}" * 50}

    def load(reference):
        loads.append(reference.name)
        return texts[reference.name]

    resolved = templating.resolve_references("{{> top}}", load, root_name="root")

    assert len(resolved) == 2500 * len("leaf")
    assert sorted(loads) == ["leaf", "mid", "top"]


def test_a_memoised_snippet_still_counts_towards_the_depth_limit():
    texts = {
        "a": "{{> b}}",
        "b": "{{> c}}",
        "c": "{{> d}}",
        "d": "{{> e}}",
        "e": "{{> f}}",
        "f": ".",
    }

    def load(reference):
        return texts[reference.name]

    # "b" is first expanded at depth 1 (fine), then met again at depth 2, where its five
    # levels below would pass a limit of 5.
    with pytest.raises(templating.SnippetDepthError):
        templating.resolve_references("{{> b}} {{> a}}", load, max_depth=5, root_name="root")


def test_a_memoised_snippet_still_reports_a_cycle_through_it():
    texts = {"a": "{{> b}}", "b": "{{> c|label=x}}", "c": "{{> b|label=y}}"}

    with pytest.raises(templating.SnippetCycleError):
        templating.resolve_references(
            "{{> a}}", lambda reference: texts[reference.name], root_name="root"
        )


def test_the_fan_out_is_refused_quickly_at_save_with_the_chain_named(acme, alice):
    make_snippet(acme, "big", BIG, by=alice)
    mid_text = "{{> big}}" * 100

    def save():
        with pytest.raises(ValidationError) as refused:
            make_snippet(acme, "mid", mid_text, by=alice)
        message = refused.value.message_dict["content"][0]
        assert "more than 1,000,000 characters" in message
        assert "mid -> big" in message

    assert peak_bytes_of(save) < 20 * MB
    assert not Prompt.objects.filter(name="mid").exists()


def test_all_messages_of_a_chat_prompt_share_one_budget(acme, alice):
    from promptregistry import services

    make_snippet(acme, "big", BIG, by=alice)
    # Each message alone stays under the budget (800 KB); together they pass it.
    messages = [{"role": "user", "content": "{{> big}}" * 8} for _ in range(3)]

    with pytest.raises(ValidationError, match="more than 1,000,000 characters"):
        services.prompt_create(
            principal=principal_for(acme, alice),
            name="chatty",
            version_content={"messages": messages},
        )

    assert not Prompt.objects.filter(name="chatty").exists()


def test_a_fan_out_stored_before_the_limit_is_refused_when_served(client, acme, alice):
    """Rows written before the budget existed (or by a script) must not take the server down."""
    make_snippet(acme, "big", BIG, by=alice, labels=["production"])
    for name, text in (("mid", "{{> big}}" * 100), ("top", "{{> mid}}" * 50)):
        prompt = Prompt.objects.create(
            workspace=acme, name=name, kind="snippet", type="text", latest_version_number=1
        )
        PromptVersion.objects.create(prompt=prompt, number=1, content={"text": text})
    _, secret = api_key_for(acme, Role.VIEWER)

    def fetch():
        return client.get(
            "/api/public/v2/prompts/top",
            {"label": "latest"},
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )

    responses = []
    peak = peak_bytes_of(lambda: responses.append(fetch()))

    assert responses[0].status_code == 422
    assert "more than 1,000,000 characters" in responses[0].content.decode()
    assert len(responses[0].content) < 2000
    assert peak < 20 * MB
