"""Reads of the registry that respect per-object restrictions, in a constant number of queries."""

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from workspaces import access
from workspaces.principal import Principal
from workspaces.roles import Action

from .models import Comment, Folder, Label, Prompt, PromptVersion


def hidden_folder_paths(principal: Principal) -> list[str]:
    restricted = list(
        Folder.objects.filter(workspace=principal.workspace).exclude(view_role="", edit_role="")
    )
    return [folder.path for folder in access.hidden_among(principal, restricted)]


def _exclude_paths(queryset: QuerySet, field: str, paths: list[str]) -> QuerySet:
    for path in paths:
        queryset = queryset.exclude(**{field: path}).exclude(**{f"{field}__under": path})
    return queryset


def visible_prompts(principal: Principal) -> QuerySet:
    """Live prompts and snippets the principal may see: restricted ones vanish everywhere."""
    prompts = Prompt.objects.alive().filter(workspace=principal.workspace)
    restricted = list(
        prompts.exclude(view_role="", edit_role="").only("pk", "view_role", "edit_role")
    )
    hidden_ids = [p.pk for p in access.hidden_among(principal, restricted)]
    if hidden_ids:
        prompts = prompts.exclude(pk__in=hidden_ids)
    for path in hidden_folder_paths(principal):
        prompts = prompts.exclude(name__under=path)
    return prompts


def visible_folders(principal: Principal) -> QuerySet:
    folders = Folder.objects.filter(workspace=principal.workspace)
    return _exclude_paths(folders, "path", hidden_folder_paths(principal))


def with_list_details(prompts: QuerySet) -> QuerySet:
    """What a list row shows: tags, labels, the newest version's author and time, comments."""
    latest = PromptVersion.objects.filter(
        prompt=OuterRef("pk"), number=OuterRef("latest_version_number")
    )
    return (
        prompts.select_related("folder")
        .prefetch_related(
            "tags",
            Prefetch("labels", queryset=Label.objects.select_related("version", "split_version")),
        )
        .annotate(
            latest_author_name=Subquery(latest.values("author__name")[:1]),
            latest_author_email=Subquery(latest.values("author__email")[:1]),
            latest_created_at=Subquery(latest.values("created_at")[:1]),
            comment_count=Subquery(
                Comment.objects.filter(version__prompt=OuterRef("pk"), version__deleted_at=None)
                .values("version__prompt")
                .annotate(n=Count("id"))
                .values("n")[:1]
            ),
        )
    )


def prompt_for(principal: Principal, name: str, need: Action = Action.READ) -> Prompt:
    """The prompt by name (or an alias of it); 404 when missing, deleted or restricted."""
    prompt = (
        Prompt.objects.alive()
        .select_related("folder", "workspace")
        .filter(workspace=principal.workspace)
        .filter(Q(name=name) | Q(aliases__name=name))
        .distinct()
        .first()
    )
    if prompt is None:
        raise Http404("No such prompt.")
    chain = _folder_chain(prompt.folder) + [prompt]
    access.check_restricted_chain(principal, chain, need)
    return prompt


def may_see(principal: Principal, prompt: Prompt) -> bool:
    """Whether the prompt (with its folders' restrictions) is visible to the principal."""
    try:
        access.check_restricted_chain(
            principal, _folder_chain(prompt.folder) + [prompt], Action.READ
        )
    except Http404:
        return False
    return True


def folder_for(principal: Principal, path: str, need: Action = Action.READ) -> Folder:
    folder = Folder.objects.filter(workspace=principal.workspace, path=path).first()
    if folder is None:
        raise Http404("No such folder.")
    access.check_restricted_chain(principal, _folder_chain(folder), need)
    return folder


def _folder_chain(folder: Folder | None) -> list[Folder]:
    if folder is None:
        return []
    return list(
        Folder.objects.filter(
            workspace_id=folder.workspace_id, path__in=folder.ancestor_paths()
        ).order_by("path")
    )


def with_previous_number(versions: QuerySet) -> QuerySet:
    """Each version's `previous_number`: the kept version before it (None for the first), its
    parent for diffs and "previous" links, in the same query (numbers skip deleted versions)."""
    previous = PromptVersion.objects.filter(
        prompt=OuterRef("prompt"), number__lt=OuterRef("number")
    ).order_by("-number")
    return versions.annotate(previous_number=Subquery(previous.values("number")[:1]))


def version_of(prompt: Prompt, number: int) -> PromptVersion:
    version = (
        with_previous_number(PromptVersion.objects.select_related("author", "author_api_key"))
        .filter(prompt=prompt, number=number)
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    return version


def comment_of(prompt: Prompt, comment_id: int) -> Comment:
    comment = (
        Comment.objects.select_related("version", "author")
        .filter(version__prompt=prompt, version__deleted_at__isnull=True, pk=comment_id)
        .first()
    )
    if comment is None:
        raise Http404("No such comment.")
    return comment
