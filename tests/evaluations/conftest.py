"""Evaluation fixtures.

- `eval_models`: acme's provider "Local" at the fake LLM with models "demo" (priced) and
  "broken" (upstream fake-500: every call fails).
- `qa_prompt`: acme's chat prompt "qa/capitals" (v1 "Answer: {{question}}", v2 "Reply:
  {{question}}"), production on v1.
- `qa_dataset(n)`: a dataset of n items whose expected output appears in the fake's echo.
- `contains_eval`, `length_eval`: two evaluators.
- `drain`: runs the tasks a test's runs enqueued, in this process, until none are left
  (the real-worker tests in test_workers.py use Celery worker processes instead).
"""

from decimal import Decimal

import pytest

from evaluations.models import Evaluator
from evaluations.services import datasets
from gateway.models import Provider
from tests.gateway.conftest import add_model, add_provider
from tests.promptregistry.factories import add_version, make_prompt, principal_for


@pytest.fixture
def eval_models(acme, fake_llm):
    local = add_provider(acme, "Local", Provider.Kind.OPENAI_COMPATIBLE, fake_llm.openai_base_url)
    local.max_retries = 0
    local.save()
    demo = add_model(
        local,
        "demo",
        "local-demo",
        input_price_per_million=Decimal("1"),
        output_price_per_million=Decimal("2"),
    )
    broken = add_model(local, "broken", "fake-500")
    return {"local": local, "demo": demo, "broken": broken}


@pytest.fixture
def qa_prompt(acme, alice):
    prompt = make_prompt(
        acme,
        "qa/capitals",
        messages=[{"role": "user", "content": "Answer: {{question}}"}],
        labels=["production"],
    )
    add_version(prompt, messages=[{"role": "user", "content": "Reply: {{question}}"}])
    prompt.refresh_from_db()
    return prompt


@pytest.fixture
def make_dataset(acme, alice):
    def make(n: int = 5, name: str = "Capitals"):
        principal = principal_for(acme, alice)
        dataset = datasets.dataset_create(principal=principal, name=name)
        datasets.dataset_items_add(
            principal=principal,
            dataset=dataset,
            items=(
                {"inputs": {"question": f"capital {i}?"}, "expected_output": f"capital {i}"}
                for i in range(1, n + 1)
            ),
        )
        return dataset

    return make


@pytest.fixture
def contains_eval(acme):
    return Evaluator.objects.create(workspace=acme, name="Mentions it", kind="contains")


@pytest.fixture
def length_eval(acme):
    return Evaluator.objects.create(workspace=acme, name="Short", kind="length", config={"max": 60})


@pytest.fixture
def drain(monkeypatch):
    """Collect enqueued item tasks instead of sending them; drain() runs them all."""
    from evaluations.services import runs

    queue: list[int] = []
    monkeypatch.setattr(runs, "_enqueue", queue.extend)

    def run_all(limit: int = 10_000) -> int:
        done = 0
        while queue and done < limit:
            runs.evaluation_item_process(queue.pop(0), worker="test:1")
            done += 1
        return done

    run_all.queue = queue
    return run_all
