from django.urls import reverse

from tests.accounts.html import text

PROFILE = reverse("accounts:profile")


def test_it_shows_the_profile(alice_client):
    response = alice_client.get(PROFILE)

    assert response.status_code == 200
    assert "alice@example.com" in text(response)
    assert 'value="Alice Owner"' in text(response)


def test_it_saves_the_name(alice_client, alice):
    response = alice_client.post(PROFILE, {"name": "Alice A."})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.name == "Alice A."


def test_it_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign-in"))
