import re

from django.core import mail
from django.urls import reverse

from tests.accounts.html import text

RESET = reverse("accounts:password-reset")
NEW_PASSWORD = "quiet orange harbour 7"


def reset_link(message) -> str:
    match = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_it_emails_a_reset_link(client, alice):
    response = client.post(RESET, {"email": "Alice@Example.com"})

    assert response.status_code == 302
    assert response.url == reverse("accounts:password-reset-sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "Reset your PromptOps password" in mail.outbox[0].subject
    assert reset_link(mail.outbox[0])


def test_the_link_lets_the_person_choose_a_new_password(client, alice):
    client.post(RESET, {"email": "alice@example.com"})

    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    assert "Choose a new password" in text(form_page)
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done.url == reverse("accounts:password-reset-complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_the_link_works_once(client, alice):
    client.post(RESET, {"email": "alice@example.com"})
    link = reset_link(mail.outbox[0])
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert "This link has expired" in text(again)


def test_an_unknown_email_sees_the_same_check_your_email_page(client, alice):
    known = client.post(RESET, {"email": "alice@example.com"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.com"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert "Check your email" in text(unknown)
    assert text(known) == text(unknown)
    assert len(mail.outbox) == 1


def test_resetting_the_password_lifts_the_sign_in_block(client, alice, settings):
    settings.SIGN_IN_MAX_FAILURES = 2
    sign_in = reverse("accounts:sign-in")
    for n in range(2):
        client.post(
            sign_in, {"email": "alice@example.com", "password": "wrong"}, REMOTE_ADDR=f"10.0.0.{n}"
        )
    blocked = client.post(
        sign_in, {"email": "alice@example.com", "password": "x"}, REMOTE_ADDR="10.0.1.1"
    )
    assert "or reset your password" in text(blocked)

    client.post(RESET, {"email": "alice@example.com"})
    set_password_url = client.get(reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = client.post(
        sign_in, {"email": "alice@example.com", "password": NEW_PASSWORD}, REMOTE_ADDR="10.0.2.1"
    )

    assert response.status_code == 302
    assert "_auth_user_id" in client.session
