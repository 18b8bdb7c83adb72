"""Folder paths match with exact case on every database (issue 7, item 2).

SQLite's LIKE ignores case, so `startswith("ops/")` used to reach "Ops/runbook": renaming an
editor's own `vault` dragged the admin-only `Vault/payroll` along, deleting an empty `ops`
soft-deleted `Ops/runbook`. Names are case-sensitive, as in Langfuse: `vault` and `Vault` are
two folders, and nothing done to one touches the other.
"""

import pytest

from promptregistry import selectors, services
from promptregistry.as_code.export import prompt_files
from promptregistry.models import Folder
from promptregistry.services.folders import folder_contents
from tests.promptregistry.factories import make_folder, make_prompt, principal_for, restrict
from workspaces.roles import Role


@pytest.fixture
def vault_beside_vault(acme, alice, bob):
    secret = make_prompt(acme, "Vault/payroll", by=alice)
    restrict(Folder.objects.get(path="Vault"), view_role=Role.ADMIN)
    mine = make_folder(acme, "vault", by=bob)
    return secret, mine


def test_renaming_a_folder_leaves_a_folder_differing_only_in_case_alone(
    acme, bob, vera, vault_beside_vault
):
    secret, mine = vault_beside_vault

    services.folder_rename(principal=principal_for(acme, bob), folder=mine, name="misc")

    secret.refresh_from_db()
    assert secret.name == "Vault/payroll"
    assert set(Folder.objects.values_list("path", flat=True)) == {"Vault", "misc"}
    viewer = principal_for(acme, vera)
    assert not selectors.visible_prompts(viewer).filter(pk=secret.pk).exists()


def test_moving_a_folder_leaves_a_folder_differing_only_in_case_alone(
    acme, bob, vault_beside_vault
):
    secret, mine = vault_beside_vault
    target = make_folder(acme, "archive", by=bob)

    services.folder_move(principal=principal_for(acme, bob), folder=mine, parent=target)

    secret.refresh_from_db()
    assert secret.name == "Vault/payroll"


def test_deleting_an_empty_folder_spares_a_folder_differing_only_in_case(acme, alice, bob):
    runbook = make_prompt(acme, "Ops/runbook", by=alice)
    ops = make_folder(acme, "ops", by=bob)

    assert folder_contents(ops)["prompts"] == []
    services.folder_delete(principal=principal_for(acme, alice), folder=ops)

    runbook.refresh_from_db()
    assert runbook.deleted_at is None
    assert Folder.objects.filter(path="Ops").exists()


def test_lists_and_exports_of_a_folder_hold_only_its_own_prompts(acme, alice, bob):
    make_prompt(acme, "Team/a", by=alice)
    make_prompt(acme, "team/b", by=alice)
    owner = principal_for(acme, alice)

    names = [f.name for f in prompt_files(owner, folder_path="team")]

    assert names == ["team/b"]
