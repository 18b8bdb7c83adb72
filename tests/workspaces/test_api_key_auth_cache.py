"""API key authentication is cached for a few seconds (the API's hot path), and every change
that alters what a key may do drops it at once: a key in use never outlives its revocation."""

import base64

from django.test import RequestFactory

from workspaces import services
from workspaces.api_auth import principal_from_request
from workspaces.models import Membership
from workspaces.principal import Principal
from workspaces.roles import Role

ME = "/api/v1/me"


def _key_made_by(user, workspace, role):
    membership = Membership.objects.get(user=user, workspace=workspace)
    api_key, secret = services.api_key_create(
        principal=Principal.for_membership(membership), name="app", role=role
    )
    return api_key, secret


def _me(client, secret):
    return client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}")


def _owner(alice, acme) -> Principal:
    return Principal.for_membership(Membership.objects.get(user=alice, workspace=acme))


def test_a_key_in_use_needs_no_query_to_authenticate_again(adam, acme, django_assert_num_queries):
    _, secret = _key_made_by(adam, acme, Role.EDITOR)
    request = RequestFactory().get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert principal_from_request(request).role == Role.EDITOR

    with django_assert_num_queries(0):
        principal = principal_from_request(request)

    assert principal.role == Role.EDITOR
    assert principal.workspace == acme


def test_a_revoked_key_is_refused_on_the_very_next_request(client, alice, adam, acme):
    api_key, secret = _key_made_by(adam, acme, Role.EDITOR)
    assert _me(client, secret).status_code == 200

    services.api_key_revoke(principal=_owner(alice, acme), api_key=api_key)

    assert _me(client, secret).status_code == 401


def test_a_deleted_key_is_refused_on_the_very_next_request(client, adam, acme):
    api_key, secret = _key_made_by(adam, acme, Role.EDITOR)
    assert _me(client, secret).status_code == 200

    api_key.delete()

    assert _me(client, secret).status_code == 401


def test_demoting_the_creator_narrows_a_key_in_use_at_once(client, alice, adam, acme):
    _, secret = _key_made_by(adam, acme, Role.ADMIN)
    assert _me(client, secret).json()["role"] == "admin"

    services.membership_change_role(
        principal=_owner(alice, acme),
        membership=Membership.objects.get(user=adam, workspace=acme),
        role=Role.EDITOR,
    )

    assert _me(client, secret).json()["role"] == "editor"


def test_removing_the_creator_leaves_a_key_in_use_reading_only(client, alice, adam, acme):
    _, secret = _key_made_by(adam, acme, Role.ADMIN)
    assert _me(client, secret).json()["role"] == "admin"

    services.membership_remove(
        principal=_owner(alice, acme),
        membership=Membership.objects.get(user=adam, workspace=acme),
    )

    assert _me(client, secret).json()["role"] == "viewer"


def test_deleting_the_creator_account_leaves_a_key_in_use_reading_only(client, adam, acme):
    _, secret = _key_made_by(adam, acme, Role.ADMIN)
    assert _me(client, secret).json()["role"] == "admin"

    adam.delete()

    assert _me(client, secret).json()["role"] == "viewer"


def test_a_wrong_public_key_is_refused_even_when_the_secret_is_cached(client, adam, acme):
    _, secret = _key_made_by(adam, acme, Role.EDITOR)
    assert _me(client, secret).status_code == 200

    response = client.get(ME, HTTP_AUTHORIZATION=_basic("pk-not-this-one", secret))

    assert response.status_code == 401


def _basic(public: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()
