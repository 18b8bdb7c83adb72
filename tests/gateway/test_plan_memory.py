"""A warm gateway call plans from the web process's memory (the served prompt, the workspace's
models), so every change to prompts, labels, models, aliases and providers must reach the very
next call: each test warms the memory with one call, changes something, and calls again."""

import json

import pytest

from gateway.models import Completion
from gateway.services import catalog, providers
from promptregistry import services as registry_services
from tests.promptregistry.factories import add_version, principal_for

pytestmark = pytest.mark.django_db
URL = "/v1/chat/completions"
VARIABLES = {"company": "Acme", "question": "Where is my order?"}


def call(client, secret, model="demo", **fields):
    body = {"model": model, "prompt_id": "support/triage", "prompt_variables": VARIABLES, **fields}
    return client.post(
        URL,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


@pytest.fixture
def warm(client, acme_key, gateway_models, chat_prompt):
    secret = acme_key()
    assert call(client, secret).status_code == 200
    return secret


def test_a_model_switched_off_is_refused_on_the_next_call(
    client, warm, acme, gateway_models, fake_llm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        catalog.model_update(
            principal=principal_for(acme), model=gateway_models["demo"], is_active=False
        )

    sent_before = len(fake_llm.requests)
    response = call(client, warm)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    assert len(fake_llm.requests) == sent_before  # nothing reached the provider
    refused = Completion.objects.order_by("-created_at").first()  # logged as the refusal it was
    assert (refused.status, refused.error_type, refused.model_name) == (
        "error",
        "model_not_found",
        "",
    )


def test_an_alias_pointed_elsewhere_is_followed_on_the_next_call(
    client, warm, acme, gateway_models, fake_llm, django_capture_on_commit_callbacks
):
    assert call(client, warm, model="fast").status_code == 200
    alias = gateway_models["demo"].aliases.get(name="fast")
    claude = gateway_models["claude"].models.get(name="claude")

    with django_capture_on_commit_callbacks(execute=True):
        catalog.alias_update(principal=principal_for(acme), alias=alias, model=claude)
    response = call(client, warm, model="fast")

    assert response.status_code == 200
    assert fake_llm.requests[-1].body["model"] == "claude-test"
    assert Completion.objects.order_by("-created_at").first().model_name == "claude"


def test_a_new_provider_key_is_sent_on_the_next_call(
    client, warm, acme, gateway_models, fake_llm, django_capture_on_commit_callbacks
):
    assert call(client, warm, model="claude").status_code == 200
    assert fake_llm.requests[-1].headers["authorization"] == "Bearer sk-ant-test-key-123456"

    with django_capture_on_commit_callbacks(execute=True):
        providers.provider_update(
            principal=principal_for(acme),
            provider=gateway_models["claude"],
            api_key="sk-ant-rotated-key-654321",
            connect_timeout_seconds=2,  # the fixture's 5 s total is shorter than the default
        )
    assert call(client, warm, model="claude").status_code == 200

    assert fake_llm.requests[-1].headers["authorization"] == "Bearer sk-ant-rotated-key-654321"


def test_a_moved_label_serves_its_new_version_on_the_next_call(
    client, warm, acme, chat_prompt, fake_llm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version_two = add_version(
            chat_prompt, messages=[{"role": "user", "content": "Second: {{question}}"}]
        )
        registry_services.label_move(
            principal=principal_for(acme),
            prompt=chat_prompt,
            name="production",
            version=version_two,
        )

    response = call(client, warm)

    assert response.status_code == 200
    assert fake_llm.requests[-1].body["messages"] == [
        {"role": "user", "content": "Second: Where is my order?"}
    ]
    assert Completion.objects.order_by("-created_at").first().prompt_version == 2


def test_a_split_label_marks_warm_calls_with_their_arm(
    client, warm, acme, chat_prompt, django_capture_on_commit_callbacks, assert_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        version_two = add_version(
            chat_prompt, messages=[{"role": "user", "content": "v2 {{question}}"}]
        )
        registry_services.label_split(
            principal=principal_for(acme),
            prompt=chat_prompt,
            name="production",
            version=version_two,
            percent=50,
        )
    Completion.objects.all().delete()

    for seed in range(12):
        call(client, warm, user=f"caller-{seed}")
    with assert_queries(1):  # warm: the row alone
        call(client, warm, user="caller-0")

    rows = Completion.objects.all()
    assert {row.ab_split for row in rows} == {True}
    assert {row.prompt_version for row in rows} == {1, 2}
    pinned = call(client, warm, prompt_version=2)
    assert pinned.status_code == 200
    assert Completion.objects.order_by("-created_at").first().ab_split is False
