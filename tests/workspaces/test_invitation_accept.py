from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.accounts.html import field_error, text, words
from tests.factories import PASSWORD, UserFactory
from tests.workspaces.invitations import invite
from workspaces.models import AuditEvent, Invitation, Membership
from workspaces.roles import Role

NEW_PASSWORD = "amber fjord 88 window"


@pytest.fixture
def link(adam_client, django_capture_on_commit_callbacks):
    """adam invited nora@example.com as a viewer."""
    _, link = invite(adam_client, django_capture_on_commit_callbacks, "nora@example.com", "viewer")
    return link


@pytest.fixture
def nora(db):
    return UserFactory(email="nora@example.com", name="Nora Existing")


def membership_of(email: str) -> Membership | None:
    return Membership.objects.filter(user__email=email, workspace__slug="acme").first()


def test_a_new_person_creates_an_account_and_joins(client, link):
    page = client.get(link)
    assert page.status_code == 200
    assert "Create your account to accept" in text(page)
    assert "nora@example.com" in text(page)

    response = client.post(link, {"name": "Nora New", "password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.url == "/w/acme/"
    user = User.objects.get(email="nora@example.com")
    assert user.name == "Nora New"
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff
    assert membership_of("nora@example.com").role == Role.VIEWER
    assert Invitation.objects.get().status == "accepted"
    assert Invitation.objects.get().accepted_by == user
    assert AuditEvent.objects.get(action="member.join").data["after"] == {"role": "viewer"}
    landing = client.get(response.url)
    assert landing.status_code == 200
    assert "You joined as viewer" in text(landing)


def test_the_new_account_takes_the_invited_email_whatever_is_posted(client, link):
    client.post(
        link, {"name": "Nora New", "email": "mallory@example.com", "password": NEW_PASSWORD}
    )

    assert not User.objects.filter(email="mallory@example.com").exists()
    assert membership_of("nora@example.com")


def test_a_new_person_sees_password_errors_next_to_the_field(client, link):
    response = client.post(link, {"name": "Nora New", "password": "123"})

    assert response.status_code == 400
    assert "too short" in field_error(response, "password")
    assert not User.objects.filter(email="nora@example.com").exists()
    assert Invitation.objects.get().status == "pending"
    assert not AuditEvent.objects.filter(action="member.join").exists()
    assert "_auth_user_id" not in client.session


def test_an_existing_account_is_asked_to_sign_in(client, nora, link):
    page = client.get(link)

    assert page.status_code == 200
    assert "Sign in to accept" in text(page)
    assert f"{reverse('accounts:sign-in')}?next={link}" in text(page)

    posted = client.post(link, {"name": "Intruder", "password": NEW_PASSWORD})
    assert posted.status_code == 200
    assert membership_of("nora@example.com") is None
    nora.refresh_from_db()
    assert nora.check_password(PASSWORD)


def test_an_existing_account_joins_after_signing_in(client, nora, link):
    signed_in = client.post(
        reverse("accounts:sign-in"),
        {"email": "nora@example.com", "password": PASSWORD, "next": link},
    )
    assert signed_in.url == link
    page = client.get(link)
    assert "Accept and join" in text(page)

    response = client.post(link)

    assert response.status_code == 302
    assert response.url == "/w/acme/"
    assert membership_of("nora@example.com").role == Role.VIEWER


def test_someone_signed_in_as_another_email_is_told_to_switch(bob_client, link):
    page = bob_client.get(link)
    posted = bob_client.post(link)

    assert page.status_code == posted.status_code == 403
    assert (
        "You are signed in as bob@example.com, but this invitation is for nora@example.com"
        in words(page)
    )
    assert "Sign out" in text(page)
    assert membership_of("nora@example.com") is None
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.accepted_by) == ("pending", None)
    assert not AuditEvent.objects.filter(action="member.join").exists()


def test_the_link_works_once(client, link):
    client.post(link, {"name": "Nora New", "password": NEW_PASSWORD})
    client.logout()

    again = client.get(link)
    posted_again = client.post(link, {"name": "Nora Again", "password": "other fjord 77 lantern"})

    assert again.status_code == posted_again.status_code == 404
    assert "This invitation link doesn't work" in text(again)
    nora = User.objects.get(email="nora@example.com")
    assert nora.name == "Nora New"
    assert nora.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="member.join").count() == 1
    assert "_auth_user_id" not in client.session


def test_an_expired_link_is_refused(client, nora, client_for, link):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    anonymous = client.get(link)
    signed_in = client_for(nora).post(link)

    assert anonymous.status_code == signed_in.status_code == 404
    assert "expired" in text(anonymous)
    assert membership_of("nora@example.com") is None
    assert Invitation.objects.get().accepted_at is None
    assert not AuditEvent.objects.filter(action="member.join").exists()


def test_a_made_up_token_is_refused(client, db):
    response = client.get("/invitations/not-a-real-token/")

    assert response.status_code == 404
    assert "This invitation link doesn't work" in text(response)
