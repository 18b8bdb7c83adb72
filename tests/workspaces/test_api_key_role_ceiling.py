from workspaces import services
from workspaces.models import Membership
from workspaces.principal import Principal
from workspaces.roles import Role

ME = "/api/v1/me"


def _key_made_by(user, workspace, role):
    membership = Membership.objects.get(user=user, workspace=workspace)
    _, secret = services.api_key_create(
        principal=Principal.for_membership(membership), name="app", role=role
    )
    return secret


def _role_of(client, secret) -> str:
    return client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}").json()["role"]


def test_a_key_acts_with_the_role_it_was_given(client, adam, acme):
    secret = _key_made_by(adam, acme, Role.EDITOR)

    assert _role_of(client, secret) == "editor"


def test_demoting_the_creator_narrows_their_keys_at_once(client, adam, acme):
    secret = _key_made_by(adam, acme, Role.ADMIN)
    Membership.objects.filter(user=adam, workspace=acme).update(role=Role.EDITOR)

    assert _role_of(client, secret) == "editor"


def test_a_key_whose_creator_left_can_only_read(client, adam, acme):
    secret = _key_made_by(adam, acme, Role.ADMIN)
    Membership.objects.filter(user=adam, workspace=acme).delete()

    assert _role_of(client, secret) == "viewer"
