"""Paging the prompt list in the browser: Next and Previous swap the results in place, the address
bar keeps the position (a link that reopens the same prompts), and Back returns to the page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import field
from tests.factories import PASSWORD, MembershipFactory, UserFactory, WorkspaceFactory
from tests.promptregistry.factories import make_folder, make_prompt
from workspaces.roles import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def sixty_prompts(transactional_db):
    acme = WorkspaceFactory(name="Acme Support", slug="acme")
    vera = UserFactory(email="vera@example.com", name="Vera Viewer")
    MembershipFactory(workspace=acme, user=vera, role=Role.VIEWER)
    make_folder(acme, "support")
    for n in range(60):
        make_prompt(acme, f"p{n:02}", text="Hello {{name}}")
    return acme


def sign_in(page, email: str) -> None:
    page.goto("/accounts/sign-in/")
    field(page, "Email").fill(email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*sign-in)"))


def names(page) -> list[str]:
    return page.locator("#results tbody a.cell-title").all_inner_texts()


@pytest.mark.parametrize("width", [1440, 390])
def test_paging_keeps_the_position_in_the_address_and_back_returns(
    new_context, sixty_prompts, width
):
    page = new_context(width=width)
    sign_in(page, "vera@example.com")
    page.goto("/w/acme/prompts/")
    assert names(page)[:2] == ["support", "p00"]

    page.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("26–50 of 60")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/w/acme/prompts/\?after=p24$"))
    assert names(page)[0] == "p25"
    assert page.evaluate("window.scrollY") == 0  # like a new page: the top, not the old footer

    page.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("51–60 of 60")).to_be_visible()
    page.reload()  # the address alone brings the same prompts back
    assert names(page) == [f"p{n:02}" for n in range(50, 60)]

    page.go_back()
    expect(page.get_by_text("26–50 of 60")).to_be_visible()
    page.get_by_role("link", name="← Previous").click()
    expect(page.get_by_text("1–25 of 60")).to_be_visible()
    assert names(page)[0] == "support"  # the folders head the first page again
