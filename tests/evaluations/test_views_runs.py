import json

import pytest
from django.urls import reverse

from evaluations.models import EvaluationRun, HumanGrade
from evaluations.services import runs
from tests.promptregistry.factories import principal_for


def url(name, *args):
    return reverse(f"evaluations:{name}", args=["acme", *args])


@pytest.fixture
def setup(acme, eval_models, qa_prompt, make_dataset, contains_eval, length_eval):
    return {"dataset": make_dataset(4), "evaluators": [contains_eval, length_eval]}


def start_form(setup, **extra):
    data = {
        "prompt": "qa/capitals",
        "target": "production",
        "model": "demo",
        "dataset": setup["dataset"].pk,
        "evaluators": [e.pk for e in setup["evaluators"]],
        "concurrency": 2,
    }
    data.update(extra)
    return data


def test_an_editor_starts_a_run_and_watches_it(bob_client, setup, drain):
    response = bob_client.post(url("runs"), start_form(setup))
    run = EvaluationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("run", run.pk)
    progress = bob_client.get(url("run", run.pk) + "?part=progress", headers={"HX-Request": "true"})
    assert progress.status_code == 200
    assert b"<html" not in progress.content
    assert b"0 of 4" in progress.content
    assert b'hx-trigger="every 1s"' in progress.content
    drain()
    progress = bob_client.get(url("run", run.pk) + "?part=progress", headers={"HX-Request": "true"})
    assert b"4 of 4" in progress.content
    assert b"every 1s" not in progress.content  # finished: polling stops
    page = bob_client.get(url("run", run.pk))
    assert page.status_code == 200
    assert b"By evaluator" in page.content
    assert b"Mentions it" in page.content


def test_a_version_number_is_accepted_in_the_form(bob_client, setup, drain):
    bob_client.post(url("runs"), start_form(setup, target="v2"))
    assert EvaluationRun.objects.get().prompt_version == 2


def test_bad_input_re_renders_the_form(bob_client, setup):
    response = bob_client.post(url("runs"), start_form(setup, target="nope"))
    assert response.status_code == 422
    assert b"has no label" in response.content
    response = bob_client.post(url("runs"), start_form(setup, concurrency=0))
    assert response.status_code == 422
    assert not EvaluationRun.objects.exists()


def test_a_viewer_gets_403_on_start_cancel_and_grade(vera_client, acme, alice, setup, drain):
    response = vera_client.post(url("runs"), start_form(setup))
    assert response.status_code == 403
    assert not EvaluationRun.objects.exists()
    run = runs.evaluation_run_start(
        principal=principal_for(acme, alice),
        prompt_name="qa/capitals",
        model="demo",
        dataset=setup["dataset"],
        evaluators=setup["evaluators"],
    )
    assert vera_client.post(url("run-cancel", run.pk)).status_code == 403
    run.refresh_from_db()
    assert run.status == "running"
    drain()
    assert vera_client.get(url("run-grade", run.pk)).status_code == 200
    assert vera_client.post(url("run-grade", run.pk), {"score": 5}).status_code == 403
    assert not HumanGrade.objects.exists()


def test_an_outsider_gets_404(charlie_client, acme, alice, setup):
    run = runs.evaluation_run_start(
        principal=principal_for(acme, alice),
        prompt_name="qa/capitals",
        model="demo",
        dataset=setup["dataset"],
        evaluators=[],
    )
    for name in ("run", "run-export", "run-grade"):
        assert charlie_client.get(url(name, run.pk)).status_code == 404
    assert charlie_client.post(url("run-cancel", run.pk)).status_code == 404
    assert charlie_client.get(url("run-compare") + f"?runs={run.pk}").status_code == 404
    run.refresh_from_db()
    assert run.status == "running"


def test_cancel_stops_the_run(bob_client, setup, drain):
    bob_client.post(url("runs"), start_form(setup, concurrency=1))
    run = EvaluationRun.objects.get()
    drain(limit=1)
    response = bob_client.post(url("run-cancel", run.pk))
    assert response.status_code == 302
    drain()
    run.refresh_from_db()
    assert (run.status, run.done_count) == ("cancelled", 1)


