"""Exporting prompts as a zip of YAML files: the page download and GET /api/v1/export."""

import io
import zipfile

import pytest

from promptregistry import services
from promptregistry.as_code.yaml_format import PromptFile, parse
from promptregistry.models import Folder
from tests.factories import api_key_for
from tests.promptregistry.factories_export import (
    TRIAGE_CONFIG,
    TRIAGE_MESSAGES,
    principal_of,
    registry,
    restrict,
    text_prompt,
)
from workspaces.roles import Role

EXPORT = "/w/acme/prompts/export/"
API_EXPORT = "/api/v1/export"


def files_of(response) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {name: archive.read(name).decode() for name in archive.namelist()}


@pytest.fixture
def prompts(alice, acme):
    return registry(principal_of(alice, acme))


def test_it_downloads_every_prompt_as_a_yaml_file_named_after_the_prompt(alice_client, prompts):
    response = alice_client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="acme-prompts.zip"'
    assert sorted(files_of(response)) == [
        "greeting.yaml",
        "support/billing/refunds.yaml",
        "support/triage.yaml",
        "tone.yaml",
    ]


def test_each_file_holds_the_newest_version_with_the_labels_on_it(alice_client, prompts):
    files = files_of(alice_client.get(EXPORT))

    assert parse(files["support/triage.yaml"], "support/triage.yaml") == PromptFile(
        name="support/triage",
        kind="prompt",
        type="chat",
        template_format="mustache",
        description="Sorts incoming tickets.",
        tags=["support"],
        labels=["production"],
        config=TRIAGE_CONFIG,
        content={"messages": TRIAGE_MESSAGES},
    )
    refunds = parse(files["support/billing/refunds.yaml"], "refunds.yaml")
    assert refunds.content == {"text": "Refund policy:\n- 30 days\n- receipt needed"}
    assert refunds.labels == ["staging"]  # production still points at version 1
    assert "text: |-\n  Refund policy:\n  - 30 days\n" in files["support/billing/refunds.yaml"]
    tone = parse(files["tone.yaml"], "tone.yaml")
    assert (tone.kind, tone.type, tone.template_format) == ("snippet", "text", "fstring")


def test_a_folder_export_holds_that_folder_at_any_depth(alice_client, prompts):
    response = alice_client.get(EXPORT, {"folder": "support"})

    assert response["Content-Disposition"] == 'attachment; filename="acme-support.zip"'
    assert sorted(files_of(response)) == ["support/billing/refunds.yaml", "support/triage.yaml"]
    nested = alice_client.get(EXPORT, {"folder": "support/billing/"})
    assert list(files_of(nested)) == ["support/billing/refunds.yaml"]


def test_the_same_state_downloads_the_same_bytes(alice_client, prompts):
    assert alice_client.get(EXPORT).content == alice_client.get(EXPORT).content


def test_prompts_without_a_saved_version_and_deleted_prompts_are_left_out(
    alice_client, alice, acme, prompts
):
    services.prompt_create(principal=principal_of(alice, acme), name="empty", prompt_type="text")
    services.prompt_delete(principal=principal_of(alice, acme), prompt=prompts["greeting"])

    names = files_of(alice_client.get(EXPORT))

    assert "empty.yaml" not in names
    assert "greeting.yaml" not in names


def test_restricted_prompts_and_folders_are_left_out_for_a_viewer(
    alice_client, vera_client, prompts
):
    restrict(prompts["greeting"], Role.EDITOR)
    restrict(Folder.objects.get(path="support/billing"), Role.ADMIN)

    assert sorted(files_of(vera_client.get(EXPORT))) == ["support/triage.yaml", "tone.yaml"]
    assert len(files_of(alice_client.get(EXPORT))) == 4


def test_a_restricted_or_missing_folder_is_a_404(vera_client, alice_client, prompts):
    restrict(Folder.objects.get(path="support/billing"), Role.ADMIN)

    assert vera_client.get(EXPORT, {"folder": "support/billing"}).status_code == 404
    assert alice_client.get(EXPORT, {"folder": "nowhere"}).status_code == 404
    assert alice_client.get(EXPORT, {"folder": "../etc"}).status_code == 404


def test_an_empty_workspace_downloads_an_empty_zip(alice_client):
    response = alice_client.get(EXPORT)

    assert response.status_code == 200
    assert files_of(response) == {}


def test_an_outsider_gets_404(charlie_client, prompts):
    assert charlie_client.get(EXPORT).status_code == 404


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, prompts):
    response = client.get(EXPORT)

    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_it_only_answers_get(alice_client, prompts):
    assert alice_client.post(EXPORT).status_code == 405


@pytest.mark.parametrize("extra", [1, 12])
def test_it_runs_the_same_queries_however_many_prompts(
    alice_client, alice, acme, prompts, assert_queries, extra
):
    for number in range(extra):
        text_prompt(principal_of(alice, acme), f"bulk/p{number}", "x", labels=["staging"])

    # session, user, membership, restricted prompts, restricted folders, prompts, tags,
    # labels, versions
    with assert_queries(9):
        response = alice_client.get(EXPORT)

    assert len(files_of(response)) == 4 + extra


# GET /api/v1/export ------------------------------------------------------------------------


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_api_downloads_the_same_zip_with_an_api_key(client, alice_client, acme, prompts):
    _, secret = api_key_for(acme, Role.VIEWER)

    response = client.get(API_EXPORT, **bearer(secret))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="acme-prompts.zip"'
    assert response.content == alice_client.get(EXPORT).content


def test_the_api_export_narrows_to_a_folder_and_names_a_missing_one(client, acme, prompts):
    _, secret = api_key_for(acme, Role.EDITOR)

    response = client.get(API_EXPORT, {"folder": "support/billing"}, **bearer(secret))
    missing = client.get(API_EXPORT, {"folder": "nowhere"}, **bearer(secret))

    assert list(files_of(response)) == ["support/billing/refunds.yaml"]
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "No folder “nowhere”.",
        "field": "folder",
    }


def test_the_api_export_leaves_restricted_prompts_out_for_a_viewer_key(client, acme, prompts):
    restrict(prompts["support/triage"], Role.ADMIN)
    _, viewer = api_key_for(acme, Role.VIEWER)
    _, admin = api_key_for(acme, Role.ADMIN, name="admin")

    assert "support/triage.yaml" not in files_of(client.get(API_EXPORT, **bearer(viewer)))
    assert "support/triage.yaml" in files_of(client.get(API_EXPORT, **bearer(admin)))


def test_the_api_export_holds_only_the_key_s_own_workspace(client, globex, prompts):
    _, secret = api_key_for(globex, Role.OWNER)

    response = client.get(API_EXPORT, **bearer(secret))

    assert response["Content-Disposition"] == 'attachment; filename="globex-prompts.zip"'
    assert files_of(response) == {}


def test_the_api_export_refuses_a_missing_or_wrong_key(client, prompts):
    assert client.get(API_EXPORT).status_code == 401
    response = client.get(API_EXPORT, **bearer("sk-wrong"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_signed_in_session_does_not_open_the_api_export(alice_client, prompts):
    assert alice_client.get(API_EXPORT).status_code == 401
