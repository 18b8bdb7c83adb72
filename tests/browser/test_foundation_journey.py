"""The foundation journey, as people do it in the browser: clicks and typing only.

The one URL typed by hand is the invitation link, read from the email the server sent
(and, on purpose, the API keys page an editor tries to open directly, to see the 403).
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import field, screenshot
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

OWNER_PASSWORD = "violet-teapot-orbit-93"
INVITEE_PASSWORD = "quiet-harbor-lantern-57"
INVITE_LINK = re.compile(r"https?://\S+/invitations/[^/\s]+/")


def nav(page):
    return page.get_by_role("navigation", name="Workspace")


def test_first_person_invites_a_second_who_sees_the_role_limits(new_context, live_server):
    owner = new_context()

    # An empty install: the first account is created from the sign-up page.
    owner.goto("/accounts/sign-up/")
    expect(owner.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(owner.get_by_text("This is the first account on this PromptOps server")).to_be_visible()
    field(owner, "Name").fill("Olivia Owner")
    field(owner, "Email").fill("owner@example.com")
    field(owner, "Password").fill(OWNER_PASSWORD)
    owner.get_by_role("button", name="Create account").click()

    # Straight to creating a workspace; the address is derived from the name.
    expect(owner.get_by_role("heading", name="New workspace")).to_be_visible()
    field(owner, "Name").fill("Support Bot")
    owner.get_by_role("button", name="Create workspace").click()
    expect(owner).to_have_url(re.compile(r"/w/support-bot/$"))
    expect(owner.get_by_role("heading", name="Support Bot", level=1)).to_be_visible()
    expect(owner.get_by_text("Workspace “Support Bot” is ready")).to_be_visible()
    expect(owner.get_by_text("You are owner here")).to_be_visible()

    # Invite a second person as editor.
    nav(owner).get_by_role("link", name="Invitations").click()
    expect(owner.get_by_role("heading", name="Invitations", level=1)).to_be_visible()
    field(owner, "Email").fill("second@example.com")
    field(owner, "Role").select_option(label="Editor")
    owner.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_text("Invitation sent to second@example.com.")).to_be_visible()
    pending = owner.get_by_role("row").filter(has_text="second@example.com")
    expect(pending).to_contain_text("Editor")
    expect(pending).to_contain_text("Pending")

    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    email = mail.outbox[0]
    assert email.to == ["second@example.com"]
    match = INVITE_LINK.search(email.body)
    assert match, email.body
    link = match.group(0)
    assert link.startswith(live_server.url)

    # The invitee, in a browser of their own, opens the link and creates their account.
    invitee = new_context()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join Support Bot")).to_be_visible()
    expect(field(invitee, "Email")).to_have_value("second@example.com")
    expect(field(invitee, "Email")).to_be_disabled()
    field(invitee, "Name").fill("Sam Second")
    field(invitee, "Password").fill(INVITEE_PASSWORD)
    invitee.get_by_role("button", name="Create account and join").click()

    expect(invitee).to_have_url(re.compile(r"/w/support-bot/$"))
    expect(invitee.get_by_text("You joined as editor")).to_be_visible()
    expect(invitee.get_by_text("You are editor here")).to_be_visible()
    # Role limits: an editor sees the members but not keys, invitations or the audit log.
    expect(nav(invitee).get_by_role("link", name="Members")).to_be_visible()
    for hidden in ("API keys", "Audit log", "Invitations"):
        expect(nav(invitee).get_by_role("link", name=hidden)).to_have_count(0)
    expect(invitee.get_by_role("link", name="Invite people")).to_have_count(0)
    response = invitee.goto("/w/support-bot/api-keys/")
    assert response is not None and response.status == 403
    expect(invitee.get_by_role("heading", name="You don't have access")).to_be_visible()
    expect(invitee.get_by_text("Your role (editor) may not do this here.")).to_be_visible()
    screenshot(invitee, "forbidden")
    invitee.get_by_role("link", name="Back to Support Bot").click()
    expect(invitee).to_have_url(re.compile(r"/w/support-bot/$"))

    # The owner sees the new member and makes them a viewer (htmx swaps the row).
    nav(owner).get_by_role("link", name="Members").click()
    row = owner.locator("tr").filter(has_text="second@example.com")
    expect(row).to_contain_text("Sam Second")
    role_select = field(owner, "Role of second@example.com")
    expect(role_select).to_have_value("editor")
    with owner.expect_response(re.compile(r"/members/\d+/role/$")) as swap:
        role_select.select_option(label="Viewer")
    assert swap.value.status == 200
    assert swap.value.request.headers.get("hx-request") == "true"
    expect(field(owner, "Role of second@example.com")).to_have_value("viewer")
    expect(row.locator(".errorlist")).to_have_count(0)
    owner.reload()
    expect(field(owner, "Role of second@example.com")).to_have_value("viewer")
    expect(field(owner, "Role of second@example.com").locator("option:checked")).to_have_text(
        "Viewer"
    )

    # The invitee's next page reflects the new role.
    invitee.reload()
    expect(invitee.get_by_text("You are viewer here")).to_be_visible()

    # An API key: the secret is shown once, then never again.
    nav(owner).get_by_role("link", name="API keys").click()
    expect(owner.get_by_text("No API keys yet")).to_be_visible()
    field(owner, "Name").fill("support-bot prod")
    owner.get_by_role("button", name="Create key").click()
    expect(owner.get_by_role("heading", name="Copy your new key now")).to_be_visible()
    secret = owner.locator("#new-secret-key").inner_text().strip()
    public = owner.locator("#new-public-key").inner_text().strip()
    assert secret.startswith("sk-") and len(secret) > 20, secret
    assert public.startswith("pk-"), public
    expect(owner.get_by_role("row").filter(has_text="support-bot prod")).to_contain_text("Viewer")
    nav(owner).get_by_role("link", name="API keys").click()  # come back later
    expect(owner.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    expect(owner.get_by_role("heading", name="Copy your new key now")).to_have_count(0)
    assert secret not in owner.content()
    expect(owner.get_by_role("row").filter(has_text="support-bot prod")).to_be_visible()

    # The audit log tells the story so far.
    nav(owner).get_by_role("link", name="Audit log").click()
    expect(owner.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    log = owner.locator("main table")
    for sentence in (  # the log reads as sentences, not action codes
        "created the workspace",
        "invited second@example.com",
        "joined the workspace",
        "changed the role of second@example.com",
        "created the API key",
    ):
        expect(log.get_by_text(sentence).first).to_be_visible()
    expect(log.locator("code", has_text="workspace.create")).to_have_count(0)

    # Sign out.
    owner.get_by_role("button", name="Sign out").click()
    expect(owner.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(owner.get_by_text("You have signed out.")).to_be_visible()
    owner.get_by_role("link", name="Forgot your password?").wait_for()
    owner.go_back()  # the browser's back button doesn't bring the workspace back
    owner.reload()
    expect(owner.get_by_role("heading", name="Sign in")).to_be_visible()


def test_wrong_password_shows_the_error_and_keeps_the_email(page):
    UserFactory(email="known@example.com", name="Known Person")
    page.goto("/accounts/sign-in/")
    field(page, "Email").fill("known@example.com")
    field(page, "Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    form = page.locator("form.form")
    error = form.get_by_role("alert")
    expect(error).to_contain_text("That email and password don't match an account.")
    expect(field(page, "Email")).to_have_value("known@example.com")
    expect(field(page, "Password")).to_have_value("")
    screenshot(page, "sign-in-error")

    # And the right password then works.
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Create your first workspace")).to_be_visible()
