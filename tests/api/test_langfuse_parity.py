"""Parity with Langfuse's own prompt API server tests (langfuse/langfuse,
web/src/__tests__/async/prompts.v2.servertest.ts), over plain HTTP.

Each test names the Langfuse behaviour it proves. Where PromptOps differs on purpose, the test
says so and docs/api-guide.md gives the reason.
"""

from urllib.parse import quote

import pytest

from promptregistry.models import Prompt, PromptVersion
from workspaces.models import AuditEvent
from workspaces.roles import Role

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
