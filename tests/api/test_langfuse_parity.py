"""Parity with Langfuse's own prompt API server tests (langfuse/langfuse,
web/src/__tests__/async/prompts.v2.servertest.ts), over plain HTTP.

Each test names the Langfuse behaviour it proves. Where PromptOps differs on purpose, the test
says so and docs/api-prompts.md gives the reason.
"""

from urllib.parse import quote

import pytest

from promptregistry.models import Prompt, PromptVersion
from workspaces.models import AuditEvent
from workspaces.roles import Role

# Real commits: the serving cache is invalidated after commit, as in production, so a fetch after
# a write sees the write.
pytestmark = pytest.mark.django_db(transaction=True)

V2 = "/api/public/v2/prompts"
LEGACY = "/api/public/prompts"


def url(name: str) -> str:
    return f"{V2}/{quote(name, safe='')}"


def post(client, path: str, body: dict):
    return client.post(path, body, content_type="application/json")


@pytest.fixture
def admin(api_client):
    return api_client(Role.ADMIN, basic=True)


# --- Names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/invalid-name", "Name cannot start with a slash"),
        ("invalid-name/", "Name cannot end with a slash"),
        ("invalid//name", "Name cannot contain consecutive slashes"),
        ("invalid|name", "Prompt name cannot contain '|' character"),
        ("", "Text cannot be empty"),
        ("Test <div>", "Text cannot contain HTML tags"),
    ],
)
def test_invalid_prompt_names_are_refused_as_invalid_request_data(admin, name, message):
    response = post(admin, V2, {"name": name, "prompt": "test prompt", "type": "text"})

    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid request data"
    assert {"code": "invalid_name", "path": ["name"], "message": message} in body["error"]
    assert not Prompt.objects.exists()


VALID_NAMES = [
    "simple-name",
    "name_with_underscores",
    "name.with.dots",
    "UPPERCASE",
    "folder/subfolder/name",
    "name-with-123-numbers",
    "_starting_with_underscore",
    "ending_with_underscore_",
    "multiple___underscores",
    "multiple---hyphens",
    "multiple...dots",
    "name with spaces",
    "multiple   spaces",
    "angled[brac]es]",
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_prompt_names_are_created(admin, name):
    response = post(admin, V2, {"name": name, "prompt": "test prompt", "type": "text"})

    assert response.status_code == 201, response.content
    assert response.json()["name"] == name


def test_a_prompt_with_special_characters_is_fetched_by_its_encoded_name(admin):
    name = "promptName?!+ =@#;xyz"
    post(admin, V2, {"name": name, "prompt": "prompt", "labels": ["production"]})

    response = admin.get(url(name))

    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["prompt"]) == (name, "prompt")


def test_a_prompt_with_slashes_in_its_name_keeps_them(admin):
    name = "this/is/a/prompt/with/a/slash"
    created = post(
        admin,
        V2,
        {"name": name, "prompt": "In a folder structure", "type": "text", "labels": ["production"]},
    )

    fetched = admin.get(url(name)).json()

    assert created.status_code == 201
    assert (fetched["name"], fetched["prompt"]) == (name, "In a folder structure")


def test_a_refused_name_writes_nothing(admin):
    post(admin, V2, {"name": "a\\b", "prompt": "x"})

    assert not Prompt.objects.exists()
    assert not PromptVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.create").exists()


# --- Creating and fetching ---------------------------------------------------------------------


def test_a_bad_key_is_a_401_whose_error_says_unauthorized(client):
    response = client.get(V2, headers={"authorization": "Bearer not-a-key"})

    assert response.status_code == 401
    assert "Unauthorized" in response.json()["error"]


def test_a_chat_prompt_is_created_and_fetched_with_langfuses_fields(admin):
    messages = [
        {"role": "system", "content": "You are a bot"},
        {"role": "user", "content": "What's up?"},
    ]
    created = post(
        admin,
        V2,
        {
            "name": "bot",
            "prompt": messages,
            "type": "chat",
            "labels": ["production"],
            "commitMessage": "chore: setup initial prompt",
        },
    )

    fetched = admin.get(url("bot")).json()

    assert created.status_code == 201
    assert fetched["prompt"] == messages
    assert (fetched["type"], fetched["version"]) == ("chat", 1)
    assert fetched["labels"] == ["production", "latest"]
    assert fetched["createdBy"] == "API"
    assert fetched["config"] == {}
    assert fetched["commitMessage"] == "chore: setup initial prompt"
    assert fetched["resolutionGraph"] is None
    assert fetched["id"] == created.json()["id"]


