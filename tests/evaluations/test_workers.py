"""Runs on real Celery worker processes sharing Redis and PostgreSQL (run by .ci/run):
two workers share one run without scoring an item twice, and a worker SIGKILLed mid-run is
restarted and every item is still scored exactly once."""

from decimal import Decimal

import pytest

from evaluations.models import EvaluationResult, EvaluationRun, Evaluator
from evaluations.services import datasets, runs
from gateway.models import Completion, Provider
from tests.gateway.conftest import add_model, add_provider
from tests.promptregistry.factories import make_prompt, principal_for

from .workers import Worker, flush_broker, require_services, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(tmp_path):
    require_services()
    flush_broker()
    started: list[Worker] = []

    def start(name: str, concurrency: int = 2, beat: bool = False) -> Worker:
        worker = Worker(name, tmp_path, concurrency, beat)
        started.append(worker)
        return worker

    start.all = started
    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def slow_run(acme, alice, fake_llm):
    """A run starter on a model answering in `delay` seconds."""

    def start(items: int, *, delay: float, concurrency: int) -> EvaluationRun:
        local = add_provider(
            acme, "Local", Provider.Kind.OPENAI_COMPATIBLE, fake_llm.openai_base_url
        )
        add_model(local, "slow", f"fake-slow-{delay}", input_price_per_million=Decimal("1"))
        make_prompt(acme, "qa/echo", messages=[{"role": "user", "content": "Say {{word}}"}])
        principal = principal_for(acme, alice)
        dataset = datasets.dataset_create(principal=principal, name="Words")
        datasets.dataset_items_add(
            principal=principal,
            dataset=dataset,
            items=({"inputs": {"word": f"w{i}"}, "expected_output": f"w{i}"} for i in range(items)),
        )
        contains = Evaluator.objects.create(workspace=acme, name="Echoes", kind="contains")
        return runs.evaluation_run_start(
            principal=principal,
            prompt_name="qa/echo",
            model="slow",
            dataset=dataset,
            evaluators=[contains],
            concurrency=concurrency,
        )

    return start


def finished(run: EvaluationRun) -> bool:
    run.refresh_from_db()
    return run.status == EvaluationRun.Status.COMPLETED


def assert_scored_exactly_once(run: EvaluationRun, items: int) -> list[EvaluationResult]:
    run.refresh_from_db()
    results = list(EvaluationResult.objects.filter(run=run))
    assert len(results) == items
    assert len({r.item_id for r in results}) == items  # and the database forbids a second one
    assert all(r.status == "done" and r.passed for r in results), [
        (r.position, r.status, r.error) for r in results if r.status != "done"
    ]
    # The counters were added to once per item: a redelivery that found its item done added 0.
    assert (run.done_count, run.failed_count, run.passed_count) == (items, 0, items)
    assert run.score_sum == pytest.approx(sum(r.score for r in results))
    assert run.latency_total_ms == sum(r.latency_ms for r in results)
    return results


def test_two_workers_share_one_run_and_no_item_is_scored_twice(workers, slow_run):
    run = slow_run(24, delay=0.3, concurrency=6)
    w1, w2 = workers("w1"), workers("w2")
    wait_for(lambda: finished(run), 120, "the run to finish", [w1, w2])

    results = assert_scored_exactly_once(run, 24)
    nodes = {r.worker.split("@")[0] for r in results}
    assert nodes == {"w1", "w2"}, f"both workers took items: {nodes}"
    calls = Completion.objects.filter(
        source="evaluation", metadata__evaluation_run=str(run.public_id)
    )
    assert calls.count() == 24  # one model call per item: nobody did an item twice
    assert all(r.attempts == 1 for r in results)


def test_a_worker_killed_mid_run_is_restarted_and_every_item_is_scored_once(workers, slow_run):
    run = slow_run(16, delay=1.0, concurrency=4)
    first = workers("w1", concurrency=4)
    wait_for(
        lambda: (
            EvaluationResult.objects.filter(run=run, status="done").count() >= 3
            and EvaluationResult.objects.filter(run=run, status="pending", attempts=1).exists()
        ),
        90,
        "items done and others in flight",
        [first],
    )
    first.kill()  # SIGKILL, mid-item: no acknowledgement, no clean-up
    in_flight = set(
        EvaluationResult.objects.filter(run=run, status="pending", attempts=1).values_list(
            "id", flat=True
        )
    )
    assert in_flight
    run.refresh_from_db()
    assert run.status == "running"

    # The restarted worker runs beat too (as make run's does): an item handed out whose message
    # the killed worker never got to send is enqueued again once it has waited too long.
    second = workers("w2", concurrency=4, beat=True)
    wait_for(
        lambda: finished(run),
        120,
        "the run to finish after the restart",
        [first, second],
        state=lambda: list(
            EvaluationResult.objects.filter(run=run)
            .exclude(status="done")
            .values_list("position", "status", "attempts", "worker")
        ),
    )

    results = assert_scored_exactly_once(run, 16)
    redelivered = [r for r in results if r.id in in_flight]
    # The killed worker's items came back from Redis (acks_late) and were done by the new one.
    assert all(r.attempts >= 2 and r.worker.startswith("w2@") for r in redelivered), [
        (r.position, r.attempts, r.worker) for r in redelivered
    ]
