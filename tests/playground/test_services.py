"""The playground's services: sessions, runs rendered through the registry, follow-ups,
versions saved from the left pane, and the hand-off to evaluations."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evaluations.models import Dataset, EvaluationRun
from playground import services
from playground.models import Cell, Run
from playground.setup import Column, Setup, grid_rows
from tests.playground.conftest import TRIAGE
from tests.promptregistry.factories import make_snippet, principal_for

pytestmark = pytest.mark.django_db

VARS = {"company": "Acme", "question": "Where is my order?"}


def setup_for(prompt_name="support/triage", models=("demo",), **fields) -> Setup:
    return Setup(
        prompt=prompt_name,
        base_version=1 if prompt_name else None,
        content={"messages": [dict(m) for m in TRIAGE]},
        variables=dict(VARS),
        columns=[Column(model=m) for m in models],
        **fields,
    )


def test_a_run_has_one_pending_cell_per_column_rendered_through_the_registry(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for(models=("demo", "fast"))
    session = services.session_save(principal=principal, setup=setup)

    run = services.run_start(principal=principal, session=session, setup=setup)

    cells = list(run.cells.order_by("column"))
    assert [c.model_name for c in cells] == ["demo", "fast"]
    assert {c.status for c in cells} == {Cell.Status.PENDING}
    assert cells[0].input_messages[0] == {
        "role": "system",
        "content": "You help customers of Acme.",
    }
    assert cells[0].prompt_version == 1  # the version it was opened from, unchanged


def test_an_edited_left_pane_runs_as_messages_not_as_the_version(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for()
    setup.content["messages"][1]["content"] = "Be brief. {{question}}"
    session = services.session_save(principal=principal, setup=setup)

    cell = services.run_start(principal=principal, session=session, setup=setup).cells.get()

    assert cell.prompt_version is None
    assert cell.input_messages[1]["content"] == "Be brief. Where is my order?"


def test_snippets_resolve_as_the_principal_may_read_them(bob, acme, triage):
    make_snippet(acme, "tone", text="Be kind.")
    principal = principal_for(acme, bob)
    setup = setup_for()
    setup.content["messages"][0]["content"] = "@@@langfusePrompt:name=tone|label=latest@@@ Hi"
    session = services.session_save(principal=principal, setup=setup)

    cell = services.run_start(principal=principal, session=session, setup=setup).cells.get()

    assert cell.error_message == ""
    assert cell.input_messages[0]["content"] == "Be kind. Hi"


def test_a_missing_variable_is_an_error_cell_at_once(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for()
    setup.variables = {"company": "Acme"}
    session = services.session_save(principal=principal, setup=setup)

    cell = services.run_start(principal=principal, session=session, setup=setup).cells.get()

    assert cell.status == Cell.Status.ERROR
    assert "question" in cell.error_message


def test_a_grid_run_is_rows_times_columns(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for(models=("demo", "fast"), grid="question\nHi\nWhy?\nWhen?")
    session = services.session_save(principal=principal, setup=setup)

    run = services.run_start(principal=principal, session=session, setup=setup, grid=True)

    assert run.kind == Run.Kind.GRID
    assert run.cells.count() == 6
    assert run.cells.get(row=2, column=1).variables == {"company": "Acme", "question": "When?"}


def test_a_grid_without_rows_is_refused(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for(grid="question")
    session = services.session_save(principal=principal, setup=setup)

    with pytest.raises(ValidationError):
        services.run_start(principal=principal, session=session, setup=setup, grid=True)
    assert not Run.objects.exists()


def test_grids_paste_from_spreadsheets_or_commas():
    assert grid_rows("a\tb\n1\t2\n") == (["a", "b"], [{"a": "1", "b": "2"}])
    assert grid_rows('a,b\n"x, y",2') == (["a", "b"], [{"a": "x, y", "b": "2"}])
    with pytest.raises(ValueError, match="each once"):
        grid_rows("a,a\n1,2")


def test_a_viewer_may_not_run(vera, acme, triage):
    principal = principal_for(acme, vera)
    with pytest.raises(PermissionDenied):
        services.session_save(principal=principal, setup=setup_for())


def test_a_follow_up_appends_the_answer_and_the_new_message(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for()
    session = services.session_save(principal=principal, setup=setup)
    cell = services.run_start(principal=principal, session=session, setup=setup).cells.get()
    Cell.objects.filter(pk=cell.pk).update(status=Cell.Status.OK, output_text="It ships today.")
    cell.refresh_from_db()

    follow_up = services.run_continue(principal=principal, cell=cell, message="And when?")

    new = follow_up.cells.get()
    assert new.input_messages[-2:] == [
        {"role": "assistant", "content": "It ships today."},
        {"role": "user", "content": "And when?"},
    ]
    assert follow_up.number == 2


def test_save_as_new_version_writes_the_left_pane_and_the_column_settings(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for(models=("demo", "fast"))
    setup.columns[1].temperature = 0.2
    setup.content["messages"][1]["content"] = "Briefly: {{question}}"

    version = services.version_save(
        principal=principal, setup=setup, column_index=1, commit_message="Briefer"
    )

    assert version.number == 2
    assert version.content["messages"][1]["content"] == "Briefly: {{question}}"
    assert version.config["model"] == "fast"
    assert version.config["temperature"] == 0.2
    assert version.commit_message == "Briefer"


def test_save_as_new_version_refuses_an_unchanged_prompt(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for(models=())
    setup.columns = []
    with pytest.raises(ValidationError):
        services.version_save(principal=principal, setup=setup, column_index=0, commit_message="")
    assert triage.versions.count() == 1


def test_add_to_dataset_stores_the_variables_and_the_output(bob, acme, triage):
    principal = principal_for(acme, bob)
    setup = setup_for()
    session = services.session_save(principal=principal, setup=setup)
    cell = services.run_start(principal=principal, session=session, setup=setup).cells.get()
    Cell.objects.filter(pk=cell.pk).update(status=Cell.Status.OK, output_text="Today.")
    cell.refresh_from_db()

    dataset, item = services.cell_add_to_dataset(
        principal=principal, cell=cell, dataset_id=None, new_dataset="Orders"
    )

    assert dataset.name == "Orders"
    assert item.inputs == VARS
    assert item.expected_output == "Today."


def test_the_whole_dataset_runs_the_saved_version_as_an_evaluation(bob, acme, triage):
    from evaluations.services.datasets import dataset_create, dataset_item_add

    principal = principal_for(acme, bob)
    dataset = dataset_create(principal=principal, name="Orders")
    dataset_item_add(principal=principal, dataset=dataset, inputs=VARS, expected_output="x")

    run = services.dataset_run_start(
        principal=principal,
        setup=setup_for(),
        column_index=0,
        dataset_id=dataset.pk,
        evaluator_ids=[],
    )

    assert isinstance(run, EvaluationRun)
    assert (run.prompt_version, run.model) == (1, "demo")


def test_an_edited_left_pane_must_be_saved_before_a_dataset_run(bob, acme, triage):
    principal = principal_for(acme, bob)
    dataset = Dataset.objects.create(workspace=acme, name="Orders")
    setup = setup_for()
    setup.content["messages"][1]["content"] = "Changed {{question}}"

    with pytest.raises(ValidationError, match="save the messages"):
        services.dataset_run_start(
            principal=principal,
            setup=setup,
            column_index=0,
            dataset_id=dataset.pk,
            evaluator_ids=[],
        )
    assert not EvaluationRun.objects.exists()
