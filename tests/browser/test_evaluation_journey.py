"""The evaluations spec's journey with a real Celery worker process (Redis and PostgreSQL, as
.ci/run has them): upload a CSV, configure two evaluators, run a version on it, watch the
progress bar move, open the results, grade three items by hand, compare with a run of another
version. Screenshots of each page at 1440 and 390 px."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from evaluations.models import EvaluationRun, HumanGrade
from gateway.models import Provider
from tests.browser.conftest import field, screenshot
from tests.evaluations.workers import Worker, flush_broker, require_services
from tests.factories import PASSWORD
from tests.gateway.conftest import add_model, add_provider
from tests.promptregistry.factories import add_version, make_prompt

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.postgres]

ROWS = 10
CSV = "question,answer,source\n" + "".join(
    f"What is the capital of country {i}?,country {i},atlas\n" for i in range(1, ROWS + 1)
)


@pytest.fixture
def worker(new_context, tmp_path):
    require_services()
    flush_broker()
    process = Worker("journey", tmp_path, concurrency=2)
    yield process
    process.stop()


@pytest.fixture
def world(acme, alice, fake_llm):
    local = add_provider(acme, "Local", Provider.Kind.OPENAI_COMPATIBLE, fake_llm.openai_base_url)
    add_model(local, "demo-slow", "fake-slow-0.4", input_price_per_million=Decimal("2"))
    prompt = make_prompt(
        acme,
        "geo/capitals",
        messages=[{"role": "user", "content": "Answer briefly: {{question}}"}],
        labels=["production"],
    )
    add_version(
        prompt,
        messages=[{"role": "user", "content": "Reply in full sentences, please: {{question}}"}],
    )


def both_widths(page, name: str) -> None:
    screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 900})
    screenshot(page, name)
    page.set_viewport_size({"width": 1440, "height": 900})


def start_run(page, version: str) -> EvaluationRun:
    page.goto("/w/acme/runs/")
    field(page, "Prompt").select_option("geo/capitals")
    field(page, "Label or version").fill(version)
    field(page, "Model").select_option("demo-slow")
    field(page, "Dataset").select_option(label="Capitals")
    page.get_by_label("Mentions the answer").check()
    page.get_by_label("Brief").check()
    field(page, "Concurrency").fill("2")
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(re.compile(r"/w/acme/runs/\d+/$"))
    return EvaluationRun.objects.order_by("-pk").first()


def test_upload_evaluate_watch_grade_and_compare(new_context, world, worker, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    page = new_context(width=1440)
    page.set_default_timeout(30_000)  # two workers' worth of processes share two cores
    page.goto("/accounts/sign-in/", timeout=60_000)  # the server's first answer warms it up
    field(page, "Email").fill("alice@example.com")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/w/"))

    # A dataset from a CSV: upload, map the columns with a preview, import.
    page.goto("/w/acme/datasets/")
    field(page, "Name").fill("Capitals")
    page.get_by_role("button", name="Create dataset").click()
    page.get_by_role("link", name="Upload CSV / JSONL").click()
    upload = tmp_path / "capitals.csv"
    upload.write_text(CSV)
    field(page, "File").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible()
    expect(page.get_by_text("What is the capital of country 1?")).to_be_visible()
    page.get_by_label("source is").select_option("metadata")
    both_widths(page, "evaluations-mapping")
    page.get_by_role("button", name="Import all rows").click()
    expect(page.get_by_text(f"Imported {ROWS} rows.")).to_be_visible()
    expect(page.locator(".dataset-table tbody tr")).to_have_count(ROWS)
    both_widths(page, "evaluations-dataset")

    # Two evaluators.
    page.goto("/w/acme/evaluators/")
    field(page, "Name").fill("Mentions the answer")
    field(page, "Kind").select_option("contains")
    page.get_by_role("button", name="Add evaluator").click()
    field(page, "Name").fill("Brief")
    field(page, "Kind").select_option("length")
    field(page, "Configuration (JSON)").fill('{"max": 95}')
    page.get_by_role("button", name="Add evaluator").click()
    expect(page.locator(".badge", has_text="Length bounds")).to_be_visible()

    # Run production (v1) and watch the bar move without a reload.
    first = start_run(page, "production")
    count = page.locator(".progress-count")
    expect(count).to_have_text(re.compile(rf"^[1-9]\d* of {ROWS}$"), timeout=30_000)
    both_widths(page, "evaluations-run-progress")
    expect(count).to_have_text(f"{ROWS} of {ROWS}", timeout=60_000)
    first.refresh_from_db()
    assert first.status == "completed"
    page.reload()
    expect(page.get_by_role("heading", name="By evaluator")).to_be_visible()
    expect(page.locator(".result-row")).to_have_count(ROWS)
    both_widths(page, "evaluations-results")

    # Grade three items with the keyboard.
    page.get_by_role("link", name="Grade by hand").click()
    expect(page.get_by_role("heading", name="Item 1")).to_be_visible()
    for expected_next, key in ((2, "5"), (3, "4"), (4, "2")):
        page.keyboard.press(key)
        expect(page.get_by_role("heading", name=f"Item {expected_next}")).to_be_visible()
    expect(page.get_by_text("3 of 10 graded")).to_be_visible()
    both_widths(page, "evaluations-grading")
    assert list(
        HumanGrade.objects.order_by("result__position").values_list("score", flat=True)
    ) == [
        5,
        4,
        2,
    ]

    # Run version 2 and compare: v2's longer replies break "Brief" (regressions first).
    second = start_run(page, "2")
    expect(page.locator(".progress-count")).to_have_text(f"{ROWS} of {ROWS}", timeout=60_000)
    page.goto(f"/w/acme/runs/compare/?runs={first.pk}&runs={second.pk}")
    expect(page.get_by_role("heading", name="Rows that differ")).to_be_visible()
    expect(page.locator("tr.is-regression")).to_have_count(ROWS)
    both_widths(page, "evaluations-compare")
