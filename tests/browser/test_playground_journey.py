"""The playground's journey (docs: the playground spec's "Done means"), through the production
server command (granian, config/asgi.py), because the streams are async views and Django's
live_server (WSGI) would read each one whole before sending it.

Open the demo's triage prompt in the playground, fill the variables, three columns (one fails
through the fake provider), Run: tokens arrive live in two columns and an error in the third;
stop one mid-stream; save as a new version; add an output to a dataset; then a grid of three
input rows against two columns (one model on two versions) fills cell by cell. Screenshots
while streaming at 1440 and 390 pixels.
"""

import os
import re
import sqlite3
import time
from pathlib import Path

import pytest

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, field, screenshot
from tests.config.test_web_server import _manage, _start, _stop

PASSWORD = "demo-password-123"
MODELS = (
    "from gateway.models import Provider, ProviderModel\n"
    "p = Provider.objects.get(workspace__slug='demo', name='Local demo model')\n"
    "p.max_retries = 0\n"
    "p.save(update_fields=['max_retries'])\n"
    "ProviderModel.objects.create(workspace=p.workspace, provider=p, name='broken',"
    " upstream_name='fake-500')\n"
    "ProviderModel.objects.create(workspace=p.workspace, provider=p, name='slow',"
    " upstream_name='fake-slow-0.12')\n"
)
TICKET = (
    "I was charged twice for my March invoice and the second charge still shows on my card "
    "statement today, please look into it and refund the duplicate payment soon"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory, fake_llm_server):
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PROMPTOPS_VAR_DIR": str(var),
        "PROMPTOPS_PLAIN_STATIC": "1",
        "PROMPTOPS_DEMO_MODEL_URL": fake_llm_server.openai_base_url,
        "PROMPTOPS_DEMO_PASSWORD": PASSWORD,
    }
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "collectstatic", "--noinput", "-v", "0")  # the server serves collected files
    _manage(env, "setup_demo")
    _manage(env, "seed_demo_prompts", "--workspace", "demo")
    _manage(env, "setup_demo_models", "--workspace", "demo")
    _manage(env, "seed_demo_playground", "--workspace", "demo")
    _manage(env, "shell", "-c", MODELS)
    base, process = _start(env, workers=1)
    yield base, var / "promptops.sqlite3"
    _stop(process)


