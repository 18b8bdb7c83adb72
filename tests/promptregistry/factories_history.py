"""Prompts with a history, built through the real services (so audit and labels are real)."""

from promptregistry import services
from promptregistry.models import Prompt
from workspaces.models import Membership, Workspace
from workspaces.principal import Principal

SYSTEM_V1 = "You are a friendly agent for {{company}}.\nKeep replies short."
SYSTEM_V2 = "You are a friendly agent for {{company}}.\nKeep replies under 120 words."


def principal(user, workspace: Workspace | None = None) -> Principal:
    membership = Membership.objects.select_related("workspace", "user").get(
        user=user, **({"workspace": workspace} if workspace else {})
    )
    return Principal.for_membership(membership)


def chat(system: str, user: str = "{{question}}") -> dict:
    return {"messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}


def chat_prompt(author, name: str = "support/triage", versions: int = 2, **extra) -> Prompt:
    """A chat prompt with `versions` versions: v1 says "short", later ones "under 120 words"."""
    acting = principal(author)
    prompt = services.prompt_create(
        principal=acting,
        name=name,
        prompt_type="chat",
        version_content=chat(SYSTEM_V1),
        config={"model": "gpt-4o-mini", "temperature": 0.7},
        commit_message="First draft",
        **extra,
    )
    for number in range(2, versions + 1):
        services.prompt_version_create(
            principal=acting,
            prompt=prompt,
            version_content=chat(SYSTEM_V2 + "\n" * (number - 2)),
            config={"model": "gpt-4o", "temperature": 0.3},
            commit_message=f"Change {number}",
        )
    prompt.refresh_from_db()
    return prompt


def text_prompt(author, name: str = "marketing/tagline") -> Prompt:
    acting = principal(author)
    prompt = services.prompt_create(
        principal=acting,
        name=name,
        prompt_type="text",
        version_content={"text": "Write a tagline for {product}."},
        template_format="fstring",
        commit_message="v1",
    )
    services.prompt_version_create(
        principal=acting,
        prompt=prompt,
        version_content={"text": "Write a short, upbeat tagline for {product}."},
        template_format="fstring",
        commit_message="Upbeat",
    )
    prompt.refresh_from_db()
    return prompt


def version(prompt: Prompt, number: int):
    return prompt.versions.get(number=number)
