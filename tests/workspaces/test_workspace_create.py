from django.urls import reverse

from tests.accounts.html import field_error, field_html
from tests.factories import UserFactory
from workspaces.models import AuditEvent, Membership, Workspace
from workspaces.roles import Role

CREATE = reverse("workspaces:create")


def assert_nothing_created() -> None:
    """alice's acme is still the only workspace, she owns nothing else, nothing was audited."""
    assert list(Workspace.objects.values_list("slug", flat=True)) == ["acme"]
    assert list(
        Membership.objects.filter(user__email="alice@example.com").values_list(
            "workspace__slug", "role"
        )
    ) == [("acme", Role.OWNER)]
    assert not AuditEvent.objects.filter(action="workspace.create").exists()


def test_it_shows_the_form(alice_client):
    response = alice_client.get(CREATE)

    assert response.status_code == 200
    assert 'name="slug"' in response.content.decode()


def test_the_address_help_reads_as_text_not_markup(alice_client):
    page = alice_client.get(CREATE).content.decode()

    assert "Appears in links, e.g. /w/support-bot/." in page
    assert "<address>" not in page


def test_it_creates_a_workspace_with_a_slug_from_the_name(client_for, db):
    nora = UserFactory(email="nora@example.com")
    client = client_for(nora)

    response = client.post(CREATE, {"name": "  Support Bot ", "slug": ""})

    assert response.status_code == 302
    assert response.url == "/w/support-bot/"
    workspace = Workspace.objects.get(slug="support-bot")
    assert workspace.name == "Support Bot"
    assert workspace.protected_labels == ["production"]
    assert Membership.objects.get(workspace=workspace).user == nora
    assert Membership.objects.get(workspace=workspace).role == Role.OWNER
    event = AuditEvent.objects.get(workspace=workspace)
    assert event.action == "workspace.create"
    assert event.actor_user == nora
    assert event.data["after"] == {"name": "Support Bot", "slug": "support-bot"}
    assert client.get(response.url).status_code == 200


def test_it_takes_a_chosen_slug(alice_client, alice):
    response = alice_client.post(CREATE, {"name": "Research", "slug": "lab-2"})

    assert response.url == "/w/lab-2/"
    assert Membership.objects.get(workspace__slug="lab-2", user=alice).role == Role.OWNER


def test_it_refuses_a_reserved_slug_next_to_the_field(alice_client):
    typed = alice_client.post(CREATE, {"name": "Anything", "slug": "admin"})
    derived = alice_client.post(CREATE, {"name": "API", "slug": ""})

    assert typed.status_code == derived.status_code == 400
    assert "reserved" in field_error(typed, "slug")
    assert "reserved" in field_error(derived, "slug")
    assert 'value="Anything"' in field_html(typed, "name")
    assert_nothing_created()


def test_it_refuses_a_taken_slug_next_to_the_field(alice_client, globex):
    response = alice_client.post(CREATE, {"name": "Globex 2", "slug": "globex"})

    assert response.status_code == 400
    assert "taken" in field_error(response, "slug")
    assert 'value="globex"' in field_html(response, "slug")
    assert list(Workspace.objects.order_by("slug").values_list("slug", "name")) == [
        ("acme", "Acme"),
        ("globex", "Globex"),
    ]
    assert not Membership.objects.filter(workspace__slug="globex").exists()
    assert not AuditEvent.objects.filter(action="workspace.create").exists()


def test_it_refuses_a_malformed_slug(alice_client):
    response = alice_client.post(CREATE, {"name": "Team", "slug": "-bad slug-"})

    assert response.status_code == 400
    assert "lowercase letters" in field_error(response, "slug")
    assert_nothing_created()


def test_it_refuses_a_name_without_letters_or_digits(alice_client):
    response = alice_client.post(CREATE, {"name": "!!!", "slug": ""})

    assert response.status_code == 400
    assert "letters or digits" in field_error(response, "slug")
    assert_nothing_created()


def test_it_requires_a_name(alice_client):
    response = alice_client.post(CREATE, {"name": "", "slug": "team"})

    assert response.status_code == 400
    assert field_error(response, "name") == "This field is required."
    assert_nothing_created()


def test_it_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.post(CREATE, {"name": "Team", "slug": "team"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign-in"))
