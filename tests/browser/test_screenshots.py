"""Screenshots of the main pages at desktop and phone widths, for people to look at.

Saved under test-artifacts/screenshots/. The assertions are deliberately few: every page
loads, and nothing makes the page scroll sideways on a 390px phone.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import field, screenshot
from tests.factories import PASSWORD, MembershipFactory, UserFactory, api_key_for
from workspaces import services
from workspaces.models import Membership
from workspaces.principal import Principal
from workspaces.roles import Role

pytestmark = pytest.mark.browser

OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth + 1"


@pytest.fixture
def populated(acme, alice, adam, bob, vera, live_server):
    """Acme with five members, open invitations, a couple of keys and some history."""
    owner = Principal.for_membership(Membership.objects.get(workspace=acme, user=alice))
    for email, role in [("nadia.newhire@example.com", Role.EDITOR), ("ops@example.com", "viewer")]:
        services.invitation_create(
            principal=owner, email=email, role=role, site_url=live_server.url + "/"
        )
    services.api_key_create(principal=owner, name="support-bot production", role=Role.VIEWER)
    services.api_key_create(principal=owner, name="github-actions eval", role=Role.EDITOR)
    revoked, _ = api_key_for(acme, role=Role.VIEWER, name="old laptop")
    services.api_key_revoke(principal=owner, api_key=revoked)
    priya = MembershipFactory(
        workspace=acme,
        user=UserFactory(email="priya.patel@example.com", name="Priya Patel"),
        role=Role.VIEWER,
    )
    services.membership_change_role(principal=owner, membership=priya, role=Role.EDITOR)
    return acme


# What sticks out past the right edge (deepest first). Content of a scrolling .table-wrap
# is fine unless it is absolutely positioned: that escapes the wrapper's clip.
WIDE_ELEMENTS = """() => {
  const limit = window.innerWidth + 1;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    const escapes = ["absolute", "fixed"].includes(getComputedStyle(el).position);
    if (box.right <= limit || box.width === 0 || (el.closest(".table-wrap") && !escapes)) continue;
    if ([...el.children].some((child) => child.getBoundingClientRect().right > limit)) continue;
    const classes = typeof el.className === "string" ? el.className.trim() : "";
    const name = el.tagName.toLowerCase() + (classes ? "." + classes.replace(/\\s+/g, ".") : "");
    out.push(`${name} (right edge ${Math.round(box.right)}px)`);
  }
  return [...new Set(out)].slice(0, 6);
}"""


def _check(page, response, name: str, problems: list[str], statuses=(200,)) -> None:
    """Status, sideways overflow on phones, then the screenshot (taken even when it fails)."""
    assert response is not None, name
    if response.status not in statuses:
        problems.append(f"{name}: HTTP {response.status}")
    width = page.viewport_size["width"]
    if width <= 390 and not page.evaluate(OVERFLOW):
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        culprits = ", ".join(page.evaluate(WIDE_ELEMENTS))
        problems.append(f"{name} is {scroll_width}px wide at {width}px: {culprits}")
    screenshot(page, name)


@pytest.mark.parametrize("width", [1440, 390])
def test_main_pages_at_desktop_and_phone_width(new_context, populated, width):
    page = new_context(width=width)
    problems: list[str] = []

    response = page.goto("/accounts/sign-in/")
    _check(page, response, "sign-in", problems)

    field(page, "Email").fill("alice@example.com")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/w/acme/$"))

    for name, path in [
        ("overview", "/w/acme/"),
        ("members", "/w/acme/members/"),
        ("invitations", "/w/acme/invitations/"),
        ("audit-log", "/w/acme/audit/"),
        ("settings", "/w/acme/settings/"),
    ]:
        _check(page, page.goto(path), name, problems)

    _check(page, page.goto("/w/acme/api-keys/"), "api-keys", problems)
    field(page, "Name").fill("staging smoke tests")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Copy your new key now")).to_be_visible()
    _check(page, navigation.value, "api-keys-created", problems)
    page.reload()  # post/redirect/get: a reload shows no secret and creates no second key
    expect(page.get_by_role("heading", name="Copy your new key now")).to_have_count(0)
    expect(page.get_by_role("cell", name="staging smoke tests", exact=True)).to_have_count(1)

    _check(page, page.goto("/w/acme/no-such-page/"), "not-found", problems, statuses=(404,))

    assert not problems, "\n".join(problems)
