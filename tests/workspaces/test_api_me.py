import base64

import pytest

from tests.factories import api_key_for
from workspaces.models import ApiKey
from workspaces.roles import Role

ME = "/api/v1/me"


@pytest.fixture
def key(acme):
    return api_key_for(acme, Role.VIEWER, name="ci")


def basic(public: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{public}:{secret}".encode()).decode()


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.json()["error"]["message"]


def test_it_accepts_a_bearer_secret(client, key):
    _, secret = key

    response = client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json() == {
        "workspace": "acme",
        "workspace_name": "Acme",
        "role": "viewer",
        "key_name": "ci",
    }


def test_it_accepts_basic_public_and_secret(client, key):
    api_key, secret = key

    response = client.get(ME, HTTP_AUTHORIZATION=basic(api_key.public_key, secret))

    assert response.status_code == 200
    assert response.json()["workspace"] == "acme"


def test_it_accepts_an_x_api_key_header(client, key):
    _, secret = key

    response = client.get(ME, HTTP_X_API_KEY=secret)

    assert response.status_code == 200
    assert response.json()["role"] == "viewer"


def test_it_records_when_a_key_was_last_used(client, key):
    api_key, secret = key

    client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}")

    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_it_refuses_a_wrong_secret(client, key):
    api_key, secret = key

    assert_unauthenticated(client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}x"))
    assert_unauthenticated(client.get(ME, HTTP_AUTHORIZATION=basic(api_key.public_key, "sk-no")))
    assert_unauthenticated(client.get(ME, HTTP_X_API_KEY="sk-no"))


def test_it_refuses_the_right_secret_with_another_public_key(client, key, globex):
    _, secret = key
    other, _ = api_key_for(globex)

    assert_unauthenticated(client.get(ME, HTTP_AUTHORIZATION=basic(other.public_key, secret)))
    assert_unauthenticated(client.get(ME, HTTP_AUTHORIZATION=basic("pk-made-up", secret)))


def test_it_refuses_a_public_key_alone(client, key):
    api_key, _ = key

    assert_unauthenticated(client.get(ME, HTTP_AUTHORIZATION=basic(api_key.public_key, "")))
    assert_unauthenticated(client.get(ME, HTTP_AUTHORIZATION=f"Bearer {api_key.public_key}"))


def test_it_refuses_a_revoked_key(client, key):
    api_key, secret = key
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at="2024-01-01T00:00:00Z")

    assert_unauthenticated(client.get(ME, HTTP_AUTHORIZATION=f"Bearer {secret}"))


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Basic", "Basic !!!not-base64!!!", "Basic " + "w6k=", "Token abc"]
)
def test_it_refuses_malformed_credentials_with_401(client, key, header):
    assert_unauthenticated(client.get(ME, HTTP_AUTHORIZATION=header))


def test_a_session_cookie_alone_is_not_enough(alice_client):
    assert_unauthenticated(alice_client.get(ME))
