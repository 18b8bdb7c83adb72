"""Who may see and change a folder or prompt, and by which names clients reach a prompt.

A restriction (view_role / edit_role) names the lowest role that may see or change an object
and everything inside it; guardian grants (view_<model> / change_<model>) let named members in
on top of that. workspaces/access.py reads both (check_restricted_chain, hidden_among), and the
serving cache carries restrictions, so every change here invalidates it.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from accounts.models import User
from workspaces import access, audit
from workspaces.principal import Principal
from workspaces.roles import Action, Role, role_at_least

from .. import cache, selectors
from ..models import Folder, Prompt, PromptAlias

VIEW_ROLES = ("", Role.EDITOR, Role.ADMIN)
EDIT_ROLES = ("", Role.ADMIN)
# Admins and owners always see and change everything: grants are for the roles below them.
GRANTABLE_ROLES = (Role.EDITOR, Role.VIEWER)


def _codenames(obj: Folder | Prompt) -> tuple[str, str]:
    model = obj._meta.model_name
    return f"view_{model}", f"change_{model}"


def grants_for(obj: Folder | Prompt) -> tuple[list[User], list[User]]:
    """The members let in by name: (may see, may change), each ordered by email."""
    view, change = _codenames(obj)
    granted = get_users_with_perms(obj, attach_perms=True, with_group_users=False)
    viewers = sorted((u for u, perms in granted.items() if view in perms), key=lambda u: u.email)
    editors = sorted((u for u, perms in granted.items() if change in perms), key=lambda u: u.email)
    return viewers, editors


def _roles_of(workspace, users: Iterable[User]) -> dict[int, str]:
    ids = [u.pk for u in users]
    return dict(workspace.memberships.filter(user_id__in=ids).values_list("user_id", "role"))


@transaction.atomic
def access_update(
    *,
    principal: Principal,
    obj: Folder | Prompt,
    view_role: str,
    edit_role: str,
    viewers: Iterable[User] = (),
    editors: Iterable[User] = (),
) -> None:
    """Restrict (or open up) a folder or prompt and set who is let in by name.

    `editors` may also see it (a change grant without a view grant would be useless).
    """
    access.require(principal, Action.MANAGE_SETTINGS)
    if obj.workspace_id != principal.workspace.pk:
        raise PermissionDenied("Not in this workspace.")
    if view_role not in VIEW_ROLES:
        raise ValidationError({"view_role": "Choose who may see it."})
    if edit_role not in EDIT_ROLES:
        raise ValidationError({"edit_role": "Choose who may change it."})
    editors = list(editors)
    viewers = list({u.pk: u for u in [*viewers, *editors]}.values())
    roles = _roles_of(principal.workspace, viewers)
    outsiders = [u.email for u in viewers if u.pk not in roles]
    if outsiders:
        raise ValidationError({"viewers": f"Not members here: {', '.join(outsiders)}."})
    readers = [u.email for u in editors if not role_at_least(roles[u.pk], Role.EDITOR)]
    if readers:
        raise ValidationError(
            {"editors": f"Viewers can't change anything, whatever the grant: {', '.join(readers)}."}
        )

    before_viewers, before_editors = grants_for(obj)
    before = {
        "view_role": obj.view_role,
        "edit_role": obj.edit_role,
        "viewers": [u.email for u in before_viewers],
        "editors": [u.email for u in before_editors],
    }
    obj.view_role, obj.edit_role = view_role, edit_role
    obj.full_clean()
    obj.save(update_fields=["view_role", "edit_role"])
    view, change = _codenames(obj)
    app = obj._meta.app_label
    _sync(f"{app}.{view}", obj, before_viewers, viewers)
    _sync(f"{app}.{change}", obj, before_editors, editors)
    kind = obj._meta.model_name
    audit.record(
        principal=principal,
        action=f"{kind}.access",
        target=obj,
        data={
            "before": before,
            "after": {
                "view_role": view_role,
                "edit_role": edit_role,
                "viewers": sorted(u.email for u in viewers),
                "editors": sorted(u.email for u in editors),
            },
        },
    )
    cache.invalidate(principal.workspace.pk)


def _sync(perm: str, obj, current: list[User], wanted: list[User]) -> None:
    have = {u.pk for u in current}
    want = {u.pk for u in wanted}
    for user in wanted:
        if user.pk not in have:
            assign_perm(perm, user, obj)
    for user in current:
        if user.pk not in want:
            remove_perm(perm, user, obj)


def check_may_write_in(*, principal: Principal, folder_path: str, field: str = "folder") -> None:
    """ValidationError on `field` unless the principal may add things to folder_path.

    Missing folders are fine (services create them); existing ones on the way down must let
    the principal in: a restricted folder restricts what is created inside it too.
    """
    access.require(principal, Action.EDIT)
    if not folder_path:
        return
    parts = folder_path.split("/")
    paths = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    chain = list(
        Folder.objects.filter(workspace=principal.workspace, path__in=paths).order_by("path")
    )
    try:
        access.check_restricted_chain(principal, chain, Action.EDIT)
    except Http404:
        raise ValidationError({field: f"There is no folder “{folder_path}” you can use."}) from None
    except PermissionDenied:
        raise ValidationError(
            {field: f"“{folder_path}” is restricted: ask an admin for edit access."}
        ) from None


def may_write_in(*, principal: Principal, folder_path: str) -> bool:
    try:
        check_may_write_in(principal=principal, folder_path=folder_path)
    except (ValidationError, PermissionDenied):
        return False
    return True


@transaction.atomic
def alias_delete(*, principal: Principal, prompt: Prompt, alias: PromptAlias) -> None:
    """Stop resolving an old name: clients still fetching by it get "not found" from now on."""
    access.require(principal, Action.EDIT)
    if alias.prompt_id != prompt.pk:
        raise Http404("No such alias.")
    name = alias.name
    alias.delete()
    audit.record(
        principal=principal,
        action="prompt.alias_delete",
        target=prompt,
        data={"before": {"alias": name}},
    )
    cache.invalidate(principal.workspace.pk)


def name_unavailable(name: str) -> ValidationError:
    """The answer for a name taken by something the caller can't see: it must read the same
    whatever is there, so the refusal never tells the caller that a hidden prompt exists."""
    return ValidationError({"name": f"“{name}” can't be used here: choose another name."})


def path_taken_by(principal: Principal, path: str, *, exclude_prompt_pk=None) -> str | None:
    """What already holds `path`, as far as the principal may know: "prompt", "folder",
    "hidden" (something it can't see: answer with name_unavailable) or None."""
    prompts = Prompt.objects.alive().filter(workspace=principal.workspace, name=path)
    if exclude_prompt_pk:
        prompts = prompts.exclude(pk=exclude_prompt_pk)
    clash = prompts.select_related("folder").first()
    if clash is not None:
        return "prompt" if selectors.may_see(principal, clash) else "hidden"
    if Folder.objects.filter(workspace=principal.workspace, path=path).exists():
        visible = selectors.visible_folders(principal).filter(path=path).exists()
        return "folder" if visible else "hidden"
    return None
