import pytest

from tests.accounts.html import text
from tests.factories import MembershipFactory
from workspaces.models import AuditEvent, Membership
from workspaces.roles import Role


def remove_url(user) -> str:
    membership = Membership.objects.get(user=user, workspace__slug="acme")
    return f"/w/acme/members/{membership.pk}/remove/"


def is_member(user) -> bool:
    return Membership.objects.filter(user=user, workspace__slug="acme").exists()


def role_of(user) -> str | None:
    """The user's role in acme, None once they are no member."""
    membership = Membership.objects.filter(user=user, workspace__slug="acme").first()
    return membership.role if membership else None


def test_an_admin_removes_a_member(adam_client, adam, bob):
    response = adam_client.post(remove_url(bob), follow=True)

    assert "bob@example.com was removed from the workspace." in text(response)
    assert not is_member(bob)
    event = AuditEvent.objects.get(action="member.remove")
    assert event.actor_user == adam
    assert event.target_label == "bob@example.com"
    assert event.data == {"before": {"role": "editor"}}


def test_the_removed_member_loses_access_at_once(adam_client, bob_client, bob):
    adam_client.post(remove_url(bob))

    assert bob_client.get("/w/acme/").status_code == 404


def test_an_admin_can_not_remove_an_owner(adam_client, alice):
    response = adam_client.post(remove_url(alice), follow=True)

    assert "Only an owner can change who the owners are." in text(response)
    assert role_of(alice) == Role.OWNER
    assert not AuditEvent.objects.filter(action="member.remove").exists()


def test_an_owner_removes_another_owner(alice_client, acme):
    other_owner = MembershipFactory(workspace=acme, role=Role.OWNER)

    alice_client.post(remove_url(other_owner.user))

    assert not is_member(other_owner.user)


def test_the_last_owner_can_not_remove_themselves(alice_client, alice):
    response = alice_client.post(remove_url(alice), follow=True)

    assert "A workspace needs at least one owner." in text(response)
    assert role_of(alice) == Role.OWNER
    assert not AuditEvent.objects.filter(action__in=["member.remove", "member.leave"]).exists()


@pytest.mark.parametrize("persona", ["bob_client", "vera_client"])
def test_editors_and_viewers_get_403(request, persona, adam):
    response = request.getfixturevalue(persona).post(remove_url(adam))

    assert response.status_code == 403
    assert role_of(adam) == Role.ADMIN
    assert not AuditEvent.objects.filter(action="member.remove").exists()


def test_an_outsider_gets_404(charlie_client, bob):
    assert charlie_client.post(remove_url(bob)).status_code == 404
    assert role_of(bob) == Role.EDITOR
    assert not AuditEvent.objects.filter(action="member.remove").exists()
