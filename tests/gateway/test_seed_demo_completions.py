"""seed_demo_completions: generated calls for the demo workspace only, marked as demo data."""

import pytest
from django.core.management import CommandError, call_command

from gateway.analytics import queries
from gateway.analytics.rollups import rolled_until, rollup_pending
from gateway.models import Completion
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.gateway.factories_completions import make_model, make_provider
from tests.promptregistry.factories import make_prompt
from workspaces.roles import Role


@pytest.fixture
def demo(alice):
    workspace = WorkspaceFactory(name="Demo workspace", slug="demo")
    MembershipFactory(workspace=workspace, user=alice, role=Role.OWNER)
    make_model(make_provider(workspace), "gpt-4o-mini")
    make_prompt(workspace, "support/triage", by=alice, labels=["production"])
    return workspace


def test_it_fills_the_demo_log_once_with_rows_marked_as_demo(demo):
    call_command("seed_demo_completions", "--days", "3", "--per-day", "40")
    count = Completion.objects.filter(workspace=demo).count()
    call_command("seed_demo_completions", "--days", "3", "--per-day", "40")

    assert 80 < count == Completion.objects.count()
    assert all(
        c.metadata["demo"] == "true" and c.tags == ["demo"] for c in Completion.objects.all()
    )
    assert all(c.user_ref.startswith("demo-") for c in Completion.objects.all())
    assert Completion.objects.filter(prompt_name="support/triage", prompt_version=1).exists()
    ids = list(Completion.objects.order_by("id").values_list("created_at", flat=True))
    assert ids == sorted(ids)  # ids follow time, as the log's keyset pages expect


def test_it_refuses_a_workspace_that_is_not_a_demo(acme, alice):
    with pytest.raises(CommandError, match="demo workspace"):
        call_command("seed_demo_completions", "--workspace", "acme")
    assert not Completion.objects.exists()


def test_rows_written_into_rolled_hours_are_recomputed_so_analytics_count_them(demo):
    rollup_pending()  # nothing yet: no progress
    Completion.objects.create(workspace=demo, source="api", status="ok")
    rollup_pending()
    rolled = rolled_until()
    Completion.objects.all().delete()

    call_command("seed_demo_completions", "--days", "2", "--per-day", "30")

    scope = queries.Scope(
        workspace_id=demo.pk,
        start=rolled.replace(year=rolled.year - 1),
        end=rolled.replace(year=rolled.year + 1),
    )
    assert queries.total(queries.combinations(scope)).requests == Completion.objects.count()
