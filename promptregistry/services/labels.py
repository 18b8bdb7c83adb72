from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from workspaces import audit
from workspaces.principal import Principal
from workspaces.roles import Action

from .. import cache, release_checks
from ..models import LATEST, Label, LabelMove, Prompt, PromptVersion, validate_label
from ..rendering import version_render_problem


def is_protected(prompt: Prompt, name: str) -> bool:
    return name in (prompt.workspace.protected_labels or [])


def _check_may_move(principal: Principal, prompt: Prompt, name: str) -> None:
    if name == LATEST:
        raise ValidationError({"label": "“latest” always follows the newest version."})
    try:
        validate_label(name)
    except ValidationError as error:
        raise ValidationError({"label": error.messages}) from error
    if is_protected(prompt, name) and not principal.can(Action.RELEASE_PROTECTED):
        raise PermissionDenied(
            f"“{name}” is a protected label: only admins and owners can move it."
        )


def _check_renders(
    principal: Principal, prompt: Prompt, name: str, version: PromptVersion, field: str
) -> None:
    """A protected label never points at a version every render of which would fail."""
    if not is_protected(prompt, name):
        return
    problem = version_render_problem(version, principal)
    if problem:
        raise ValidationError(
            {
                field: f"Version {version.number} can't be rendered ({problem}), so every "
                f"fetch of “{name}” would fail. Fix it in a new version first."
            }
        )


def _history(
    principal: Principal,
    label: Label | None,
    prompt: Prompt,
    name: str,
    action: str,
    from_number: int | None,
) -> None:
    LabelMove.objects.create(
        prompt=prompt,
        label_name=name,
        from_number=from_number,
        to_number=label.version.number if label else None,
        split_number=label.split_version.number if label and label.split_version else None,
        split_percent=label.split_percent if label else 0,
        action=action,
        actor_label=principal.label,
    )
    audit.record(
        principal=principal,
        action=f"label.{action}",
        target=prompt,
        target_label=f"{prompt.name}@{name}",
        data={
            "before": {"version": from_number},
            "after": {
                "version": label.version.number if label else None,
                "split_version": label.split_version.number
                if label and label.split_version
                else None,
                "split_percent": label.split_percent if label else 0,
            },
        },
    )
    cache.invalidate(prompt.workspace_id)


@transaction.atomic
def label_move(*, principal: Principal, prompt: Prompt, name: str, version: PromptVersion) -> Label:
    """Point a label at a version (ending any split on it). Rollback is a move back."""
    name = name.strip().lower()
    _check_may_move(principal, prompt, name)
    if version.prompt_id != prompt.pk:
        raise ValidationError({"version": "That version belongs to another prompt."})
    _check_renders(principal, prompt, name, version, "version")
    release_checks.run_release_checks(principal, prompt, name, version)  # other apps' gates
    label = Label.objects.select_for_update().filter(prompt=prompt, name=name).first()
    from_number = label.version.number if label else None
    if label is None:
        label = Label(prompt=prompt, name=name, version=version)
    elif label.version_id == version.pk and not label.split_version_id:
        return label
    label.version = version
    label.split_version = None
    label.split_percent = 0
    label.updated_at = timezone.now()
    label.full_clean()
    label.save()
    _history(principal, label, prompt, name, "move", from_number)
    return label


@transaction.atomic
def label_remove(*, principal: Principal, prompt: Prompt, name: str) -> None:
    _check_may_move(principal, prompt, name)
    label = Label.objects.select_for_update().filter(prompt=prompt, name=name).first()
    if label is None:
        return
    from_number = label.version.number
    label.delete()
    _history(principal, None, prompt, name, "remove", from_number)


@transaction.atomic
def label_split(
    *, principal: Principal, prompt: Prompt, name: str, version: PromptVersion, percent: int
) -> Label:
    """Send `percent` % of the label's traffic to `version`, the rest to where it points now."""
    _check_may_move(principal, prompt, name)
    label = Label.objects.select_for_update().filter(prompt=prompt, name=name).first()
    if label is None:
        raise ValidationError({"label": f"Set “{name}” on a version before splitting it."})
    if version.prompt_id != prompt.pk or version.pk == label.version_id:
        raise ValidationError({"version": "Choose another version of this prompt to test."})
    if not 1 <= percent <= 99:
        raise ValidationError({"percent": "Send between 1 and 99 percent to the new version."})
    _check_renders(principal, prompt, name, version, "version")
    label.split_version = version
    label.split_percent = percent
    label.updated_at = timezone.now()
    label.save(update_fields=["split_version", "split_percent", "updated_at"])
    _history(principal, label, prompt, name, "split", label.version.number)
    return label


def _end_split(principal: Principal, prompt: Prompt, name: str, *, promote: bool) -> Label:
    _check_may_move(principal, prompt, name)
    label = Label.objects.select_for_update().filter(prompt=prompt, name=name).first()
    if label is None or not label.split_version_id:
        raise ValidationError({"label": f"“{name}” isn't splitting traffic."})
    from_number = label.version.number
    if promote:
        label.version = label.split_version
    label.split_version = None
    label.split_percent = 0
    label.updated_at = timezone.now()
    label.save(update_fields=["version", "split_version", "split_percent", "updated_at"])
    _history(principal, label, prompt, name, "promote" if promote else "abort", from_number)
    return label


@transaction.atomic
def label_promote_split(*, principal: Principal, prompt: Prompt, name: str) -> Label:
    """End a split by sending all traffic to the tested version."""
    return _end_split(principal, prompt, name, promote=True)


@transaction.atomic
def label_abort_split(*, principal: Principal, prompt: Prompt, name: str) -> Label:
    """End a split by sending all traffic back to the label's main version."""
    return _end_split(principal, prompt, name, promote=False)


def labels_off_versions(*, principal: Principal, prompt: Prompt, numbers: set[int]) -> None:
    """What deleting versions does to labels (inside version_delete's transaction): a label
    pointing at one of them is removed, a split sending traffic to one ends; each audited and
    kept in the label's history. Protected labels were refused before this is reached."""
    # of=self: PostgreSQL can't lock the nullable side of the split_version outer join.
    labels = (
        Label.objects.select_for_update(of=("self",))
        .filter(prompt=prompt)
        .select_related("version", "split_version")
    )
    for label in labels:
        from_number = label.version.number
        if from_number in numbers:
            label.delete()
            _history(principal, None, prompt, label.name, "remove", from_number)
        elif label.split_version_id and label.split_version.number in numbers:
            label.split_version = None
            label.split_percent = 0
            label.updated_at = timezone.now()
            label.save(update_fields=["split_version", "split_percent", "updated_at"])
            _history(principal, label, prompt, label.name, "abort", from_number)