def test_message_placeholders_are_kept(admin):
    messages = [
        {"role": "system", "content": "You are a helpful assistant with conversation context."},
        {"type": "placeholder", "name": "conversation_history"},
        {"role": "user", "content": "{{user_question}}"},
    ]
    post(admin, V2, {"name": "with-history", "prompt": messages, "type": "chat"})

    assert admin.get(url("with-history"), {"label": "latest"}).json()["prompt"] == messages


@pytest.mark.parametrize(
    ("type_", "prompt"),
    [
        ("chat", "prompt"),
        ("chat", [{"role": "system", "content": "You are a bot"}, {"role": "user", "x": "?"}]),
        ("text", [{"role": "system", "content": "You are a bot"}]),
    ],
)
def test_a_prompt_that_doesnt_fit_its_type_is_refused(admin, type_, prompt):
    response = post(
        admin,
        V2,
        {"name": "prompt-name", "prompt": prompt, "type": type_, "labels": ["production"]},
    )

    assert response.status_code == 400
    missing = admin.get(LEGACY, {"name": "prompt-name"})
    assert missing.status_code == 404
    assert missing.json() == {"error": "LangfuseNotFoundError", "message": "Prompt not found"}
    assert admin.get(url("prompt-name")).json()["error"] == "LangfuseNotFoundError"


def test_a_prompts_type_is_fixed_by_its_first_version(admin):
    chat = [{"role": "system", "content": "You are a bot"}]
    post(admin, V2, {"name": "typed", "prompt": chat, "type": "chat", "labels": ["production"]})

    response = post(admin, V2, {"name": "typed", "prompt": "prompt", "type": "text"})

    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequestError"
    assert admin.get(url("typed")).json()["prompt"] == chat
    assert admin.get(url("typed"), {"version": 2}).status_code == 404


def test_labels_given_at_create_move_off_older_versions(admin):
    first = post(
        admin,
        V2,
        {"name": "moving", "prompt": "p1", "labels": ["production", "staging", "development"]},
    ).json()
    second = post(
        admin,
        V2,
        {"name": "moving", "prompt": "p2", "labels": ["production", "production", "staging"]},
    ).json()
    third = post(admin, V2, {"name": "moving", "prompt": "p3", "labels": ["staging"]}).json()

    production = admin.get(url("moving")).json()
    v1 = admin.get(url("moving"), {"version": 1}).json()
    v3 = admin.get(url("moving"), {"version": 3}).json()

    assert (production["id"], production["labels"]) == (second["id"], ["production"])
    assert (v1["id"], v1["labels"]) == (first["id"], ["development"])
    assert (v3["id"], v3["labels"]) == (third["id"], ["staging", "latest"])


def test_a_prompt_without_config_gets_an_empty_one(admin):
    post(admin, V2, {"name": "plain", "prompt": "prompt", "labels": ["production"]})

    body = admin.get(url("plain")).json()

    assert (body["prompt"], body["type"], body["config"]) == ("prompt", "text", {})
    assert body["labels"] == ["production", "latest"]


def test_tags_belong_to_the_prompt_and_follow_the_newest_create(admin):
    def create(**tags):
        post(admin, V2, {"name": "tagged", "prompt": "This is a test prompt", **tags})

    def tags_of(version):
        return admin.get(url("tagged"), {"version": version}).json()["tags"]

    create(tags=["tag"])
    create()  # no tags given: kept
    assert [tags_of(1), tags_of(2)] == [["tag"], ["tag"]]
    create(tags=["tag1", "tag2", "tag3"])
    assert [tags_of(n) for n in (1, 2, 3)] == [["tag1", "tag2", "tag3"]] * 3
    create(tags=[])
    assert [tags_of(n) for n in (1, 2, 3, 4)] == [[]] * 4


def test_a_variable_and_a_placeholder_may_not_share_a_name(admin):
    response = post(
        admin,
        V2,
        {
            "name": "clash",
            "type": "chat",
            "prompt": [
                {"role": "system", "content": "Hello {{userName}}"},
                {"type": "placeholder", "name": "userName"},
                {"role": "user", "content": "How are you?"},
            ],
        },
    )

    assert response.status_code == 400
    assert "variables and placeholders must be unique" in response.json()["message"]
    assert "userName" in response.json()["message"]


def test_a_later_version_may_reuse_a_variable_name_as_a_placeholder(admin):
    post(
        admin,
        V2,
        {
            "name": "reuse",
            "type": "chat",
            "prompt": [{"role": "system", "content": "You are a helpful {{conversationHistory}}"}],
        },
    )

    response = post(
        admin,
        V2,
        {
            "name": "reuse",
            "type": "chat",
            "prompt": [
                {"role": "system", "content": "Context: {{newHistory}}"},
                {"type": "placeholder", "name": "conversationHistory"},
            ],
        },
    )

    assert (response.status_code, response.json()["version"]) == (201, 2)


