import pytest

from tests.accounts.html import text
from tests.factories import MembershipFactory
from workspaces.models import AuditEvent, Membership
from workspaces.roles import Role


def role_url(membership: Membership) -> str:
    return f"/w/{membership.workspace.slug}/members/{membership.pk}/role/"


def membership_of(user) -> Membership:
    return Membership.objects.get(user=user, workspace__slug="acme")


def test_an_owner_changes_a_role(alice_client, alice, bob):
    response = alice_client.post(role_url(membership_of(bob)), {"role": Role.ADMIN})

    assert response.status_code == 302
    assert response.url == "/w/acme/members/"
    assert membership_of(bob).role == Role.ADMIN
    event = AuditEvent.objects.get(action="member.role_change")
    assert event.actor_user == alice
    assert event.target_label == "bob@example.com"
    assert event.data == {"before": {"role": "editor"}, "after": {"role": "admin"}}
    assert "bob@example.com is now Admin." in text(alice_client.get(response.url))


def test_htmx_gets_the_updated_row(alice_client, bob):
    membership = membership_of(bob)

    response = alice_client.post(
        role_url(membership), {"role": Role.VIEWER}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page
    assert page.strip().startswith(f'<tr id="member-{membership.pk}"')
    assert '<option value="viewer" selected>' in page
    assert membership_of(bob).role == Role.VIEWER


def test_htmx_gets_422_and_the_reason_when_refused(adam_client, bob):
    response = adam_client.post(
        role_url(membership_of(bob)), {"role": Role.OWNER}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 422
    assert "<html" not in text(response)
    assert "Only an owner can change who the owners are." in text(response)
    assert '<option value="editor" selected>' in text(response)
    assert membership_of(bob).role == Role.EDITOR
    assert not AuditEvent.objects.filter(action="member.role_change").exists()


def test_an_admin_can_not_make_an_owner(adam_client, bob):
    response = adam_client.post(role_url(membership_of(bob)), {"role": Role.OWNER}, follow=True)

    assert "Only an owner can change who the owners are." in text(response)
    assert membership_of(bob).role == Role.EDITOR
    assert not AuditEvent.objects.filter(action="member.role_change").exists()


def test_an_admin_can_not_demote_an_owner(adam_client, alice):
    response = adam_client.post(role_url(membership_of(alice)), {"role": Role.VIEWER}, follow=True)

    assert "Only an owner can change who the owners are." in text(response)
    assert membership_of(alice).role == Role.OWNER
    assert not AuditEvent.objects.filter(action="member.role_change").exists()


def test_the_last_owner_can_not_be_demoted(alice_client, alice):
    response = alice_client.post(role_url(membership_of(alice)), {"role": Role.ADMIN}, follow=True)

    assert "A workspace needs at least one owner." in text(response)
    assert membership_of(alice).role == Role.OWNER
    assert not AuditEvent.objects.filter(action="member.role_change").exists()


def test_one_of_two_owners_can_be_demoted(alice_client, alice, acme):
    other_owner = MembershipFactory(workspace=acme, role=Role.OWNER)

    alice_client.post(role_url(other_owner), {"role": Role.EDITOR})

    other_owner.refresh_from_db()
    assert other_owner.role == Role.EDITOR


def test_an_owner_makes_another_owner(alice_client, bob):
    alice_client.post(role_url(membership_of(bob)), {"role": Role.OWNER})

    assert membership_of(bob).role == Role.OWNER


def test_it_refuses_an_unknown_role(alice_client, bob):
    response = alice_client.post(
        role_url(membership_of(bob)), {"role": "superuser"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 422
    assert "Choose a valid role." in text(response)
    assert membership_of(bob).role == Role.EDITOR
    assert not AuditEvent.objects.filter(action="member.role_change").exists()


@pytest.mark.parametrize("persona", ["bob_client", "vera_client"])
def test_editors_and_viewers_get_403(request, persona, alice):
    client = request.getfixturevalue(persona)

    response = client.post(role_url(membership_of(alice)), {"role": Role.VIEWER})

    assert response.status_code == 403
    assert membership_of(alice).role == Role.OWNER
    assert not AuditEvent.objects.filter(action="member.role_change").exists()


def test_an_outsider_gets_404(charlie_client, bob):
    response = charlie_client.post(role_url(membership_of(bob)), {"role": Role.VIEWER})

    assert response.status_code == 404
    assert membership_of(bob).role == Role.EDITOR
    assert not AuditEvent.objects.filter(action="member.role_change").exists()


def test_a_member_of_another_workspace_can_not_be_reached_through_mine(
    charlie_client, charlie, bob
):
    response = charlie_client.post(
        f"/w/globex/members/{membership_of(bob).pk}/role/", {"role": Role.VIEWER}
    )

    assert response.status_code == 404
    assert membership_of(bob).role == Role.EDITOR
    assert not AuditEvent.objects.filter(action="member.role_change").exists()


def test_it_only_accepts_post(alice_client, bob):
    assert alice_client.get(role_url(membership_of(bob))).status_code == 405
