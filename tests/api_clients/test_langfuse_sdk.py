"""Langfuse's own Python SDK, unmodified, fetching and writing prompts in PromptOps."""

from urllib.parse import quote

import pytest
from langfuse import Langfuse
from langfuse.api import AccessDeniedError, Error, NotFoundError

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


# --- Langfuse parity (issue #8): names, composition, resolutionGraph, delete, list --------------
# The same behaviours over plain HTTP: tests/api/test_langfuse_parity.py.


@pytest.mark.parametrize("name", ["promptName?!+ =@#;", "_leading_underscore", "a b/c[d]"])
def test_names_langfuse_accepts_are_created_and_fetched(langfuse_for, key_pair, name):
    langfuse = langfuse_for(key_pair(Role.EDITOR))

    created = langfuse.create_prompt(name=name, prompt="Hi {{who}}", labels=["staging"])
    fetched = langfuse.get_prompt(name, label="staging")

    assert (created.name, fetched.name) == (name, name)
    assert fetched.compile(who="Ada") == "Hi Ada"


def test_a_name_langfuse_refuses_is_refused(langfuse_for, key_pair):
    langfuse = langfuse_for(key_pair(Role.EDITOR))

    with pytest.raises(Error):
        langfuse.create_prompt(name="/leading-slash", prompt="x")
    assert not Prompt.objects.exists()


def test_a_version_made_through_the_sdk_is_created_by_api(langfuse_for, key_pair):
    langfuse = langfuse_for(key_pair(Role.EDITOR))
    langfuse.create_prompt(name="made", prompt="x", labels=["staging"])

    raw = langfuse.api.prompts.get("made", label="staging")

    assert raw.model_extra["createdBy"] == "API"


def test_references_resolve_and_the_resolution_graph_comes_back(langfuse_for, key_pair):
    langfuse = langfuse_for(key_pair(Role.ADMIN))
    child = langfuse.create_prompt(name="shared/tone", prompt="Be warm.", labels=["production"])
    parent = langfuse.create_prompt(
        name="reply",
        prompt="@@@langfusePrompt:name=shared/tone|label=production@@@ Answer {{q}}.",
        labels=["production"],
    )

    fetched = langfuse.get_prompt("reply")
    raw = langfuse.api.prompts.get("reply")
    stored = langfuse.api.prompts.get("reply", resolve=False)

    assert fetched.compile(q="why") == "Be warm. Answer why."
    root_id = raw.model_extra["id"]
    child_id = langfuse.api.prompts.get(quote("shared/tone", safe="")).model_extra["id"]
    assert raw.resolution_graph == {
        "root": {"name": "reply", "version": 1, "id": root_id},
        "dependencies": {root_id: [{"name": "shared/tone", "version": 1, "id": child_id}]},
    }
    assert stored.prompt.startswith("@@@langfusePrompt:name=shared/tone|label=production@@@")
    assert stored.resolution_graph is None
    assert (child.version, parent.version) == (1, 1)


def test_composition_rules_are_enforced_at_create(langfuse_for, key_pair):
    langfuse = langfuse_for(key_pair(Role.ADMIN))
    langfuse.create_prompt(name="chatty", type="chat", prompt=[{"role": "user", "content": "x"}])

    with pytest.raises(Error) as chat_child:
        langfuse.create_prompt(
            name="uses-chat", prompt="@@@langfusePrompt:name=chatty|version=1@@@"
        )
    with pytest.raises(Error) as missing:
        langfuse.create_prompt(name="uses-none", prompt="@@@langfusePrompt:name=nope|version=1@@@")
    kept = langfuse.create_prompt(name="as-text", prompt="@@@langfusePrompt:name=chatty@@@")

    assert chat_child.value.status_code == missing.value.status_code == 400
    assert "is a chat prompt" in str(chat_child.value.body)
    assert "not found" in str(missing.value.body)
    assert kept.prompt == "@@@langfusePrompt:name=chatty@@@"


def test_versions_are_deleted_through_the_sdk_as_promptops_keeps_them(langfuse_for, key_pair):
    langfuse = langfuse_for(key_pair(Role.ADMIN))
    for text, labels in (("one", ["production"]), ("two", ["staging"]), ("three", [])):
        langfuse.create_prompt(name="team/notes", prompt=text, labels=labels)
    encoded = quote("team/notes", safe="")

    langfuse.api.prompts.delete(encoded, version=3)
    langfuse.api.prompts.delete(encoded, label="staging")
    with pytest.raises(Error) as protected:
        langfuse.api.prompts.delete(encoded, version=1)

    assert protected.value.status_code == 400
    assert langfuse.api.prompts.get(encoded, label="latest").version == 1
    with pytest.raises(NotFoundError):
        langfuse.api.prompts.get(encoded, version=2)
    [meta] = langfuse.api.prompts.list(name="team/notes").data
    assert meta.versions == [1]
    langfuse.api.prompts.delete(encoded)
    with pytest.raises(NotFoundError):
        langfuse.get_prompt("team/notes", max_retries=0, cache_ttl_seconds=0)


def test_the_list_gives_the_newest_matching_versions_config(langfuse_for, key_pair):
    langfuse = langfuse_for(key_pair(Role.ADMIN))
    for n, labels in ((1, ["production"]), (2, ["version2"]), (3, [])):
        langfuse.create_prompt(name="configured", prompt=f"v{n}", config={"n": n}, labels=labels)

    def last_config(**filters):
        [meta] = langfuse.api.prompts.list(**filters).data
        return meta.last_config

    assert last_config() == {"n": 3}
    assert last_config(label="version2") == {"n": 2}
    assert last_config(label="production") == {"n": 1}
