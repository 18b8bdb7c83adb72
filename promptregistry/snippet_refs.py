"""Snippet references against the database: loading, save-time checks, fetch-time resolution."""

from django.core.exceptions import ValidationError

from workspaces.models import Workspace

from . import templating
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
    prompt = Prompt.objects.alive().filter(workspace=workspace, name=name).first()
    if prompt is None:
        prompt = Prompt.objects.alive().filter(workspace=workspace, aliases__name=name).first()
    return prompt


def snippet_text(version: PromptVersion) -> str:
    if "text" in version.content:
        return version.content["text"]
    return "\n\n".join(m["content"] for m in version.content["messages"] if "content" in m)


def loader_for(workspace: Workspace):
    def load(reference: templating.SnippetReference) -> str:
        prompt = prompt_named(workspace, reference.name)
        if prompt is None:
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
        return snippet_text(version)

    return load


def check_snippet_references(*, workspace: Workspace, name: str, text: str) -> None:
    try:
        templating.check_references(name, text, loader_for(workspace))
    except templating.TemplateError as error:
        raise ValidationError({"content": str(error)}) from error


def resolve_snippets(*, workspace: Workspace, name: str, text: str) -> str:
    return templating.resolve_references(text, loader_for(workspace), root_name=name)


def prompts_using(snippet: Prompt) -> list[Prompt]:
    """Prompts whose newest version references this snippet (its page lists them)."""
    candidates = (
        PromptVersion.objects.filter(
            prompt__workspace=snippet.workspace, prompt__deleted_at__isnull=True
        )
        .exclude(prompt=snippet)
        .select_related("prompt")
        .only(
            "content",
            "number",
            "prompt__name",
            "prompt__latest_version_number",
            "prompt__workspace_id",
        )
    )
    found = {}
    for version in candidates.iterator():
        if version.number != version.prompt.latest_version_number:
            continue
        for text in (
            version.content.get("text"),
            *[m.get("content") for m in version.content.get("messages", [])],
        ):
            if not text or ("{{" not in text and "@@@" not in text):
                continue
            references = templating.find_references(text, strict=False)
            if any(ref.name == snippet.name for ref in references):
                found[version.prompt.pk] = version.prompt
    return sorted(found.values(), key=lambda p: p.name)
