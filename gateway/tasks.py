"""The gateway's periodic tasks (scheduled in config/settings.py, CELERY_BEAT_SCHEDULE).

Both are idempotent: a run repeated or redelivered (acks_late) recomputes the same rollups or
finds nothing more to delete.
"""

from celery import shared_task

from .analytics.rollups import rollup_pending
from .services.retention import completions_delete_expired


@shared_task(name="gateway.rollup_completions", ignore_result=True)
def rollup_completions() -> None:
    """Every minute: add the last complete hours to the analytics rollups."""
    rollup_pending()


@shared_task(name="gateway.delete_expired_completions", ignore_result=True)
def delete_expired_completions() -> int:
    """Every hour: roll up first (so totals survive), then delete what retention says."""
    rollup_pending()
    return completions_delete_expired()
