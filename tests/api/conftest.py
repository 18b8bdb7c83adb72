"""Keys, clients and prompts for the API tests.

`api_client(role)` is a Client carrying an acme API key of that role (Bearer); `globex_api` an
outsider's key. `add_prompt(...)` creates a prompt with its first version through the services,
as an admin key of acme would.
"""

import base64

import pytest
from django.test import Client

from promptregistry import services
from promptregistry.models import Prompt
from tests.factories import api_key_for
from workspaces.principal import Principal
from workspaces.roles import Role


def bearer_client(secret: str) -> Client:
    return Client(headers={"authorization": f"Bearer {secret}"})


def basic_client(public_key: str, secret: str) -> Client:
    token = base64.b64encode(f"{public_key}:{secret}".encode()).decode()
    return Client(headers={"authorization": f"Basic {token}"})


@pytest.fixture
def api_client(acme):
    def make(role: str = Role.EDITOR, *, basic: bool = False) -> Client:
        api_key, secret = api_key_for(acme, role, name=f"{role} key")
        return basic_client(api_key.public_key, secret) if basic else bearer_client(secret)

    return make


@pytest.fixture
def globex_api(globex):
    api_key, secret = api_key_for(globex, Role.OWNER, name="globex owner")
    return basic_client(api_key.public_key, secret)


@pytest.fixture
def admin_principal(acme) -> Principal:
    api_key, _ = api_key_for(acme, Role.ADMIN, name="setup")
    return Principal.for_api_key(api_key)


@pytest.fixture
def add_prompt(admin_principal):
    def make(
        name: str,
        content: dict | str,
        *,
        labels: tuple[str, ...] = ("production",),
        template_format: str = "mustache",
        config: dict | None = None,
        kind: str = Prompt.Kind.PROMPT,
        tags: tuple[str, ...] = (),
        message: str = "",
    ) -> Prompt:
        if isinstance(content, str):
            content = {"text": content}
        return services.prompt_create(
            principal=admin_principal,
            name=name,
            kind=kind,
            prompt_type=Prompt.Type.TEXT if "text" in content else Prompt.Type.CHAT,
            tags=list(tags),
            version_content=content,
            template_format=template_format,
            config=config or {},
            commit_message=message,
            labels=list(labels),
        )

    return make


@pytest.fixture
def add_version(admin_principal):
    def make(prompt: Prompt, content: dict | str, *, labels=(), template_format="mustache"):
        if isinstance(content, str):
            content = {"text": content}
        return services.prompt_version_create(
            principal=admin_principal,
            prompt=prompt,
            version_content=content,
            template_format=template_format,
            labels=list(labels),
        )

    return make
