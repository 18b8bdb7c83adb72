"""Reads that respect restrictions: what each person may see, and list rows in few queries."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from guardian.shortcuts import assign_perm

from promptregistry import selectors, services
from promptregistry.models import Prompt
from tests.factories import api_key_for
from tests.promptregistry.factories import (
    add_version,
    make_folder,
    make_prompt,
    principal_for,
    restrict,
)
from workspaces.principal import Principal
from workspaces.roles import Action, Role


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


@pytest.fixture
def tree(acme, alice):
    """open, team/notes, team/secret/plan (team/secret restricted to admins), hr (restricted
    prompt for editors and above)."""
    make_prompt(acme, "open", by=alice)
    make_prompt(acme, "team/notes", by=alice)
    make_prompt(acme, "team/secret/plan", by=alice)
    restrict(make_folder(acme, "team/secret"), view_role=Role.ADMIN)
    restrict(make_prompt(acme, "hr", by=alice), view_role=Role.EDITOR)


def test_admins_and_owners_see_everything(acme, alice, adam, tree):
    for user in (alice, adam):
        assert names(selectors.visible_prompts(principal_for(acme, user))) == {
            "open",
            "team/notes",
            "team/secret/plan",
            "hr",
        }


def test_an_editor_misses_what_is_inside_a_folder_for_admins(acme, bob, tree):
    principal = principal_for(acme, bob)

    assert names(selectors.visible_prompts(principal)) == {"open", "team/notes", "hr"}
    assert set(selectors.visible_folders(principal).values_list("path", flat=True)) == {"team"}


def test_a_viewer_also_misses_a_prompt_for_editors(acme, vera, tree):
    assert names(selectors.visible_prompts(principal_for(acme, vera))) == {"open", "team/notes"}


def test_a_grant_on_a_folder_lets_a_named_person_see_everything_inside(acme, vera, tree):
    assign_perm(
        "promptregistry.view_folder",
        vera,
        selectors.folder_for(principal_for(acme, None), "team/secret"),
    )

    assert "team/secret/plan" in names(selectors.visible_prompts(principal_for(acme, vera)))


def test_a_grant_on_a_prompt_lets_a_named_person_see_it(acme, vera, tree):
    assign_perm("promptregistry.view_prompt", vera, Prompt.objects.get(name="hr"))

    assert "hr" in names(selectors.visible_prompts(principal_for(acme, vera)))


def test_an_api_key_sees_by_its_role_only(acme, vera, tree):
    assign_perm("promptregistry.view_prompt", vera, Prompt.objects.get(name="hr"))
    api_key, _ = api_key_for(acme, Role.VIEWER)

    visible = selectors.visible_prompts(Principal.for_api_key(api_key))

    assert names(visible) == {"open", "team/notes"}


def test_deleted_prompts_and_other_workspaces_never_show(acme, globex, alice, charlie):
    gone = make_prompt(acme, "gone", by=alice)
    services.prompt_delete(principal=principal_for(acme, alice), prompt=gone)
    make_prompt(globex, "theirs", by=charlie)

    assert names(selectors.visible_prompts(principal_for(acme, alice))) == set()


def test_prompt_for_finds_a_prompt_by_an_old_name(acme, bob):
    prompt = make_prompt(acme, "old", by=bob)
    services.prompt_rename(principal=principal_for(acme, bob), prompt=prompt, new_name="new")

    assert selectors.prompt_for(principal_for(acme, bob), "old") == prompt


def test_prompt_for_hides_what_a_person_may_not_see_and_refuses_what_they_may_not_change(
    acme, bob, vera, tree
):
    with pytest.raises(Http404):
        selectors.prompt_for(principal_for(acme, bob), "team/secret/plan")
    with pytest.raises(PermissionDenied):
        selectors.prompt_for(principal_for(acme, vera), "open", need=Action.EDIT)


def test_an_edit_restriction_lets_editors_read_but_not_change(acme, alice, bob):
    restrict(make_folder(acme, "locked", by=alice), view_role="", edit_role=Role.ADMIN)
    make_prompt(acme, "locked/rules", by=alice)

    assert selectors.prompt_for(principal_for(acme, bob), "locked/rules").name == "locked/rules"
    with pytest.raises(PermissionDenied):
        selectors.prompt_for(principal_for(acme, bob), "locked/rules", need=Action.EDIT)
    with pytest.raises(PermissionDenied):
        selectors.folder_for(principal_for(acme, bob), "locked", need=Action.EDIT)


def test_folder_for_hides_a_folder_inside_a_restricted_one(acme, bob, tree):
    with pytest.raises(Http404):
        selectors.folder_for(principal_for(acme, bob), "team/secret")
    assert selectors.folder_for(principal_for(acme, bob), "team").path == "team"


def test_list_details_carry_the_newest_author_time_and_comment_count(acme, alice, bob):
    prompt = make_prompt(acme, "triage", by=alice, tags=["x"], labels=["production"])
    version = add_version(prompt, by=bob)
    for body in ("one", "two"):
        services.comment_create(principal=principal_for(acme, alice), version=version, body=body)

    row = selectors.with_list_details(Prompt.objects.all()).get()

    assert row.latest_author_name == "Bob Editor"
    assert row.latest_created_at == version.created_at
    assert row.comment_count == 2


@pytest.mark.parametrize("count", [2, 20])
def test_list_details_cost_three_queries_however_many_prompts(acme, alice, assert_queries, count):
    for n in range(count):
        make_prompt(acme, f"p{n}", by=alice, tags=["a", "b"], labels=["staging"])

    with assert_queries(3):  # prompts with their annotations, tags, labels with versions
        rows = list(selectors.with_list_details(Prompt.objects.all()))
        labels = [label.version.number for row in rows for label in row.labels.all()]
        tags = [tag.name for row in rows for tag in row.tags.all()]
        folders = [row.folder for row in rows]

    assert len(labels) == count and len(tags) == 2 * count and folders == [None] * count
