import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from evaluations.models import EvaluationResult, EvaluationRun
from evaluations.services import runs
from gateway.models import Completion
from tests.promptregistry.factories import principal_for

pytestmark = pytest.mark.django_db(transaction=False)


def start(acme, user, dataset, evaluators, **kw):
    kw.setdefault("model", "demo")
    return runs.evaluation_run_start(
        principal=principal_for(acme, user),
        prompt_name="qa/capitals",
        dataset=dataset,
        evaluators=evaluators,
        **kw,
    )


def test_a_run_scores_every_item_once_and_completes(
    acme, alice, eval_models, qa_prompt, make_dataset, contains_eval, length_eval, drain
):
    dataset = make_dataset(7)
    run = start(
        acme, alice, dataset, [contains_eval, length_eval], label="production", concurrency=3
    )
    assert run.prompt_version == 1
    assert len(drain.queue) == 3  # only the concurrency limit is handed out
    assert run.results.filter(status="pending").count() == 3
    assert drain() == 7
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.COMPLETED
    assert (run.done_count, run.failed_count, run.total_items) == (7, 0, 7)
    assert run.results.count() == 7
    result = run.results.get(position=1)
    assert "capital 1" in result.output
    assert result.scores[str(contains_eval.pk)]["passed"] is True
    assert result.completion.source == Completion.Source.EVALUATION
    assert run.cost_total > 0
    assert run.mean_score == pytest.approx(sum(r.score for r in run.results.all()) / 7)


def test_a_redelivered_item_changes_nothing(
    acme, alice, eval_models, qa_prompt, make_dataset, contains_eval, drain
):
    run = start(acme, alice, make_dataset(2), [contains_eval], concurrency=1)
    first = drain.queue[0]
    drain()
    before = Completion.objects.count()
    assert runs.evaluation_item_process(first, worker="again:2") == "skipped"
    run.refresh_from_db()
    assert run.done_count == 2
    assert Completion.objects.count() == before
    assert EvaluationResult.objects.get(pk=first).worker == "test:1"


def test_a_poison_item_is_failed_after_bounded_attempts(
    acme, alice, eval_models, qa_prompt, make_dataset, contains_eval, drain
):
    run = start(acme, alice, make_dataset(1), [contains_eval])
    result_id = drain.queue[0]
    # Three deliveries died mid-item (the worker was killed each time).
    EvaluationResult.objects.filter(pk=result_id).update(attempts=runs.MAX_ATTEMPTS)
    drain()
    result = EvaluationResult.objects.get(pk=result_id)
    assert result.status == "failed"
    assert "Gave up after 3 attempts" in result.error
    run.refresh_from_db()
    assert (run.status, run.failed_count) == ("completed", 1)


def test_a_provider_failure_fails_the_item_not_the_run(
    acme, alice, eval_models, qa_prompt, make_dataset, contains_eval, drain
):
    run = start(acme, alice, make_dataset(2), [contains_eval], model="broken")
    drain()
    run.refresh_from_db()
    assert (run.status, run.failed_count, run.done_count) == ("completed", 2, 0)
    assert run.results.first().error


def test_cancel_keeps_what_was_done_and_drops_the_rest(
    acme, alice, eval_models, qa_prompt, make_dataset, contains_eval, drain
):
    run = start(acme, alice, make_dataset(6), [contains_eval], concurrency=2)
    drain(limit=1)
    runs.evaluation_run_cancel(principal=principal_for(acme, alice), run=run)
    drain()
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert run.results.filter(status="done").count() == 1
    assert not run.results.filter(status="pending").exists()


def test_a_version_run_uses_that_version(
    acme, alice, eval_models, qa_prompt, make_dataset, contains_eval, drain
):
    run = start(acme, alice, make_dataset(1), [contains_eval], version=2)
    drain()
    assert run.results.get().output.startswith('Local demo model reply to: "Reply:')


def test_start_refuses_viewers_unknown_labels_and_empty_datasets(
    acme, alice, vera, charlie, globex, eval_models, qa_prompt, make_dataset, contains_eval
):
    from django.core.exceptions import PermissionDenied

    dataset = make_dataset(1)
    with pytest.raises(PermissionDenied):
        start(acme, vera, dataset, [contains_eval])
    with pytest.raises(ValidationError):
        start(acme, alice, dataset, [contains_eval], label="nope")
    with pytest.raises(ValidationError):
        start(acme, alice, dataset, [contains_eval], concurrency=0)
    with pytest.raises(Http404):
        runs.evaluation_run_start(
            principal=principal_for(globex, charlie),
            prompt_name="qa/capitals",
            dataset=dataset,
            evaluators=[],
        )
    assert not EvaluationRun.objects.exists()


def test_items_whose_message_was_lost_are_enqueued_again(
    acme, alice, eval_models, qa_prompt, make_dataset, contains_eval, drain, settings
):
    from datetime import timedelta

    from django.utils import timezone

    settings.EVALUATIONS_STALLED_AFTER_SECONDS = 60
    run = start(acme, alice, make_dataset(3), [contains_eval], concurrency=2)
    drain.queue.clear()  # the broker lost both messages
    assert runs.resume_stalled() == 0  # not stalled yet
    later = timezone.now() + timedelta(seconds=61)
    assert runs.resume_stalled(now=later) == 2
    assert runs.resume_stalled(now=later) == 0  # their clocks restarted
    drain()
    run.refresh_from_db()
    assert (run.status, run.done_count) == ("completed", 3)
