import pytest

from tests.factories import UserFactory, api_key_for
from workspaces import audit
from workspaces.models import ApiKey, AuditEvent
from workspaces.principal import Principal
from workspaces.roles import Role


@pytest.fixture
def recorded(acme, alice):
    return audit.record(
        principal=Principal(workspace=acme, role=Role.OWNER, user=alice),
        action="workspace.update",
        target=acme,
        data={"before": {"name": "Acme"}, "after": {"name": "Acme Inc"}},
    )


def test_it_records_actor_target_and_data(recorded, acme, alice):
    event = AuditEvent.objects.get()

    assert event.actor_user == alice
    assert event.actor_label == "alice@example.com"
    assert (event.target_type, event.target_id, event.target_label) == (
        "workspace",
        str(acme.pk),
        "Acme",
    )
    assert event.data["after"] == {"name": "Acme Inc"}
    assert event.at is not None


def test_an_api_key_actor_is_named_by_its_key(acme):
    api_key, _ = api_key_for(acme, name="deploy bot")

    event = audit.record(principal=Principal.for_api_key(api_key), action="label.move")

    assert event.actor_api_key == api_key
    assert event.actor_label == f"API key deploy bot ({api_key.secret_prefix}…)"


def test_an_event_can_not_be_changed(recorded):
    recorded.action = "nothing.happened"

    with pytest.raises(TypeError, match="append-only"):
        recorded.save()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=recorded.pk).update(action="nothing.happened")
    assert AuditEvent.objects.get().action == "workspace.update"


def test_an_event_can_not_be_deleted(recorded):
    with pytest.raises(TypeError, match="append-only"):
        recorded.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=recorded.pk).delete()
    assert AuditEvent.objects.count() == 1


def test_the_log_outlives_the_actor(acme):
    person = UserFactory(email="gone@example.com")
    api_key, _ = api_key_for(acme)
    audit.record(principal=Principal(workspace=acme, role=Role.ADMIN, user=person), action="a.b")
    audit.record(principal=Principal.for_api_key(api_key), action="c.d")

    person.delete()
    ApiKey.objects.filter(pk=api_key.pk).delete()

    labels = set(AuditEvent.objects.values_list("actor_label", "actor_user", "actor_api_key"))
    assert labels == {
        ("gone@example.com", None, None),
        (f"API key ci ({api_key.secret_prefix}…)", None, None),
    }


def test_the_log_goes_with_its_workspace(recorded, acme):
    acme.delete()

    assert not AuditEvent.objects.exists()