# --- Fetching by version, label, latest, production --------------------------------------------


def test_a_version_without_production_is_found_by_number_but_not_by_default(admin):
    post(admin, V2, {"name": "unreleased", "prompt": "prompt", "config": {"temperature": 0.1}})

    assert admin.get(url("unreleased")).status_code == 404
    body = admin.get(url("unreleased"), {"version": 1}).json()
    assert (body["version"], body["config"]) == (1, {"temperature": 0.1})


def test_a_version_with_another_label_is_found_by_that_label(admin):
    post(admin, V2, {"name": "dev-only", "prompt": "prompt", "labels": ["dev"]})

    assert admin.get(url("dev-only")).status_code == 404
    assert admin.get(url("dev-only"), {"label": "dev"}).json()["labels"] == ["dev", "latest"]


def test_latest_is_the_newest_version_and_production_the_default(admin):
    post(admin, V2, {"name": "both", "prompt": "one", "labels": ["production"]})
    post(admin, V2, {"name": "both", "prompt": "two"})

    assert admin.get(url("both"), {"label": "latest"}).json()["version"] == 2
    assert admin.get(url("both")).json()["version"] == 1


def test_a_missing_prompt_is_a_404_whose_error_says_not_found(admin):
    response = admin.get(url("random_prompt"))

    assert response.status_code == 404
    assert "NotFound" in response.json()["error"]
    assert response.json()["message"] == "Prompt not found: 'random_prompt' with label 'production'"


# --- Composability: references, resolution, resolutionGraph -------------------------------------


