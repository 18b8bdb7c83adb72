"""Snippet references against the database: loading, save-time checks, fetch-time resolution."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from workspaces.models import Workspace
from workspaces.principal import Principal

from . import selectors, templating
from .content import is_placeholder, texts_of
from .models import LATEST, PRODUCTION, Label, Prompt, PromptVersion


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


# --- Who depends on a prompt ------------------------------------------------------------------


@dataclass(frozen=True)
class Dependent:
    """A kept version of another prompt whose text references the prompt (by one of its
    names): `reference` says which version or label it asks for."""

    version: PromptVersion
    reference: templating.SnippetReference

    def describe(self, name: str) -> str:
        wanted = (
            f"v{self.reference.version}"
            if self.reference.version is not None
            else self.reference.label
        )
        return f"{self.version.prompt.name} v{self.version.number} depends on {name} {wanted}"


def dependents_of(prompt: Prompt) -> list[Dependent]:
    """Every reference to `prompt` (by its name or an old one) in the kept versions of the
    workspace's other live prompts, whatever their age or labels: any of them can still be
    fetched by version, so any of them would break (as Langfuse counts dependencies)."""
    names = {prompt.name, *prompt.aliases.values_list("name", flat=True)}
    candidates = (
        PromptVersion.objects.filter(
            prompt__workspace_id=prompt.workspace_id, prompt__deleted_at__isnull=True
        )
        .exclude(prompt_id=prompt.pk)
        .filter(Q(content__icontains="langfusePrompt") | Q(content__icontains="{{"))
        .select_related("prompt")
        .only("number", "content", "prompt__name")
        .order_by("prompt__name", "number")
    )
    found = []
    for version in candidates.iterator():
        for text in texts_of(version.content):
            for reference in templating.find_references(text, strict=False):
                if reference.name in names:
                    found.append(Dependent(version, reference))
    return found


def breaks_without(
    dependent: Dependent, *, deleted: set[int], remaining: set[int], labels: dict[str, int]
) -> bool:
    """Whether `dependent`'s reference would stop resolving (or silently change) once the
    versions numbered `deleted` are gone: `labels` maps the prompt's labels to the number
    each points at now (a label on a deleted version goes with it)."""
    reference = dependent.reference
    if not remaining:
        return True
    if reference.version is not None:
        return reference.version in deleted
    if reference.label == LATEST:
        return False  # latest moves to the newest remaining version
    number = labels.get(reference.label)
    return number is not None and number in deleted


class DependedOnError(ValidationError):
    """Other prompts reference what is being deleted."""

    def __init__(self, name: str, dependents: list[Dependent]):
        self.dependents = dependents
        lines = "\n".join(dependent.describe(name) for dependent in dependents)
        super().__init__(
            "Other prompts are depending on the prompt versions you are trying to delete:\n\n"
            f"{lines}\n\nDelete or change the dependent prompts first."
        )


def check_not_depended_on(
    prompt: Prompt, *, deleted: set[int], remaining: set[int], labels: dict[str, int]
) -> None:
    """DependedOnError naming every other prompt version whose reference would break once
    the versions `deleted` are gone (all of them when `remaining` is empty)."""
    blocking = [
        dependent
        for dependent in dependents_of(prompt)
        if breaks_without(dependent, deleted=deleted, remaining=remaining, labels=labels)
    ]
    if blocking:
        raise DependedOnError(prompt.name, blocking)
