"""Evaluation tasks: thin. Ids in, a service call, retries (services/runs.py has the logic).

acks_late + task_reject_on_worker_lost: a worker killed mid-item leaves the message
unacknowledged, so the broker hands it to another worker; the service's conditional UPDATE makes
that second delivery harmless (exactly one result per run and item, counted once).
"""

import os

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services.runs import evaluation_item_process, resume_stalled


@shared_task(
    bind=True,
    name="evaluations.evaluate_item",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=2,
    retry_jitter=True,
    ignore_result=True,
)
def evaluate_item(self, result_id: int) -> str:
    # The worker's node name (w1@host) and process: who scored the item, for operators.
    return evaluation_item_process(result_id, worker=f"{self.request.hostname}:{os.getpid()}")


@shared_task(name="evaluations.resume_stalled_runs", ignore_result=True)
def resume_stalled_runs() -> int:
    """Every minute (beat): re-enqueue evaluation items whose message was lost."""
    return resume_stalled()
