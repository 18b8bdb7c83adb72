"""Writes behind the organisation pages: folders, renames and aliases, details, access."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from promptregistry import cache, selectors, services
from promptregistry.models import Folder, Prompt, PromptAlias
from tests.promptregistry.factories import make_folder, make_prompt, principal_for, restrict
from workspaces.models import AuditEvent
from workspaces.roles import Role


@pytest.fixture
def owner(acme, alice):
    return principal_for(acme, alice)


# Folders ---------------------------------------------------------------------------------------


def test_a_folder_is_created_inside_its_parent_and_audited(acme, owner):
    support = services.folder_create(principal=owner, parent=None, name=" support ")
    billing = services.folder_create(principal=owner, parent=support, name="billing")

    assert (support.path, billing.path) == ("support", "support/billing")
    assert AuditEvent.objects.filter(action="folder.create").count() == 2


@pytest.mark.parametrize(
    "name", ["", "a/b", "-", ".", "..", "x" * 256, "bad|pipe", "a\\b", "<b>x</b>"]
)
def test_a_folder_name_must_be_one_plain_segment(owner, name):
    with pytest.raises(ValidationError) as error:
        services.folder_create(principal=owner, parent=None, name=name)

    assert "name" in error.value.error_dict


def test_a_folder_can_not_take_the_name_of_a_prompt_or_folder_beside_it(acme, owner, alice):
    make_prompt(acme, "triage", by=alice)
    make_folder(acme, "support", by=alice)

    for name in ("triage", "support"):
        with pytest.raises(ValidationError):
            services.folder_create(principal=owner, parent=None, name=name)


def test_renaming_a_folder_renames_its_subtree_and_keeps_old_prompt_names(acme, owner, alice):
    make_prompt(acme, "support/billing/refunds", by=alice)
    support = Folder.objects.get(path="support")

    services.folder_rename(principal=owner, folder=support, name="help")

    assert set(Folder.objects.values_list("path", flat=True)) == {"help", "help/billing"}
    assert Prompt.objects.get().name == "help/billing/refunds"
    assert selectors.prompt_for(owner, "support/billing/refunds").name == "help/billing/refunds"


def test_moving_a_folder_into_itself_or_its_insides_is_refused(acme, owner, alice):
    billing = make_folder(acme, "support/billing", by=alice)
    support = Folder.objects.get(path="support")

    for target in (support, billing):
        with pytest.raises(ValidationError):
            services.folder_move(principal=owner, folder=support, parent=target)


def test_moving_a_folder_carries_its_prompts_and_leaves_aliases(acme, owner, alice):
    make_prompt(acme, "support/triage", by=alice)
    archive = make_folder(acme, "archive", by=alice)

    services.folder_move(principal=owner, folder=Folder.objects.get(path="support"), parent=archive)

    assert Prompt.objects.get().name == "archive/support/triage"
    assert PromptAlias.objects.get().name == "support/triage"


def test_a_folder_with_contents_is_deleted_only_when_confirmed(acme, owner, alice):
    make_prompt(acme, "support/billing/refunds", by=alice)
    support = Folder.objects.get(path="support")

    with pytest.raises(ValidationError):
        services.folder_delete(principal=owner, folder=support)
    services.folder_delete(principal=owner, folder=support, confirmed=True)

    assert not Folder.objects.exists()
    assert Prompt.objects.get().deleted_at is not None
    event = AuditEvent.objects.get(action="folder.delete")
    assert event.data["before"]["prompts"] == ["support/billing/refunds"]


# Prompts: rename, move, details ----------------------------------------------------------------


def test_renaming_a_prompt_moves_it_to_the_folders_of_its_new_name(acme, owner, alice):
    prompt = make_prompt(acme, "triage", by=alice)

    services.prompt_rename(principal=owner, prompt=prompt, new_name="support/tickets/triage")

    prompt.refresh_from_db()
    assert prompt.folder.path == "support/tickets"
    assert list(prompt.aliases.values_list("name", flat=True)) == ["triage"]


def test_renaming_back_to_an_old_name_drops_that_alias(acme, owner, alice):
    prompt = make_prompt(acme, "a", by=alice)
    services.prompt_rename(principal=owner, prompt=prompt, new_name="b")
    services.prompt_rename(principal=owner, prompt=prompt, new_name="a")

    assert list(prompt.aliases.values_list("name", flat=True)) == ["b"]


def test_the_details_update_the_tags_and_the_search_text(acme, owner, alice):
    prompt = make_prompt(acme, "triage", by=alice, tags=["old"])

    services.prompt_update_details(
        principal=owner, prompt=prompt, description="About REFUNDS", tags=[" New ", "new", "b"]
    )

    prompt.refresh_from_db()
    assert sorted(t.name for t in prompt.tags.all()) == ["b", "new"]
    assert "about refunds" in prompt.search_text
    assert "you help customers" in prompt.search_text


# Access ----------------------------------------------------------------------------------------


def test_an_admin_restricts_a_folder_and_lets_people_in_by_name(acme, adam, bob, vera):
    folder = make_folder(acme, "secret", by=adam)

    services.access_update(
        principal=principal_for(acme, adam),
        obj=folder,
        view_role=Role.ADMIN,
        edit_role=Role.ADMIN,
        viewers=[vera],
        editors=[bob],
    )

    folder.refresh_from_db()
    viewers, editors = services.grants_for(folder)
    assert (folder.view_role, folder.edit_role) == ("admin", "admin")
    assert [u.email for u in viewers] == ["bob@example.com", "vera@example.com"]
    assert [u.email for u in editors] == ["bob@example.com"]
    assert bob.has_perm("promptregistry.change_folder", folder)


def test_opening_up_again_removes_the_grants(acme, adam, vera):
    prompt = make_prompt(acme, "hr", by=adam)
    admin = principal_for(acme, adam)
    services.access_update(
        principal=admin, obj=prompt, view_role=Role.ADMIN, edit_role="", viewers=[vera]
    )

    services.access_update(principal=admin, obj=prompt, view_role="", edit_role="")

    assert services.grants_for(prompt) == ([], [])
    assert not vera.has_perm("promptregistry.view_prompt", prompt)


def test_access_changes_are_audited_with_before_and_after(acme, adam, vera):
    prompt = make_prompt(acme, "hr", by=adam)

    services.access_update(
        principal=principal_for(acme, adam),
        obj=prompt,
        view_role=Role.EDITOR,
        edit_role="",
        viewers=[vera],
    )

    event = AuditEvent.objects.get(action="prompt.access")
    assert event.data["before"]["view_role"] == ""
    assert event.data["after"] == {
        "view_role": "editor",
        "edit_role": "",
        "viewers": ["vera@example.com"],
        "editors": [],
    }


def test_access_changes_invalidate_the_serving_cache(
    acme, adam, django_capture_on_commit_callbacks
):
    prompt = make_prompt(acme, "hr", by=adam)
    before = cache.generation(acme.pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.access_update(
            principal=principal_for(acme, adam), obj=prompt, view_role=Role.ADMIN, edit_role=""
        )

    assert cache.generation(acme.pk) > before


def test_only_admins_change_access(acme, bob):
    prompt = make_prompt(acme, "hr", by=bob)

    with pytest.raises(PermissionDenied):
        services.access_update(
            principal=principal_for(acme, bob), obj=prompt, view_role=Role.ADMIN, edit_role=""
        )


@pytest.mark.parametrize(
    ("view_role", "edit_role", "field"),
    [("owner", "", "view_role"), ("viewer", "", "view_role"), ("", "editor", "edit_role")],
)
def test_only_meaningful_roles_are_accepted(acme, adam, view_role, edit_role, field):
    prompt = make_prompt(acme, "hr", by=adam)

    with pytest.raises(ValidationError) as error:
        services.access_update(
            principal=principal_for(acme, adam),
            obj=prompt,
            view_role=view_role,
            edit_role=edit_role,
        )

    assert field in error.value.error_dict


def test_people_outside_the_workspace_or_viewers_as_editors_are_refused(acme, adam, vera, charlie):
    prompt = make_prompt(acme, "hr", by=adam)
    admin = principal_for(acme, adam)

    with pytest.raises(ValidationError) as outsider:
        services.access_update(
            principal=admin, obj=prompt, view_role="", edit_role="", viewers=[charlie]
        )
    with pytest.raises(ValidationError) as viewer:
        services.access_update(
            principal=admin, obj=prompt, view_role="", edit_role="", editors=[vera]
        )

    assert "charlie@example.com" in str(outsider.value)
    assert "vera@example.com" in str(viewer.value)
    assert services.grants_for(prompt) == ([], [])


def test_another_workspaces_object_can_not_be_changed(acme, globex, adam, charlie):
    theirs = make_prompt(globex, "theirs", by=charlie)

    with pytest.raises(PermissionDenied):
        services.access_update(
            principal=principal_for(acme, adam), obj=theirs, view_role="", edit_role=""
        )


def test_writing_into_a_folder_closed_for_editing_is_refused(acme, alice, bob):
    restrict(make_folder(acme, "locked/inner", by=alice), view_role="", edit_role=Role.ADMIN)
    restrict(make_folder(acme, "hidden", by=alice), view_role=Role.ADMIN)
    editor = principal_for(acme, bob)

    with pytest.raises(ValidationError, match="restricted"):
        services.check_may_write_in(principal=editor, folder_path="locked/inner/new")
    with pytest.raises(ValidationError, match="no folder"):
        services.check_may_write_in(principal=editor, folder_path="hidden")
    services.check_may_write_in(principal=editor, folder_path="brand/new")
    services.check_may_write_in(principal=principal_for(acme, alice), folder_path="locked/inner")


# Aliases ---------------------------------------------------------------------------------------


def test_removing_an_alias_stops_resolving_it_and_is_audited(acme, alice):
    owner = principal_for(acme, alice)
    prompt = make_prompt(acme, "old", by=alice)
    services.prompt_rename(principal=owner, prompt=prompt, new_name="new")

    services.alias_delete(principal=owner, prompt=prompt, alias=prompt.aliases.get())

    with pytest.raises(Http404):
        selectors.prompt_for(owner, "old")
    assert AuditEvent.objects.get(action="prompt.alias_delete").data == {"before": {"alias": "old"}}


def test_an_alias_is_removed_only_through_its_own_prompt(acme, alice):
    owner = principal_for(acme, alice)
    prompt = make_prompt(acme, "old", by=alice)
    other = make_prompt(acme, "other", by=alice)
    services.prompt_rename(principal=owner, prompt=prompt, new_name="new")

    with pytest.raises(Http404):
        services.alias_delete(principal=owner, prompt=other, alias=prompt.aliases.get())


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('{"temperature": NaN}', "finite"),
        ('{"logit_bias": {"1": Infinity}}', "finite"),
        ("[" * 80 + "]" * 80, "nest"),
    ],
)
def test_a_config_the_database_cant_store_is_refused_by_the_field(alice, acme, config, message):
    from django.core.exceptions import ValidationError

    from promptregistry import content

    with pytest.raises(ValidationError) as refused:
        content.normalise_config(config)

    assert message in str(refused.value.message_dict["config"])


def test_text_with_an_unpaired_surrogate_is_refused_before_it_reaches_the_database():
    from django.core.exceptions import ValidationError

    from promptregistry import content

    with pytest.raises(ValidationError) as refused:
        content.normalise_content("text", {"text": "Hello \ud800"})

    assert "surrogate" in str(refused.value.message_dict["content"])
