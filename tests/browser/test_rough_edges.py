"""Issue #8's rough edges as a person meets them, at 1440 and 390 pixels: the editor (phone
switch, unclosed-tag warning, size limits), the API key shown once, the audit log in words.

Screenshots: test-artifacts/screenshots/rough-*-<width>.png.
"""

import re

import pytest
from playwright.sync_api import expect

from promptregistry import services as registry
from promptregistry.models import Draft, PromptVersion
from tests.browser.conftest import SCREENSHOTS, field, screenshot
from tests.browser.test_screenshots import OVERFLOW, WIDE_ELEMENTS
from tests.factories import PASSWORD
from tests.promptregistry.factories import make_prompt, principal_for
from workspaces import services
from workspaces.models import ApiKey

pytestmark = pytest.mark.browser

EDIT = "/w/acme/p/support/triage/-/edit/"


@pytest.fixture
def triage(acme, alice, bob, live_server):
    prompt = make_prompt(
        acme,
        "support/triage",
        messages=[
            {"role": "system", "content": "You triage support tickets for {{product}}."},
            {"role": "user", "content": "Ticket from {{customer}}:\n{{ticket}}"},
        ],
        by=bob,
        labels=["production"],
    )
    owner = principal_for(acme, alice)
    second = registry.prompt_version_create(
        principal=owner,
        prompt=prompt,
        version_content={
            "messages": [
                {"role": "system", "content": "You triage tickets for {{product}}. Be brief."},
                {"role": "user", "content": "Ticket from {{customer}}:\n{{ticket}}"},
            ]
        },
        commit_message="Be brief",
    )
    registry.label_move(principal=owner, prompt=prompt, name="staging", version=second)
    registry.label_move(principal=owner, prompt=prompt, name="production", version=second)
    services.api_key_create(principal=owner, name="support-bot production", role="viewer")
    return prompt


def sign_in(page, email: str = "alice@example.com") -> None:
    page.goto("/accounts/sign-in/")
    field(page, "Email").fill(email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/w/acme/$"))


def fits(page, name: str, problems: list[str]) -> None:
    if page.viewport_size["width"] <= 390 and not page.evaluate(OVERFLOW):
        problems.append(f"{name} scrolls sideways: {', '.join(page.evaluate(WIDE_ELEMENTS))}")
    screenshot(page, f"rough-{name}")


@pytest.mark.parametrize("width", [1440, 390])
def test_the_rough_edges_are_gone_at_desktop_and_phone_width(new_context, triage, width):
    page = new_context(width=width)
    problems: list[str] = []
    sign_in(page)

    # The editor: limits next to the messages, an unclosed tag is pointed out as you type.
    page.goto(EDIT)
    expect(page.get_by_text("Up to 200 messages of 200,000 characters each")).to_be_visible()
    message = page.get_by_label("Text of message 2")
    message.click()
    message.press("End")
    message.press_sequentially(" Reply to {{name")
    warning = page.locator("#m-1-error .editor-warning")
    expect(warning).to_contain_text("“{{name” is never closed")
    fits(page, "editor", problems)

    preview = page.locator("#editor-preview")
    if width <= 390:
        # One column at a time on a phone: the preview is a tap away, not below everything.
        expect(preview).to_be_hidden()
        page.get_by_text("Variables & preview").click()
        expect(preview).to_be_visible()
        expect(message).to_be_hidden()
        page.get_by_label("customer").fill("Dana")
        expect(preview).to_contain_text("Ticket from Dana")
        fits(page, "editor-preview", problems)
        page.get_by_text("Messages & settings").click()
        expect(message).to_be_visible()
    else:
        expect(preview).to_be_visible()

    # Saving what the newest version already holds is refused, with what was typed kept.
    Draft.objects.all().delete()  # start from version 2, not from the autosaved typing above
    page.goto(EDIT)
    page.once("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?" guard
    field(page, "What changed?").fill("Nothing, really")
    page.get_by_role("button", name="Save version 3").click()
    expect(page.get_by_text("Nothing changed since version 2")).to_be_visible()
    screenshot(page, "rough-editor-unchanged")
    assert PromptVersion.objects.filter(prompt=triage).count() == 2

    # API keys: the secret once, after a redirect; a reload shows it no more and adds no key.
    page.goto("/w/acme/api-keys/")
    field(page, "Name").fill("staging smoke tests")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Copy your new key now")).to_be_visible()
    expect(page.get_by_text("OpenAI")).to_have_count(0)
    fits(page, "api-keys-secret", problems)
    page.reload()
    expect(page.get_by_role("heading", name="Copy your new key now")).to_have_count(0)
    assert ApiKey.objects.filter(name="staging smoke tests").count() == 1
    fits(page, "api-keys", problems)

    # The audit log in sentences.
    page.goto("/w/acme/audit/")
    expect(page.get_by_text("pointed “production” of support/triage at version 2")).to_be_visible()
    expect(page.get_by_text("created the API key staging smoke tests", exact=False)).to_be_visible()
    expect(page.get_by_text("label.move")).to_have_count(0)
    fits(page, "audit", problems)

    assert not problems, "\n".join(problems)


def test_the_editor_says_when_it_holds_more_than_the_server_accepts(new_context, triage, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    page = new_context()
    sign_in(page)
    page.goto(EDIT)
    message = page.get_by_label("Text of message 2")

    message.fill("long ticket " * 2_500)  # 30,000 characters

    preview = page.locator("#editor-preview")
    expect(preview).to_contain_text("The preview couldn't be updated")
    expect(preview).to_contain_text("Everything you typed is still here")
    field(page, "What changed?").fill("Paste the whole ticket")
    page.get_by_role("button", name="Save version 3").click()
    problem = page.locator("#editor-size-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text(re.compile(r"Not sent: the editor holds 3\d KB, and PromptOps"))
    expect(problem).to_contain_text("accepts at most 20 KB at once")
    expect(page).to_have_url(re.compile(re.escape(EDIT) + "$"))
    assert message.input_value().startswith("long ticket long ticket")
    assert PromptVersion.objects.filter(prompt=triage).count() == 2
    # The page is 30,000 characters long: the part that matters, not the whole of it.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "rough-editor-too-big-1440.png"))
