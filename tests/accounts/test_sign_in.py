import pytest
from django.test import Client
from django.urls import reverse

from accounts.forms import SIGN_IN_BLOCKED, SIGN_IN_FAILED
from tests.accounts.html import field_html, text
from tests.factories import PASSWORD, UserFactory

SIGN_IN = reverse("accounts:sign-in")


def sign_in(client: Client, email: str, password: str, ip: str = "10.0.0.1", **extra):
    return client.post(SIGN_IN, {"email": email, "password": password, **extra}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture(autouse=True)
def _few_failures(settings):
    settings.SIGN_IN_MAX_FAILURES = 3


def test_it_shows_the_sign_in_form(client, db):
    response = client.get(SIGN_IN)

    assert response.status_code == 200
    assert 'name="email"' in text(response)
    assert 'name="password"' in text(response)


def test_it_signs_in_and_lands_in_the_workspace(client, alice):
    response = sign_in(client, "alice@example.com", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)
    landing = client.get(response.url, follow=True)
    assert landing.redirect_chain[-1][0] == "/w/acme/"
    assert "Acme" in text(landing)


def test_it_matches_the_email_case_insensitively(client, alice):
    sign_in(client, "  ALICE@Example.com ", PASSWORD)

    assert signed_in(client)


def test_it_shows_the_same_message_for_a_wrong_password_and_an_unknown_email(client, alice):
    wrong_password = sign_in(client, "alice@example.com", "not the password")
    unknown_email = sign_in(client, "nobody@example.com", PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 400
    assert SIGN_IN_FAILED in text(wrong_password)
    assert SIGN_IN_FAILED in text(unknown_email)
    assert not signed_in(client)
    alice.refresh_from_db()
    assert alice.last_login is None


def test_it_refuses_an_inactive_account_with_the_same_message(client, db):
    gone = UserFactory(email="gone@example.com", is_active=False)

    response = sign_in(client, "gone@example.com", PASSWORD)

    assert response.status_code == 400
    assert SIGN_IN_FAILED in text(response)
    assert not signed_in(client)
    gone.refresh_from_db()
    assert gone.last_login is None


def test_it_keeps_the_typed_email_after_a_failure(client, alice):
    response = sign_in(client, "alice@example.com", "nope")

    assert 'value="alice@example.com"' in field_html(response, "email")
    assert "nope" not in text(response)


def test_it_throttles_an_account_even_with_the_right_password(client, alice, settings):
    for attempt in range(settings.SIGN_IN_MAX_FAILURES):
        sign_in(client, "alice@example.com", f"wrong {attempt}", ip=f"10.0.0.{attempt + 1}")

    response = sign_in(client, "alice@example.com", PASSWORD, ip="10.0.1.1")

    assert response.status_code == 400
    assert SIGN_IN_BLOCKED in text(response)
    assert SIGN_IN_FAILED not in text(response)
    assert not signed_in(client)
    alice.refresh_from_db()
    assert alice.last_login is None


def test_it_throttles_an_address_that_tries_many_accounts(client, alice, settings):
    for attempt in range(settings.SIGN_IN_MAX_FAILURES):
        sign_in(client, f"guess{attempt}@example.com", "wrong", ip="10.9.9.9")

    blocked = sign_in(client, "alice@example.com", PASSWORD, ip="10.9.9.9")
    assert blocked.status_code == 400
    assert SIGN_IN_BLOCKED in text(blocked)
    assert not signed_in(client)
    alice.refresh_from_db()
    assert alice.last_login is None

    elsewhere = sign_in(client, "alice@example.com", PASSWORD, ip="10.8.8.8")
    assert elsewhere.status_code == 302
    assert signed_in(client)


def test_it_does_not_throttle_below_the_limit(client, alice, settings):
    for attempt in range(settings.SIGN_IN_MAX_FAILURES - 1):
        sign_in(client, "alice@example.com", f"wrong {attempt}")

    response = sign_in(client, "alice@example.com", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_resets_the_account_count(client, alice, settings):
    for attempt in range(settings.SIGN_IN_MAX_FAILURES - 1):
        sign_in(client, "alice@example.com", "wrong", ip=f"10.1.0.{attempt}")
    sign_in(client, "alice@example.com", PASSWORD, ip="10.2.0.1")
    client.logout()

    sign_in(client, "alice@example.com", "wrong", ip="10.3.0.1")
    response = sign_in(client, "alice@example.com", PASSWORD, ip="10.4.0.1")

    assert response.status_code == 302


def test_it_honours_next(client, alice):
    response = sign_in(client, "alice@example.com", PASSWORD, next="/w/acme/members/")

    assert response.status_code == 302
    assert response.url == "/w/acme/members/"


def test_it_keeps_next_after_a_failed_attempt(client, alice):
    client.get(SIGN_IN + "?next=/w/acme/members/")
    failed = sign_in(client, "alice@example.com", "wrong", next="/w/acme/members/")

    assert 'name="next" value="/w/acme/members/"' in text(failed)


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/phish", "http://testserver.evil.example/"],
)
def test_it_refuses_to_redirect_off_site(client, alice, next_url):
    response = sign_in(client, "alice@example.com", PASSWORD, next=next_url)

    assert response.status_code == 302
    assert response.url == reverse("workspaces:home")


def test_a_signed_in_visitor_is_sent_on(alice_client):
    response = alice_client.get(SIGN_IN + "?next=/w/acme/settings/")

    assert response.status_code == 302
    assert response.url == "/w/acme/settings/"
