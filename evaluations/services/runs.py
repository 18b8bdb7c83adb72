"""Evaluation runs: start, the per-item work the Celery tasks call, cancel.

Stable for callers outside this app (the playground's "Run on the whole dataset", the API):

    evaluation_run_start(principal=..., prompt_name=..., label=None, version=None, model="",
                         dataset=..., evaluators=[...], params=None, concurrency=4,
                         min_score=None) -> EvaluationRun

How a run moves (docs/architecture.md "How evaluations work"):
- Start creates the run and hands out the first `concurrency` items (`_refill`).
- Handing out an item creates its result row, `pending`, and enqueues one task for it after
  commit. A run never has more than `concurrency` pending results: each finished item hands
  out the next one under the run's row lock, so workers on any machine share the limit.
- A task (`evaluation_item_process`) calls the model through the gateway, scores the output,
  and moves the result from `pending` to `done`/`failed` with one conditional UPDATE; only the
  task whose UPDATE changed the row adds to the run's counters. A task delivered twice (a worker
  killed mid-item, acks_late) finds the result no longer pending and changes nothing, or, if
  the first delivery died before finishing, does the item once.
- An item delivered more than MAX_ATTEMPTS times (it keeps killing its worker) is failed.
- When no result is pending and nothing is left to hand out, the run is completed.
"""

import os
import socket
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gateway.completion import CompletionRequest, GatewayError, complete
from gateway.completion.background_loop import call
from gateway.models import Completion
from promptregistry.models import Label, PromptVersion
from promptregistry.selectors import prompt_for
from workspaces import access, audit
from workspaces.models import Membership
from workspaces.principal import Principal
from workspaces.roles import Action

from .. import evaluators as scorers
from ..models import Dataset, DatasetItem, EvaluationResult, EvaluationRun, Evaluator

MAX_CONCURRENCY = 50
MAX_ATTEMPTS = 3
LATEST = "latest"


def _enqueue(result_ids: list[int]) -> None:
    """One task per handed-out item, sent once the hand-out is committed (workers must see
    the pending rows)."""
    from ..tasks import evaluate_item  # the tasks module imports this one

    def send() -> None:
        for result_id in result_ids:
            evaluate_item.delay(result_id)

    transaction.on_commit(send)


def resolve_version(prompt, *, label: str | None, version: int | None) -> int:
    if version is not None:
        if not PromptVersion.objects.filter(prompt=prompt, number=version).exists():
            raise ValidationError({"version": f"{prompt.name} has no version {version}."})
        return version
    label = label or LATEST
    if label == LATEST:
        if not prompt.latest_version_number:
            raise ValidationError({"label": f"{prompt.name} has no versions yet."})
        return prompt.latest_version_number
    row = Label.objects.filter(prompt=prompt, name=label).select_related("version").first()
    if row is None:
        raise ValidationError({"label": f"{prompt.name} has no label {label!r}."})
    return row.version.number


