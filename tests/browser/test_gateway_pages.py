"""The gateway's pages as an operator sees them: models and providers (test connection in
place), the request log, one call (rating it), analytics; screenshots at 1440 and 390 px.

The workspace is a demo workspace filled by `manage.py seed_demo_completions` (generated
calls, marked as demo data), with real providers, models and an A/B split on a prompt.
"""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from gateway.models import Completion, Feedback, ModelAlias, Provider
from promptregistry import services as registry
from tests.browser.conftest import field, screenshot
from tests.browser.test_screenshots import OVERFLOW, WIDE_ELEMENTS
from tests.factories import PASSWORD, MembershipFactory, WorkspaceFactory
from tests.gateway.factories_completions import make_model, make_provider
from tests.promptregistry.factories import add_version, make_prompt, principal_for
from workspaces.roles import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(alice, fake_llm, live_server):
    workspace = WorkspaceFactory(name="Demo workspace", slug="demo")
    MembershipFactory(workspace=workspace, user=alice, role=Role.OWNER)
    openai = make_provider(workspace, name="OpenAI", api_key="sk-proj-4f1c9e2b7a5d8c3e6f0a1b2c")
    anthropic = make_provider(
        workspace, name="Anthropic", kind="anthropic", api_key="sk-ant-api03-9d8c7b6a5e4f3a2b"
    )
    local = make_provider(
        workspace,
        name="Local vLLM",
        kind="openai_compatible",
        base_url=fake_llm.openai_base_url,
        api_key="",
    )
    mini = make_model(
        openai,
        "gpt-4o-mini",
        display_name="GPT-4o mini",
        input_price_per_million=Decimal("0.15"),
        output_price_per_million=Decimal("0.6"),
        price_source="genai-prices",
        context_window=128000,
    )
    big = make_model(
        openai,
        "gpt-4o",
        display_name="GPT-4o",
        input_price_per_million=Decimal("2.5"),
        output_price_per_million=Decimal("10"),
        price_source="genai-prices",
        context_window=128000,
    )
    make_model(
        anthropic,
        "claude-3-5-haiku",
        upstream_name="claude-3-5-haiku-latest",
        display_name="Claude 3.5 Haiku",
        input_price_per_million=Decimal("0.8"),
        output_price_per_million=Decimal("4"),
        price_source="genai-prices",
        context_window=200000,
    )
    make_model(local, "llama-3.1-8b", upstream_name="local-demo", display_name="Llama 3.1 8B")
    ModelAlias.objects.create(workspace=workspace, name="fast", model=mini)
    ModelAlias.objects.create(workspace=workspace, name="smart", model=big, fallbacks=["fast"])

    owner = principal_for(workspace, alice)
    triage = make_prompt(workspace, "support/triage", by=alice, labels=["production"])
    better = add_version(triage, by=alice, message="Shorter instructions")
    registry.label_split(
        principal=owner, prompt=triage, name="production", version=better, percent=30
    )
    make_prompt(workspace, "onboarding/welcome-email", by=alice, labels=["production"])
    call_command("seed_demo_completions", "--workspace", "demo", "--days", "14", "--per-day", "90")
    return workspace


def _check(page, name: str, problems: list[str]) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # the sticky bar belongs at the top of the picture
    width = page.viewport_size["width"]
    if width <= 390 and not page.evaluate(OVERFLOW):
        culprits = ", ".join(page.evaluate(WIDE_ELEMENTS))
        problems.append(f"{name} scrolls sideways at {width}px: {culprits}")
    screenshot(page, name)


@pytest.mark.parametrize("width", [1440, 390])
def test_an_operator_checks_providers_reads_the_log_rates_a_call_and_reads_analytics(
    new_context, demo, width
):
    assert Completion.objects.filter(workspace=demo).count() > 500
    page = new_context(width=width)
    problems: list[str] = []
    page.goto("/accounts/sign-in/")
    field(page, "Email").fill("alice@example.com")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/w/"))

    # Models: keys show as hints only; "Test connection" answers in place.
    page.goto("/w/demo/providers/")
    expect(page.get_by_text("sk-…1b2c")).to_be_visible()
    assert "4f1c9e2b7a5d" not in page.content()
    local = page.locator(f"#provider-{Provider.objects.get(name='Local vLLM').pk}")
    local.get_by_role("button", name="Test connection").click()
    expect(local.get_by_text(re.compile(r"Connected in \d+ ms"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/w/demo/providers/$"))  # no page load
    _check(page, "gateway-providers", problems)

    # The log: newest first, filters swap the results in place.
    page.goto("/w/demo/logs/")
    expect(page.locator(".log-row").first).to_be_visible()
    _check(page, "gateway-logs", problems)
    page.get_by_label("Status").select_option("error")
    expect(page).to_have_url(re.compile(r"status=error"))
    expect(page.locator(".log-row-error").first).to_be_visible()
    assert page.locator(".log-row").count() == page.locator(".log-row-error").count()
    _check(page, "gateway-logs-errors", problems)

    # One call: the waterfall, the input and output, and a rating without a page load.
    call = (
        Completion.objects.filter(workspace=demo, status="ok", stream=True, ab_split=True)
        .exclude(prompt_name="")
        .order_by("-created_at")
        .first()
    )
    page.goto(f"/w/demo/logs/{call.public_id}/")
    expect(page.get_by_role("heading", name="Timing")).to_be_visible()
    expect(page.get_by_text("Waiting for the first token")).to_be_visible()
    before = Feedback.objects.filter(completion=call).count()
    page.get_by_placeholder("What was good or wrong? (optional)").fill("Right category, polite.")
    page.get_by_role("button", name="Good answer").click()
    expect(page.get_by_text("Thanks: your rating is saved.")).to_be_visible()
    assert Feedback.objects.filter(completion=call).count() == before + 1
    _check(page, "gateway-log-detail", problems)

    # Analytics: totals, charts, A/B arms side by side, feedback per version.
    page.goto("/w/demo/analytics/")
    expect(page.locator("#chart-requests svg")).to_be_visible()
    expect(page.get_by_role("heading", name="A/B tests")).to_be_visible()
    _check(page, "gateway-analytics", problems)
    page.get_by_role("link", name="24 hours").click()
    expect(page).to_have_url(re.compile(r"range=24h"))

    assert not problems, "\n".join(problems)
