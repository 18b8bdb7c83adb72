"""LiteLLM's Langfuse prompt management, unmodified, fetching prompts from PromptOps.

LiteLLM (in its own venv: it needs langfuse 4.x) is told LANGFUSE_HOST=PromptOps and a
workspace key pair; `model="langfuse/openai/local-demo"` with `prompt_id` and
`prompt_variables` makes it fetch the prompt through /api/public/v2/prompts, compile it and
send the result, followed by the caller's own messages, to the fake OpenAI provider, which
records what it received.
"""

import json

import pytest

from promptregistry import services
from promptregistry.models import Prompt
from workspaces.principal import Principal
from workspaces.roles import Role

from .conftest import run_in

# The first run builds var/litellm-venv from PyPI (about a minute and a half); later runs reuse it.
pytestmark = pytest.mark.timeout(1200)

COMPLETION = """
import json, os
import litellm

response = litellm.completion(
    model="langfuse/openai/local-demo",
    prompt_id=os.environ["PROMPT_ID"],
    prompt_variables=json.loads(os.environ["PROMPT_VARIABLES"]),
    messages=[{"role": "user", "content": "Please hurry."}],
    api_base=os.environ["FAKE_PROVIDER"],
    api_key="sk-fake-provider",
)
print(json.dumps({"reply": response.choices[0].message.content}))
"""


@pytest.fixture
def owner(acme):
    return Principal(workspace=acme, role=Role.OWNER)


def complete(python, live_server, fake_llm, pair, prompt_id: str, variables: dict):
    public_key, secret_key = pair
    result = run_in(
        python,
        COMPLETION,
        {
            "LANGFUSE_HOST": live_server.url,
            "LANGFUSE_PUBLIC_KEY": public_key,
            "LANGFUSE_SECRET_KEY": secret_key,
            "LANGFUSE_TRACING_ENABLED": "false",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
            "PROMPT_ID": prompt_id,
            "PROMPT_VARIABLES": json.dumps(variables),
            "FAKE_PROVIDER": fake_llm.openai_base_url,
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_litellm_sends_the_rendered_chat_prompt_to_the_provider(
    litellm_python, live_server, fake_llm, key_pair, owner, live_requests
):
    services.prompt_create(
        principal=owner,
        name="support/triage",
        prompt_type=Prompt.Type.CHAT,
        version_content={
            "messages": [
                {"role": "system", "content": "You triage tickets for {{product}}."},
                {"role": "user", "content": "Ticket: {{ticket}}"},
            ]
        },
        labels=["production"],
    )
    answer = complete(
        litellm_python,
        live_server,
        fake_llm,
        key_pair(Role.VIEWER),
        "support/triage",
        {"product": "Acme Rockets", "ticket": "The rocket won't start"},
    )
    assert answer["reply"]
    sent = [r for r in fake_llm.requests if r.path.endswith("/chat/completions")][-1].body
    assert sent["model"] == "local-demo"
    assert sent["messages"] == [
        {"role": "system", "content": "You triage tickets for Acme Rockets."},
        {"role": "user", "content": "Ticket: The rocket won't start"},
        {"role": "user", "content": "Please hurry."},
    ]
    assert "/api/public/v2/prompts/support/triage" in live_requests


def test_litellm_sends_a_text_prompt_as_a_system_message(
    litellm_python, live_server, fake_llm, key_pair, owner
):
    services.prompt_create(
        principal=owner,
        name="summarise",
        prompt_type=Prompt.Type.TEXT,
        version_content={"text": "Summarise this for {name}: {text}"},
        template_format="fstring",
        labels=["production"],
    )
    complete(
        litellm_python,
        live_server,
        fake_llm,
        key_pair(Role.VIEWER),
        "summarise",
        {"name": "Ada", "text": "a long story"},
    )
    sent = [r for r in fake_llm.requests if r.path.endswith("/chat/completions")][-1].body
    assert sent["messages"] == [
        {"role": "system", "content": "Summarise this for Ada: a long story"},
        {"role": "user", "content": "Please hurry."},
    ]
