"""Deleting versions: Langfuse's DELETE ?version= / ?label=, kept as PromptOps keeps history.

A deleted version is hidden everywhere (PromptVersion.objects shows live versions only) but its
row, content and number stay, for the audit trail: numbers are never given out again. Refused
while a protected label points at the version (move the label first) or while another prompt's
kept version references it; labels on it are removed, splits to it end, `latest` falls back to
the newest remaining version, and a prompt left with no version is deleted too.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from workspaces import audit
from workspaces.principal import Principal
from workspaces.roles import Action

from .. import cache
from ..models import LATEST, Label, Prompt, PromptVersion
from ..snippet_refs import check_not_depended_on
from .labels import is_protected, labels_off_versions
from .prompts import search_text_for


def _targets(prompt: Prompt, *, number: int | None, label: str | None) -> list[PromptVersion]:
    versions = prompt.versions.all()
    if number is not None:
        return list(versions.filter(number=number))
    if label == LATEST:
        return list(versions.filter(number=prompt.latest_version_number))
    found = Label.objects.filter(prompt=prompt, name=label).select_related("version").first()
    return [found.version] if found else []


def _check_no_protected_label(prompt: Prompt, numbers: set[int]) -> None:
    for label in prompt.labels.select_related("version", "split_version"):
        held = {label.version.number} | (
            {label.split_version.number} if label.split_version_id else set()
        )
        if is_protected(prompt, label.name) and held & numbers:
            number = min(held & numbers)
            raise ValidationError(
                f"Version {number} holds the protected label “{label.name}”: PromptOps never "
                f"deletes a version a protected label points at. Move “{label.name}” to "
                "another version first."
            )


@transaction.atomic
def version_delete(
    *, principal: Principal, prompt: Prompt, number: int | None = None, label: str | None = None
) -> list[int]:
    """Soft-delete version `number`, or the version `label` points at (admins). Returns the
    numbers deleted. Http404 when there is no such version; ValidationError when refused."""
    if not principal.can(Action.DELETE):
        raise PermissionDenied("Only admins and owners can delete versions.")
    if (number is None) == (label is None):
        raise ValidationError("Name one version or one label to delete.")
    locked = Prompt.objects.select_for_update().get(pk=prompt.pk)
    targets = _targets(locked, number=number, label=label)
    if not targets:
        raise Http404("Prompt not found")
    deleted = {version.number for version in targets}
    _check_no_protected_label(locked, deleted)
    live = set(locked.versions.values_list("number", flat=True))
    labels = dict(locked.labels.values_list("name", "version__number"))
    check_not_depended_on(locked, deleted=deleted, remaining=live - deleted, labels=labels)

    now = timezone.now()
    # The one write a version ever gets: hiding it. Its content and number stay.
    PromptVersion.objects.filter(pk__in=[version.pk for version in targets]).update(deleted_at=now)
    labels_off_versions(principal=principal, prompt=locked, numbers=deleted)
    newest = locked.versions.aggregate(newest=Max("number"))["newest"] or 0
    kept = locked.versions.filter(number=newest).first()
    locked.latest_version_number = newest
    locked.updated_at = now
    locked.search_text = search_text_for(locked, kept.content if kept else None)
    locked.save(update_fields=["latest_version_number", "updated_at", "search_text"])
    prompt.latest_version_number = newest
    audit.record(
        principal=principal,
        action="version.delete",
        target=locked,
        target_label=f"{locked.name} v{', v'.join(str(n) for n in sorted(deleted))}",
        data={"before": {"versions": sorted(deleted), "label": label, "latest": max(live)}},
    )
    if not newest:
        # Nothing left to serve: the prompt goes too, as in Langfuse (its name is free again).
        locked.deleted_at = now
        locked.save(update_fields=["deleted_at"])
        locked.aliases.all().delete()
        audit.record(
            principal=principal,
            action="prompt.delete",
            target=locked,
            data={"before": {"name": locked.name, "versions": 0}},
        )
    cache.invalidate(locked.workspace_id)
    return sorted(deleted)
