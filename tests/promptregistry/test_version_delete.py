"""Deleting a version (services.version_delete, behind Langfuse's DELETE ?version= / ?label=):
hidden everywhere, kept for the audit trail, refused while protected or depended on."""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from promptregistry import services, serving
from promptregistry.as_code.yaml_format import parse
from promptregistry.models import Label, LabelMove, Prompt, PromptVersion
from tests.accounts.html import text, words
from tests.factories import api_key_for
from tests.promptregistry.factories import add_version, make_prompt, make_snippet, principal_for
from workspaces.models import AuditEvent
from workspaces.roles import Role

P = "/w/acme/p/support/triage/-/"


@pytest.fixture
def admin(acme, adam):
    return principal_for(acme, adam)


@pytest.fixture
def triage(acme, bob):
    """support/triage with versions 1 (production), 2 (staging) and 3."""
    prompt = make_prompt(acme, "support/triage", by=bob, labels=["production"])
    for n in (2, 3):
        add_version(
            prompt,
            messages=[{"role": "system", "content": f"Version {n} says {{{{x}}}}"}],
            by=bob,
            message=f"Change {n}",
            labels=["staging"] if n == 2 else [],
        )
    prompt.refresh_from_db()
    return prompt


def delete(admin, prompt, **target):
    numbers = services.version_delete(principal=admin, prompt=prompt, **target)
    prompt.refresh_from_db()
    return numbers


def test_a_deleted_version_is_kept_but_hidden_from_every_read(admin, triage):
    assert delete(admin, triage, number=2) == [2]

    assert list(triage.versions.values_list("number", flat=True)) == [3, 1]
    assert PromptVersion.all_objects.get(prompt=triage, number=2).content["messages"]
    assert not PromptVersion.objects.filter(prompt=triage, number=2).exists()
    with pytest.raises(serving.PromptNotFound):
        serving.serve(admin, "support/triage", version=2)
    with pytest.raises(serving.PromptNotFound):
        serving.serve(admin, "support/triage", label="staging")


def test_the_staging_label_on_it_is_removed_and_that_is_audited(admin, triage):
    delete(admin, triage, number=2)

    assert list(triage.labels.values_list("name", flat=True)) == ["production"]
    move = LabelMove.objects.get(label_name="staging", action="remove")
    assert (move.from_number, move.to_number) == (2, None)
    assert AuditEvent.objects.filter(action="label.remove").exists()
    event = AuditEvent.objects.get(action="version.delete")
    assert event.data["before"] == {"versions": [2], "label": None, "latest": 3}


def test_deleting_by_label_deletes_the_version_it_points_at(admin, triage):
    assert delete(admin, triage, label="staging") == [2]


def test_deleting_the_newest_moves_latest_and_the_next_number_is_never_reused(admin, triage, bob):
    delete(admin, triage, label="latest")

    assert triage.latest_version_number == 2
    assert serving.serve(admin, "support/triage", label="latest").number == 2
    assert "version 3 says" not in triage.search_text
    new = add_version(triage, by=bob)
    assert new.number == 4


def test_a_split_to_a_deleted_version_ends(admin, triage, acme, alice):
    owner = principal_for(acme, alice)
    label = Label.objects.get(prompt=triage, name="staging")
    services.label_split(
        principal=owner,
        prompt=triage,
        name="staging",
        version=triage.versions.get(number=3),
        percent=10,
    )

    delete(admin, triage, number=3)

    label.refresh_from_db()
    assert (label.version.number, label.split_version, label.split_percent) == (2, None, 0)
    assert LabelMove.objects.filter(label_name="staging", action="abort").exists()


@pytest.mark.parametrize("target", [{"number": 1}, {"label": "production"}])
def test_a_version_a_protected_label_points_at_is_refused(admin, triage, target):
    with pytest.raises(ValidationError, match="protected label “production”"):
        delete(admin, triage, **target)

    assert triage.versions.count() == 3
    assert not AuditEvent.objects.filter(action="version.delete").exists()


def test_a_protected_label_splitting_traffic_to_it_protects_it_too(admin, triage, acme, alice):
    services.label_split(
        principal=principal_for(acme, alice),
        prompt=triage,
        name="production",
        version=triage.versions.get(number=3),
        percent=10,
    )

    with pytest.raises(ValidationError, match="protected label"):
        delete(admin, triage, number=3)


@pytest.mark.parametrize("user", ["bob", "vera"])
def test_only_admins_delete_versions(acme, triage, request, user):
    member = principal_for(acme, request.getfixturevalue(user))

    with pytest.raises(PermissionDenied):
        services.version_delete(principal=member, prompt=triage, number=3)
    assert triage.versions.count() == 3


def test_a_missing_version_or_label_is_not_found(admin, triage):
    for target in ({"number": 9}, {"label": "nowhere"}):
        with pytest.raises(Http404):
            delete(admin, triage, **target)