@transaction.atomic
def evaluation_run_start(
    *,
    principal: Principal,
    prompt_name: str,
    dataset: Dataset,
    evaluators: Iterable[Evaluator],
    label: str | None = None,
    version: int | None = None,
    model: str = "",
    params: dict[str, Any] | None = None,
    concurrency: int = 4,
    min_score: float | None = None,
) -> EvaluationRun:
    """Start a run of a prompt version (or the version a label points at now) on a dataset.
    Raises Http404 for a prompt the principal can't see, ValidationError for bad input."""
    access.require(principal, Action.EDIT)
    prompt = prompt_for(principal, prompt_name, need=Action.READ)
    number = resolve_version(prompt, label=label, version=version)
    if dataset.workspace_id != principal.workspace.pk:
        raise ValidationError({"dataset": "No such dataset."})
    evaluators = list(evaluators)
    if any(evaluator.workspace_id != principal.workspace.pk for evaluator in evaluators):
        raise ValidationError({"evaluators": "No such evaluator."})
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValidationError({"concurrency": f"Between 1 and {MAX_CONCURRENCY}."})
    if min_score is not None and not 0 <= min_score <= 1:
        raise ValidationError({"min_score": "Between 0 and 1."})
    params = params or {}
    if not isinstance(params, dict):
        raise ValidationError({"params": "Parameters are a JSON object."})
    locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if not locked.item_count:
        raise ValidationError({"dataset": "The dataset has no items."})
    run = EvaluationRun(
        workspace=principal.workspace,
        prompt=prompt,
        prompt_name=prompt.name,
        prompt_label=(label or LATEST) if version is None else "",
        prompt_version=number,
        model=(model or "").strip(),
        params=params,
        dataset=locked,
        concurrency=concurrency,
        total_items=locked.item_count,
        last_position=locked.next_position - 1,
        min_score=min_score,
        status=EvaluationRun.Status.RUNNING,
        started_at=timezone.now(),
        created_by=principal.user,
        created_by_key=principal.api_key,
    )
    run.full_clean()
    run.save()
    run.evaluators.set(evaluators)
    audit.record(
        principal=principal,
        action="evaluation.start",
        target=run,
        data={"dataset": locked.name, "version": number, "model": run.model},
    )
    _refill(_locked_run(run.pk))
    run.refresh_from_db()
    return run


def _locked_run(run_id: int) -> EvaluationRun:
    """The run's row, locked until the transaction ends, with only what _refill reads."""
    return (
        EvaluationRun.objects.select_for_update()
        .only(
            "status",
            "concurrency",
            "dataset_id",
            "cursor_position",
            "last_position",
            "dispatched_count",
            "done_count",
            "failed_count",
        )
        .get(pk=run_id)
    )


def _refill(
    run: EvaluationRun, *, counters: dict[str, Any] | None = None, finished: int = 0
) -> None:
    """Hand out items up to the run's concurrency, or complete it, adding `counters` (the
    finished item's F() increments; `finished` items of them) in the same UPDATE of the run.

    The caller's transaction holds the run's row lock (select_for_update): every finished item
    of every worker passes here one at a time, so it is a few statements and nothing else
    (B5's throughput is bounded by how long this lock is held)."""
    updates: dict[str, Any] = dict(counters or {})
    # Handed out and not finished, from the counters just read under the lock (a COUNT of the
    # pending results would be one more statement under it). Never fewer than the pending
    # results: one deleted with its dataset item only leaves its slot unused until the run
    # runs dry, when the real count below is taken.
    in_flight = run.dispatched_count - run.done_count - run.failed_count - finished
    items = _next_items(run, run.concurrency - in_flight)
    if not items and run.is_active:
        pending = EvaluationResult.objects.filter(run=run, status=EvaluationResult.Status.PENDING)
        if not pending.exists():
            items = _next_items(run, run.concurrency)
            if not items:
                updates["status"] = EvaluationRun.Status.COMPLETED
                updates["finished_at"] = timezone.now()
                # Items deleted from the dataset during the run are not counted.
                updates["total_items"] = run.done_count + run.failed_count + finished
    if items:
        now = timezone.now()
        # The cursor only moves forward under the lock, so no result exists for these items;
        # if one did, the upsert leaves it be and its task finds it not pending. It returns
        # the ids (RETURNING) where ignore_conflicts would need another query.
        results = EvaluationResult.objects.bulk_create(
            [
                EvaluationResult(run=run, item_id=item.id, position=item.position, created_at=now)
                for item in items
            ],
            update_conflicts=True,
            unique_fields=["run", "item"],
            update_fields=["position"],
        )
        updates["cursor_position"] = items[-1].position
        updates["dispatched_count"] = F("dispatched_count") + len(items)
        _enqueue([result.pk for result in results])
    if updates:
        EvaluationRun.objects.filter(pk=run.pk).update(**updates)


