import pytest

from tests.accounts.html import field_error, field_html, text
from tests.factories import MembershipFactory
from workspaces.models import AuditEvent, Workspace
from workspaces.roles import Role

SETTINGS = "/w/acme/settings/"


def acme_now() -> Workspace:
    return Workspace.objects.get(slug="acme")


def test_it_shows_the_form_to_an_admin(adam_client):
    response = adam_client.get(SETTINGS)

    assert response.status_code == 200
    assert 'value="Acme"' in field_html(response, "name")
    assert 'value="production"' in field_html(response, "protected_labels")


@pytest.mark.parametrize("persona", ["alice_client", "adam_client"])
def test_owners_and_admins_save_it(request, persona):
    response = request.getfixturevalue(persona).post(
        SETTINGS, {"name": "Acme Inc", "protected_labels": "production, EU-prod,, staging.v2"}
    )

    assert response.status_code == 302
    assert response.url == SETTINGS
    workspace = acme_now()
    assert workspace.name == "Acme Inc"
    assert workspace.protected_labels == ["eu-prod", "production", "staging.v2"]
    assert workspace.slug == "acme"


def test_saving_is_audited_with_before_and_after(adam_client, adam):
    adam_client.post(SETTINGS, {"name": "Acme", "protected_labels": "production, prod-eu"})

    event = AuditEvent.objects.get(action="workspace.update")
    assert event.actor_user == adam
    assert event.data["before"] == {"name": "Acme", "protected_labels": ["production"]}
    assert event.data["after"] == {"name": "Acme", "protected_labels": ["prod-eu", "production"]}


def test_saving_nothing_new_records_nothing(adam_client):
    adam_client.post(SETTINGS, {"name": "Acme", "protected_labels": "production"})

    assert not AuditEvent.objects.filter(action="workspace.update").exists()


def test_it_refuses_a_bad_label_by_the_field(adam_client):
    response = adam_client.post(
        SETTINGS, {"name": "Renamed", "protected_labels": "production, Prod Uction!"}
    )

    assert response.status_code == 400
    assert "prod uction!" in field_error(response, "protected_labels")
    assert 'value="Renamed"' in field_html(response, "name")
    assert acme_now().name == "Acme"
    assert acme_now().protected_labels == ["production"]
    assert not AuditEvent.objects.filter(action="workspace.update").exists()


def test_it_requires_a_name(adam_client):
    response = adam_client.post(SETTINGS, {"name": "", "protected_labels": ""})

    assert response.status_code == 400
    assert field_error(response, "name") == "This field is required."
    assert acme_now().name == "Acme"
    assert acme_now().protected_labels == ["production"]
    assert not AuditEvent.objects.filter(action="workspace.update").exists()


def test_a_viewer_reads_the_settings_without_a_form(vera_client):
    response = vera_client.get(SETTINGS)

    assert response.status_code == 200
    assert "Only admins and owners can change these." in text(response)
    assert "Save settings" not in text(response)


@pytest.mark.parametrize("persona", ["bob_client", "vera_client"])
def test_editors_and_viewers_get_403_on_save(request, persona):
    response = request.getfixturevalue(persona).post(
        SETTINGS, {"name": "Hacked", "protected_labels": ""}
    )

    assert response.status_code == 403
    assert acme_now().name == "Acme"
    assert acme_now().protected_labels == ["production"]
    assert not AuditEvent.objects.filter(action="workspace.update").exists()


def test_an_outsider_gets_404(charlie_client, acme):
    assert charlie_client.get(SETTINGS).status_code == 404
    assert charlie_client.post(SETTINGS, {"name": "Hacked"}).status_code == 404
    assert acme_now().name == "Acme"
    assert acme_now().protected_labels == ["production"]
    assert not AuditEvent.objects.filter(action="workspace.update").exists()


def test_the_sole_owner_is_told_how_to_leave_instead_of_given_a_button(alice_client):
    response = alice_client.get(SETTINGS)

    assert "You are the only owner" in text(response)
    assert "/w/acme/leave/" not in text(response)


def test_an_owner_among_several_may_leave(alice_client, acme):
    MembershipFactory(workspace=acme, role=Role.OWNER)

    response = alice_client.get(SETTINGS)

    assert "You are the only owner" not in text(response)
    assert 'action="/w/acme/leave/"' in text(response)


def test_a_viewer_is_offered_to_leave(vera_client):
    response = vera_client.get(SETTINGS)

    assert 'action="/w/acme/leave/"' in text(response)
