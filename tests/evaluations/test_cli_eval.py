"""`promptops eval` (the CI gate) against a live server: exit 0 on a passing run, 1 on a failing
one, 1 on a regression against a baseline. Tasks run eagerly in the server here (the worker
tests prove the real workers); the command only talks HTTP."""

import subprocess
import sys
from pathlib import Path

import pytest

from evaluations.models import EvaluationRun, Evaluator
from promptregistry.cli import main
from tests.factories import api_key_for
from workspaces.roles import Role

PROMPTOPS = Path(sys.executable).parent / "promptops"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def gate(live_server, acme, eager, eval_models, qa_prompt, make_dataset, monkeypatch):
    make_dataset(4)
    Evaluator.objects.create(workspace=acme, name="Mentions it", kind="contains")
    Evaluator.objects.create(workspace=acme, name="Exact", kind="exact_match")
    Evaluator.objects.create(
        workspace=acme, name="Says Answer", kind="contains", config={"value": "Answer:"}
    )
    key = api_key_for(acme, Role.EDITOR, name="ci")[1]
    monkeypatch.setenv("PROMPTOPS_HOST", live_server.url)
    monkeypatch.setenv("PROMPTOPS_API_KEY", key)
    return {"url": live_server.url, "key": key}


def run_cli(*argv: str, capsys) -> tuple[int, str]:
    code = main(["eval", *argv, "--poll", "0.1"])
    return code, capsys.readouterr().out


def test_a_passing_run_exits_0_from_the_installed_command(gate):
    result = subprocess.run(  # noqa: S603 - the venv's own console script
        [
            str(PROMPTOPS),
            "eval",
            "qa/capitals@production",
            "--dataset",
            "Capitals",
            "--evaluator",
            "Mentions it",
            "--model",
            "demo",
            "--min-score",
            "0.9",
            "--host",
            gate["url"],
            "--api-key",
            gate["key"],
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout
    assert "Mentions it" in result.stdout
    assert "overall" in result.stdout
    assert EvaluationRun.objects.get().status == "completed"


def test_a_failing_run_exits_1_from_the_installed_command(gate):
    result = subprocess.run(  # noqa: S603
        [
            str(PROMPTOPS),
            "eval",
            "qa/capitals@production",
            "--dataset",
            "Capitals",
            "--evaluator",
            "Exact",
            "--model",
            "demo",
            "--min-score",
            "0.8",
            "--host",
            gate["url"],
            "--api-key",
            gate["key"],
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL: mean score 0.000 is below --min-score 0.8" in result.stdout


def test_a_regression_against_a_baseline_label_exits_1(gate, capsys):
    # v2 ("Reply: ...") loses "Answer:" that production (v1) had: a regression of 1.0.
    code, out = run_cli(
        "qa/capitals@2", "--dataset", "Capitals", "--evaluator", "Says Answer",
        "--model", "demo", "--baseline", "production", "--max-regression", "0.1",
        capsys=capsys,
    )  # fmt: skip
    assert code == 1, out
    assert "fell 1.000 from the baseline" in out
    code, out = run_cli(
        "qa/capitals@production", "--dataset", "Capitals", "--evaluator", "Says Answer",
        "--model", "demo", "--baseline", "2", "--max-regression", "0.1",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, out
    assert "+1.000" in out


def test_usage_and_api_errors(gate, capsys):
    assert main(["eval", "qa/capitals", "--dataset", "Capitals"]) == 2  # no threshold
    code, out = run_cli("qa/capitals", "--dataset", "Nope", "--min-score", "0.5", capsys=capsys)
    assert code == 1
    assert not EvaluationRun.objects.exists()
