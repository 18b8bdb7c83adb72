from django.urls import reverse

from tests.accounts.html import text
from tests.factories import MembershipFactory
from workspaces.roles import Role

OVERVIEW = "/w/acme/"


def test_it_shows_the_workspace_to_its_owner(alice_client, bob, vera):
    response = alice_client.get(OVERVIEW)

    assert response.status_code == 200
    assert "Acme" in text(response)
    assert "You are owner here" in text(response)
    assert "Invite people" in text(response)
    assert "Recent activity" in text(response)


def test_a_viewer_sees_it_without_admin_actions(vera_client):
    response = vera_client.get(OVERVIEW)

    assert response.status_code == 200
    assert "You are viewer here" in text(response)
    assert "Invite people" not in text(response)
    assert "Recent activity" not in text(response)
    assert reverse("workspaces:api-keys", args=["acme"]) not in text(response)


def test_the_switcher_lists_only_the_members_workspaces(alice_client, charlie):
    response = alice_client.get(OVERVIEW)

    assert 'href="/w/acme/"' in text(response)
    assert "/w/globex/" not in text(response)
    assert "Globex" not in text(response)


def test_the_switcher_lists_every_workspace_of_the_member(alice_client, alice, globex):
    MembershipFactory(workspace=globex, user=alice, role=Role.VIEWER)

    response = alice_client.get(OVERVIEW)

    assert 'href="/w/globex/"' in text(response)
    assert 'href="/w/acme/" class="is-current"' in text(response)


def test_an_outsider_gets_404(charlie_client, acme):
    assert charlie_client.get(OVERVIEW).status_code == 404


def test_an_unknown_workspace_is_404(alice_client):
    assert alice_client.get("/w/nowhere/").status_code == 404


def test_it_sends_an_anonymous_visitor_to_sign_in(client, acme):
    response = client.get(OVERVIEW)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign-in"))