def create(client, name: str, prompt, **fields):
    response = post(client, V2, {"name": name, "prompt": prompt, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_reference_by_label_resolves_and_the_graph_shows_it(admin):
    create(admin, "child-prompt", "I am a child prompt", labels=["production"])
    parent = create(
        admin,
        "parent-prompt",
        "Parent prompt with dependency: @@@langfusePrompt:name=child-prompt|label=production@@@",
    )

    body = admin.get(url("parent-prompt"), {"version": 1}).json()
    child = admin.get(url("child-prompt")).json()

    assert body["prompt"] == "Parent prompt with dependency: I am a child prompt"
    assert body["resolutionGraph"] == {
        "root": {"name": "parent-prompt", "version": 1, "id": parent["id"]},
        "dependencies": {
            parent["id"]: [{"name": "child-prompt", "version": 1, "id": child["id"]}],
        },
    }

    create(admin, "child-prompt", "I am an updated child prompt", labels=["production"])
    after = admin.get(url("parent-prompt"), {"version": 1}).json()

    assert after["prompt"] == "Parent prompt with dependency: I am an updated child prompt"
    [edge] = after["resolutionGraph"]["dependencies"][parent["id"]]
    assert (edge["name"], edge["version"]) == ("child-prompt", 2)


def test_nested_references_resolve_and_every_level_is_in_the_graph(admin):
    create(admin, "nested-child", "I am a nested child", labels=["production"])
    intermediate = create(
        admin,
        "intermediate",
        "Intermediate with dependency: @@@langfusePrompt:name=nested-child|label=production@@@",
        labels=["production"],
    )
    parent = create(
        admin,
        "nested-parent",
        "Parent with nested dependency: @@@langfusePrompt:name=intermediate|label=production@@@",
    )

    body = admin.get(url("nested-parent"), {"version": 1}).json()

    assert body["prompt"] == (
        "Parent with nested dependency: Intermediate with dependency: I am a nested child"
    )
    dependencies = body["resolutionGraph"]["dependencies"]
    assert [(d["name"], d["version"]) for d in dependencies[parent["id"]]] == [("intermediate", 1)]
    assert [(d["name"], d["version"]) for d in dependencies[intermediate["id"]]] == [
        ("nested-child", 1)
    ]


def test_a_reference_by_version_resolves_to_that_version(admin):
    create(admin, "versioned-child", "I am version 1", labels=["production"])
    create(admin, "versioned-child", "I am version 2", labels=["production"])
    create(
        admin,
        "version-parent",
        "Parent with version dependency: @@@langfusePrompt:name=versioned-child|version=1@@@",
    )

    body = admin.get(url("version-parent"), {"version": 1}).json()

    assert body["prompt"] == "Parent with version dependency: I am version 1"


def test_several_references_at_one_level_and_deeper_trees_resolve(admin):
    for name in ("level-3-a", "level-3-b"):
        create(admin, name, f"I am {name}", labels=["production"])
    create(
        admin,
        "level-2",
        "L2: @@@langfusePrompt:name=level-3-a|label=production@@@ and "
        "@@@langfusePrompt:name=level-3-b|label=production@@@",
        labels=["production"],
    )
    create(admin, "level-1", "L1: @@@langfusePrompt:name=level-2|label=production@@@")

    body = admin.get(url("level-1"), {"version": 1}).json()

    assert body["prompt"] == "L1: L2: I am level-3-a and I am level-3-b"
    level_2 = admin.get(url("level-2")).json()["id"]
    assert [d["name"] for d in body["resolutionGraph"]["dependencies"][level_2]] == [
        "level-3-a",
        "level-3-b",
    ]


def test_references_in_chat_messages_resolve_nested(admin):
    create(admin, "nested-child", "I am a nested child prompt", labels=["production"])
    create(
        admin,
        "intermediate-prompt",
        "Intermediate: @@@langfusePrompt:name=nested-child|label=production@@@",
        labels=["production"],
    )
    messages = [
        {"role": "system", "content": "You are a helpful assistant"},
        {
            "role": "user",
            "content": "Context: @@@langfusePrompt:name=intermediate-prompt|label=production@@@",
        },
    ]
    create(admin, "chat-parent", messages, type="chat")

    body = admin.get(url("chat-parent"), {"version": 1}).json()

    assert body["prompt"] == [
        {"role": "system", "content": "You are a helpful assistant"},
        {"role": "user", "content": "Context: Intermediate: I am a nested child prompt"},
    ]


def test_malformed_tags_are_left_as_text(admin):
    text = (
        '{"text": "This prompt has invalid tags: @@@langfusePrompt:invalid@@@, '
        '@@@langfusePrompt:name=missing-type@@@, @@@langfusePrompt:name=no-version-or-label@@@"}'
    )
    create(admin, "prompt-with-invalid-tags", text)

    body = admin.get(url("prompt-with-invalid-tags"), {"version": 1}).json()

    assert body["prompt"] == text
    assert body["resolutionGraph"] is None


def test_the_same_reference_twice_resolves_twice(admin):
    create(admin, "parent-prompt", "I am a parent prompt")
    create(
        admin,
        "prompt-with-duplicate-tags",
        "Tags: @@@langfusePrompt:name=parent-prompt|version=1@@@ and again "
        "@@@langfusePrompt:name=parent-prompt|version=1@@@",
    )

    body = admin.get(url("prompt-with-duplicate-tags"), {"version": 1}).json()

    assert body["prompt"] == "Tags: I am a parent prompt and again I am a parent prompt"
    [[edge]] = body["resolutionGraph"]["dependencies"].values()
    assert edge["name"] == "parent-prompt"


def test_references_to_names_with_special_characters_resolve(admin):
    names = {
        "prompt-with-hyphens": "Hyphen content",
        "prompt_with_underscores": "Underscore content",
        "prompt.with.dots": "Dot content",
        "prompt123WithNumbers": "Number content",
        "prompt with spaces": "Space content",
        "prompt/with/slashes": "Slash content",
        "odd?!+ =@#;": "Odd content",
    }
    for name, text in names.items():
        create(admin, name, text, type="text")
    tags = "\n".join(f"@@@langfusePrompt:name={name}|version=1@@@" for name in names)
    create(admin, "prompt-with-special-char-dependencies", f"\nRefs:\n{tags}\n")

    body = admin.get(url("prompt-with-special-char-dependencies"), {"version": 1}).json()

    assert body["prompt"] == "\nRefs:\n" + "\n".join(names.values()) + "\n"


@pytest.mark.parametrize(
    ("resolve", "expected"),
    [(None, "Parent: Child content"), ("true", "Parent: Child content")],
)
def test_references_are_resolved_by_default_and_with_resolve_true(admin, resolve, expected):
    create(admin, "child", "Child content", labels=["production"])
    create(admin, "parent", "Parent: @@@langfusePrompt:name=child|label=production@@@")
    params = {"version": 1} | ({"resolve": resolve} if resolve else {})

    assert admin.get(url("parent"), params).json()["prompt"] == expected


def test_resolve_false_serves_the_stored_tags_and_no_graph(admin):
    create(admin, "child", "Base instructions", labels=["production"])
    tag = "@@@langfusePrompt:name=child|label=production@@@"
    create(admin, "parent", f"Parent: {tag}", labels=["production"])
    create(
        admin,
        "chat-parent",
        [{"role": "system", "content": f"System: {tag}"}, {"role": "user", "content": "User"}],
        type="chat",
        labels=["production"],
    )

    text = admin.get(url("parent"), {"version": 1, "resolve": "false"}).json()
    chat = admin.get(url("chat-parent"), {"version": 1, "resolve": "false"}).json()
    by_label = admin.get(url("parent"), {"resolve": "false"}).json()

    assert (text["prompt"], text["resolutionGraph"]) == (f"Parent: {tag}", None)
    assert chat["prompt"][0]["content"] == f"System: {tag}"
    assert "production" in by_label["labels"]
    assert tag in by_label["prompt"]


def test_a_prompt_may_not_reference_itself(admin):
    create(admin, "self-referencing-prompt", "This is the initial content")

    response = post(
        admin,
        V2,
        {
            "name": "self-referencing-prompt",
            "prompt": "Me: @@@langfusePrompt:name=self-referencing-prompt|version=1@@@ end",
        },
    )

    assert response.status_code == 400
    assert "Circular dependency" in response.json()["message"]
    assert admin.get(url("self-referencing-prompt"), {"version": 2}).status_code == 404


def test_circular_references_are_refused(admin):
    create(admin, "circular-a", "Prompt A without dependency", labels=["production"])
    create(
        admin,
        "circular-b",
        "B: @@@langfusePrompt:name=circular-a|label=production@@@",
        labels=["production"],
    )

    response = post(
        admin,
        V2,
        {
            "name": "circular-a",
            "prompt": "A: @@@langfusePrompt:name=circular-b|label=production@@@",
            "labels": ["production"],
        },
    )

    assert response.status_code == 400
    assert "circular" in response.json()["message"].lower()
    assert "circular-a -> circular-b -> circular-a" in response.json()["message"]


def test_a_reference_to_a_missing_prompt_is_refused_at_create(admin):
    response = post(
        admin,
        V2,
        {"name": "missing-dependency", "prompt": "@@@langfusePrompt:name=nowhere|version=1@@@"},
    )

    assert response.status_code == 400
    assert "not found" in response.json()["message"]
    assert not Prompt.objects.filter(name="missing-dependency").exists()


def test_a_reference_to_another_workspaces_prompt_is_not_found(admin, globex_api):
    create(globex_api, "cross-project-prompt", "Globex only")

    response = post(
        admin,
        V2,
        {
            "name": "cross",
            "prompt": "Other: @@@langfusePrompt:name=cross-project-prompt|version=1@@@ End.",
        },
    )

    assert response.status_code == 400
    assert "not found" in response.json()["message"]


def test_five_prompts_may_chain_but_not_six(admin):
    for level in range(5, 0, -1):
        text = (
            "I am the deepest prompt"
            if level == 5
            else f"Level {level}: @@@langfusePrompt:name=depth-{level + 1}|label=production@@@"
        )
        create(admin, f"depth-{level}", text, labels=["production"])

    response = post(
        admin,
        V2,
        {
            "name": "depth-0",
            "prompt": "Level 0: @@@langfusePrompt:name=depth-1|label=production@@@",
            "labels": ["production"],
        },
    )

    assert response.status_code == 400
    assert "Maximum nesting depth exceeded" in response.json()["message"]
    assert admin.get(url("depth-1")).json()["prompt"].endswith("I am the deepest prompt")


@pytest.mark.parametrize("type_", ["text", "chat"])
def test_only_text_prompts_can_be_referenced(admin, type_):
    create(admin, "chat-child", [{"role": "system", "content": "I chat"}], type="chat")
    tag = "@@@langfusePrompt:name=chat-child|version=1@@@"
    prompt = f"Uses {tag}" if type_ == "text" else [{"role": "user", "content": f"Uses {tag}"}]

    response = post(admin, V2, {"name": "parent", "prompt": prompt, "type": type_})

    assert response.status_code == 400
    assert "is a chat prompt" in response.json()["message"]
    assert not Prompt.objects.filter(name="parent").exists()


# --- DELETE /v2/prompts/{name} -----------------------------------------------------------------


def versions_of(client, name: str) -> list[int]:
    [meta] = client.get(V2, {"name": name}).json()["data"] or [{"versions": []}]
    return meta["versions"]


def test_deleting_a_prompt_deletes_all_its_versions(admin):
    create(admin, "deletePrompt", "p1", labels=["production"])
    create(admin, "deletePrompt", "p2")

    response = admin.delete(url("deletePrompt"))

    assert response.status_code == 204
    assert [admin.get(url("deletePrompt"), {"version": n}).status_code for n in (1, 2)] == [404] * 2
    assert admin.get(V2, {"name": "deletePrompt"}).json()["data"] == []


def test_versions_are_deleted_by_version_and_by_label(admin):
    # Langfuse's test uses production here; PromptOps never deletes a version production
    # (a protected label) points at, so the labels are unprotected ones.
    create(admin, "filtered", "p1", labels=["live"])
    create(admin, "filtered", "p2", labels=["dev"])

    by_version = admin.delete(url("filtered") + "?version=1")
    remaining = versions_of(admin, "filtered")
    by_label = admin.delete(url("filtered") + "?label=dev")

    assert (by_version.status_code, remaining) == (204, [2])
    assert by_label.status_code == 204
    assert versions_of(admin, "filtered") == []
    assert admin.get(url("filtered"), {"label": "latest"}).status_code == 404


def test_a_prompt_in_folders_is_deleted_by_its_encoded_name(admin):
    name = "folder/subfolder/deletePrompt"
    create(admin, name, "prompt in folder", labels=["production"])

    assert admin.delete(url(name)).status_code == 204
    assert admin.get(url(name)).status_code == 404


def test_a_prompt_others_depend_on_is_not_deleted(admin):
    create(admin, "childPrompt", "I am a child prompt", labels=["production"])
    create(admin, "parentPrompt", "Parent: @@@langfusePrompt:name=childPrompt|version=1@@@")

    response = admin.delete(url("childPrompt"))

    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequestError"
    assert "depending on" in response.json()["message"]
    assert "parentPrompt v1 depends on childPrompt v1" in response.json()["message"]
    assert admin.get(url("childPrompt")).status_code == 200


def test_only_the_dependencies_a_deletion_would_break_block_it(admin):
    create(admin, "child", "child v1", labels=["pinned"])
    create(admin, "child", "child v2", labels=["production"])
    create(admin, "parent1", "On @@@langfusePrompt:name=child|version=1@@@")
    create(admin, "parent2", "On @@@langfusePrompt:name=child|label=production@@@")
    create(admin, "parent3", "On @@@langfusePrompt:name=child|label=pinned@@@")
    create(admin, "parent4", "On @@@langfusePrompt:name=child|label=latest@@@")

    response = admin.delete(url("child") + "?version=1")

    message = response.json()["message"]
    assert response.status_code == 400
    assert "depending on" in message
    assert "parent1 v1 depends on child v1" in message
    assert "parent3 v1 depends on child pinned" in message
    assert "parent2" not in message  # production stays on version 2
    assert "parent4" not in message  # latest stays on version 2
    assert versions_of(admin, "child") == [1, 2]


def test_latest_moves_to_the_newest_remaining_version(admin):
    create(admin, "testPrompt", "version 1", labels=["dev"])
    create(admin, "testPrompt", "version 2", labels=["production"])
    create(admin, "testPrompt", "version 3", labels=["candidate"])

    response = admin.delete(url("testPrompt") + "?version=3")

    latest = admin.get(url("testPrompt"), {"label": "latest"}).json()
    assert response.status_code == 204
    assert versions_of(admin, "testPrompt") == [1, 2]
    assert (latest["version"], latest["labels"]) == (2, ["production", "latest"])
    assert admin.get(url("testPrompt"), {"version": 1}).json()["labels"] == ["dev"]
    assert admin.get(url("testPrompt"), {"label": "candidate"}).status_code == 404


def test_deleting_a_version_that_isnt_there_is_a_404(admin):
    create(admin, "one", "only", labels=["production"])

    for query in ("?version=7", "?label=nowhere"):
        response = admin.delete(url("one") + query)
        assert response.status_code == 404
        assert response.json() == {"message": "Prompt not found", "error": "LangfuseNotFoundError"}
    assert admin.delete(url("nothing-here")).status_code == 404


def test_a_version_and_a_label_together_are_a_400(admin):
    create(admin, "both", "x", labels=["dev"])

    response = admin.delete(url("both") + "?version=1&label=dev")

    assert (response.status_code, response.json()["error"]) == (400, "InvalidRequestError")


# Deliberately different: PromptOps keeps versions for the audit trail and protects labels.


def test_a_deleted_version_is_hidden_but_kept_and_its_number_never_reused(admin):
    create(admin, "kept", "one", labels=["production"])
    create(admin, "kept", "two")

    admin.delete(url("kept") + "?version=2")
    again = create(admin, "kept", "three")

    rows = PromptVersion.all_objects.filter(prompt__name="kept").order_by("number")
    assert again["version"] == 3
    assert [(v.number, v.deleted_at is not None) for v in rows] == [
        (1, False),
        (2, True),
        (3, False),
    ]
    assert rows[1].content == {"text": "two"}
    assert admin.get(url("kept"), {"version": 2}).status_code == 404
    event = AuditEvent.objects.get(action="version.delete")
    assert (event.target_label, event.data["before"]["versions"]) == ("kept v2", [2])


@pytest.mark.parametrize("query", ["?version=1", "?label=production"])
def test_a_version_a_protected_label_points_at_is_never_deleted(admin, query):
    create(admin, "released", "live text", labels=["production"])

    response = admin.delete(url("released") + query)

    assert response.status_code == 400
    assert "protected label “production”" in response.json()["message"]
    assert admin.get(url("released")).json()["prompt"] == "live text"
    assert not AuditEvent.objects.filter(action="version.delete").exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_only_admin_keys_delete_versions(api_client, admin, role):
    create(admin, "guarded", "one", labels=["dev"])

    response = api_client(role, basic=True).delete(url("guarded") + "?version=1")

    assert response.status_code == 403
    assert versions_of(admin, "guarded") == [1]


def test_deleting_the_last_version_deletes_the_prompt_and_frees_its_name(admin):
    create(admin, "short-lived", "once", labels=["dev"])

    admin.delete(url("short-lived") + "?label=dev")
    reborn = create(admin, "short-lived", "again")

    assert reborn["version"] == 1
    assert AuditEvent.objects.filter(action="prompt.delete").count() == 1


# --- GET /v2/prompts (the meta list) -----------------------------------------------------------


def at(prompt_name: str, number: int, when: str) -> None:
    # Versions never change; only the test moves their creation time back.
    PromptVersion.objects.filter(prompt__name=prompt_name, number=number).update(created_at=when)


@pytest.fixture
def listed(admin, globex_api):
    """Langfuse's mock prompts: prompt-1 with versions 1, 2 and 4 (3 deleted), prompt-2 with
    three, prompt-3 (chat, tagged) with one, and prompt-5 in another workspace."""
    create(admin, "prompt-1", "prompt-1", config={"version": 1})
    create(admin, "prompt-1", "prompt-1", config={"version": 2}, labels=["version2"])
    create(admin, "prompt-1", "prompt-1", config={"version": 3})
    create(admin, "prompt-1", "prompt-1", config={"version": 4}, labels=["production"])
    assert admin.delete(url("prompt-1") + "?version=3").status_code == 204
    create(admin, "prompt-2", "prompt-2", labels=["production"])
    create(admin, "prompt-2", "prompt-2", labels=["staging"])
    create(admin, "prompt-2", "prompt-2", labels=["dev"])
    create(
        admin,
        "prompt-3",
        [{"role": "user", "content": "prompt-3"}],
        type="chat",
        tags=["tag-1"],
        labels=["production"],
    )
    create(globex_api, "prompt-5", "prompt-5", labels=["production"])
    for name, number, when in [
        ("prompt-1", 1, "2024-01-01T00:00:00Z"),
        ("prompt-1", 2, "2024-01-02T00:00:00Z"),
        ("prompt-1", 4, "2024-01-04T00:00:00Z"),
        ("prompt-2", 1, "2000-01-01T00:00:00Z"),
        ("prompt-2", 2, "2000-03-01T00:00:00Z"),
        ("prompt-2", 3, "2000-02-01T00:00:00Z"),
        ("prompt-3", 1, "2000-01-01T00:00:00Z"),
    ]:
        at(name, number, when)


def test_the_list_holds_this_workspaces_prompts_with_their_versions_and_labels(admin, listed):
    body = admin.get(V2).json()

    assert [(m["name"], m["type"], m["versions"], m["tags"]) for m in body["data"]] == [
        ("prompt-1", "text", [1, 2, 4], []),
        ("prompt-2", "text", [1, 2, 3], []),
        ("prompt-3", "chat", [1], ["tag-1"]),
    ]
    # Langfuse's mock rows carry no "latest"; here the newest version always has it.
    assert [m["labels"] for m in body["data"]] == [
        ["latest", "production", "version2"],
        ["dev", "latest", "production", "staging"],
        ["latest", "production"],
    ]
    expected = {"page": 1, "limit": 10, "totalPages": 1, "totalItems": 3}
    assert body["meta"] == body["pagination"] == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"name": "prompt-1"}, [("prompt-1", [1, 2, 4])]),
        ({"name": "non-existent"}, []),
        ({"tag": "tag-1"}, [("prompt-3", [1])]),
        ({"tag": "non-existent"}, []),
        ({"label": "production"}, [("prompt-1", [4]), ("prompt-2", [1]), ("prompt-3", [1])]),
        ({"label": "dev"}, [("prompt-2", [3])]),
        ({"label": "non-existent"}, []),
        ({"version": 1}, [("prompt-1", [1]), ("prompt-2", [1]), ("prompt-3", [1])]),
        ({"version": 3}, [("prompt-2", [3])]),  # prompt-1's version 3 is deleted
    ],
)
def test_the_list_filters_by_name_tag_label_and_version(admin, listed, filters, expected):
    body = admin.get(V2, filters).json()

    assert [(m["name"], m["versions"]) for m in body["data"]] == expected
    assert body["meta"]["totalItems"] == len(expected)