def _next_items(run: EvaluationRun, slots: int) -> list[DatasetItem]:
    """Up to `slots` items after the run's cursor (none once the run stopped)."""
    if slots <= 0 or not run.is_active:
        return []
    return list(
        DatasetItem.objects.filter(
            dataset_id=run.dataset_id,
            position__gt=run.cursor_position,
            position__lte=run.last_position,
        )
        .order_by("position")
        .only("id", "position")[:slots]
    )


def run_principal(run: EvaluationRun) -> Principal | None:
    """Who the run's model calls act as: its creator (as their role is now) or its API key."""
    if run.created_by_key_id:
        key = run.created_by_key
        if key.revoked_at is None:
            return Principal.for_api_key(key)
        return None
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace_id=run.workspace_id, user_id=run.created_by_id)
        .first()
    )
    return Principal.for_membership(membership) if membership else None


def _claim(result_id: int) -> EvaluationResult | None:
    """Count one more delivery of the item; None when there is nothing to do. Two statements,
    no transaction: the UPDATE is the claim, then the result with its run and item."""
    claimed = EvaluationResult.objects.filter(
        pk=result_id, status=EvaluationResult.Status.PENDING
    ).update(attempts=F("attempts") + 1, claimed_at=timezone.now())
    if not claimed:
        return None
    return (
        EvaluationResult.objects.select_related(
            "item", "run__workspace", "run__created_by_key__workspace"
        )
        .filter(pk=result_id)
        .first()
    )


