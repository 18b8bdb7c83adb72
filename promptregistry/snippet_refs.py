"""Snippet references against the database: loading, save-time checks, fetch-time resolution."""

from django.core.exceptions import ValidationError

from workspaces.models import Workspace
from workspaces.principal import Principal

from . import selectors, templating
from .content import is_placeholder
from .models import PRODUCTION, Label, Prompt, PromptVersion


def version_for(
    prompt: Prompt,
    *,
    label: str | None = None,
    number: int | None = None,
    fallback_to_latest: bool = False,
) -> PromptVersion | None:
    """The version a label or number points at (`latest` is the newest), without A/B picking."""
    versions = PromptVersion.objects.filter(prompt=prompt)
    if number is not None:
        return versions.filter(number=number).first()
    if label in (None, "latest"):
        return versions.filter(number=prompt.latest_version_number).first()
    found = Label.objects.filter(prompt=prompt, name=label).select_related("version").first()
    if found is not None:
        return found.version
    if fallback_to_latest:
        return versions.filter(number=prompt.latest_version_number).first()
    return None


def prompt_named(workspace: Workspace, name: str) -> Prompt | None:
    found = Prompt.objects.alive().select_related("folder").filter(workspace=workspace)
    prompt = found.filter(name=name).first()
    if prompt is None:
        prompt = found.filter(aliases__name=name).first()
    return prompt


def graph_node(prompt: Prompt, number: int) -> dict:
    """One prompt version in a resolution graph (serving turns it into Langfuse's shape)."""
    return {"prompt_id": prompt.pk, "name": prompt.name, "version": number}


def loader_for(principal: Principal):
    """Loads referenced prompts as the principal sees them: a snippet it may not read is
    missing, with the same message, so resolution never reveals restricted text (or that
    it exists) to someone who can't open it. Only text can be included: a chat prompt is
    refused (SnippetNotTextError), as Langfuse refuses it."""

    def load(reference: templating.SnippetReference) -> templating.LoadedSnippet:
        prompt = prompt_named(principal.workspace, reference.name)
        if prompt is None or not selectors.may_see(principal, prompt):
            raise KeyError(reference.name)
        # A reference naming no label means production, or the newest version while a
        # snippet has never been released: editors compose before they release.
        implicit = "label=" not in reference.raw and reference.version is None
        version = version_for(
            prompt,
            label=reference.label,
            number=reference.version,
            fallback_to_latest=implicit and reference.label == PRODUCTION,
        )
        if version is None:
            raise KeyError(reference.name)
        if "text" not in version.content:
            raise templating.SnippetNotTextError(reference)
        return templating.LoadedSnippet(version.content["text"], graph_node(prompt, version.number))

    return load


def check_snippet_references(*, principal: Principal, name: str, texts: list[str]) -> None:
    """Save time: every reference in the prompt's texts resolves for its author, without
    cycles, within the depth and size limits (the chain is named when not)."""
    load = loader_for(principal)
    resolution = templating.Resolution()
    try:
        for text in texts:
            templating.check_references(name, text, load, resolution=resolution)
    except templating.TemplateError as error:
        raise ValidationError({"content": str(error)}) from error


def resolve_snippets(
    *,
    principal: Principal,
    name: str,
    text: str,
    resolution: templating.Resolution | None = None,
) -> str:
    return templating.resolve_references(
        text, loader_for(principal), root_name=name, resolution=resolution
    )


def resolve_content(
    *,
    principal: Principal,
    name: str,
    stored: dict,
    resolution: templating.Resolution | None = None,
) -> dict:
    """Stored content (text or messages) with references resolved for the principal, all
    texts within one size budget (`resolution`, which also collects the dependency graph
    when its `root` is set). Raises templating.TemplateError."""
    load = loader_for(principal)
    resolution = resolution if resolution is not None else templating.Resolution()

    def resolve(text: str) -> str:
        if "{{" not in text and "@@@" not in text:
            resolution.used += len(text)
            return text
        return templating.resolve_references(text, load, root_name=name, resolution=resolution)

    if "text" in stored:
        return {"text": resolve(stored["text"])}
    return {
        "messages": [
            message
            if is_placeholder(message)
            else {**message, "content": resolve(message["content"])}
            for message in stored.get("messages", [])
        ]
    }
