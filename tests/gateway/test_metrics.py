"""GET /metrics: Prometheus text that prometheus_client's own parser reads, behind a token."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from gateway.analytics.rollups import rollup_pending
from gateway.models import Completion
from tests.gateway.factories_completions import make_completion

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_token(settings):
    settings.PROMPTOPS_METRICS_TOKEN = TOKEN


def scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = text_string_to_metric_families(response.content.decode())
    return {family.name: family for family in families}


def samples(family, name: str | None = None) -> dict:
    return {
        tuple(sorted(s.labels.items())): s.value
        for s in family.samples
        if name is None or s.name == name
    }


def test_without_a_token_configured_there_is_no_endpoint(client, settings):
    settings.PROMPTOPS_METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", ["", "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_a_missing_or_wrong_token_gets_401(client, metrics_token, header, db):
    response = client.get("/metrics", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_counts_tokens_cost_errors_and_histograms_by_workspace_and_model(
    client, metrics_token, acme, globex
):
    for n in range(3):
        make_completion(acme, ago=timedelta(hours=5), latency_ms=300 + n, ttft_ms=120)
    make_completion(
        acme,
        ago=timedelta(hours=5),
        status=Completion.Status.ERROR,
        error_type="rate_limited",
        provider_name="OpenAI",
        input_tokens=None,
        output_tokens=None,
        cost=None,
        ttft_ms=None,
        latency_ms=80,
    )
    rollup_pending()  # the first four from rollups, the rest from raw rows
    make_completion(  # written now: after where the rollups stop
        globex, at=timezone.now(), model_name="claude-haiku", source=Completion.Source.PLAYGROUND
    )

    families = scrape(client)

    requests = samples(families["promptops_completions"], "promptops_completions_total")
    assert (
        requests[
            (("model", "gpt-4o-mini"), ("source", "api"), ("status", "ok"), ("workspace", "acme"))
        ]
        == 3
    )
    assert (
        requests[
            (
                ("model", "gpt-4o-mini"),
                ("source", "api"),
                ("status", "error"),
                ("workspace", "acme"),
            )
        ]
        == 1
    )
    assert (
        requests[
            (
                ("model", "claude-haiku"),
                ("source", "playground"),
                ("status", "ok"),
                ("workspace", "globex"),
            )
        ]
        == 1
    )
    tokens = samples(families["promptops_completion_tokens"])
    assert tokens[(("direction", "input"), ("model", "gpt-4o-mini"), ("workspace", "acme"))] == 126
    cost = samples(families["promptops_completion_cost_usd"])
    assert cost[(("model", "gpt-4o-mini"), ("workspace", "acme"))] == pytest.approx(0.0000243)
    errors = samples(families["promptops_provider_errors"])
    assert errors == {
        (("error_type", "rate_limited"), ("provider", "OpenAI"), ("workspace", "acme")): 1
    }
    latency = families["promptops_completion_latency_seconds"]
    count = samples(latency, "promptops_completion_latency_seconds_count")
    buckets = samples(latency, "promptops_completion_latency_seconds_bucket")
    acme_key = (("model", "gpt-4o-mini"), ("workspace", "acme"))
    assert count[acme_key] == 4
    assert buckets[(("le", "0.1"), *acme_key)] == 1  # the 80 ms error
    assert buckets[(("le", "0.5"), *acme_key)] == 4
    assert buckets[(("le", "+Inf"), *acme_key)] == 4
    ttft_count = samples(
        families["promptops_completion_ttft_seconds"], "promptops_completion_ttft_seconds_count"
    )
    assert ttft_count[acme_key] == 3
    assert "promptops_rollup_lag_seconds" in families


def test_counters_survive_retention_deleting_the_calls(client, metrics_token, acme):
    make_completion(acme, ago=timedelta(days=3))
    rollup_pending()
    Completion.objects.all().delete()

    families = scrape(client)

    requests = samples(families["promptops_completions"], "promptops_completions_total")
    assert sum(requests.values()) == 1


def test_other_apps_add_their_own_metrics(client, metrics_token, db, monkeypatch):
    from prometheus_client.core import GaugeMetricFamily

    from gateway import metrics

    class QueueDepth:
        def collect(self):
            gauge = GaugeMetricFamily("promptops_evaluation_queue_depth", "Items waiting.")
            gauge.add_metric([], 3)
            yield gauge

    monkeypatch.setattr(metrics, "EXTRA_COLLECTORS", [])
    metrics.register_collector(QueueDepth())

    families = scrape(client)

    assert samples(families["promptops_evaluation_queue_depth"]) == {(): 3}
