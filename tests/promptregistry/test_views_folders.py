"""Folder pages: the folder's list with breadcrumbs, create, rename, move, delete, access."""

import pytest
from django.db.models import Q

from promptregistry.models import Folder, Prompt, PromptAlias
from tests.accounts.html import field_error, text, words
from tests.promptregistry.factories import make_folder, make_prompt, restrict
from workspaces.models import AuditEvent
from workspaces.roles import Role

NEW = "/w/acme/folders/new/"


def folder_url(path: str, action: str = "") -> str:
    return f"/w/acme/folders/{path}/" + (f"-/{action}/" if action else "")


@pytest.fixture
def billing(acme, bob):
    """support/billing holding support/billing/refunds, next to support/triage."""
    make_prompt(acme, "support/triage", by=bob)
    make_prompt(acme, "support/billing/refunds", by=bob, tags=["money"])
    return Folder.objects.get(path="support/billing")


def assert_billing_as_made() -> None:
    """The billing fixture's folders and prompts exactly as made: what a refused rename, move,
    delete or access change must leave (it would repath, soft-delete, alias or restrict)."""
    support = Folder.objects.filter(Q(path="support") | Q(path__startswith="support/"))
    assert list(support.order_by("path").values_list("path", "name", "view_role", "edit_role")) == [
        ("support", "support", "", ""),
        ("support/billing", "billing", "", ""),
    ]
    assert list(
        Prompt.objects.order_by("name").values_list("name", "folder__path", "deleted_at")
    ) == [
        ("support/billing/refunds", "support/billing", None),
        ("support/triage", "support", None),
    ]
    assert not PromptAlias.objects.exists()


# The folder page -------------------------------------------------------------------------------


def test_the_folder_page_lists_what_is_inside_with_clickable_breadcrumbs(vera_client, billing):
    response = vera_client.get(folder_url("support/billing"))
    html = text(response)

    assert response.status_code == 200
    assert 'href="/w/acme/prompts/"' in html
    assert 'href="/w/acme/folders/support/"' in html
    assert 'href="/w/acme/p/support/billing/refunds/"' in html
    assert 'href="/w/acme/p/support/triage/"' not in html


def test_the_folder_page_shows_subfolders_first(vera_client, billing):
    page = words(vera_client.get(folder_url("support")))

    assert page.index("billing") < page.index("triage")


def test_searching_a_folder_searches_everything_below_it_only(vera_client, acme, bob, billing):
    make_prompt(acme, "elsewhere/refunds", by=bob)

    html = text(vera_client.get(folder_url("support"), {"q": "refunds"}))

    assert 'href="/w/acme/p/support/billing/refunds/"' in html
    assert 'href="/w/acme/p/elsewhere/refunds/"' not in html


def test_an_htmx_filter_on_a_folder_returns_only_its_results(vera_client, billing):
    response = vera_client.get(
        folder_url("support"), {"tag": "money"}, headers={"HX-Request": "true"}
    )

    assert "<html" not in text(response)
    assert 'href="/w/acme/p/support/billing/refunds/"' in text(response)


def test_an_empty_folder_offers_to_add_prompts_and_to_delete_it(adam_client, acme, adam):
    make_folder(acme, "empty", by=adam)

    response = adam_client.get(folder_url("empty"))

    assert "This folder is empty" in words(response)
    assert 'href="/w/acme/prompts/new/?folder=empty"' in text(response)
    assert f'action="{folder_url("empty", "delete")}"' in text(response)


def test_a_viewer_sees_no_folder_actions(vera_client, billing):
    html = text(vera_client.get(folder_url("support")))

    assert folder_url("support", "rename") not in html
    assert folder_url("support", "delete") not in html
    assert folder_url("support", "access") not in html


@pytest.mark.parametrize("prompts", [3, 25])
def test_the_folder_page_costs_the_same_queries_however_many_prompts(
    vera_client, acme, bob, assert_queries, prompts
):
    for n in range(prompts):
        make_prompt(acme, f"support/p{n:02}", by=bob, tags=["x"], labels=["staging"])
    make_folder(acme, "support/sub", by=bob)

    with assert_queries(16):
        response = vera_client.get(folder_url("support"))

    assert response.content.decode().count('href="/w/acme/p/support/p') == prompts


def test_a_missing_folder_is_404(vera_client, acme):
    assert vera_client.get(folder_url("nope")).status_code == 404


def test_an_outsider_gets_404_for_a_folder(charlie_client, billing):
    assert charlie_client.get(folder_url("support")).status_code == 404


def test_a_restricted_folder_is_404_for_those_who_may_not_see_it(vera_client, adam_client, billing):
    restrict(Folder.objects.get(path="support"), view_role=Role.ADMIN)

    assert vera_client.get(folder_url("support/billing")).status_code == 404
    assert adam_client.get(folder_url("support/billing")).status_code == 200


# Create ----------------------------------------------------------------------------------------


