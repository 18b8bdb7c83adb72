"""Deleting completions past their workspace's retention period, a batch at a time.

Run by the hourly task `gateway.tasks.delete_expired_completions`. Each batch is its own short
transaction (deleting a completion deletes its feedback too), so the log stays writable while
a big backlog goes. Rows are deleted only once their hour is in the rollups, so analytics keep
their totals after the calls themselves are gone.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..analytics.rollups import rolled_until
from ..models import Completion, GatewaySettings

BATCH_SIZE = 1000
MAX_BATCHES_PER_RUN = 200  # the rest waits for the next run (tasks have a time limit)
RECOMPUTED = timedelta(hours=1)


def completions_delete_expired(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES_PER_RUN,
) -> int:
    """Delete what every workspace's retention says is too old; how many were deleted."""
    now = now or timezone.now()
    rolled = rolled_until()
    deleted = 0
    batches = 0
    policies = GatewaySettings.objects.filter(retention_days__isnull=False).values_list(
        "workspace_id", "retention_days"
    )
    for workspace_id, days in policies:
        cutoff = now - timedelta(days=days)
        if rolled is None:
            continue  # nothing rolled up yet: keep the rows until their totals are
        # The next rollup run recomputes the last rolled hour (late calls): its rows must stay
        # until then, or recomputing would lose them.
        cutoff = min(cutoff, rolled - RECOMPUTED)
        while batches < max_batches:
            ids = list(
                Completion.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                break
            with transaction.atomic():
                Completion.objects.filter(id__in=ids).delete()
            deleted += len(ids)
            batches += 1
    return deleted
