"""A stream's deadline holds after its first text too: one timer per stream bounds every read
(gateway/completion/service.py), so a provider that keeps a stream open past the model's total
timeout ends it as a timeout, with what arrived kept in the row."""

import pytest

from gateway.completion import Delta
from gateway.models import Provider
from tests.gateway.test_completion_service import ask, only_row, run, wait_for

pytestmark = pytest.mark.django_db


def test_a_stream_that_outlasts_its_deadline_after_its_first_text_times_out(
    acme, gateway_models, fake_llm
):
    Provider.objects.filter(name="Local").update(total_timeout_seconds=1, connect_timeout_seconds=1)
    fake_llm.fail_next("slow", delay=0, chunk_delay=0.3)  # about 4 s of chunks

    call, events, error = run(ask(acme, stream=True))

    assert error is not None and (error.status, error.code) == (504, "timeout"), error
    assert any(isinstance(e, Delta) for e in events)  # it had started
    row = only_row()
    assert (row.status, row.error_type) == ("error", "timeout")
    assert row.output_text == "".join(e.text for e in events if isinstance(e, Delta))
    assert wait_for(lambda: len(fake_llm.cancelled) == 1)  # and the provider saw it cut
