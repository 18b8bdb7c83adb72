import pytest
from django.urls import reverse

from tests.accounts.html import text
from tests.factories import MembershipFactory
from workspaces.roles import Role

MEMBERS = "/w/acme/members/"


def test_it_lists_the_members_and_the_role_matrix(alice_client, adam, bob, vera):
    response = alice_client.get(MEMBERS)

    assert response.status_code == 200
    for email in ["alice@example.com", "adam@example.com", "bob@example.com", "vera@example.com"]:
        assert email in text(response)
    assert "What each role may do" in text(response)
    assert "Move protected labels such as production" in text(response)


def test_the_role_matrix_promises_only_what_is_built(alice_client):
    page = text(alice_client.get(MEMBERS)).lower()
    matrix = page.split('class="table matrix"')[1].split("</table>")[0]

    # Evaluations have pages (the nav links them) but no role rule of their own yet: the
    # matrix must not promise one.
    for unbuilt in ("evaluation", "dataset"):
        assert unbuilt not in matrix
    assert "run prompts in the playground" in matrix
    assert "read the request log and analytics" in matrix


def test_a_viewer_can_read_it_but_gets_no_controls(vera_client, bob):
    response = vera_client.get(MEMBERS)

    assert response.status_code == 200
    assert "bob@example.com" in text(response)
    assert "<select" not in text(response)
    assert "Remove" not in text(response)


def test_an_admin_can_not_touch_owners_from_the_list(adam_client, alice, bob):
    response = adam_client.get(MEMBERS)
    page = text(response)
    alice_row = page.split(f'id="member-{alice.memberships.get().pk}"')[1].split("</tr>")[0]

    assert "<select" not in alice_row
    assert "Remove" not in alice_row
    assert '<option value="owner"' not in page


def test_it_searches_by_name_or_email(alice_client, bob, vera):
    response = alice_client.get(MEMBERS, {"q": "VERA"})

    assert "vera@example.com" in text(response)
    assert "bob@example.com" not in text(response)


@pytest.mark.parametrize("extra_members", [3, 30])
def test_it_runs_the_same_queries_however_many_members(
    alice_client, acme, assert_queries, extra_members
):
    MembershipFactory.create_batch(extra_members, workspace=acme, role=Role.EDITOR)

    # session, user, membership, count, page of members, switcher
    with assert_queries(6):
        response = alice_client.get(MEMBERS)

    assert response.status_code == 200


def test_an_outsider_gets_404(charlie_client, acme):
    assert charlie_client.get(MEMBERS).status_code == 404


def test_it_sends_an_anonymous_visitor_to_sign_in(client, acme):
    response = client.get(MEMBERS)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign-in"))
