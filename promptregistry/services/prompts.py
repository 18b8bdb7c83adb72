from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from workspaces import audit
from workspaces.principal import Principal
from workspaces.roles import Action

from .. import cache, content, templating
from ..models import LATEST, Prompt, PromptAlias, PromptVersion, Tag
from ..names import clean_name
from ..snippet_refs import check_not_depended_on, check_snippet_references
from .access import check_may_write_in, name_unavailable, path_taken_by
from .folders import ensure_folder_path
from .labels import label_move


class StaleVersionError(ValidationError):
    """Saving on top of a version that is no longer the newest."""

    def __init__(self, newer: PromptVersion):
        self.newer = newer
        super().__init__(
            f"Version {newer.number} was saved by {newer.author_label} while you were editing. "
            "Your changes are kept: compare them with the newer version, then save again."
        )


class UnchangedVersionError(ValidationError):
    """Saving exactly what the newest version already holds."""

    def __init__(self, number: int):
        self.number = number
        super().__init__(
            f"Nothing changed since version {number}: edit the prompt or its settings before "
            "saving a new version."
        )


def validate_name(name: str) -> str:
    """The one name rule (names.py) for the editor, both APIs and push: the stored name."""
    return clean_name(name)


def _check_name_free(principal: Principal, name: str, exclude_pk: int | None = None) -> None:
    taken = path_taken_by(principal, name, exclude_prompt_pk=exclude_pk)
    if taken == "hidden":
        raise name_unavailable(name)
    if taken == "prompt":
        raise ValidationError({"name": f"A prompt called “{name}” already exists."})
    if taken == "folder":
        raise ValidationError({"name": f"“{name}” is a folder."})


def search_text_for(prompt: Prompt, stored: dict | None) -> str:
    texts = content.texts_of(stored) if stored else []
    return "\n".join([prompt.name, prompt.description, *texts]).lower()


def set_tags(prompt: Prompt, names: list[str]) -> None:
    cleaned = sorted({n.strip().lower() for n in names if n.strip()})
    for tag in cleaned:
        if len(tag) > 50:
            raise ValidationError({"tags": "Tags are at most 50 characters."})
    existing = {t.name: t for t in Tag.objects.filter(workspace=prompt.workspace, name__in=cleaned)}
    tags = [
        existing.get(n) or Tag.objects.create(workspace=prompt.workspace, name=n) for n in cleaned
    ]
    prompt.tags.set(tags)


@transaction.atomic
def prompt_create(
    *,
    principal: Principal,
    name: str,
    kind: str = Prompt.Kind.PROMPT,
    prompt_type: str = Prompt.Type.CHAT,
    description: str = "",
    tags: list[str] | None = None,
    version_content: dict | None = None,
    template_format: str = templating.DEFAULT_FORMAT,
    config: dict | None = None,
    commit_message: str = "",
    labels: list[str] | None = None,
) -> Prompt:
    """A new prompt or snippet, with its first version when content is given."""
    name = validate_name(name)
    folder_path = name.rsplit("/", 1)[0] if "/" in name else ""
    # Every path that creates a prompt (editor, native API, Langfuse API, push) checks here.
    check_may_write_in(principal=principal, folder_path=folder_path, field="name")
    _check_name_free(principal, name, None)
    if kind == Prompt.Kind.SNIPPET:
        prompt_type = Prompt.Type.TEXT  # a snippet is text dropped into other prompts
    folder = ensure_folder_path(principal=principal, path=folder_path)
    prompt = Prompt(
        workspace=principal.workspace,
        folder=folder,
        name=name,
        kind=kind,
        type=prompt_type,
        description=description.strip(),
        created_by=principal.user,
    )
    prompt.search_text = search_text_for(prompt, None)
    prompt.full_clean()
    prompt.save()
    PromptAlias.objects.filter(workspace=principal.workspace, name=name).delete()
    set_tags(prompt, tags or [])
    audit.record(
        principal=principal,
        action="prompt.create",
        target=prompt,
        data={"after": {"name": name, "kind": kind, "type": prompt_type}},
    )
    if version_content is not None:
        prompt_version_create(
            principal=principal,
            prompt=prompt,
            version_content=version_content,
            template_format=template_format,
            config=config or {},
            commit_message=commit_message,
            labels=labels or [],
        )
    cache.invalidate(principal.workspace.pk)
    return prompt