# Other prompts that depend on it -----------------------------------------------------------


def test_a_reference_by_an_old_name_still_blocks(admin, acme, bob):
    tone = make_snippet(acme, "tone", "Be warm.", by=bob)
    add_version(tone, text="Be warmer.", by=bob)
    make_prompt(acme, "reply", text="@@@langfusePrompt:name=tone|version=1@@@", by=bob)
    services.prompt_rename(principal=admin, prompt=tone, new_name="voice/tone")

    with pytest.raises(ValidationError, match="reply v1 depends on voice/tone v1"):
        delete(admin, tone, number=1)


def test_an_unlabelled_reference_follows_latest_when_nothing_is_released(admin, acme, bob):
    tone = make_snippet(acme, "tone", "Be warm.", by=bob)
    add_version(tone, text="Be warmer.", by=bob)
    make_prompt(acme, "reply", text="{{> tone}}", by=bob, labels=["staging"])

    delete(admin, tone, number=2)

    assert serving.serve(admin, "reply", label="staging").content == {"text": "Be warm."}


def test_a_reference_from_a_deleted_version_no_longer_counts(admin, acme, bob):
    tone = make_snippet(acme, "tone", "Be warm.", by=bob)
    add_version(tone, text="Be warmer.", by=bob)
    reply = make_prompt(acme, "reply", text="{{> tone|version=1}}", by=bob)
    add_version(reply, text="No snippet now", by=bob)

    with pytest.raises(ValidationError, match="depending on"):
        delete(admin, tone, number=1)
    delete(admin, reply, number=1)
    assert delete(admin, tone, number=1) == [1]


def test_deleting_the_last_version_deletes_the_prompt(admin, acme, bob):
    draft = make_prompt(acme, "draft", text="Only one", by=bob, labels=["staging"])

    delete(admin, draft, number=1)

    assert draft.deleted_at is not None
    assert not Prompt.objects.alive().filter(name="draft").exists()


def test_the_whole_prompt_is_refused_in_the_langfuse_api_while_used(admin, acme, bob):
    tone = make_snippet(acme, "tone", "Be warm.", by=bob)
    make_prompt(acme, "reply", text="{{> tone|version=1}}", by=bob)

    with pytest.raises(ValidationError, match="reply v1 depends on tone v1"):
        services.prompt_delete(principal=admin, prompt=tone, refuse_if_used=True)
    services.prompt_delete(principal=admin, prompt=tone)  # the editor warns instead

    tone.refresh_from_db()
    assert tone.deleted_at is not None


# Every page and API hides it -------------------------------------------------------------------


@pytest.fixture
def deleted_2(admin, triage, alice):
    comment = services.comment_create(
        principal=principal_for(triage.workspace, alice),
        version=triage.versions.get(number=2),
        body="On two",
    )
    delete(admin, triage, number=2)
    return comment


def test_the_history_skips_it_and_diffs_against_the_version_before(alice_client, deleted_2):
    history = words(alice_client.get(P + "history/"))

    assert "Version 3" in history and "Version 1" in history
    assert "Version 2" not in history
    assert "Diff with v1" in history
    assert alice_client.get(P + "versions/2/").status_code == 404
    assert alice_client.get(P + "diff/", {"from": "2", "to": "3"}).status_code == 404
    diff = alice_client.get(P + "diff/")
    assert diff.status_code == 200
    assert 'value="1" selected' in text(diff)


def test_its_version_page_links_skip_it(alice_client, deleted_2):
    page = text(alice_client.get(P + "versions/3/"))

    assert "Compare with v1" in page
    assert f'href="{P}versions/1/" rel="prev"' in page


def test_its_comments_are_gone_with_it(alice_client, deleted_2):
    assert alice_client.get(P + f"comments/{deleted_2.pk}/edit/").status_code == 404
    assert "On two" not in text(alice_client.get(P + "history/"))


def test_the_native_api_and_the_export_hide_it(client, acme, deleted_2, admin, triage):
    _, secret = api_key_for(acme, Role.VIEWER, name="reader")
    headers = {"authorization": f"Bearer {secret}"}

    versions = client.get("/api/v1/prompts/support/triage/versions", headers=headers).json()
    fetched = client.get("/api/v1/prompts/support/triage?version=2", headers=headers)
    diff = client.get("/api/v1/prompts/support/triage/diff", headers=headers).json()

    assert [item["version"] for item in versions["items"]] == [3, 1]
    assert fetched.status_code == 404
    assert (diff["from_version"], diff["to_version"]) == (1, 3)
    delete(admin, triage, number=3)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/export", headers=headers).content))
    exported = parse(archive.read("support/triage.yaml").decode())
    assert exported.content["messages"][0]["content"] == "You help customers of {{company}}."