def test_an_editor_creates_a_folder_inside_another(bob_client, acme, bob):
    make_folder(acme, "support", by=bob)

    response = bob_client.post(NEW, {"name": "billing", "parent": "support"})

    assert response.status_code == 302
    assert response.url == folder_url("support/billing")
    assert Folder.objects.get(path="support/billing").parent.path == "support"


def test_the_parent_of_the_link_is_preselected(bob_client, acme, bob):
    make_folder(acme, "support", by=bob)

    response = bob_client.get(NEW, {"parent": "support"})

    assert '<option value="support" selected>' in text(response)


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "required"), ("a/b", "cannot contain '/'"), ("support", "already exists")],
)
def test_a_bad_folder_name_is_explained_and_kept(bob_client, acme, bob, name, message):
    make_folder(acme, "support", by=bob)

    response = bob_client.post(NEW, {"name": name, "parent": ""})

    assert response.status_code == 400
    assert message in field_error(response, "name")
    assert list(Folder.objects.values_list("path", flat=True)) == ["support"]
    assert AuditEvent.objects.filter(action="folder.create").count() == 1  # support's own


def test_a_folder_can_not_be_created_inside_one_closed_for_editing(bob_client, acme, alice, bob):
    restrict(make_folder(acme, "locked", by=alice), view_role="", edit_role=Role.ADMIN)

    response = bob_client.post(NEW, {"name": "inner", "parent": "locked"})

    assert response.status_code == 400
    assert "restricted" in field_error(response, "parent")
    assert list(Folder.objects.values_list("path", flat=True)) == ["locked"]
    assert not AuditEvent.objects.filter(action="folder.create", actor_user=bob).exists()


def test_a_viewer_can_not_create_folders(vera_client, acme):
    assert vera_client.get(NEW).status_code == 403
    assert vera_client.post(NEW, {"name": "x"}).status_code == 403
    assert not Folder.objects.exists()
    assert not AuditEvent.objects.filter(action="folder.create").exists()


def test_an_outsider_can_not_create_folders(charlie_client, acme):
    assert charlie_client.post(NEW, {"name": "x"}).status_code == 404
    assert not Folder.objects.exists()
    assert not AuditEvent.objects.filter(action="folder.create").exists()


# Rename ----------------------------------------------------------------------------------------


def test_the_rename_page_warns_that_prompt_names_change(bob_client, billing):
    page = words(bob_client.get(folder_url("support", "rename")))

    assert "2 prompts inside change name" in page
    assert "keep working as aliases" in page


def test_renaming_a_folder_renames_the_prompts_inside_and_keeps_old_names(bob_client, billing):
    response = bob_client.post(folder_url("support", "rename"), {"name": "help"})

    assert response.status_code == 302
    assert response.url == folder_url("help")
    assert set(Prompt.objects.values_list("name", flat=True)) == {
        "help/triage",
        "help/billing/refunds",
    }
    assert set(PromptAlias.objects.values_list("name", flat=True)) == {
        "support/triage",
        "support/billing/refunds",
    }


def test_a_bad_new_name_is_explained_and_kept(bob_client, acme, bob, billing):
    make_folder(acme, "taken", by=bob)

    response = bob_client.post(folder_url("support", "rename"), {"name": "taken"})

    assert response.status_code == 400
    assert "already exists" in field_error(response, "name")
    assert 'value="taken"' in text(response)
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.rename").exists()


def test_a_viewer_can_not_rename_a_folder(vera_client, billing):
    assert vera_client.post(folder_url("support", "rename"), {"name": "x"}).status_code == 403
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.rename").exists()


def test_an_outsider_can_not_rename_a_folder(charlie_client, billing):
    assert charlie_client.post(folder_url("support", "rename"), {"name": "x"}).status_code == 404
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.rename").exists()


# Move ------------------------------------------------------------------------------------------


def test_the_move_picker_offers_every_folder_but_the_folder_itself_and_its_insides(
    bob_client, acme, bob, billing
):
    make_folder(acme, "archive", by=bob)

    html = text(bob_client.get(folder_url("support", "move")))

    assert '<option value="archive">' in html
    assert '<option value="support/billing">' not in html
    assert '<option value="support"' not in html


def test_moving_a_folder_moves_everything_inside(bob_client, acme, bob, billing):
    make_folder(acme, "archive", by=bob)

    response = bob_client.post(folder_url("support/billing", "move"), {"parent": "archive"})

    assert response.status_code == 302
    assert response.url == folder_url("archive/billing")
    assert Prompt.objects.filter(name="archive/billing/refunds").exists()
    assert PromptAlias.objects.filter(name="support/billing/refunds").exists()


def test_moving_to_the_top_level(bob_client, billing):
    bob_client.post(folder_url("support/billing", "move"), {"parent": ""})

    assert Folder.objects.get(name="billing").path == "billing"


def test_moving_next_to_a_folder_of_the_same_name_is_explained(bob_client, acme, bob, billing):
    make_folder(acme, "billing", by=bob)

    response = bob_client.post(folder_url("billing", "move"), {"parent": "support"})

    assert response.status_code == 400
    assert "A folder “support/billing” already exists here." in words(response)
    assert_billing_as_made()
    assert Folder.objects.get(path="billing").parent is None
    assert not AuditEvent.objects.filter(action="folder.move").exists()