def test_the_list_pages(admin, listed):
    body = admin.get(V2, {"page": 1, "limit": 1}).json()

    assert len(body["data"]) == 1
    assert body["meta"] == {"page": 1, "limit": 1, "totalPages": 3, "totalItems": 3}


@pytest.mark.parametrize(
    ("filters", "config"),
    [
        ({}, {"version": 4}),
        ({"label": "version2"}, {"version": 2}),
        ({"version": 1}, {"version": 1}),
    ],
)
def test_last_config_is_the_newest_matching_versions_config(admin, listed, filters, config):
    metas = {m["name"]: m for m in admin.get(V2, filters).json()["data"]}

    assert metas["prompt-1"]["lastConfig"] == config
    assert metas["prompt-1"]["type"] == "text"


def test_the_updated_at_bounds_filter_versions(admin, listed):
    both = admin.get(
        V2, {"fromUpdatedAt": "2024-01-02T00:00:00.000Z", "toUpdatedAt": "2024-01-04T00:00:00.000Z"}
    ).json()
    since = admin.get(V2, {"fromUpdatedAt": "2024-01-02T00:00:00.000Z"}).json()
    until = admin.get(V2, {"toUpdatedAt": "2024-01-04T00:00:00.000Z"}).json()

    assert [(m["name"], m["lastUpdatedAt"], len(m["versions"])) for m in both["data"]] == [
        ("prompt-1", "2024-01-02T00:00:00+00:00", 1)
    ]
    assert [(m["name"], m["lastUpdatedAt"], len(m["versions"])) for m in since["data"]] == [
        ("prompt-1", "2024-01-04T00:00:00+00:00", 2)
    ]
    assert [(m["name"], m["lastUpdatedAt"], len(m["versions"])) for m in until["data"]] == [
        ("prompt-1", "2024-01-02T00:00:00+00:00", 2),
        ("prompt-2", "2000-03-01T00:00:00+00:00", 3),
        ("prompt-3", "2000-01-01T00:00:00+00:00", 1),
    ]
    assert (both["meta"]["totalItems"], until["meta"]["totalItems"]) == (1, 3)