def resume_stalled(now=None) -> int:
    """Enqueue again the pending items nobody finished in time (a lost message: the filesystem
    broker forgets the message of a worker that died; Redis gives it back after its visibility
    timeout, and then this finds nothing). A second delivery of an item still in progress is
    harmless: only one conditional UPDATE can finish it."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.EVALUATIONS_STALLED_AFTER_SECONDS)
    stalled = list(
        EvaluationResult.objects.filter(
            status=EvaluationResult.Status.PENDING,
            run__status=EvaluationRun.Status.RUNNING,
            created_at__lt=cutoff,
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff))
        .values_list("id", flat=True)[:1000]
    )
    if stalled:
        with transaction.atomic():
            # Restart their clocks so the next sweep doesn't send them again at once.
            EvaluationResult.objects.filter(pk__in=stalled).update(claimed_at=now)
            _enqueue(stalled)
    return len(stalled)


def _judge_for(principal: Principal, run: EvaluationRun):
    def judge(*, model: str = "", messages=None, prompt: str = "", label: str = "", variables=None):
        request = CompletionRequest(
            principal=principal,
            source=Completion.Source.EVALUATION,
            model=model,
            messages=messages or [],
            prompt_name=prompt,
            prompt_label=label or None,
            variables=variables or {},
            params={"temperature": 0},
            metadata={"evaluation_run": str(run.public_id), "role": "judge"},
        )
        return call(complete, request).text

    return judge


def _score(run: EvaluationRun, principal: Principal, output: str, case) -> dict:
    scores = {}
    judge = _judge_for(principal, run)
    for evaluator in run.evaluators.all():
        try:
            verdict = scorers.score(evaluator.kind, evaluator.config, output, case, judge=judge)
        except GatewayError as error:
            verdict = scorers.Score(0.0, False, f"Judge call failed: {error.message}", error=True)
        scores[str(evaluator.pk)] = verdict.as_dict(evaluator.name)
    return scores


def evaluation_item_process(result_id: int, *, worker: str = "") -> str:
    """Do one item of a run (the task's whole job). Returns what happened, for logs/tests."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    result = _claim(result_id)
    if result is None:
        return "skipped"
    run, item = result.run, result.item
    if not run.is_active:
        return "skipped"
    if result.attempts > MAX_ATTEMPTS:
        return _finish(result, worker=worker, error=f"Gave up after {MAX_ATTEMPTS} attempts.")
    principal = run_principal(run)
    if principal is None:
        return _finish(result, worker=worker, error="The run's creator may no longer run it.")
    request = CompletionRequest(
        principal=principal,
        source=Completion.Source.EVALUATION,
        model=run.model,
        prompt_name=run.prompt_name,
        prompt_version=run.prompt_version,
        variables=item.inputs,
        params=dict(run.params),
        metadata={"evaluation_run": str(run.public_id), "dataset_item": item.position},
    )
    try:
        answer = call(complete, request)
    except GatewayError as error:
        return _finish(result, worker=worker, error=f"{error.code}: {error.message}")
    row = Completion.objects.filter(public_id=answer.id).first()
    latency = row.latency_ms if row else None
    cost = row.cost if row else None
    case = scorers.Case(
        expected=item.expected_output, inputs=item.inputs, latency_ms=latency, cost=cost
    )
    scores = _score(run, principal, answer.text, case)
    return _finish(
        result,
        worker=worker,
        output=answer.text,
        completion=row,
        scores=scores,
        latency=latency,
        cost=cost,
    )


def _finish(
    result: EvaluationResult,
    *,
    worker: str,
    error: str = "",
    output: str = "",
    completion: Completion | None = None,
    scores: dict | None = None,
    latency: int | None = None,
    cost: Decimal | None = None,
) -> str:
    scores = scores or {}
    values = [entry["score"] for entry in scores.values()]
    judged = [entry for entry in scores.values() if not entry["error"]]
    failed = bool(error) or (bool(scores) and not judged)
    mean = sum(values) / len(values) if values else (None if failed else 1.0)
    passed = None if failed else all(entry["passed"] for entry in scores.values())
    status = EvaluationResult.Status.FAILED if failed else EvaluationResult.Status.DONE
    with transaction.atomic():
        # The result first, then the run's row lock (as late as possible: see _refill; cancel
        # never holds the run's lock while it waits for a result's).
        changed = EvaluationResult.objects.filter(
            pk=result.pk, status=EvaluationResult.Status.PENDING
        ).update(
            status=status,
            error=error or ("Every evaluator failed." if failed else ""),
            output=output,
            completion=completion,
            scores=scores,
            score=None if failed else mean,
            passed=passed,
            latency_ms=latency,
            cost=cost,
            worker=worker[:200],
            finished_at=timezone.now(),
        )
        if not changed:
            return "skipped"
        run = _locked_run(result.run_id)
        counters: dict[str, Any] = {
            "latency_total_ms": F("latency_total_ms") + (latency or 0),
            "cost_total": F("cost_total") + (cost or 0),
            "input_tokens": F("input_tokens") + ((completion and completion.input_tokens) or 0),
            "output_tokens": F("output_tokens") + ((completion and completion.output_tokens) or 0),
        }
        if failed:
            counters["failed_count"] = F("failed_count") + 1
        else:
            counters["done_count"] = F("done_count") + 1
            counters["score_sum"] = F("score_sum") + (mean or 0)
            if passed:
                counters["passed_count"] = F("passed_count") + 1
        _refill(run, counters=counters, finished=1)
    return status


def evaluation_run_cancel(*, principal: Principal, run: EvaluationRun) -> EvaluationRun:
    """Stop handing out items; results done so far stay, pending ones are dropped (a task
    already calling the model finds its result gone and writes nothing).

    Two transactions, so that cancel never waits for a result's lock while holding the run's
    (a finishing item locks its result, then the run: _finish): the run is marked cancelled
    first, after which nothing is handed out, then its pending results are deleted."""
    access.require(principal, Action.EDIT)
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if not run.is_active:
            raise ValidationError("The run has already finished.")
        run.status = EvaluationRun.Status.CANCELLED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        audit.record(principal=principal, action="evaluation.cancel", target=run)
    EvaluationResult.objects.filter(run=run, status=EvaluationResult.Status.PENDING).delete()
    return run
