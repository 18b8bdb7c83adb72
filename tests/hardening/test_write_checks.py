"""One write check for every path that creates, and no refusal that reveals a hidden name
(issue 7, items 3 and 5).

The APIs used to create `locked/x` inside a folder the caller may not write (201 on both
POST /api/v1/prompts and POST /api/public/v2/prompts) while the editor refused; and creating a
name taken by a prompt hidden from the caller answered "already exists".
"""

import json

import pytest
from django.core.exceptions import ValidationError

from promptregistry import services
from promptregistry.models import Folder, Prompt, PromptVersion
from tests.factories import api_key_for
from tests.promptregistry.factories import make_folder, make_prompt, principal_for, restrict
from workspaces.roles import Role

NATIVE = "/api/v1/prompts"
LANGFUSE = "/api/public/v2/prompts"


def native_body(name: str) -> dict:
    return {"name": name, "type": "text", "content": {"text": "sneaky"}}


def langfuse_body(name: str) -> dict:
    return {"name": name, "type": "text", "prompt": "sneaky", "labels": []}


def post(client, path: str, body: dict, secret: str):
    return client.post(
        path,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


@pytest.fixture
def editor_secret(acme):
    return api_key_for(acme, Role.EDITOR, name="editor key")[1]


@pytest.fixture
def locked(acme, alice):
    folder = make_folder(acme, "locked", by=alice)
    restrict(folder, view_role="", edit_role=Role.ADMIN)
    return folder


@pytest.fixture
def vault(acme, alice):
    make_prompt(acme, "vault/payroll", by=alice)
    folder = Folder.objects.get(path="vault")
    restrict(folder, view_role=Role.ADMIN)
    return folder


def prompt_count() -> tuple[int, int]:
    return Prompt.objects.count(), PromptVersion.objects.count()


@pytest.mark.parametrize(("path", "body"), [(NATIVE, native_body), (LANGFUSE, langfuse_body)])
def test_the_apis_refuse_to_create_inside_a_folder_the_key_may_not_write(
    client, editor_secret, locked, path, body
):
    before = prompt_count()

    response = post(client, path, body("locked/x"), editor_secret)

    assert response.status_code in (400, 403), response.content
    assert "restricted" in response.content.decode()
    assert prompt_count() == before
    assert not Prompt.objects.filter(name="locked/x").exists()


@pytest.mark.parametrize(("path", "body"), [(NATIVE, native_body), (LANGFUSE, langfuse_body)])
def test_the_apis_refuse_to_create_inside_a_hidden_folder_without_naming_it(
    client, editor_secret, vault, path, body
):
    before = prompt_count()

    response = post(client, path, body("vault/new"), editor_secret)

    assert response.status_code == 400, response.content
    assert "restricted" not in response.content.decode()
    assert prompt_count() == before


@pytest.mark.parametrize(("path", "body"), [(NATIVE, native_body), (LANGFUSE, langfuse_body)])
def test_a_name_taken_by_a_hidden_prompt_is_refused_without_saying_it_exists(
    client, acme, alice, editor_secret, path, body
):
    secret = make_prompt(acme, "payroll", by=alice)
    restrict(secret, view_role=Role.ADMIN)
    before = prompt_count()

    response = post(client, path, body("payroll"), editor_secret)

    assert response.status_code == 400, response.content
    text = response.content.decode()
    assert "exists" not in text and "already" not in text
    assert "can't be used here" in text
    assert prompt_count() == before
    assert secret.versions.count() == 1


def test_the_same_answer_for_a_hidden_name_whatever_hides_it(acme, alice, bob, vault):
    loose = make_prompt(acme, "payroll", by=alice)
    restrict(loose, view_role=Role.ADMIN)
    editor = principal_for(acme, bob)

    messages = []
    for name in ("payroll", "vault"):
        with pytest.raises(ValidationError) as refused:
            services.prompt_create(principal=editor, name=name)
        messages.append(refused.value.message_dict["name"][0].replace(name, "NAME"))

    assert messages[0] == messages[1] == "“NAME” can't be used here: choose another name."


def test_a_visible_name_still_says_it_exists(acme, alice, bob):
    make_prompt(acme, "greeting", by=alice)

    with pytest.raises(ValidationError, match="already exists"):
        services.prompt_create(principal=principal_for(acme, bob), name="greeting")


def test_renaming_into_a_folder_the_caller_may_not_write_is_refused(acme, bob, locked):
    mine = make_prompt(acme, "draft", by=bob)

    with pytest.raises(ValidationError, match="restricted"):
        services.prompt_rename(principal=principal_for(acme, bob), prompt=mine, new_name="locked/d")

    mine.refresh_from_db()
    assert mine.name == "draft"


def test_a_folder_can_not_be_created_inside_a_folder_the_caller_may_not_write(acme, bob, locked):
    with pytest.raises(ValidationError, match="restricted"):
        services.folder_create(principal=principal_for(acme, bob), parent=locked, name="sub")

    assert not Folder.objects.filter(path="locked/sub").exists()


def test_a_folder_name_taken_by_a_hidden_folder_reads_as_unusable(acme, bob, vault):
    with pytest.raises(ValidationError) as refused:
        services.folder_create(principal=principal_for(acme, bob), parent=None, name="vault")

    assert refused.value.message_dict["name"] == [
        "“vault” can't be used here: choose another name."
    ]
    assert Folder.objects.filter(path="vault").count() == 1
