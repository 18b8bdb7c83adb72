"""The analytics page: totals, charts, breakdowns, A/B arms and feedback per version."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gateway.analytics import charts
from gateway.analytics.rollups import rollup_pending
from gateway.models import Completion
from tests.accounts.html import text, words
from tests.gateway.factories_completions import make_completion, make_feedback
from tests.promptregistry.factories import make_prompt, restrict
from workspaces.roles import Role

ANALYTICS = "/w/acme/analytics/"


def test_an_outsider_gets_404(charlie_client, acme):
    assert charlie_client.get(ANALYTICS).status_code == 404


def test_an_empty_workspace_says_where_the_numbers_come_from(vera_client, acme):
    response = vera_client.get(ANALYTICS)

    assert response.status_code == 200
    assert "No calls in this period" in words(response)
    assert 'href="/w/acme/logs/"' in text(response)


def test_a_viewer_sees_totals_charts_and_breakdowns(vera_client, acme):
    for n in range(8):
        make_completion(acme, ago=timedelta(hours=n * 5), latency_ms=400 + n * 10)
    make_completion(
        acme, status=Completion.Status.ERROR, model_name="claude-haiku", provider_name="Anthropic"
    )
    make_completion(acme, source=Completion.Source.PLAYGROUND, prompt_name="", prompt_version=None)

    response = vera_client.get(ANALYTICS)
    page = words(response)

    assert response.status_code == 200
    assert "Requests 10" in page
    assert "Errors 10%" in page
    assert "first token p50 150 ms" in page  # 180 ms each: the middle of the 100-200 ms bucket
    for chart_id in ("chart-requests", "chart-latency", "chart-ttft", "chart-tokens", "chart-cost"):
        assert f'id="{chart_id}"' in text(response)
    assert "<svg" in text(response)
    assert "support/triage" in page and "Raw messages" in page
    assert "claude-haiku" in page and "Anthropic" in page
    assert "Playground" in page and "Completions API" in page


def test_the_counts_are_the_same_before_and_after_the_rollups(vera_client, acme):
    for n in range(5):
        make_completion(acme, ago=timedelta(hours=3 + n))
    make_completion(acme, ago=timedelta(minutes=1), status=Completion.Status.ERROR)
    before = words(vera_client.get(ANALYTICS))

    rollup_pending()
    after = words(vera_client.get(ANALYTICS))

    assert "Requests 6" in before and "Requests 6" in after
    assert before.split("Requests 6")[1][:200] == after.split("Requests 6")[1][:200]


def test_filters_narrow_to_one_model_and_range(vera_client, acme):
    make_completion(acme, ago=timedelta(days=3))
    make_completion(acme, model_name="claude-haiku")

    assert "Requests 1" in words(vera_client.get(ANALYTICS, {"range": "24h"}))
    assert "Requests 2" in words(vera_client.get(ANALYTICS, {"range": "7d"}))
    narrowed = words(vera_client.get(ANALYTICS, {"model": "claude-haiku", "range": "30d"}))
    assert "Requests 1" in narrowed


def test_an_unknown_choice_shows_everything_instead(vera_client, acme):
    make_completion(acme)

    response = vera_client.get(ANALYTICS, {"model": "no-such-model", "range": "5y"})

    assert response.status_code == 200
    assert "Requests 1" in words(response)


def test_ab_arms_are_side_by_side_with_their_feedback(vera_client, acme):
    for n in range(6):
        c = make_completion(acme, prompt_version=3, ab_split=True, latency_ms=300)
        make_feedback(c, 1 if n < 5 else -1)
    for _ in range(4):
        c = make_completion(acme, prompt_version=4, ab_split=True, latency_ms=900)
        make_feedback(c, -1)

    page = words(vera_client.get(ANALYTICS))

    assert "A/B tests" in page
    ab = page.split("A/B tests")[1]
    assert ab.index("v3") < ab.index("v4")
    arms = ab.split("Green marks")[0]
    assert "Feedback 5 1" in arms and "Feedback 0 4" in arms  # thumbs up, thumbs down


def test_prompts_a_viewer_may_not_see_are_left_out(vera_client, alice_client, acme, alice):
    restrict(make_prompt(acme, "hr/salaries", by=alice), view_role=Role.ADMIN)
    make_completion(acme, prompt_name="hr/salaries")
    make_completion(acme)

    assert "hr/salaries" not in words(vera_client.get(ANALYTICS))
    assert "Requests 1" in words(vera_client.get(ANALYTICS))
    assert "hr/salaries" in words(alice_client.get(ANALYTICS))


def test_an_htmx_change_returns_only_the_body(vera_client, acme):
    make_completion(acme)

    response = vera_client.get(ANALYTICS, {"range": "24h"}, headers={"HX-Request": "true"})

    assert "<html" not in text(response)
    assert 'id="analytics-body"' in text(response)


@pytest.mark.parametrize("calls", [4, 80])
def test_the_page_costs_the_same_queries_however_many_calls(
    vera_client, acme, assert_queries, calls
):
    for n in range(calls):
        c = make_completion(
            acme,
            ago=timedelta(hours=n % 100),
            prompt_version=1 + n % 3,
            model_name=f"model-{n % 4}",
        )
        if n % 3 == 0:
            make_feedback(c, 1)
    rollup_pending(now=timezone.now() - timedelta(hours=2))

    # Session, user, membership, restricted prompts and folders, where the rollups end, the
    # breakdowns and the hours (each from the rollups and the raw rows after them), feedback,
    # the workspace switcher.
    with assert_queries(12):
        response = vera_client.get(ANALYTICS)

    assert response.status_code == 200


def test_charts_scale_their_axis_to_round_numbers():
    assert charts.nice_ceiling(0) == (1.0, 0.25)
    assert charts.nice_ceiling(7) == (8, 2)
    assert charts.nice_ceiling(930) == (1000, 250)
    assert charts.nice_ceiling(0.042) == pytest.approx((0.06, 0.015))


def test_a_chart_names_every_slot_and_series_for_tooltips_and_screen_readers():
    chart = charts.Chart(
        id="c",
        title="Requests",
        slots=["10:00", "11:00"],
        slot_titles=["1 Dec, 10:00", "1 Dec, 11:00"],
        series=[
            charts.Series("OK", [3, 0], "ok"),
            charts.Series("p50 <script>", [None, 120.0], "p50", kind="line"),
        ],
        fmt=charts.fmt_count,
    )

    html = str(charts.render(chart))

    assert "1 Dec, 10:00\nOK: 3\np50 &lt;script&gt;: —" in html
    assert "<script>" not in html
    assert 'aria-label="Requests: OK, p50 &lt;script&gt; over time"' in html
    assert html.count('class="chart-bar') == 1


def test_a_chart_without_data_says_so():
    chart = charts.Chart(id="c", title="Cost", slots=["a"], slot_titles=["a"])
    chart.series = [charts.Series("Cost", [0], "cost")]

    assert "No calls in this period." in str(charts.render(chart))


def test_a_long_breakdown_shows_the_busiest_and_says_how_many_there_are(vera_client, acme):
    for n in range(14):
        make_completion(acme, prompt_name=f"prompt-{n:02}")

    page = words(vera_client.get(ANALYTICS))

    assert "The 12 busiest of 14" in page


def test_calls_of_models_without_a_price_say_so_instead_of_an_empty_cost_chart(vera_client, acme):
    make_completion(acme, cost=None, ttft_ms=None, stream=False)

    page = words(vera_client.get(ANALYTICS))

    assert "No cost to show: the models used have no price" in page
    assert "No streamed calls in this period." in page
    assert "Cost — " in page
