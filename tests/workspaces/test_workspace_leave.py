from django.urls import reverse

from tests.accounts.html import text
from tests.factories import MembershipFactory
from workspaces.models import AuditEvent, Membership
from workspaces.roles import Role

LEAVE = "/w/acme/leave/"


def is_member(user) -> bool:
    return Membership.objects.filter(user=user, workspace__slug="acme").exists()


def test_a_viewer_leaves(vera_client, vera):
    response = vera_client.post(LEAVE)

    assert response.status_code == 302
    assert response.url == reverse("workspaces:home")
    assert not is_member(vera)
    event = AuditEvent.objects.get(action="member.leave")
    assert event.actor_user == vera
    assert vera_client.get("/w/acme/").status_code == 404


def test_the_last_owner_can_not_leave(alice_client, alice):
    response = alice_client.post(LEAVE, follow=True)

    assert response.redirect_chain[-1][0] == "/w/acme/settings/"
    assert "A workspace needs at least one owner." in text(response)
    assert Membership.objects.get(user=alice, workspace__slug="acme").role == Role.OWNER
    assert not AuditEvent.objects.filter(action="member.leave").exists()


def test_one_of_two_owners_can_leave(alice_client, alice, acme):
    MembershipFactory(workspace=acme, role=Role.OWNER)

    alice_client.post(LEAVE)

    assert not is_member(alice)


def test_it_only_accepts_post(vera_client, vera):
    assert vera_client.get(LEAVE).status_code == 405
    assert is_member(vera)


def test_an_outsider_gets_404(charlie_client, charlie, acme):
    assert charlie_client.post(LEAVE).status_code == 404
    assert list(Membership.objects.filter(user=charlie).values_list("workspace__slug", "role")) == [
        ("globex", Role.OWNER)
    ]
    assert not AuditEvent.objects.filter(action__in=["member.leave", "member.remove"]).exists()
