import pytest
from tests.factories import PASSWORD
from tests.browser.conftest import field
pytestmark = pytest.mark.browser
def test_dbg(new_context, acme, alice, live_server):
    from workspaces import services
    from workspaces.models import Membership
    from workspaces.principal import Principal
    owner = Principal.for_membership(Membership.objects.get(user=alice))
    services.invitation_create(principal=owner, email="nadia.newhire@example.com", role="editor", site_url="http://x/")
    page = new_context(width=390)
    page.goto("/accounts/sign-in/")
    field(page, "Email").fill("alice@example.com")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/w/acme/invitations/")
    print(page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392).map(e => { const cs = getComputedStyle(e); return e.tagName + '.' + e.className + ' r=' + Math.round(e.getBoundingClientRect().right) + ' pos=' + cs.position + ' ov=' + cs.overflowX + ' clip=' + cs.contain }).slice(0, 30)"""))
