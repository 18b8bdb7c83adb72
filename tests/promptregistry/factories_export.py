"""Registry content for the prompts-as-code tests (export, API export, promptops CLI)."""

from promptregistry import services
from promptregistry.models import Folder, Prompt
from workspaces.models import Membership
from workspaces.principal import Principal
from workspaces.roles import Role

TRIAGE_MESSAGES = [
    {"role": "system", "content": "You sort tickets for {{product}}.\nBe brief — merci ✓\n"},
    {"type": "placeholder", "name": "history"},
    {"role": "user", "content": "{{ticket}}"},
]
TRIAGE_CONFIG = {"model": "gpt-4o-mini", "temperature": 0.2, "response_format": {"type": "json"}}


def principal_of(user, workspace) -> Principal:
    return Principal.for_membership(Membership.objects.get(user=user, workspace=workspace))


def chat_prompt(principal: Principal, name: str, messages=None, config=None, labels=()) -> Prompt:
    return services.prompt_create(
        principal=principal,
        name=name,
        prompt_type="chat",
        description="Sorts incoming tickets.",
        tags=["support"],
        version_content={"messages": messages or TRIAGE_MESSAGES},
        config=config if config is not None else TRIAGE_CONFIG,
        labels=list(labels),
    )


def text_prompt(principal: Principal, name: str, text: str, **kwargs) -> Prompt:
    return services.prompt_create(
        principal=principal,
        name=name,
        prompt_type="text",
        version_content={"text": text},
        **kwargs,
    )


def new_version(principal: Principal, prompt: Prompt, text: str, labels=()) -> None:
    services.prompt_version_create(
        principal=principal,
        prompt=prompt,
        version_content={"text": text},
        labels=list(labels),
    )


def restrict(obj: Prompt | Folder, view_role: str = Role.ADMIN) -> None:
    obj.view_role = view_role
    obj.save(update_fields=["view_role"])


def registry(principal: Principal) -> dict[str, Prompt]:
    """support/triage (chat, production on v1), support/billing/refunds (text, two versions,
    production on v1, staging on v2), greeting (text), tone (snippet)."""
    refunds = text_prompt(
        principal, "support/billing/refunds", "Refund policy v1", labels=["production"]
    )
    new_version(principal, refunds, "Refund policy:\n- 30 days\n- receipt needed", ["staging"])
    return {
        "support/triage": chat_prompt(principal, "support/triage", labels=["production"]),
        "support/billing/refunds": refunds,
        "greeting": text_prompt(principal, "greeting", "Hello {{name}}!"),
        "tone": services.prompt_create(
            principal=principal,
            name="tone",
            kind="snippet",
            version_content={"text": "Answer in a {tone} tone."},
            template_format="fstring",
        ),
    }
