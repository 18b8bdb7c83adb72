"""Snippet references resolve as the principal who asks may read (issue 7, item 1).

An admin-only snippet used to leak through every path that resolves references: a viewer
key fetching or rendering a prompt that includes it got its text, an editor's live preview
showed it, and an editor could save a prompt naming it. Now a snippet the caller can't read
is "not found", with the same message as a missing one, everywhere:
- saving: refused, as for a missing snippet;
- serving (GET and render): the resolved fetch answers 422 "not found" for that caller,
  while `resolve=false` still returns the raw reference (which the caller can already read);
- the editor's preview: the reference shows the not-found error, never the text.
"""

import json
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError

from promptregistry import services
from promptregistry.models import Folder, PromptVersion
from tests.factories import api_key_for
from tests.promptregistry.factories import (
    add_version,
    make_prompt,
    make_snippet,
    principal_for,
    restrict,
)
from workspaces.roles import Role

SECRET = "The payroll password is hunter2."


@pytest.fixture
def hidden(acme, alice):
    snippet = make_snippet(acme, "hidden", SECRET, by=alice, labels=["production"])
    restrict(snippet, view_role=Role.ADMIN)
    return snippet


@pytest.fixture
def uses_hidden(acme, alice, hidden):
    """A prompt everyone may read, saved by an admin, that includes the admin-only snippet."""
    return make_prompt(
        acme, "greeting", text="Hello {{name}}. {{> hidden}}", by=alice, labels=["production"]
    )


def key_client(client, acme, role):
    _, secret = api_key_for(acme, role, name=f"{role} key")
    return lambda method, path, **kw: getattr(client, method)(
        path, HTTP_AUTHORIZATION=f"Bearer {secret}", **kw
    )


def message_for(principal, text: str, name: str) -> str:
    with pytest.raises(ValidationError) as refused:
        services.prompt_create(
            principal=principal,
            name="new",
            prompt_type="text",
            version_content={"text": text},
        )
    return refused.value.message_dict["content"][0].replace(name, "NAME")


@pytest.mark.parametrize(
    "reference",
    [
        "{{> NAME}}",
        "@@@langfusePrompt:name=NAME|label=production@@@",
    ],
)
def test_an_editor_can_not_save_a_reference_to_a_snippet_they_can_not_see(
    acme, bob, hidden, reference
):
    editor = principal_for(acme, bob)
    before = PromptVersion.objects.count()

    refused = message_for(editor, reference.replace("NAME", "hidden"), "hidden")
    missing = message_for(editor, reference.replace("NAME", "nosuch"), "nosuch")

    assert refused == missing
    assert "not found" in refused
    assert PromptVersion.objects.count() == before


def test_a_snippet_inside_an_admin_only_folder_is_missing_for_an_editor(acme, alice, bob):
    make_snippet(acme, "vault/tone", SECRET, by=alice, labels=["production"])
    restrict(Folder.objects.get(path="vault"), view_role=Role.ADMIN)

    refused = message_for(principal_for(acme, bob), "{{> vault/tone}}", "vault/tone")

    assert "not found" in refused


def test_an_admin_may_save_the_reference(acme, alice, hidden):
    prompt = make_prompt(acme, "ok", text="{{> hidden}}", by=alice)

    assert prompt.versions.count() == 1


@pytest.mark.parametrize("path", ["/api/public/v2/prompts/greeting", "/api/v1/prompts/greeting"])
def test_a_viewer_key_never_gets_the_hidden_text(client, acme, uses_hidden, path):
    as_owner = key_client(client, acme, Role.OWNER)
    as_viewer = key_client(client, acme, Role.VIEWER)

    owner = as_owner("get", path)  # cached first, as the owner sees it
    viewer = as_viewer("get", path)

    assert owner.status_code == 200 and SECRET in owner.content.decode()
    assert viewer.status_code == 422, viewer.content
    assert SECRET not in viewer.content.decode()
    assert "not found" in viewer.content.decode()


def test_a_viewer_key_may_still_fetch_the_raw_reference(client, acme, uses_hidden):
    as_viewer = key_client(client, acme, Role.VIEWER)

    raw = as_viewer("get", "/api/public/v2/prompts/greeting", data={"resolve": "false"})

    assert raw.status_code == 200
    assert raw.json()["prompt"] == "Hello {{name}}. {{> hidden}}"


def test_rendering_for_a_viewer_key_never_includes_the_hidden_text(client, acme, uses_hidden):
    as_viewer = key_client(client, acme, Role.VIEWER)
    as_owner = key_client(client, acme, Role.OWNER)
    body = json.dumps({"variables": {"name": "Vera"}})

    owner = as_owner(
        "post", "/api/v1/prompts/greeting/render", data=body, content_type="application/json"
    )
    viewer = as_viewer(
        "post", "/api/v1/prompts/greeting/render", data=body, content_type="application/json"
    )

    assert SECRET in owner.content.decode()
    assert viewer.status_code == 422
    assert SECRET not in viewer.content.decode()


def test_a_hidden_prompt_reads_as_missing_even_when_its_snippets_are_hidden_too(
    client, acme, alice, hidden
):
    secret_prompt = make_prompt(
        acme, "payroll", text="{{> hidden}}", by=alice, labels=["production"]
    )
    restrict(secret_prompt, view_role=Role.ADMIN)
    as_viewer = key_client(client, acme, Role.VIEWER)

    hidden_answer = as_viewer("get", "/api/v1/prompts/payroll")
    missing_answer = as_viewer("get", "/api/v1/prompts/nosuch")

    assert hidden_answer.status_code == missing_answer.status_code == 404
    assert hidden_answer.json()["error"]["message"].replace("payroll", "NAME") == (
        missing_answer.json()["error"]["message"].replace("nosuch", "NAME")
    )


def test_the_editors_preview_does_not_show_the_hidden_text(bob_client, acme, uses_hidden):
    data = {
        "template_format": "mustache",
        "base_number": "1",
        "commit_message": "",
        "text": "Hello {{name}}. {{> hidden}}",
        "var-name": "Bob",
    }

    response = bob_client.post(
        f"/w/acme/p/{quote('greeting')}/-/preview/", data, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    assert "not found" in response.content.decode()


def test_an_editor_saving_a_new_version_keeps_a_reference_they_can_not_see_refused(
    acme, bob, uses_hidden
):
    with pytest.raises(ValidationError, match="not found"):
        add_version(uses_hidden, text="Hi {{name}}. {{> hidden}}", by=bob)

    assert uses_hidden.versions.count() == 1
