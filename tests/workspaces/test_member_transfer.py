import pytest

from tests.accounts.html import text
from workspaces.models import AuditEvent, Membership
from workspaces.roles import Role


def transfer_url(user) -> str:
    membership = Membership.objects.get(user=user, workspace__slug="acme")
    return f"/w/acme/members/{membership.pk}/transfer/"


def role_of(user) -> str:
    return Membership.objects.get(user=user, workspace__slug="acme").role


def test_an_owner_hands_ownership_to_a_member(alice_client, alice, bob):
    response = alice_client.post(transfer_url(bob), follow=True)

    assert "bob@example.com now owns the workspace; you are an admin." in text(response)
    assert role_of(bob) == Role.OWNER
    assert role_of(alice) == Role.ADMIN
    event = AuditEvent.objects.get(action="workspace.transfer_ownership")
    assert event.actor_user == alice
    assert event.data == {
        "before": {"owner": "alice@example.com"},
        "after": {"owner": "bob@example.com"},
    }


def test_the_old_owner_can_no_longer_manage_owners(alice_client, alice, bob):
    alice_client.post(transfer_url(bob))

    response = alice_client.post(transfer_url(bob))

    assert response.status_code == 403
    assert role_of(bob) == Role.OWNER
    assert role_of(alice) == Role.ADMIN
    assert AuditEvent.objects.filter(action="workspace.transfer_ownership").count() == 1


def test_an_owner_can_not_transfer_to_themselves(alice_client, alice):
    response = alice_client.post(transfer_url(alice), follow=True)

    assert "You already own this workspace." in text(response)
    assert role_of(alice) == Role.OWNER
    assert not AuditEvent.objects.filter(action="workspace.transfer_ownership").exists()


@pytest.mark.parametrize("persona", ["adam_client", "bob_client", "vera_client"])
def test_anyone_but_an_owner_gets_403(request, persona, alice, bob):
    response = request.getfixturevalue(persona).post(transfer_url(bob))

    assert response.status_code == 403
    assert role_of(alice) == Role.OWNER
    assert role_of(bob) == Role.EDITOR
    assert not AuditEvent.objects.filter(action="workspace.transfer_ownership").exists()


def test_an_outsider_gets_404(charlie_client, alice, bob):
    assert charlie_client.post(transfer_url(bob)).status_code == 404
    assert role_of(alice) == Role.OWNER
    assert role_of(bob) == Role.EDITOR
    assert not AuditEvent.objects.filter(action="workspace.transfer_ownership").exists()
