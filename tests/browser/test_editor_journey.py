"""The editor as an editor uses it: typing, sample values, the live preview, saving, and a
draft that survives leaving the page."""

import re

import pytest
from playwright.sync_api import expect

from promptregistry.models import Draft
from tests.browser.conftest import field, screenshot
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory
from tests.promptregistry.factories import make_prompt
from workspaces.roles import Role

pytestmark = pytest.mark.browser

EDIT = "/w/acme/p/support/weather/-/edit/"


@pytest.fixture
def weather(transactional_db):
    acme = WorkspaceFactory(name="Acme Support", slug="acme")
    bob = UserFactory(email="bob@example.com", name="Bob Editor")
    MembershipFactory(workspace=acme, user=bob, role=Role.EDITOR)
    return make_prompt(
        acme,
        "support/weather",
        messages=[
            {"role": "system", "content": "You are a cheerful weather assistant."},
            {"role": "user", "content": "Hello!"},
        ],
        by=bob,
    )


def sign_in(page) -> None:
    page.goto("/accounts/sign-in/")
    field(page, "Email").fill("bob@example.com")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/w/acme/$"))


def test_an_editor_writes_previews_and_saves_a_new_version(new_context, weather):
    page = new_context()
    sign_in(page)
    page.goto(EDIT)
    expect(page.get_by_role("heading", name="Edit weather")).to_be_visible()

    # Typing a variable highlights it and adds it to the Variables panel.
    message = page.get_by_label("Text of message 2")
    message.click()
    message.press("End")
    message.press_sequentially(" What's the weather in {{city}}?")
    variables = page.locator("#editor-variables")
    expect(variables.get_by_label("city")).to_be_visible()
    expect(page.locator("#m-1-mirror mark.highlight-variable")).to_have_text("{{city}}")

    # A sample value shows up in the live preview.
    preview = page.locator("#editor-preview")
    expect(preview).to_contain_text("Waiting for sample values")
    variables.get_by_label("city").fill("Lisbon")
    expect(preview).to_contain_text("Hello! What's the weather in Lisbon?")
    expect(preview).not_to_contain_text("Waiting for sample values")

    # Another message, added in the page; it is the assistant's turn.
    page.get_by_role("button", name="Add message").click()
    expect(page.get_by_label("Role of message 3")).to_have_value("assistant")
    page.get_by_label("Text of message 3").fill("Sunny and 24°C in {{city}}!")
    expect(preview).to_contain_text("Sunny and 24°C in Lisbon!")
    screenshot(page, "editor-typing")

    field(page, "What changed?").fill("Ask about a city")
    page.get_by_role("button", name="Save version 2").click()

    expect(page).to_have_url(re.compile(r"/w/acme/p/support/weather/$"))
    expect(page.get_by_text("Saved version 2.")).to_be_visible()
    version = weather.versions.get(number=2)
    assert version.commit_message == "Ask about a city"
    assert version.content["messages"][2] == {
        "role": "assistant",
        "content": "Sunny and 24°C in {{city}}!",
    }
    assert not Draft.objects.filter(prompt=weather).exists()


def test_leaving_with_unsaved_changes_warns_and_keeps_a_draft(new_context, weather):
    page = new_context()
    sign_in(page)
    page.goto(EDIT)
    message = page.get_by_label("Text of message 1")
    message.fill("You are a grumpy weather assistant.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)

    # Leaving asks first; going anyway keeps the server draft.
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", accept)
    page.goto("/w/acme/prompts/")
    assert dialogs == ["beforeunload"]

    page.goto(EDIT)
    expect(page.get_by_text("Restored your unsaved changes from")).to_be_visible()
    expect(page.get_by_label("Text of message 1")).to_have_value(
        "You are a grumpy weather assistant."
    )
    screenshot(page, "editor-restored")

    # Discard (after confirming) goes back to the saved version.
    page.get_by_role("button", name="Discard").click()
    expect(page.get_by_text("Discarded your unsaved changes.")).to_be_visible()
    expect(page.get_by_label("Text of message 1")).to_have_value(
        "You are a cheerful weather assistant."
    )
    assert not Draft.objects.filter(prompt=weather).exists()


def test_the_editor_fits_a_phone(new_context, weather):
    page = new_context(width=390)
    sign_in(page)
    page.goto(EDIT)

    expect(page.get_by_role("heading", name="Edit weather")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # One column at a time: the messages first, the variables and preview a tap away.
    expect(page.locator("#editor-blocks")).to_be_visible()
    expect(page.locator("#editor-variables")).to_be_hidden()
    page.get_by_text("Variables & preview").click()
    expect(page.locator("#editor-variables")).to_be_visible()
    expect(page.locator("#editor-blocks")).to_be_hidden()
    page.get_by_text("Messages & settings").click()
    screenshot(page, "editor")
