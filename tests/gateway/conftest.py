"""Gateway fixtures: acme's providers pointed at the fake provider (tests/fixtures/fake_llm.py).

- `gateway_models`: an OpenAI-compatible provider "Local" with models "demo" (priced),
  "slow" (upstream fake-slow-...), and an Anthropic provider "Claude" with model "claude";
  alias "fast" -> demo.
- `acme_key(role)`: the secret of an acme API key with that role.
- `chat_prompt`: acme's "support/triage" chat prompt (production label).
"""

from decimal import Decimal

import pytest

from gateway.models import ModelAlias, Provider, ProviderModel
from tests.factories import api_key_for
from tests.promptregistry.factories import make_prompt
from workspaces.roles import Role


def add_provider(workspace, name: str, kind: str, base_url: str, key: str = "") -> Provider:
    provider = Provider(workspace=workspace, name=name, kind=kind, base_url=base_url)
    provider.set_api_key(key)
    provider.total_timeout_seconds = 5
    provider.save()
    return provider


def add_model(provider: Provider, name: str, upstream: str, **fields) -> ProviderModel:
    return ProviderModel.objects.create(
        workspace=provider.workspace, provider=provider, name=name, upstream_name=upstream, **fields
    )


@pytest.fixture
def gateway_models(acme, fake_llm):
    local = add_provider(acme, "Local", Provider.Kind.OPENAI_COMPATIBLE, fake_llm.openai_base_url)
    claude = add_provider(
        acme, "Claude", Provider.Kind.ANTHROPIC, fake_llm.base_url, key="sk-ant-test-key-123456"
    )
    demo = add_model(
        local,
        "demo",
        "local-demo",
        input_price_per_million=Decimal("1"),
        output_price_per_million=Decimal("2"),
    )
    add_model(claude, "claude", "claude-test")
    ModelAlias.objects.create(workspace=acme, name="fast", model=demo)
    return {"local": local, "claude": claude, "demo": demo}


@pytest.fixture
def acme_key(acme):
    def make(role: str = Role.EDITOR) -> str:
        return api_key_for(acme, role, name=f"gateway {role}")[1]

    return make


@pytest.fixture
def chat_prompt(acme):
    return make_prompt(
        acme,
        "support/triage",
        messages=[
            {"role": "system", "content": "You help customers of {{company}}."},
            {"role": "user", "content": "{{question}}"},
        ],
        labels=["production"],
    )
