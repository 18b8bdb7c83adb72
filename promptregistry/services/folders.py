from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workspaces import access, audit
from workspaces.principal import Principal
from workspaces.roles import Action

from .. import cache
from ..models import Folder, Prompt, PromptAlias, validate_segment
from .access import check_may_write_in, name_unavailable, path_taken_by


def ensure_folder_path(*, principal: Principal, path: str) -> Folder | None:
    """The folder at `path`, created with its parents when missing ("" is the root: None)."""
    folder = None
    if not path:
        return None
    built = []
    for segment in path.split("/"):
        validate_segment(segment)
        built.append(segment)
        full = "/".join(built)
        found = Folder.objects.filter(workspace=principal.workspace, path=full).first()
        if found is None:
            found = Folder(
                workspace=principal.workspace,
                parent=folder,
                name=segment,
                path=full,
                created_by=principal.user,
            )
            found.full_clean()
            found.save()
        folder = found
    return folder


def _check_free(principal: Principal, path: str) -> None:
    """Refuse a path that is taken, without telling the caller what they can't see is there."""
    taken = path_taken_by(principal, path)
    if taken == "hidden":
        raise name_unavailable(path)
    if taken == "folder":
        raise ValidationError({"name": f"A folder “{path}” already exists here."})
    if taken == "prompt":
        raise ValidationError({"name": f"A prompt is already called “{path}”."})


@transaction.atomic
def folder_create(*, principal: Principal, parent: Folder | None, name: str) -> Folder:
    name = name.strip()
    try:
        validate_segment(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from error
    check_may_write_in(principal=principal, folder_path=parent.path if parent else "", field="name")
    path = f"{parent.path}/{name}" if parent else name
    _check_free(principal, path)
    folder = Folder(
        workspace=principal.workspace,
        parent=parent,
        name=name,
        path=path,
        created_by=principal.user,
    )
    folder.full_clean()
    folder.save()
    audit.record(principal=principal, action="folder.create", target=folder)
    return folder


def _repath(*, principal: Principal, folder: Folder, new_path: str) -> None:
    """Move a folder's subtree and the prompts inside to new_path; old names become aliases."""
    old_prefix = folder.path
    subtree = list(
        Folder.objects.select_for_update()
        .filter(workspace=folder.workspace)
        .filter(path__under=old_prefix)
    )
    for child in subtree:
        child.path = new_path + child.path[len(old_prefix) :]
    folder.path = new_path
    Folder.objects.bulk_update([folder, *subtree], ["path"])
    prompts = list(
        Prompt.objects.alive()
        .select_for_update()
        .filter(workspace=folder.workspace, name__under=old_prefix)
    )
    for prompt in prompts:
        old_name = prompt.name
        prompt.name = new_path + old_name[len(old_prefix) :]
        PromptAlias.objects.filter(workspace=folder.workspace, name=prompt.name).delete()
        PromptAlias.objects.update_or_create(
            workspace=folder.workspace, name=old_name, defaults={"prompt": prompt}
        )
    Prompt.objects.bulk_update(prompts, ["name"])
    cache.invalidate(principal.workspace.pk)


def _relocate(principal: Principal, folder: Folder, new_path: str, *, action: str) -> None:
    before = folder.path
    _repath(principal=principal, folder=folder, new_path=new_path)
    audit.record(
        principal=principal,
        action=action,
        target=folder,
        data={"before": {"path": before}, "after": {"path": folder.path}},
    )


@transaction.atomic
def folder_rename(*, principal: Principal, folder: Folder, name: str) -> Folder:
    name = name.strip()
    try:
        validate_segment(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from error
    if name == folder.name:
        return folder
    new_path = f"{folder.parent.path}/{name}" if folder.parent else name
    _check_free(principal, new_path)
    folder.name = name
    folder.save(update_fields=["name"])
    _relocate(principal, folder, new_path, action="folder.rename")
    return folder


@transaction.atomic
def folder_move(*, principal: Principal, folder: Folder, parent: Folder | None) -> Folder:
    if parent is not None and (parent.pk == folder.pk or parent.path.startswith(folder.path + "/")):
        raise ValidationError({"parent": "A folder can't move inside itself."})
    new_path = f"{parent.path}/{folder.name}" if parent else folder.name
    if new_path == folder.path:
        return folder
    check_may_write_in(
        principal=principal, folder_path=parent.path if parent else "", field="parent"
    )
    _check_free(principal, new_path)
    folder.parent = parent
    folder.save(update_fields=["parent"])
    _relocate(principal, folder, new_path, action="folder.move")
    return folder


def folder_contents(folder: Folder) -> dict:
    """What deleting this folder takes with it, for the confirmation page."""
    subfolders = Folder.objects.filter(workspace=folder.workspace, path__under=folder.path)
    prompts = Prompt.objects.alive().filter(workspace=folder.workspace, name__under=folder.path)
    return {"folders": list(subfolders), "prompts": list(prompts)}


@transaction.atomic
def folder_delete(*, principal: Principal, folder: Folder, confirmed: bool = False) -> None:
    """Empty folders go at once; with contents only when `confirmed` (prompts soft-deleted).

    Deleting needs the admin role, and admins see every restricted object, so what is listed
    on the confirmation page is everything that goes.
    """
    access.require(principal, Action.DELETE)
    contents = folder_contents(folder)
    if (contents["folders"] or contents["prompts"]) and not confirmed:
        raise ValidationError("This folder isn't empty: confirm to delete what's inside.")
    now = timezone.now()
    for prompt in contents["prompts"]:
        prompt.deleted_at = now
        prompt.folder = None
        prompt.save(update_fields=["deleted_at", "folder"])
        prompt.aliases.all().delete()
    Prompt.objects.filter(folder__in=[folder, *contents["folders"]]).update(folder=None)
    for sub in sorted(contents["folders"], key=lambda f: f.path.count("/"), reverse=True):
        sub.delete()
    audit.record(
        principal=principal,
        action="folder.delete",
        target=folder,
        data={
            "before": {
                "path": folder.path,
                "prompts": [p.name for p in contents["prompts"]],
                "folders": [f.path for f in contents["folders"]],
            }
        },
    )
    folder.delete()
    cache.invalidate(principal.workspace.pk)
