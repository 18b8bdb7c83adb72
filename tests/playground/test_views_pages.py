"""The playground's pages: who may look and who may run, the set-up opened from a version, a
logged call and the editor, Run's redirect to the session, bad input, partials and queries."""

import pytest

from gateway.models import Completion
from playground.models import Cell, Run, Session
from promptregistry.models import PromptVersion
from tests.playground.conftest import form_data, url
from tests.promptregistry.factories import make_prompt

pytestmark = pytest.mark.django_db


def session_with_run(client, **fields) -> Session:
    response = client.post(
        url("run/"), form_data(prompt="support/triage", base_version="1", **fields)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Session.objects.latest("pk")


def test_an_outsider_gets_404(charlie_client, pg_models, triage):
    assert charlie_client.get(url()).status_code == 404
    assert charlie_client.post(url("run/"), form_data()).status_code == 404
    assert not Session.objects.exists()


def test_a_viewer_may_look_but_not_run(vera_client, pg_models, triage):
    page = vera_client.get(url() + "?prompt=support/triage")

    assert page.status_code == 200
    assert "may look here but not run" in page.content.decode()
    assert 'value="run"' not in page.content.decode()
    assert vera_client.post(url("run/"), form_data()).status_code == 403
    assert not Session.objects.exists()


def test_a_viewer_gets_403_on_every_write_of_a_session(vera_client, bob_client, pg_models, triage):
    session = session_with_run(bob_client)
    cell = Cell.objects.get()
    base = f"{session.pk}/"
    for path in (
        "run/",
        "save-version/",
        f"cells/{cell.pk}/continue/",
        f"cells/{cell.pk}/add-to-dataset/",
    ):
        assert vera_client.post(url(base + path), form_data()).status_code == 403, path
    assert vera_client.get(url(base + f"cells/{cell.pk}/stream/")).status_code == 403
    assert Run.objects.count() == 1
    assert Cell.objects.get().status == Cell.Status.PENDING
    assert PromptVersion.objects.count() == 1


def test_opening_a_version_fills_the_messages_the_variables_and_the_model(
    bob_client, pg_models, triage
):
    page = bob_client.get(url() + "?prompt=support/triage&version=1").content.decode()

    assert "You help customers of {{company}}." in page
    assert 'name="var-company"' in page and 'name="var-question"' in page
    # The version's config names no model: the column starts on the first one there is.
    assert '<option value="broken" selected>' in page


def test_opening_a_logged_call_fills_its_messages_and_model(bob_client, pg_models, acme):
    completion = Completion.objects.create(
        workspace=acme,
        source="api",
        status="ok",
        model_name="fast",
        input_messages=[{"role": "user", "content": "What is 2+2?"}],
        params={"temperature": 0.3},
    )

    page = bob_client.get(url() + f"?completion={completion.public_id}").content.decode()

    assert "What is 2+2?" in page
    assert '<option value="fast" selected>' in page
    assert 'value="0.3"' in page


def test_opening_a_logged_call_with_tools_fills_the_columns_tools(bob_client, pg_models, acme):
    tool = {"type": "function", "function": {"name": "lookup_order"}}
    completion = Completion.objects.create(
        workspace=acme,
        source="api",
        status="ok",
        model_name="demo",
        input_messages=[{"role": "user", "content": "Where is order 7?"}],
        params={"tools": [tool]},
    )

    page = bob_client.get(url() + f"?completion={completion.public_id}").content.decode()

    assert "&quot;lookup_order&quot;" in page
    assert "doesn't send tools" not in page


def test_try_it_opens_the_editors_unsaved_text(bob_client, pg_models, triage):
    response = bob_client.post(
        url("try/") + "?prompt=support/triage",
        {
            "base_number": "1",
            "template_format": "mustache",
            "m-0-kind": "message",
            "m-0-role": "user",
            "m-0-content": "Unsaved {{topic}}",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Unsaved {{topic}}" in page
    assert 'name="var-topic"' in page
    assert not Session.objects.exists()


def test_run_saves_the_session_and_opens_its_run(bob_client, pg_models, triage):
    session = session_with_run(bob_client, models=["demo", "broken", "slow"])

    page = bob_client.get(url(f"{session.pk}/?run=1"))

    assert page.status_code == 200
    assert page.content.decode().count("data-stream-url=") == 3
    assert Cell.objects.filter(status=Cell.Status.PENDING).count() == 3


def test_run_with_htmx_redirects_the_client(bob_client, pg_models, triage):
    response = bob_client.post(url("run/"), form_data(), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(url())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("col-0-temperature", "9"),
        ("col-0-model", "nope"),
        ("col-0-tools", "{not json"),
        ("col-0-tools", '[{"type": "web_search"}]'),
        ("msg-0-role", "robot"),
    ],
)
def test_bad_input_is_422_with_what_was_typed_and_nothing_saved(
    bob_client, pg_models, triage, field, value
):
    response = bob_client.post(url("run/"), form_data(**{field: value}))

    assert response.status_code == 422
    assert "Nothing was run" in response.content.decode()
    assert not Session.objects.exists()


def test_save_as_new_version_then_shows_the_session(bob_client, pg_models, triage):
    data = form_data(prompt="support/triage", base_version="1", commit_message="Shorter")
    data["msg-1-content"] = "Shortly: {{question}}"

    response = bob_client.post(url("save-version/"), data, follow=True)

    assert response.status_code == 200
    assert "Saved as" in response.content.decode()
    assert triage.versions.get(number=2).commit_message == "Shorter"


def test_the_variables_partial_follows_the_messages(vera_client, pg_models, triage):
    response = vera_client.post(
        url("variables/"),
        form_data(messages=[{"role": "user", "content": "{{city}} {{day}}"}]),
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert "<html" not in page
    assert 'name="var-city"' in page and 'name="var-day"' in page


def test_the_word_diff_compares_two_outputs(bob_client, pg_models, triage):
    session = session_with_run(bob_client, models=["demo", "fast"])
    a, b = Cell.objects.order_by("column")
    Cell.objects.filter(pk=a.pk).update(status="ok", output_text="The parcel ships today.")
    Cell.objects.filter(pk=b.pk).update(status="ok", output_text="The parcel ships tomorrow.")

    response = bob_client.get(
        url(f"{session.pk}/diff/"), {"a": a.pk, "b": b.pk}, headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    assert "<html" not in page
    assert "<del>today</del>" in page or "today" in page and "tomorrow" in page
    assert "+1" in page


def test_the_session_page_has_constant_queries(bob_client, pg_models, triage, acme, assert_queries):
    session = session_with_run(bob_client, models=["demo", "fast"])
    with assert_queries(QUERIES):
        bob_client.get(url(f"{session.pk}/"))
    for n in range(3):
        make_prompt(acme, f"other/p{n}", messages=[{"role": "user", "content": "Hi"}])
        bob_client.post(url("run/"), form_data(prompt=f"other/p{n}", base_version="1"))
        bob_client.post(
            url(f"{session.pk}/run/"),
            form_data(prompt="support/triage", base_version="1", models=["demo", "fast", "slow"]),
        )
    with assert_queries(QUERIES):
        bob_client.get(url(f"{session.pk}/"))


QUERIES = 20


def finished_cell(client, text="It ships today.") -> tuple[Session, Cell]:
    session = session_with_run(client)
    cell = Cell.objects.get()
    Cell.objects.filter(pk=cell.pk).update(status="ok", output_text=text)
    return session, cell


def test_add_to_dataset_adds_the_output_and_says_where(bob_client, pg_models, triage):
    from evaluations.models import DatasetItem

    session, cell = finished_cell(bob_client)

    response = bob_client.post(
        url(f"{session.pk}/cells/{cell.pk}/add-to-dataset/"), {"new_dataset": "Orders"}, follow=True
    )

    assert "Added as row 1 of" in response.content.decode()
    item = DatasetItem.objects.get()
    assert (item.expected_output, item.inputs["company"]) == ("It ships today.", "Acme")


def test_add_to_dataset_without_a_dataset_adds_nothing(bob_client, pg_models, triage):
    from evaluations.models import Dataset

    session, cell = finished_cell(bob_client)

    response = bob_client.post(
        url(f"{session.pk}/cells/{cell.pk}/add-to-dataset/"), {}, follow=True
    )

    assert "Pick a dataset, or name a new one." in response.content.decode()
    assert not Dataset.objects.exists()


def test_a_tool_call_answer_is_not_added_to_a_dataset(bob_client, pg_models, triage):
    from evaluations.models import Dataset

    session, cell = finished_cell(bob_client, text="")
    call = {"id": "call_1", "name": "lookup_order", "arguments": "{}"}
    Cell.objects.filter(pk=cell.pk).update(tool_calls=[call])

    page = bob_client.get(url(f"{session.pk}/?run=1")).content.decode()
    response = bob_client.post(
        url(f"{session.pk}/cells/{cell.pk}/add-to-dataset/"), {"new_dataset": "Orders"}, follow=True
    )

    assert "Add to dataset" not in page
    assert "This answer is a tool call" in response.content.decode()
    assert not Dataset.objects.exists()


def test_grid_rows_come_from_a_dataset(bob_client, pg_models, triage, acme):
    from evaluations.models import Dataset, DatasetItem

    dataset = Dataset.objects.create(workspace=acme, name="Orders", item_count=2, next_position=3)
    for position, question in enumerate(["Where?", "When?"], start=1):
        DatasetItem.objects.create(
            dataset=dataset, position=position, inputs={"question": question}
        )

    bob_client.post(url("run/"), form_data(action="load-dataset", grid_dataset=str(dataset.pk)))

    assert Session.objects.get().grid == "question\nWhere?\nWhen?"
    assert not Run.objects.exists()


def test_run_on_the_whole_dataset_starts_an_evaluation_run(bob_client, pg_models, triage, acme):
    from evaluations.models import Dataset, DatasetItem, EvaluationRun

    dataset = Dataset.objects.create(workspace=acme, name="Orders", item_count=1, next_position=2)
    DatasetItem.objects.create(dataset=dataset, position=1, inputs={"question": "Where?"})

    response = bob_client.post(
        url("run-dataset/"),
        form_data(prompt="support/triage", base_version="1", dataset=str(dataset.pk)),
    )

    run = EvaluationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/runs/{run.pk}/")
    assert (run.prompt_version, run.model) == (1, "demo")


def test_run_on_the_whole_dataset_needs_a_dataset(bob_client, pg_models, triage):
    from evaluations.models import EvaluationRun

    response = bob_client.post(url("run-dataset/"), form_data(prompt="support/triage"))

    assert response.status_code == 422
    assert "Pick a dataset to run on." in response.content.decode()
    assert not EvaluationRun.objects.exists()


def test_continue_runs_the_column_with_the_next_message(bob_client, pg_models, triage):
    session, cell = finished_cell(bob_client)

    response = bob_client.post(url(f"{session.pk}/cells/{cell.pk}/continue/"), {"message": "And?"})

    assert response.status_code == 302
    follow_up = Run.objects.get(number=2)
    assert follow_up.cells.get().input_messages[-1] == {"role": "user", "content": "And?"}


def test_continue_without_a_message_runs_nothing(bob_client, pg_models, triage):
    session, cell = finished_cell(bob_client)

    bob_client.post(url(f"{session.pk}/cells/{cell.pk}/continue/"), {"message": ""})

    assert Run.objects.count() == 1


def test_an_outsider_gets_404_for_a_session(charlie_client, bob_client, pg_models, triage):
    session, cell = finished_cell(bob_client)

    assert charlie_client.get(url(f"{session.pk}/")).status_code == 404
    assert charlie_client.get(url(f"{session.pk}/diff/")).status_code == 404
