"""The cell stream against the fake provider: tokens as SSE events, metrics when done, a
provider error in place (the other columns go on), one call per cell, one logged completion
with source "playground" each. (Stop through the production server: tests/browser.)"""

import json

import pytest

from gateway.models import Completion
from playground.models import Cell, Session
from tests.playground.conftest import form_data, read_stream, url

pytestmark = pytest.mark.django_db(transaction=True)


def start(client, models) -> tuple[Session, list[Cell]]:
    response = client.post(url("run/"), form_data(models=models))
    assert response.status_code == 302
    session = Session.objects.latest("pk")
    return session, list(Cell.objects.filter(run__session=session).order_by("column"))


def stream(client, session, cell):
    return client.get(url(f"{session.pk}/cells/{cell.pk}/stream/"))


def test_a_cell_streams_tokens_then_its_metrics(bob_client, pg_models, triage):
    session, [cell] = start(bob_client, ["demo"])

    response = stream(bob_client, session, cell)
    assert response["Content-Type"].startswith("text/event-stream")
    events = read_stream(response)

    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) > 3
    name, done = events[-1]
    assert name == "done"
    assert done["status"] == "ok" and done["output_tokens"] > 0 and done["cost"].startswith("$")
    cell.refresh_from_db()
    assert cell.status == Cell.Status.OK
    assert cell.output_text == "".join(deltas)
    assert cell.ttft_ms is not None and cell.latency_ms >= cell.ttft_ms
    row = Completion.objects.get()
    assert (row.source, row.status, row.public_id) == ("playground", "ok", cell.completion_id)
    assert row.stream is True


def test_a_failing_column_shows_its_error_and_the_others_answer(bob_client, pg_models, triage):
    session, cells = start(bob_client, ["demo", "broken"])

    answers = {cell.model_name: read_stream(stream(bob_client, session, cell)) for cell in cells}

    assert answers["demo"][-1][0] == "done"
    name, failed = answers["broken"][-1]
    assert name == "failed"
    assert "500" in failed["error"]
    statuses = dict(Cell.objects.values_list("model_name", "status"))
    assert statuses == {"demo": "ok", "broken": "error"}
    assert sorted(Completion.objects.values_list("status", flat=True)) == ["error", "ok"]


def test_opening_a_cell_again_replays_it_without_calling_the_model(
    bob_client, pg_models, triage, fake_llm
):
    session, [cell] = start(bob_client, ["demo"])
    first = read_stream(stream(bob_client, session, cell))
    calls = len(fake_llm.requests)

    again = read_stream(stream(bob_client, session, cell))

    assert again[-1] == ("done", again[-1][1]) and again[-1][1]["status"] == "ok"
    assert "".join(d["text"] for n, d in again if n == "delta") == "".join(
        d["text"] for n, d in first if n == "delta"
    )
    assert len(fake_llm.requests) == calls
    assert Completion.objects.count() == 1


def test_a_cell_that_could_not_render_replays_its_error(bob_client, pg_models, triage):
    response = bob_client.post(url("run/"), form_data(variables={"company": "Acme"}))
    assert response.status_code == 302
    cell = Cell.objects.get()

    events = read_stream(stream(bob_client, Session.objects.get(), cell))

    assert events[-1][0] == "failed"
    assert "question" in events[-1][1]["error"]
    assert not Completion.objects.exists()


def test_a_viewer_and_an_outsider_may_not_stream(
    vera_client, charlie_client, bob_client, pg_models, triage
):
    session, [cell] = start(bob_client, ["demo"])

    assert stream(vera_client, session, cell).status_code == 403
    assert stream(charlie_client, session, cell).status_code == 404
    cell.refresh_from_db()
    assert cell.status == Cell.Status.PENDING
    assert not Completion.objects.exists()


LOOKUP = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "parameters": {
                "type": "object",
                "properties": {"order_number": {"type": "string"}},
                "required": ["order_number"],
            },
        },
    }
]


def test_a_column_with_tools_sends_them_and_its_cell_shows_the_call(
    bob_client, pg_models, triage, fake_llm
):
    response = bob_client.post(
        url("run/"), form_data(models=["demo", "fast"], **{"col-0-tools": json.dumps(LOOKUP)})
    )
    assert response.status_code == 302
    session = Session.objects.latest("pk")
    with_tools, without = Cell.objects.filter(run__session=session).order_by("column")

    events = read_stream(stream(bob_client, session, with_tools))

    assert fake_llm.requests[-1].body["tools"] == LOOKUP
    assert [name for name, _ in events] == ["tool_calls", "done"]
    [shown] = events[0][1]["calls"]
    assert shown["name"] == "lookup_order"
    assert shown["arguments"] == '{\n  "order_number": "example"\n}'  # pretty-printed
    with_tools.refresh_from_db()
    assert with_tools.status == Cell.Status.OK and with_tools.output_text == ""
    assert [c["name"] for c in with_tools.tool_calls] == ["lookup_order"]
    assert Completion.objects.get().tool_calls == with_tools.tool_calls

    # The other column had no tools: it answers in text.
    read_stream(stream(bob_client, session, without))
    assert "tools" not in fake_llm.requests[-1].body
    without.refresh_from_db()
    assert without.output_text and without.tool_calls == []

    # Opening the cell again replays the call; the page shows it in place of text.
    again = read_stream(stream(bob_client, session, with_tools))
    assert [name for name, _ in again] == ["tool_calls", "done"]
    page = bob_client.get(url(f"{session.pk}/?run=1")).content.decode()
    assert 'Calls tool <span class="mono">lookup_order</span>' in page
    assert "&quot;order_number&quot;: &quot;example&quot;" in page
    assert page.count('name="message"') == 1  # only the text cell may be continued
