import re

import pytest
from django.core.exceptions import ValidationError

from tests.accounts.html import field_error, text
from tests.factories import api_key_for
from workspaces import services
from workspaces.models import ApiKey, AuditEvent, hash_token
from workspaces.principal import Principal
from workspaces.roles import Role

API_KEYS = "/w/acme/api-keys/"


def create(client, name: str = "support-bot prod", role: str = Role.VIEWER, follow=True):
    return client.post(API_KEYS, {"name": name, "role": role}, follow=follow)


def key_events() -> list[str]:
    """The audit log's key creations and revocations, oldest first."""
    actions = ["api_key.create", "api_key.revoke"]
    return list(
        AuditEvent.objects.filter(action__in=actions)
        .order_by("id")
        .values_list("action", flat=True)
    )


def secret_in(response) -> str:
    match = re.search(r'id="new-secret-key">(sk-[^<]+)<', text(response))
    assert match, "no secret on the page"
    return match.group(1)


def test_it_lists_keys_without_their_secrets(adam_client, acme):
    api_key, secret = api_key_for(acme, Role.VIEWER, name="nightly eval")

    response = adam_client.get(API_KEYS)

    assert response.status_code == 200
    assert "nightly eval" in text(response)
    assert api_key.secret_prefix in text(response)
    assert secret not in text(response)


def test_it_names_only_clients_that_work_today(adam_client):
    page = text(adam_client.get(API_KEYS))

    assert "Langfuse SDK" in page
    assert "OpenAI" not in page


def test_it_explains_an_empty_list(adam_client, acme):
    assert "No API keys yet" in text(adam_client.get(API_KEYS))


def test_it_shows_the_new_secret_once(adam_client, adam):
    response = create(adam_client)

    assert response.status_code == 200
    assert response.redirect_chain == [(API_KEYS, 302)]
    assert "no-store" in response["Cache-Control"]
    secret = secret_in(response)
    api_key = ApiKey.objects.get()
    assert api_key.public_key in text(response)
    assert api_key.name == "support-bot prod"
    assert api_key.role == Role.VIEWER
    assert api_key.created_by == adam
    assert api_key.secret_hash == hash_token(secret)
    assert not any(secret in str(value) for value in ApiKey.objects.values().get().values())
    later = adam_client.get(API_KEYS)
    assert secret not in text(later)
    assert 'id="new-secret-key"' not in text(later)


def test_reloading_after_creating_shows_no_secret_and_creates_nothing(adam_client):
    posted = create(adam_client, follow=False)
    assert posted.status_code == 302
    assert posted["Location"] == API_KEYS
    assert 'id="new-secret-key"' not in text(posted)

    shown = adam_client.get(API_KEYS)
    reloaded = adam_client.get(API_KEYS)

    secret = secret_in(shown)
    assert secret not in text(reloaded)
    assert 'id="new-secret-key"' not in text(reloaded)
    assert ApiKey.objects.count() == 1
    assert secret not in str(dict(adam_client.session))


def test_the_new_key_works_at_once(adam_client, client):
    secret = secret_in(create(adam_client))

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json()["key_name"] == "support-bot prod"


def test_creation_is_audited_without_the_secret(adam_client, adam):
    secret = secret_in(create(adam_client))

    event = AuditEvent.objects.get(action="api_key.create")
    assert event.actor_user == adam
    assert event.data["after"]["role"] == "viewer"
    assert secret not in str(event.data)


def test_an_admin_can_not_create_an_owner_key(adam_client):
    response = create(adam_client, role=Role.OWNER)

    assert response.status_code == 400
    assert "not one of the available choices" in field_error(response, "role")
    assert not ApiKey.objects.exists()
    assert key_events() == []


def test_it_requires_a_name(adam_client):
    response = create(adam_client, name="")

    assert response.status_code == 400
    assert field_error(response, "name") == "This field is required."
    assert not ApiKey.objects.exists()
    assert key_events() == []


def test_a_key_never_exceeds_its_creators_role(acme, bob):
    editor = Principal(workspace=acme, role=Role.EDITOR, user=bob)

    with pytest.raises(ValidationError) as refused:
        services.api_key_create(principal=editor, name="sneaky", role=Role.ADMIN)

    assert "higher than your own" in str(refused.value.message_dict["role"])
    assert not ApiKey.objects.exists()


def test_revoking_stops_the_key_and_is_audited(adam_client, adam, acme, client):
    api_key, secret = api_key_for(acme, Role.VIEWER)

    response = adam_client.post(f"{API_KEYS}{api_key.pk}/revoke/", follow=True)

    assert "is revoked" in text(response)
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    event = AuditEvent.objects.get(action="api_key.revoke")
    assert event.actor_user == adam
    assert event.target_id == str(api_key.pk)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


@pytest.mark.parametrize("persona", ["bob_client", "vera_client"])
def test_editors_and_viewers_get_403(request, persona, acme):
    client = request.getfixturevalue(persona)
    api_key, _ = api_key_for(acme)

    assert client.get(API_KEYS).status_code == 403
    assert create(client, role=Role.VIEWER).status_code == 403
    assert client.post(f"{API_KEYS}{api_key.pk}/revoke/").status_code == 403
    assert ApiKey.objects.get().revoked_at is None
    assert ApiKey.objects.count() == 1
    assert key_events() == []


def test_an_outsider_gets_404(charlie_client, acme):
    api_key, _ = api_key_for(acme)

    assert charlie_client.get(API_KEYS).status_code == 404
    assert create(charlie_client).status_code == 404
    assert charlie_client.post(f"{API_KEYS}{api_key.pk}/revoke/").status_code == 404
    assert charlie_client.post(f"/w/globex/api-keys/{api_key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None
    assert ApiKey.objects.count() == 1
    assert key_events() == []


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_however_many_keys(
    adam_client, adam, acme, assert_queries, count
):
    for n in range(count):
        api_key, _ = api_key_for(acme, name=f"key {n}")
        ApiKey.objects.filter(pk=api_key.pk).update(created_by=adam)

    # session, user, membership, count, page of keys with creators, switcher
    with assert_queries(6):
        response = adam_client.get(API_KEYS)

    assert response.status_code == 200