def test_moving_into_a_folder_one_can_not_see_is_refused(bob_client, acme, alice, billing):
    restrict(make_folder(acme, "secret", by=alice), view_role=Role.ADMIN)

    response = bob_client.post(folder_url("support", "move"), {"parent": "secret"})

    assert response.status_code == 400
    assert field_error(response, "parent")
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.move").exists()


def test_a_viewer_can_not_move_a_folder(vera_client, billing):
    response = vera_client.post(folder_url("support/billing", "move"), {"parent": ""})

    assert response.status_code == 403
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.move").exists()


def test_an_outsider_can_not_move_a_folder(charlie_client, billing):
    response = charlie_client.post(folder_url("support/billing", "move"), {"parent": ""})

    assert response.status_code == 404
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.move").exists()


# Delete ----------------------------------------------------------------------------------------


def test_the_delete_page_lists_everything_that_goes(adam_client, billing):
    page = words(adam_client.get(folder_url("support", "delete")))

    assert "2 prompts will be deleted" in page
    assert "support/triage" in page and "support/billing/refunds" in page
    assert "support/billing" in page


def test_confirming_deletes_the_folder_its_folders_and_its_prompts(adam_client, billing):
    response = adam_client.post(folder_url("support", "delete"), {"confirmed": "yes"})

    assert response.status_code == 302
    assert response.url == "/w/acme/prompts/"
    assert not Folder.objects.exists()
    assert not Prompt.objects.alive().exists()
    assert AuditEvent.objects.filter(action="folder.delete").exists()


def test_a_full_folder_is_not_deleted_without_the_confirmation(adam_client, billing):
    response = adam_client.post(folder_url("support", "delete"))

    assert response.status_code == 302
    assert response.url == folder_url("support", "delete")
    assert Folder.objects.filter(path="support").exists()


def test_an_empty_folder_is_deleted_at_once(adam_client, acme, adam):
    make_folder(acme, "parent/empty", by=adam)

    response = adam_client.post(folder_url("parent/empty", "delete"))

    assert response.status_code == 302
    assert response.url == folder_url("parent")
    assert list(Folder.objects.values_list("path", flat=True)) == ["parent"]


def test_an_editor_can_not_delete_a_folder(bob_client, billing):
    assert bob_client.get(folder_url("support", "delete")).status_code == 403
    response = bob_client.post(folder_url("support", "delete"), {"confirmed": "yes"})
    assert response.status_code == 403
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.delete").exists()


def test_an_outsider_can_not_delete_a_folder(charlie_client, billing):
    response = charlie_client.post(folder_url("support", "delete"), {"confirmed": "yes"})

    assert response.status_code == 404
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.delete").exists()


# Access ----------------------------------------------------------------------------------------


def test_the_access_page_explains_that_everything_inside_is_restricted_too(adam_client, billing):
    page = words(adam_client.get(folder_url("support", "access")))

    assert "Everything inside this folder is restricted too" in page


def test_an_admin_restricts_a_folder_and_everything_inside_vanishes(
    adam_client, bob_client, billing
):
    response = adam_client.post(folder_url("support", "access"), {"view_role": "admin"})

    assert response.status_code == 302
    assert Folder.objects.get(path="support").view_role == "admin"
    assert bob_client.get("/w/acme/p/support/billing/refunds/").status_code == 404
    assert "support" not in words(bob_client.get("/w/acme/prompts/"))
    assert AuditEvent.objects.filter(action="folder.access").exists()


def test_a_named_editor_may_change_inside_a_folder_closed_to_other_editors(
    adam_client, client_for, acme, billing
):
    from tests.factories import MembershipFactory, UserFactory

    eddie = UserFactory(email="eddie@example.com")
    MembershipFactory(workspace=acme, user=eddie, role=Role.EDITOR)

    adam_client.post(
        folder_url("support", "access"), {"edit_role": "admin", "editors": [str(eddie.pk)]}
    )

    eddie_client = client_for(eddie)
    response = eddie_client.post(folder_url("support", "rename"), {"name": "help"})
    assert response.status_code == 302


def test_an_unknown_role_is_explained(adam_client, billing):
    response = adam_client.post(folder_url("support", "access"), {"view_role": "king"})

    assert response.status_code == 400
    assert "valid choice" in field_error(response, "view_role")
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.access").exists()


def test_an_editor_can_not_change_folder_access(bob_client, billing):
    response = bob_client.post(folder_url("support", "access"), {"view_role": "admin"})

    assert response.status_code == 403
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.access").exists()


def test_an_outsider_can_not_change_folder_access(charlie_client, billing):
    response = charlie_client.post(folder_url("support", "access"), {"view_role": "admin"})

    assert response.status_code == 404
    assert_billing_as_made()
    assert not AuditEvent.objects.filter(action="folder.access").exists()