@transaction.atomic
def prompt_version_create(
    *,
    principal: Principal,
    prompt: Prompt,
    version_content: dict,
    template_format: str = templating.DEFAULT_FORMAT,
    config: dict | None = None,
    commit_message: str = "",
    base_number: int | None = None,
    labels: list[str] | None = None,
    restored_from: int | None = None,
    refuse_unchanged: bool = False,
) -> PromptVersion:
    """Version N+1. `base_number` is the version the author started from: if someone saved
    after it, StaleVersionError (with the newer version) and nothing is written.

    `refuse_unchanged` (the editor, the native API): content, format and config equal to
    the newest version's is a ValidationError instead of an identical version. The
    Langfuse-compatible API leaves it off, because Langfuse saves a new version anyway."""
    locked = Prompt.objects.select_for_update().get(pk=prompt.pk)
    if base_number is not None and locked.latest_version_number != base_number:
        newer = locked.versions.select_related("author", "author_api_key").get(
            number=locked.latest_version_number
        )
        raise StaleVersionError(newer)
    if template_format not in templating.TemplateFormat.__members__.values():
        raise ValidationError({"template_format": "Choose mustache, fstring or jinja2."})
    if len(commit_message) > 500:
        raise ValidationError({"commit_message": "Keep the message under 500 characters."})
    stored = content.normalise_content(locked.type, version_content)
    if refuse_unchanged:
        _check_changed(locked, stored, template_format, content.normalise_config(config))
    content.check_templates(stored, template_format)
    check_snippet_references(principal=principal, name=locked.name, texts=content.texts_of(stored))
    version = PromptVersion(
        prompt=locked,
        number=_next_number(locked),
        template_format=template_format,
        content=stored,
        config=content.normalise_config(config),
        commit_message=commit_message,
        author=principal.user,
        author_api_key=principal.api_key,
        restored_from=restored_from,
    )
    version.full_clean()
    version.save()
    locked.latest_version_number = version.number
    locked.updated_at = timezone.now()
    locked.search_text = search_text_for(locked, stored)
    locked.save(update_fields=["latest_version_number", "updated_at", "search_text"])
    prompt.latest_version_number = version.number
    audit.record(
        principal=principal,
        action="version.create",
        target=locked,
        target_label=f"{locked.name} v{version.number}",
        data={
            "after": {
                "number": version.number,
                "message": commit_message,
                "restored_from": restored_from,
            }
        },
    )
    for label in labels or []:
        if label != LATEST:
            label_move(principal=principal, prompt=locked, name=label, version=version)
    cache.invalidate(locked.workspace_id)
    return version


def _next_number(prompt: Prompt) -> int:
    """After the highest number ever given, deleted versions included: a number names one
    version for good (audit trail, logged completions, references by version)."""
    highest = PromptVersion.all_objects.filter(prompt=prompt).aggregate(n=Max("number"))["n"]
    return (highest or 0) + 1


def _check_changed(prompt: Prompt, stored: dict, template_format: str, config: dict) -> None:
    newest = prompt.versions.filter(number=prompt.latest_version_number).first()
    if (
        newest is not None
        and newest.content == stored
        and newest.template_format == template_format
        and newest.config == config
    ):
        raise UnchangedVersionError(newest.number)


@transaction.atomic
def version_restore(*, principal: Principal, version: PromptVersion) -> PromptVersion:
    """Rollback by content: a new version equal to an old one."""
    return prompt_version_create(
        principal=principal,
        prompt=version.prompt,
        version_content=version.content,
        template_format=version.template_format,
        config=version.config,
        commit_message=f"Restored version {version.number}",
        restored_from=version.number,
    )


@transaction.atomic
def prompt_update_details(
    *, principal: Principal, prompt: Prompt, description: str, tags: list[str]
) -> Prompt:
    prompt.description = description.strip()
    prompt.updated_at = timezone.now()
    latest = prompt.versions.filter(number=prompt.latest_version_number).first()
    prompt.search_text = search_text_for(prompt, latest.content if latest else None)
    prompt.save(update_fields=["description", "updated_at", "search_text"])
    set_tags(prompt, tags)
    cache.invalidate(prompt.workspace_id)
    return prompt


@transaction.atomic
def prompt_rename(*, principal: Principal, prompt: Prompt, new_name: str) -> Prompt:
    """Rename or move (the folder follows the name); the old name keeps resolving as an alias."""
    new_name = validate_name(new_name)
    if new_name == prompt.name:
        return prompt
    old_name = prompt.name
    folder_path = new_name.rsplit("/", 1)[0] if "/" in new_name else ""
    check_may_write_in(principal=principal, folder_path=folder_path, field="name")
    _check_name_free(principal, new_name, prompt.pk)
    prompt.folder = ensure_folder_path(principal=principal, path=folder_path)
    prompt.name = new_name
    prompt.updated_at = timezone.now()
    prompt.save(update_fields=["folder", "name", "updated_at"])
    PromptAlias.objects.filter(workspace=prompt.workspace, name=new_name).delete()
    PromptAlias.objects.update_or_create(
        workspace=prompt.workspace, name=old_name, defaults={"prompt": prompt}
    )
    audit.record(
        principal=principal,
        action="prompt.rename",
        target=prompt,
        data={"before": {"name": old_name}, "after": {"name": new_name}},
    )
    cache.invalidate(prompt.workspace_id)
    return prompt


@transaction.atomic
def prompt_delete(*, principal: Principal, prompt: Prompt, refuse_if_used: bool = False) -> None:
    """Soft delete (admins): gone from lists and the API; versions stay for the audit trail.

    `refuse_if_used` (the Langfuse-compatible API, as Langfuse): refused while another
    prompt references it. The editor's confirmation page warns instead, naming them."""
    if not principal.can(Action.DELETE):
        raise PermissionDenied("Only admins and owners can delete prompts.")
    if refuse_if_used:
        check_not_depended_on(prompt, deleted=set(), remaining=set(), labels={})
    prompt.deleted_at = timezone.now()
    prompt.save(update_fields=["deleted_at"])
    prompt.aliases.all().delete()
    audit.record(
        principal=principal,
        action="prompt.delete",
        target=prompt,
        data={"before": {"name": prompt.name, "versions": prompt.latest_version_number}},
    )
    cache.invalidate(prompt.workspace_id)
