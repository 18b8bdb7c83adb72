"""The registry journey, as an editor and an admin do it in the browser: clicks and typing only.

Bob (editor) creates a folder, a snippet and a chat prompt with two variables that uses the
snippet, previews it in the editor, saves two more versions, reads the diff, comments, sets
`staging`, is refused `production`, Adam (admin, his own browser) releases it, Bob rolls back
by restoring an older version, and an application fetches the prompt through the API.
"""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import field, screenshot
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory, api_key_for
from workspaces.roles import Role

pytestmark = pytest.mark.browser

P = "/w/acme/p/support/triage/-/"


@pytest.fixture
def team(transactional_db):
    acme = WorkspaceFactory(name="Acme Support", slug="acme")
    bob = UserFactory(email="bob@example.com", name="Bob Editor")
    adam = UserFactory(email="adam@example.com", name="Adam Admin")
    MembershipFactory(workspace=acme, user=bob, role=Role.EDITOR)
    MembershipFactory(workspace=acme, user=adam, role=Role.ADMIN)
    return acme


def sign_in(page, email: str) -> None:
    page.goto("/accounts/sign-in/")
    field(page, "Email").fill(email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def tabs(page):
    return page.get_by_role("navigation", name="Prompt sections")


def save_version(page, message: str, number: int) -> None:
    field(page, "What changed?").fill(message)
    page.get_by_role("button", name=f"Save version {number}").click()
    expect(page.get_by_text(f"Saved version {number}.")).to_be_visible()


def test_an_editor_writes_compares_comments_and_releases_a_prompt(new_context, live_server, team):
    bob = new_context()
    sign_in(bob, "bob@example.com")

    # A folder for the support bot's prompts.
    bob.goto("/w/acme/prompts/")
    bob.locator(".page-actions").get_by_role("link", name="New folder").click()
    field(bob, "Name").fill("support")
    bob.get_by_role("button", name="Create folder").click()
    expect(bob.get_by_role("heading", name="support", level=1)).to_be_visible()

    # A snippet first: shared text other prompts include by name.
    bob.goto("/w/acme/prompts/")
    bob.locator(".page-actions").get_by_role("link", name="New prompt").click()
    bob.get_by_role("radio", name=re.compile("Snippet")).check()
    field(bob, "Name").fill("tone")
    field(bob, "Text").fill("Be warm and concise.")
    bob.get_by_role("button", name="Create prompt").click()
    expect(bob.get_by_text("“tone” is saved as version 1.")).to_be_visible()

    # The chat prompt, in the folder, with two variables and the snippet.
    bob.goto("/w/acme/folders/support/")
    bob.locator(".page-actions").get_by_role("link", name="New prompt").click()
    field(bob, "Name").fill("triage")
    field(bob, "System message").fill("You help customers of {{company}}. {{> tone}}")
    field(bob, "User message").fill("{{question}}")
    bob.get_by_role("button", name="Create prompt").click()
    expect(bob.get_by_text("“support/triage” is saved as version 1.")).to_be_visible()

    # The editor previews it with sample values, the snippet resolved.
    tabs(bob).get_by_role("link", name="Edit").click()
    expect(bob.get_by_role("heading", name="Edit triage")).to_be_visible()
    bob.locator("#var-company").fill("Acme")
    bob.locator("#var-question").fill("Where is my parcel?")
    preview = bob.locator("#editor-preview")
    expect(preview).to_contain_text("You help customers of Acme.")
    expect(preview).to_contain_text("Be warm and concise.")
    expect(preview).to_contain_text("Where is my parcel?")
    screenshot(bob, "registry-editor")

    # Two more versions.
    bob.locator("#m-0-content").fill("You help customers of {{company}} politely. {{> tone}}")
    save_version(bob, "Politer", 2)
    tabs(bob).get_by_role("link", name="Edit").click()
    bob.locator("#m-0-content").fill(
        "You help customers of {{company}} politely, in under 100 words. {{> tone}}"
    )
    save_version(bob, "Shorter answers", 3)

    # The history lists them; the diff shows what changed word by word.
    tabs(bob).get_by_role("link", name=re.compile("History")).click()
    versions = bob.locator(".version-list > li")
    expect(versions).to_have_count(3)
    expect(versions.first).to_contain_text("Shorter answers")
    expect(versions.first).to_contain_text("Bob Editor")
    screenshot(bob, "registry-history")
    bob.get_by_role("link", name="Diff with v2").click()
    expect(bob.get_by_role("heading", name="Version 2 → version 3")).to_be_visible()
    expect(bob.locator("ins").first).to_have_text(", in under 100 words")
    bob.get_by_role("link", name="Inline", exact=True).click()
    expect(bob.locator("table.diff-inline").first).to_be_visible()
    screenshot(bob, "registry-diff")

    # A comment on version 3, in Markdown.
    bob.get_by_role("link", name="View version 3").click()
    field(bob, "Comment").fill("Tested with **20 tickets**: ready for staging.")
    bob.get_by_role("button", name="Post comment").click()
    expect(bob.get_by_text("Comment posted.")).to_be_visible()
    expect(bob.locator("#comments strong", has_text="20 tickets")).to_be_visible()

    # staging, from the version page.
    bob.get_by_label("Label to move to version 3").select_option("staging")
    bob.get_by_role("button", name="Move label here").click()
    expect(bob.get_by_text("“staging” now points at version 3.")).to_be_visible()

    # production is protected: the editor is told why.
    tabs(bob).get_by_role("link", name="Labels").click()
    field(bob, "Label").fill("production")
    field(bob, "Version").select_option("3")
    bob.get_by_role("button", name="Set label").click()
    expect(bob.get_by_role("alert")).to_contain_text("The label wasn't moved.")
    expect(bob.get_by_role("alert")).to_contain_text("only admins and owners can move it")
    expect(field(bob, "Label")).to_have_value("production")

    # The admin, in a browser of their own, releases version 3.
    adam = new_context()
    sign_in(adam, "adam@example.com")
    adam.goto(P + "labels/")
    field(adam, "Label").fill("production")
    field(adam, "Version").select_option("3")
    adam.get_by_role("button", name="Set label").click()
    expect(adam.get_by_text("“production” now points at version 3.")).to_be_visible()
    labels = adam.locator("#label-production")
    expect(labels).to_contain_text("Version 3")
    expect(labels).to_contain_text("adam@example.com")
    screenshot(adam, "registry-labels")

    # Roll back: Bob restores version 1 as a new version 4.
    bob.goto(P + "history/")
    bob.locator("#v1").get_by_role("link", name="Restore…").click()
    expect(bob.get_by_role("heading", name="Restore version 1?")).to_be_visible()
    bob.get_by_role("button", name="Restore version 1").click()
    expect(bob.get_by_text("Version 4 saved with the content of version 1.")).to_be_visible()
    expect(bob.get_by_text("Restored from version 1")).to_be_visible()

    # An application fetches it with an API key: production is version 3, latest version 4.
    _, secret = api_key_for(team, Role.VIEWER, name="support bot")
    auth = {"Authorization": f"Bearer {secret}"}
    rendered = requests.post(
        f"{live_server.url}/api/v1/prompts/support/triage/render",
        json={"variables": {"company": "Acme", "question": "Hi"}},
        headers=auth,
        timeout=10,
    )
    assert rendered.status_code == 200, rendered.text
    body = rendered.json()
    assert body["version"] == 3 and body["label"] == "production"
    assert body["messages"][0]["content"] == (
        "You help customers of Acme politely, in under 100 words. Be warm and concise."
    )
    latest = requests.post(
        f"{live_server.url}/api/v1/prompts/support/triage/render",
        json={"variables": {"company": "Acme", "question": "Hi"}, "label": "latest"},
        headers=auth,
        timeout=10,
    ).json()
    assert latest["version"] == 4
    assert latest["messages"][0]["content"] == "You help customers of Acme. Be warm and concise."

    # The Langfuse-compatible endpoint answers the same question.
    langfuse = requests.get(
        f"{live_server.url}/api/public/v2/prompts/support%2Ftriage",
        params={"label": "staging"},
        headers=auth,
        timeout=10,
    )
    assert langfuse.status_code == 200, langfuse.text
    assert langfuse.json()["version"] == 3
