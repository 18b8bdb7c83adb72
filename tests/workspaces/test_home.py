from django.urls import reverse

from tests.accounts.html import text
from tests.factories import MembershipFactory, UserFactory
from workspaces.models import Invitation
from workspaces.roles import Role

HOME = reverse("workspaces:home")


def test_it_sends_a_member_to_their_workspace(alice_client):
    response = alice_client.get(HOME)

    assert response.status_code == 302
    assert response.url == "/w/acme/"


def test_it_returns_to_the_workspace_last_opened(alice_client, alice, globex):
    MembershipFactory(workspace=globex, user=alice, role=Role.VIEWER)
    alice_client.get("/w/globex/")

    response = alice_client.get(HOME)

    assert response.url == "/w/globex/"


def test_it_invites_someone_without_a_workspace_to_create_one(client_for, acme):
    nora = UserFactory(email="nora@example.com", name="Nora Newcomer")
    invitation = Invitation(workspace=acme, email="nora@example.com", role=Role.EDITOR)
    invitation.new_token()
    invitation.save()

    response = client_for(nora).get(HOME)

    assert response.status_code == 200
    assert "Create your first workspace" in text(response)
    assert reverse("workspaces:create") in text(response)
    assert "Invitations waiting for you" in text(response)
    assert "Acme" in text(response)


def test_it_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(HOME)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign-in"))
