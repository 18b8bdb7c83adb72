"""Langfuse's own Python SDK, unmodified, fetching and writing prompts in PromptOps."""

import pytest
from langfuse import Langfuse
from langfuse.api import AccessDeniedError, NotFoundError

from promptregistry import services
from promptregistry.models import Label, Prompt
from workspaces.principal import Principal
from workspaces.roles import Role


@pytest.fixture
def langfuse_for(live_server, monkeypatch):
    """Langfuse(public_key, secret_key, host=PromptOps) with tracing off: nothing goes elsewhere."""
    monkeypatch.setenv("LANGFUSE_TRACING_ENABLED", "false")
    monkeypatch.delenv("LANGFUSE_BASE_URL", raising=False)
    clients = []

    def make(pair: tuple[str, str]) -> Langfuse:
        public_key, secret_key = pair
        client = Langfuse(
            public_key=public_key,
            secret_key=secret_key,
            host=live_server.url,
            tracing_enabled=False,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.shutdown()


@pytest.fixture
def owner(acme):
    return Principal(workspace=acme, role=Role.OWNER)


@pytest.fixture
def critic(owner):
    prompt = services.prompt_create(
        principal=owner,
        name="movie-critic",
        prompt_type=Prompt.Type.TEXT,
        version_content={"text": "As a {{criticlevel}} movie critic, do you like {{movie}}?"},
        config={"model": "local-demo", "temperature": 0.5},
        labels=["production"],
    )
    services.prompt_version_create(
        principal=owner,
        prompt=prompt,
        version_content={"text": "Staging: rate {{movie}} out of ten."},
        labels=["staging"],
    )
    return prompt


@pytest.fixture
def critic_chat(owner):
    return services.prompt_create(
        principal=owner,
        name="critics/chat",
        prompt_type=Prompt.Type.CHAT,
        version_content={
            "messages": [
                {"role": "system", "content": "You are a {{criticlevel}} movie critic"},
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "Do you like {{movie}}?"},
            ]
        },
        labels=["production"],
    )


def test_get_prompt_serves_production_and_compiles_it(langfuse_for, key_pair, critic):
    langfuse = langfuse_for(key_pair(Role.VIEWER))
    prompt = langfuse.get_prompt("movie-critic")
    assert prompt.version == 1
    assert prompt.config == {"model": "local-demo", "temperature": 0.5}
    assert "production" in prompt.labels
    assert prompt.compile(criticlevel="expert", movie="Dune 2") == (
        "As a expert movie critic, do you like Dune 2?"
    )


def test_get_prompt_by_label_and_by_version(langfuse_for, key_pair, critic):
    langfuse = langfuse_for(key_pair(Role.VIEWER))
    staging = langfuse.get_prompt("movie-critic", label="staging")
    first = langfuse.get_prompt("movie-critic", version=1)
    assert (staging.version, staging.compile(movie="Alien")) == (
        2,
        "Staging: rate Alien out of ten.",
    )
    assert first.version == 1


def test_a_chat_prompt_compiles_with_variables_and_history(langfuse_for, key_pair, critic_chat):
    langfuse = langfuse_for(key_pair(Role.VIEWER))
    prompt = langfuse.get_prompt("critics/chat", type="chat")
    messages = prompt.compile(
        criticlevel="expert",
        movie="Dune 2",
        history=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
    )
    assert messages == [
        {"role": "system", "content": "You are a expert movie critic"},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Do you like Dune 2?"},
    ]


def test_a_prompt_inside_folders_is_fetched_by_its_path(langfuse_for, key_pair, owner):
    services.prompt_create(
        principal=owner,
        name="a/b/name",
        prompt_type=Prompt.Type.TEXT,
        version_content={"text": "Deep in folders, {{who}}"},
        labels=["production"],
    )
    prompt = langfuse_for(key_pair(Role.VIEWER)).get_prompt("a/b/name")
    assert prompt.name == "a/b/name"
    assert prompt.compile(who="Ada") == "Deep in folders, Ada"


def test_a_second_get_prompt_is_served_from_the_sdks_cache(
    langfuse_for, key_pair, critic, live_requests
):
    langfuse = langfuse_for(key_pair(Role.VIEWER))
    langfuse.get_prompt("movie-critic")
    langfuse.get_prompt("movie-critic")
    assert live_requests == ["/api/public/v2/prompts/movie-critic"]


def test_create_prompt_makes_a_version_fetchable_at_once(langfuse_for, key_pair):
    langfuse = langfuse_for(key_pair(Role.EDITOR))
    created = langfuse.create_prompt(
        name="support/reply",
        prompt="Answer {{question}} kindly.",
        labels=["staging"],
        tags=["support"],
        config={"temperature": 0.3},
        commit_message="From the SDK",
    )
    assert created.version == 1
    assert created.labels == ["staging", "latest"]
    fetched = langfuse.get_prompt("support/reply", label="staging")
    assert fetched.compile(question="why") == "Answer why kindly."
    chat = langfuse.create_prompt(
        name="support/chat",
        type="chat",
        prompt=[
            {"role": "system", "content": "Be {{tone}}"},
            {"type": "placeholder", "name": "history"},
        ],
        labels=["staging"],
    )
    assert chat.version == 1
    again = langfuse.create_prompt(name="support/reply", prompt="v2 {{question}}")
    assert again.version == 2
    version = Prompt.objects.get(name="support/reply").versions.get(number=2)
    assert version.author_label.startswith("API key client")


def test_update_prompt_moves_labels_and_the_next_get_sees_it(langfuse_for, key_pair, critic):
    langfuse = langfuse_for(key_pair(Role.ADMIN))
    assert langfuse.get_prompt("movie-critic").version == 1
    updated = langfuse.update_prompt(name="movie-critic", version=2, new_labels=["production"])
    assert "production" in updated.labels
    assert langfuse.get_prompt("movie-critic").version == 2
    assert Label.objects.get(prompt=critic, name="production").version.number == 2


def test_an_editor_key_cant_move_production_through_the_sdk(langfuse_for, key_pair, critic):
    langfuse = langfuse_for(key_pair(Role.EDITOR))
    with pytest.raises(AccessDeniedError):
        langfuse.update_prompt(name="movie-critic", version=2, new_labels=["production"])
    assert Label.objects.get(prompt=critic, name="production").version.number == 1


def test_a_missing_prompt_raises_not_found_and_a_fallback_is_used(langfuse_for, key_pair):
    langfuse = langfuse_for(key_pair(Role.VIEWER))
    with pytest.raises(NotFoundError):
        langfuse.get_prompt("nope", max_retries=0)
    fallback = langfuse.get_prompt("nope", fallback="Offline {{x}}", max_retries=0)
    assert fallback.is_fallback
    assert fallback.compile(x="mode") == "Offline mode"


def test_another_workspaces_keys_dont_see_acme_prompts(langfuse_for, globex, critic):
    from tests.factories import api_key_for

    api_key, secret = api_key_for(globex, Role.OWNER, name="globex")
    with pytest.raises(NotFoundError):
        langfuse_for((api_key.public_key, secret)).get_prompt("movie-critic", max_retries=0)
