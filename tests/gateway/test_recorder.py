"""The completion recorder (gateway/completion/recorder.py): rows handed over by responses are
written by one thread in batches; nothing is lost to a bad row or a stop."""

import uuid

import pytest
from django.utils import timezone

from gateway.completion import recorder
from gateway.models import Completion

# The recorder writes from its own thread: it must see (and the test must see) committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def made(row: Completion):
    return lambda: row


def unsaved_row(workspace, user_ref: str, public_id=None) -> Completion:
    return Completion(
        public_id=public_id or uuid.uuid4(),
        workspace=workspace,
        created_at=timezone.now(),
        source=Completion.Source.OPENAI,
        status=Completion.Status.OK,
        model_name="demo",
        requested_model="demo",
        output_text="answer",
        user_ref=user_ref,
    )


@pytest.fixture
def running_recorder():
    recorder.start()
    yield
    recorder.stop()


def test_rows_handed_over_are_written_by_the_recorder_thread(acme, running_recorder):
    for index in range(30):
        recorder.submit(made(unsaved_row(acme, f"caller-{index}")))

    recorder.stop()  # writes everything handed over so far
    assert sorted(Completion.objects.values_list("user_ref", flat=True)) == sorted(
        f"caller-{index}" for index in range(30)
    )


def test_a_row_the_database_refuses_costs_only_itself(acme, running_recorder):
    taken = uuid.uuid4()
    Completion.objects.create(**_fields(unsaved_row(acme, "already there", taken)))

    recorder.submit(made(unsaved_row(acme, "before")))
    recorder.submit(made(unsaved_row(acme, "duplicate", taken)))  # the same public id: refused
    recorder.submit(made(unsaved_row(acme, "after")))

    recorder.stop()  # writes everything handed over so far
    assert sorted(Completion.objects.values_list("user_ref", flat=True)) == [
        "after",
        "already there",
        "before",
    ]


def test_stopping_writes_what_is_pending(acme):
    recorder.start()
    for index in range(10):
        recorder.submit(made(unsaved_row(acme, f"late-{index}")))

    recorder.stop()

    assert not recorder.started()
    assert Completion.objects.filter(user_ref__startswith="late-").count() == 10


def test_a_row_that_cant_be_built_costs_only_itself(acme, running_recorder):
    def broken() -> Completion:
        raise ValueError("no such thing")

    recorder.submit(made(unsaved_row(acme, "first")))
    recorder.submit(broken)
    recorder.submit(made(unsaved_row(acme, "last")))

    recorder.stop()  # writes everything handed over so far
    assert sorted(Completion.objects.values_list("user_ref", flat=True)) == ["first", "last"]


def test_without_a_recorder_a_row_is_written_at_once(acme):
    assert not recorder.started()

    recorder.submit(made(unsaved_row(acme, "at once")))

    assert Completion.objects.filter(user_ref="at once").count() == 1


def _fields(row: Completion) -> dict:
    return {
        field.attname: getattr(row, field.attname)
        for field in Completion._meta.concrete_fields
        if not field.primary_key
    }