@pytest.fixture
def open_page(browser, server):
    contexts, errors = [], []

    def make(width: int):
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            base_url=server[0],
            locale="en-US",
            timezone_id="UTC",
            reduced_motion="reduce",
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/accounts/sign-in/")
        field(page, "Email").fill("demo@example.com")
        field(page, "Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/w/demo/"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors


def query(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    return condition()


def column(page, n: int):
    return page.locator(f'[data-column="{n - 1}"]')


def test_three_columns_stream_fail_and_stop_then_save_add_and_run_a_grid(
    open_page, server, browser
):
    from playwright.sync_api import expect

    database = server[1]
    page = open_page(1440)
    page.goto("/w/demo/p/support/triage/-/versions/1/")
    page.get_by_role("link", name="Try in playground").click()
    expect(page.get_by_role("heading", name="support/triage v1")).to_be_visible()

    # Variables come from the template; three columns, the second one failing.
    page.get_by_label("company").fill("Acme")
    page.get_by_label("ticket").fill(TICKET)
    page.get_by_label("Model of column 1").select_option("slow")
    page.get_by_role("button", name="Add column").click()
    page.get_by_label("Model of column 2").select_option("broken")
    page.get_by_role("button", name="Add column").click()
    page.get_by_label("Model of column 3").select_option("slow")
    page.get_by_role("button", name="Run", exact=True).click()

    # Tokens arrive live in columns 1 and 3, the error in place in column 2.
    page.wait_for_url(re.compile(r"/w/demo/playground/\d+/\?run=1"))
    first, second, third = (column(page, n).locator("[data-cell]") for n in (1, 2, 3))
    expect(first).to_have_attribute("data-status", "running")
    expect(first.locator("[data-output]")).to_contain_text("Local demo")
    expect(third.locator("[data-output]")).to_contain_text("Local demo")
    expect(second.locator("[data-error]")).to_contain_text("500")
    partial = first.locator("[data-output]").inner_text()
    screenshot(page, "playground-streaming")
    expect(first).to_have_attribute("data-status", "running")

    # Stop the third column mid-stream: the call is cancelled upstream and logged so.
    third.get_by_role("button", name="Stop").click()
    expect(third).to_have_attribute("data-status", "cancelled")
    expect(first).to_have_attribute("data-status", "ok", timeout=30_000)
    assert len(first.locator("[data-output]").inner_text()) > len(partial)
    expect(first.locator('[data-metric="cost"]')).not_to_have_text("")
    expect(first.locator('[data-metric="ttft_ms"]')).to_have_text(re.compile(r"^\d[\d.]* m?s$"))
    logged = wait_for(
        lambda: (
            sorted(
                query(
                    database,
                    "SELECT model_name, status FROM gateway_completion WHERE source = 'playground'",
                )
            )
            if len(query(database, "SELECT id FROM gateway_completion")) == 3
            else None
        )
    )
    assert logged == [("broken", "error"), ("slow", "cancelled"), ("slow", "ok")]
    cells = query(
        database,
        "SELECT status FROM playground_cell WHERE run_id = (SELECT MAX(id) FROM playground_run)"
        ' ORDER BY "column"',
    )
    assert cells == [("ok",), ("error",), ("cancelled",)]

    # The history survives a reload.
    page.reload()
    expect(column(page, 1).locator("[data-cell]")).to_have_attribute("data-status", "ok")
    expect(page.get_by_role("link", name="Run 1")).to_be_visible()

    # Save as a new version, with a message.
    page.get_by_label("Message 3", exact=True).fill("Ticket, in one line: {{ticket}}")
    page.get_by_label("Version message").fill("Ask for one line")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_text("Saved as version 2 of support/triage.")).to_be_visible()

    # Add the first column's output to a new dataset.
    cell = column(page, 1).locator("[data-cell]")
    cell.get_by_text("Add to dataset").click()
    cell.get_by_label("or a new dataset").fill("Triage answers")
    cell.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Added as row 1 of Triage answers.")).to_be_visible()
    assert query(database, "SELECT expected_output FROM evaluations_datasetitem")[0][0].startswith(
        "Local demo"
    )

    # A grid of three rows against two columns: one model on two versions.
    column(page, 3).get_by_role("button", name="Remove column 3").click()
    page.get_by_label("Model of column 2").select_option("slow")
    column(page, 1).get_by_label("Prompt").select_option("1")
    column(page, 2).get_by_label("Prompt").select_option("2")
    page.get_by_label(re.compile("Rows of inputs")).fill(
        "ticket\nThe export button does nothing.\nHow do I add a teammate?\nRefund me, please."
    )
    page.get_by_role("button", name="Run the grid").click()
    page.wait_for_url(re.compile(r"\?run=2"))
    grid = page.locator(".pg-grid")
    expect(grid.locator("[data-cell]")).to_have_count(6)
    expect(grid.locator('[data-cell][data-status="ok"]').first).to_be_visible(timeout=30_000)
    screenshot(page, "playground-grid")
    expect(grid.locator('[data-cell][data-status="ok"]')).to_have_count(6, timeout=60_000)
    versions = query(
        database,
        "SELECT prompt_version FROM playground_cell WHERE run_id = (SELECT MAX(id) FROM"
        ' playground_run) ORDER BY "row", "column"',
    )
    assert [v for (v,) in versions] == [1, 2, 1, 2, 1, 2]

    # Narrow: the same session streams at 390 pixels.
    phone = open_page(390)
    phone.goto(page.url.split("?")[0])
    phone.get_by_role("button", name="Run", exact=True).click()
    phone.wait_for_url(re.compile(r"\?run=3"))
    expect(phone.locator('[data-cell][data-status="running"]').first).to_be_visible()
    expect(phone.locator("[data-output]").first).to_contain_text("Local demo")
    screenshot(phone, "playground-streaming")
    phone.get_by_role("button", name="Stop", exact=True).first.click()
