from django.urls import reverse

from tests.accounts.html import field_error
from tests.factories import PASSWORD

CHANGE = reverse("accounts:password-change")
NEW_PASSWORD = "violet kettle 19 marsh"


def test_it_changes_the_password_and_keeps_the_session(alice_client, alice):
    response = alice_client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:password-change-done")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice_client.get("/w/acme/").status_code == 200


def test_it_asks_for_the_current_password(alice_client, alice):
    response = alice_client.post(
        CHANGE,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old password was entered incorrectly" in field_error(response, "old_password")
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(CHANGE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign-in"))