def test_failures_filter_and_exports(bob_client, acme, alice, setup, drain):
    from evaluations.models import Evaluator

    strict = Evaluator.objects.create(workspace=acme, name="Exact", kind="exact_match", config={})
    run = runs.evaluation_run_start(
        principal=principal_for(acme, alice),
        prompt_name="qa/capitals",
        model="demo",
        dataset=setup["dataset"],
        evaluators=[strict],
    )
    drain()
    failures = bob_client.get(url("run", run.pk) + "?show=failures", headers={"HX-Request": "true"})
    assert b"<html" not in failures.content
    assert failures.content.count(b'class="result-row') == 4
    exported = bob_client.get(url("run-export", run.pk) + "?format=jsonl")
    records = [json.loads(line) for line in b"".join(exported.streaming_content).splitlines()]
    assert [r["position"] for r in records] == [1, 2, 3, 4]
    assert records[0]["scores"][str(strict.pk)]["passed"] is False
    csv_text = b"".join(bob_client.get(url("run-export", run.pk)).streaming_content).decode()
    assert csv_text.splitlines()[0].lstrip("\ufeff").startswith("position,inputs,expected_output")


def test_the_results_partial_runs_constant_queries(
    alice_client, acme, alice, setup, drain, assert_queries
):
    run = runs.evaluation_run_start(
        principal=principal_for(acme, alice),
        prompt_name="qa/capitals",
        model="demo",
        dataset=setup["dataset"],
        evaluators=setup["evaluators"],
    )
    drain()
    htmx = {"HX-Request": "true"}
    with assert_queries(5):  # session, user, membership, run, the page of results
        alice_client.get(url("run", run.pk), headers=htmx)
    with assert_queries(8):  # + evaluators, their scores, the nav's workspaces
        alice_client.get(url("run", run.pk))
    with assert_queries(4):  # the progress region reads the run's counters only
        alice_client.get(url("run", run.pk) + "?part=progress", headers=htmx)


def test_grading_moves_through_the_queue(bob_client, acme, alice, setup, drain):
    run = runs.evaluation_run_start(
        principal=principal_for(acme, alice),
        prompt_name="qa/capitals",
        model="demo",
        dataset=setup["dataset"],
        evaluators=setup["evaluators"],
    )
    drain()
    page = bob_client.get(url("run-grade", run.pk))
    assert b"Item 1" in page.content
    assert b"0</strong> of 4 graded" in page.content
    response = bob_client.post(
        url("run-grade", run.pk) + "?position=1", {"score": 4, "comment": "ok"}
    )
    assert response["Location"].endswith("?position=2")
    response = bob_client.post(url("run-grade", run.pk) + "?position=1", {"score": 2})
    assert HumanGrade.objects.get().score == 2  # regraded, not a second grade
    bad = bob_client.post(url("run-grade", run.pk) + "?position=2", {"score": 9})
    assert bad.status_code == 422
    assert HumanGrade.objects.count() == 1


def test_comparison_puts_regressions_first(bob_client, acme, alice, setup, drain):
    from evaluations.models import Evaluator

    answer = Evaluator.objects.create(
        workspace=acme, name="Says Answer", kind="contains", config={"value": "Answer:"}
    )
    principal = principal_for(acme, alice)
    first = runs.evaluation_run_start(
        principal=principal, prompt_name="qa/capitals", version=1, model="demo",
        dataset=setup["dataset"], evaluators=[answer],
    )  # fmt: skip
    drain()
    second = runs.evaluation_run_start(
        principal=principal, prompt_name="qa/capitals", version=2, model="demo",
        dataset=setup["dataset"], evaluators=[answer],
    )  # fmt: skip
    drain()
    page = bob_client.get(url("run-compare") + f"?runs={first.pk}&runs={second.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Rows that differ" in text
    assert text.count("is-regression") == 4
    assert "-1.00" in text
    lonely = bob_client.get(url("run-compare") + f"?runs={first.pk}")
    assert b"Pick two or more runs" in lonely.content
