import pytest
from django.urls import reverse

from accounts.models import User
from tests.accounts.html import field_error, field_html, text
from tests.factories import PASSWORD, UserFactory

SIGN_UP = reverse("accounts:sign-up")
GOOD = {
    "name": "Olivia Operator",
    "email": "olivia@example.com",
    "password": "plum tree 42 lantern",
}


@pytest.fixture
def someone(db):
    return UserFactory(email="first@example.com")


def test_the_first_account_on_an_empty_install_becomes_staff(client, db):
    page = client.get(SIGN_UP)
    assert page.status_code == 200
    assert "first account" in text(page)

    response = client.post(SIGN_UP, GOOD)

    assert response.status_code == 302
    assert response.url == reverse("workspaces:create")
    user = User.objects.get()
    assert user.email == "olivia@example.com"
    assert user.name == "Olivia Operator"
    assert user.is_staff
    assert user.check_password(GOOD["password"])
    assert "_auth_user_id" in client.session


def test_it_refuses_a_second_sign_up_when_invite_only(client, someone, settings):
    settings.PROMPTOPS_SIGNUP = "invite-only"

    page = client.get(SIGN_UP)
    posted = client.post(SIGN_UP, GOOD)

    assert page.status_code == posted.status_code == 403
    assert "Accounts are by invitation" in text(page)
    assert "invite you" in text(page)
    assert list(User.objects.values_list("email", flat=True)) == ["first@example.com"]
    assert "_auth_user_id" not in client.session


def test_it_hides_the_sign_up_link_when_invite_only(client, someone):
    response = client.get(reverse("accounts:sign-in"))

    assert SIGN_UP not in text(response)
    assert "by invitation" in text(response)


def test_it_allows_sign_up_when_open(client, someone, settings):
    settings.PROMPTOPS_SIGNUP = "open"

    response = client.post(SIGN_UP, GOOD)

    assert response.status_code == 302
    user = User.objects.get(email="olivia@example.com")
    assert not user.is_staff
    assert not user.is_superuser


def test_it_keeps_what_was_typed_when_the_form_has_errors(client, db):
    response = client.post(SIGN_UP, {**GOOD, "email": "not-an-email"})

    assert response.status_code == 400
    assert 'value="Olivia Operator"' in field_html(response, "name")
    assert 'value="not-an-email"' in field_html(response, "email")
    assert field_error(response, "email") == "Enter a valid email address."
    assert not User.objects.exists()


def test_it_shows_password_rules_next_to_the_password(client, db):
    response = client.post(SIGN_UP, {**GOOD, "password": "password"})

    assert response.status_code == 400
    assert "too common" in field_error(response, "password")
    assert field_error(response, "name") == ""
    assert not User.objects.exists()


def test_it_refuses_a_password_like_the_email(client, db):
    response = client.post(SIGN_UP, {**GOOD, "password": "olivia@example.com"})

    assert response.status_code == 400
    assert "too similar" in field_error(response, "password")
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_it_refuses_an_email_that_already_has_an_account(client, someone, settings):
    settings.PROMPTOPS_SIGNUP = "open"

    response = client.post(SIGN_UP, {**GOOD, "email": "FIRST@example.com"})

    assert response.status_code == 400
    assert "already exists" in field_error(response, "email")
    existing = User.objects.get()
    assert (existing.email, existing.name) == ("first@example.com", someone.name)
    assert existing.check_password(PASSWORD)
    assert "_auth_user_id" not in client.session
