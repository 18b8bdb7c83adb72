"""Reads of the registry that respect per-object restrictions, in a constant number of queries."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Case, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
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


def visible_prompts(principal: Principal, hidden_folders: list[str] | None = None) -> QuerySet:
    """Live prompts and snippets the principal may see: restricted ones vanish everywhere.

    `hidden_folders`: `hidden_folder_paths(principal)` when the caller has it already."""
    prompts = Prompt.objects.alive().filter(workspace=principal.workspace)
    restricted = list(
        prompts.exclude(view_role="", edit_role="").only("pk", "view_role", "edit_role")
    )
    hidden_ids = [p.pk for p in access.hidden_among(principal, restricted)]
    if hidden_ids:
        prompts = prompts.exclude(pk__in=hidden_ids)
    if hidden_folders is None:
        hidden_folders = hidden_folder_paths(principal)
    for path in hidden_folders:
        prompts = prompts.exclude(name__under=path)
    return prompts


def visible_folders(principal: Principal, hidden_folders: list[str] | None = None) -> QuerySet:
    folders = Folder.objects.filter(workspace=principal.workspace)
    if hidden_folders is None:
        hidden_folders = hidden_folder_paths(principal)
    return _exclude_paths(folders, "path", hidden_folders)


def with_prompt_counts(folders: QuerySet, visible: QuerySet, parent: Folder | None) -> QuerySet:
    """Folders with `prompt_count`: the `visible` prompts directly inside each folder of the
    level below `parent` (None for the others), in the folders' own query."""
    inside = (
        visible.filter(folder=OuterRef("pk")).order_by().values("folder").annotate(n=Count("pk"))
    )
    level = Q(parent=parent) if parent else Q(parent__isnull=True)
    return folders.annotate(
        prompt_count=Case(When(level, then=Coalesce(Subquery(inside.values("n")), 0)))
    )


def with_list_details(prompts: QuerySet) -> QuerySet:
    """What a list row shows: tags, labels, the newest version's author and time, comments."""
    latest = PromptVersion.objects.filter(
        prompt=OuterRef("pk"), number=OuterRef("latest_version_number")
    ).order_by()  # one row by (prompt, number): the default ordering would join prompts to sort
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


# Pages of the prompt list -----------------------------------------------------------------------
#
# Keyset pages: a page is "the prompts after (or before) this one" in the list's sort order, found
# through the index where the previous page ended, so page 100 costs what page 1 costs (an OFFSET
# reads and annotates every row it skips), and a link to a position keeps showing the prompts
# after that prompt when others are added or deleted meanwhile. A cursor holds the sort key of the
# row, never its id: a prompt updated or renamed since the link was made doesn't move the page.
# Names are unique among a workspace's live prompts, so the name breaks every tie.

LIST_ORDERS = {  # the list's sort choice -> (fields, descending)
    "name": (("name",), False),
    "-name": (("name",), True),
    "updated": (("updated_at", "name"), False),
    "-updated": (("updated_at", "name"), True),
}


@dataclass(frozen=True)
class PromptPage:
    rows: list[Prompt]
    total: int  # prompts matching, on every page
    start: int  # the position of the first row in the whole list, from 1 (0: no rows)
    after: str | None  # the cursor of the next page, None on the last
    before: str | None  # the cursor of the previous page, None on the first
    previous_is_first: bool  # the previous page is the list's start: link to it without a cursor

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1 if self.rows else self.start

    @property
    def summary(self) -> str:
        if not self.rows:
            return f"{self.total:,} in all"
        return f"{self.start:,}–{self.end:,} of {self.total:,}"


def list_cursor(prompt: Prompt, sort: str) -> str:
    """The cursor of a row: its name, after its update time (UTC, ISO 8601) and "|" by update.
    Names can't hold "|", so the first one splits them."""
    fields, _ = LIST_ORDERS[sort]
    if "updated_at" not in fields:
        return prompt.name
    return f"{prompt.updated_at.astimezone(UTC).isoformat()}|{prompt.name}"


def _cursor_values(cursor: str, sort: str) -> tuple | None:
    """The sort key a cursor names, or None when it can't be one (a stale or edited link)."""
    fields, _ = LIST_ORDERS[sort]
    if not cursor or len(cursor) > 300:
        return None
    if "updated_at" not in fields:
        return (cursor,)
    moment, _, name = cursor.partition("|")
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return (at, name) if at.tzinfo is not None and name else None


def _beyond(fields: tuple[str, ...], values: tuple, op: str) -> Q:
    """Rows whose (fields) compare `op` ("gt"/"lt") to values, as a row comparison would."""
    first, *rest = fields
    if not rest:
        return Q(**{f"{first}__{op}": values[0]})
    return Q(**{f"{first}__{op}": values[0]}) | (
        Q(**{first: values[0]}) & _beyond(tuple(rest), values[1:], op)
    )


def prompt_page(
    prompts: QuerySet, *, sort: str, after: str = "", before: str = "", per_page: int
) -> PromptPage:
    """One page of the (filtered) list in `sort` order: after the cursor `after`, before the
    cursor `before`, or the first. Two queries however deep: the page's rows (with the list
    details, fetched one over a page to know whether more follow) and the counts."""
    fields, descending = LIST_ORDERS[sort]
    forward_op, back_op = ("lt", "gt") if descending else ("gt", "lt")
    order = [f"-{f}" if descending else f for f in fields]
    reverse = [f[1:] if f.startswith("-") else f"-{f}" for f in order]
    after_key = _cursor_values(after, sort)
    before_key = None if after_key else _cursor_values(before, sort)

    if before_key:
        page = prompts.filter(_beyond(fields, before_key, back_op)).order_by(*reverse)
        rows = list(with_list_details(page)[: per_page + 1])
        more_before = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        total, ahead = _counted(prompts, _beyond(fields, before_key, back_op))
        start = ahead - len(rows) + 1 if rows else 0
        more_after = ahead < total
    else:
        page = prompts.order_by(*order)
        if after_key:
            page = page.filter(_beyond(fields, after_key, forward_op))
        rows = list(with_list_details(page)[: per_page + 1])
        more_after = len(rows) > per_page
        rows = rows[:per_page]
        total, ahead = _counted(
            prompts, ~_beyond(fields, after_key, forward_op) if after_key else None
        )
        start = ahead + 1 if rows else 0
        more_before = ahead > 0
    return PromptPage(
        rows=rows,
        total=total,
        start=start,
        after=list_cursor(rows[-1], sort) if rows and more_after else None,
        before=list_cursor(rows[0], sort) if rows and more_before else None,
        previous_is_first=bool(rows) and start - 1 <= per_page,
    )


def _counted(prompts: QuerySet, ahead: Q | None) -> tuple[int, int]:
    """How many prompts match, and how many of them `ahead` picks (the rows before the page),
    in one scan: the page's position costs no more than the total."""
    if ahead is None:
        return prompts.order_by().count(), 0
    counted = prompts.order_by().aggregate(total=Count("pk"), ahead=Count("pk", filter=ahead))
    return counted["total"], counted["ahead"]


def list_cursor_at(prompts: QuerySet, *, sort: str, position: int) -> str | None:
    """The cursor of the row at `position` (from 1) of the list: where an old `?page=N` link
    starts (N - 1 pages in). One query on the sort keys alone; None past the end."""
    fields, descending = LIST_ORDERS[sort]
    order = [f"-{f}" if descending else f for f in fields]
    row = next(iter(prompts.order_by(*order).only(*fields)[position - 1 : position]), None)
    return list_cursor(row, sort) if row else None


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
