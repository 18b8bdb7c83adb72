"""'Gate production on evaluation': a label move to production needs a passing run, enforced
through the registry's release-check extension point (the registry never imports evaluations)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evaluations.models import EvaluationSettings
from evaluations.services import runs
from evaluations.services.evaluators import evaluation_settings_update
from promptregistry.models import Label
from promptregistry.services import label_move
from tests.promptregistry.factories import principal_for


@pytest.fixture
def gated(acme, alice):
    return evaluation_settings_update(
        principal=principal_for(acme, alice), gate_production=True, gate_dataset=None,
        gate_min_score=0.8,
    )  # fmt: skip


def move(acme, user, prompt, number, name="production"):
    version = prompt.versions.get(number=number)
    return label_move(
        principal=principal_for(acme, user), prompt=prompt, name=name, version=version
    )


def test_production_needs_a_passing_run_when_gated(
    acme, alice, eval_models, qa_prompt, make_dataset, contains_eval, drain, gated
):
    with pytest.raises(ValidationError, match="gates production on evaluation"):
        move(acme, alice, qa_prompt, 2)
    assert Label.objects.get(prompt=qa_prompt, name="production").version.number == 1
    move(acme, alice, qa_prompt, 2, name="staging")  # other labels are not gated
    runs.evaluation_run_start(
        principal=principal_for(acme, alice), prompt_name="qa/capitals", version=2,
        model="demo", dataset=make_dataset(2), evaluators=[contains_eval],
    )  # fmt: skip
    drain()
    move(acme, alice, qa_prompt, 2)
    assert Label.objects.get(prompt=qa_prompt, name="production").version.number == 2


def test_a_failing_run_does_not_open_the_gate(
    acme, alice, eval_models, qa_prompt, make_dataset, drain, gated
):
    from evaluations.models import Evaluator

    exact = Evaluator.objects.create(workspace=acme, name="Exact", kind="exact_match")
    runs.evaluation_run_start(
        principal=principal_for(acme, alice), prompt_name="qa/capitals", version=2,
        model="demo", dataset=make_dataset(2), evaluators=[exact],
    )  # fmt: skip
    drain()
    with pytest.raises(ValidationError):
        move(acme, alice, qa_prompt, 2)


def test_ungated_workspaces_move_freely(acme, alice, qa_prompt):
    move(acme, alice, qa_prompt, 2)
    assert not EvaluationSettings.objects.exists()


def test_only_admins_change_the_gate(acme, bob, admin_client_for_gate, bob_client):
    with pytest.raises(PermissionDenied):
        evaluation_settings_update(
            principal=principal_for(acme, bob), gate_production=True, gate_dataset=None,
            gate_min_score=0.5,
        )  # fmt: skip
    url = reverse("evaluations:gate-settings", args=["acme"])
    assert (
        bob_client.post(url, {"gate_production": "on", "gate_min_score": "0.5"}).status_code == 403
    )
    assert not EvaluationSettings.objects.exists()
    response = admin_client_for_gate.post(url, {"gate_production": "on", "gate_min_score": "0.7"})
    assert response.status_code == 302
    settings = EvaluationSettings.objects.get()
    assert (settings.gate_production, settings.gate_min_score) == (True, 0.7)


@pytest.fixture
def admin_client_for_gate(adam_client):
    return adam_client
