"""Playground fixtures: acme's models on the fake provider and a chat prompt to open.

- `pg_models`: "demo" (priced echo), "broken" (the fake answers 500), "slow" (a word every
  50 ms), alias "fast" -> demo.
- `triage`: acme's "support/triage" chat prompt, v1, with {{company}} and {{question}}.
- `form_data(...)`: the set-up form's fields as the page posts them.
"""

from decimal import Decimal

import pytest

from gateway.models import ModelAlias, Provider
from tests.gateway.conftest import add_model, add_provider
from tests.promptregistry.factories import make_prompt

TRIAGE = [
    {"role": "system", "content": "You help customers of {{company}}."},
    {"role": "user", "content": "{{question}}"},
]


@pytest.fixture
def pg_models(acme, fake_llm):
    local = add_provider(acme, "Local", Provider.Kind.OPENAI_COMPATIBLE, fake_llm.openai_base_url)
    local.max_retries = 0
    local.save(update_fields=["max_retries"])
    demo = add_model(
        local,
        "demo",
        "local-demo",
        input_price_per_million=Decimal("1"),
        output_price_per_million=Decimal("2"),
    )
    add_model(local, "broken", "fake-500")
    add_model(local, "slow", "fake-slow-0.05")
    ModelAlias.objects.create(workspace=acme, name="fast", model=demo)
    return {"local": local, "demo": demo}


@pytest.fixture
def triage(acme, alice):
    return make_prompt(acme, "support/triage", messages=TRIAGE, by=alice, labels=["production"])


def form_data(
    *,
    models=("demo",),
    messages=TRIAGE,
    variables=None,
    prompt="",
    base_version="",
    action="run",
    grid="",
    **extra,
) -> dict:
    data = {
        "prompt": prompt,
        "base_version": base_version,
        "prompt_type": "chat",
        "template_format": "mustache",
        "action": action,
        "grid": grid,
        "title": "",
    }
    for i, message in enumerate(messages):
        data[f"msg-{i}-role"] = message["role"]
        data[f"msg-{i}-content"] = message["content"]
    for name, value in (variables or {"company": "Acme", "question": "Where is my order?"}).items():
        data[f"var-{name}"] = value
    for i, model in enumerate(models):
        data[f"col-{i}-model"] = model
    data.update(extra)
    return data


def read_stream(response) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a cell stream read through the test client; closing the
    response writes the call's row and the cell, as Django does after the last byte."""
    import json

    body = b"".join(response.streaming_content).decode()
    response.close()
    events = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def url(path: str = "") -> str:
    return f"/w/acme/playground/{path}"
