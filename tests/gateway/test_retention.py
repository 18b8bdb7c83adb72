"""Retention: the periodic task deletes completions older than each workspace's period, in
batches, after their hours are in the rollups, and is scheduled for `make run` and production."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from gateway import tasks
from gateway.analytics.models import CompletionRollup
from gateway.analytics.rollups import floor_hour, rollup_pending
from gateway.models import Completion, Feedback, GatewaySettings
from gateway.services.retention import completions_delete_expired
from tests.gateway.factories_completions import make_completion, make_feedback


@pytest.fixture
def eager(monkeypatch):
    """Celery's eager mode: .delay() runs the task here, through Celery's own call path."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


def test_the_task_deletes_what_is_older_than_the_retention_and_keeps_the_totals(
    acme, globex, eager
):
    GatewaySettings.objects.create(workspace=acme, retention_days=30)
    old = make_completion(acme, ago=timedelta(days=31))
    make_feedback(old, 1)
    recent = make_completion(acme, ago=timedelta(days=29))
    kept_elsewhere = make_completion(globex, ago=timedelta(days=400))  # globex keeps everything
    while rollup_pending()[1] < floor_hour(timezone.now()):
        pass  # the first runs catch up on the history, a week at a time

    tasks.delete_expired_completions.delay()

    assert set(Completion.objects.values_list("id", flat=True)) == {recent.pk, kept_elsewhere.pk}
    assert not Feedback.objects.exists()
    # The deleted call still counts in analytics: its hour was rolled up before it went.
    assert CompletionRollup.objects.filter(workspace=acme).count() == 2


def test_it_deletes_in_batches_and_leaves_the_rest_for_the_next_run(acme, eager):
    GatewaySettings.objects.create(workspace=acme, retention_days=1)
    for n in range(7):
        make_completion(acme, ago=timedelta(days=3, minutes=n))
    tasks.rollup_completions.delay()

    first = completions_delete_expired(batch_size=3, max_batches=2)
    second = completions_delete_expired(batch_size=3, max_batches=2)

    assert (first, second) == (6, 1)
    assert not Completion.objects.exists()


def test_nothing_is_deleted_before_its_hour_is_rolled_up(acme):
    GatewaySettings.objects.create(workspace=acme, retention_days=1)
    make_completion(acme, ago=timedelta(days=2))

    assert completions_delete_expired() == 0  # no rollup run yet
    assert Completion.objects.count() == 1


def test_a_workspace_without_retention_keeps_everything(acme, eager):
    GatewaySettings.objects.create(workspace=acme, retention_days=None)
    make_completion(acme, ago=timedelta(days=3000))

    tasks.delete_expired_completions.delay()

    assert Completion.objects.count() == 1


def test_calls_in_the_hour_the_next_rollup_run_recomputes_are_kept(acme):
    GatewaySettings.objects.create(workspace=acme, retention_days=1)
    call = make_completion(acme, ago=timedelta(days=3))
    rollup_pending(now=call.created_at + timedelta(hours=1))  # the rollups stop right after it

    # Retention says delete, but the next rollup run recomputes that hour: deleting the call
    # now would drop it from the totals, so it waits until the rollups have moved on.
    assert completions_delete_expired() == 0
    rollup_pending()
    assert completions_delete_expired() == 1


def test_both_tasks_are_scheduled_and_make_run_starts_the_scheduler():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    assert schedule["gateway.rollup_completions"] == 60.0
    assert schedule["gateway.delete_expired_completions"] == 3600.0
    assert {"gateway.rollup_completions", "gateway.delete_expired_completions"} <= set(
        celery_app.tasks
    )
    script = (settings.BASE_DIR / "scripts" / "run-embedded.sh").read_text()
    assert 'celery" -A config worker -B' in script