# --- PATCH /v2/prompts/{name}/versions/{version} ------------------------------------------------


def test_new_labels_are_added_to_the_version(admin):
    create(admin, "prompt-1", "prompt-1", labels=["production"])

    response = admin.patch(
        url("prompt-1") + "/versions/1",
        {"newLabels": ["new-label"]},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert set(response.json()["labels"]) == {"production", "new-label", "latest"}


def test_a_new_label_moves_off_the_version_that_had_it(admin):
    create(admin, "prompt-1", "prompt-1", labels=["production"])
    create(admin, "prompt-1", "prompt-1")

    response = admin.patch(
        url("prompt-1") + "/versions/2",
        {"newLabels": ["production"]},
        content_type="application/json",
    )

    assert response.json()["labels"] == ["production", "latest"]
    assert admin.get(url("prompt-1"), {"version": 1}).json()["labels"] == []


def test_latest_cant_be_set_and_a_missing_prompt_is_a_404(admin):
    create(admin, "prompt-1", "prompt-1")
    patch = {"content_type": "application/json"}

    latest = admin.patch(url("prompt-1") + "/versions/1", {"newLabels": ["latest"]}, **patch)
    missing = admin.patch(url("non-existing-prompt") + "/versions/1", {"newLabels": ["x"]}, **patch)

    assert (latest.status_code, missing.status_code) == (400, 404)


# --- The legacy /api/public/prompts ------------------------------------------------------------


def test_the_legacy_create_needs_is_active_and_maps_it_to_production(admin):
    missing = post(admin, LEGACY, {"name": "old-sdk", "prompt": "Hi"})
    active = post(admin, LEGACY, {"name": "old-sdk", "prompt": "Hi", "isActive": True})
    inactive = post(admin, LEGACY, {"name": "old-sdk", "prompt": "Again", "isActive": False})

    assert missing.status_code == 400
    assert missing.json()["message"] == "Invalid request data"
    assert {"code": "missing", "path": ["isActive"], "message": "Field required"} in missing.json()[
        "error"
    ]
    assert (active.status_code, active.json()["isActive"]) == (201, True)
    assert active.json()["labels"] == ["production", "latest"]
    assert (inactive.json()["version"], inactive.json()["isActive"]) == (2, False)
    legacy = admin.get(LEGACY, {"name": "old-sdk"}).json()
    assert (legacy["version"], legacy["isActive"]) == (1, True)
