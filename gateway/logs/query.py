"""Reading the request log: which completions a principal may see, filtered, a page at a time.

Pages are keyset-paginated (newest first, by id): the cursor is the last id shown, so a page
costs the same on the millionth row as on the first, and rows written meanwhile never shift
a page. Completions of prompts the principal may not see (restricted prompts and folders,
access.py) are left out of the log, its exports and analytics alike.
"""

from dataclasses import dataclass

from django.db.models import QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import Http404

from promptregistry.models import Folder, Prompt
from workspaces import access
from workspaces.principal import Principal
from workspaces.roles import Role

from ..models import Completion

PAGE_SIZE = 50


@dataclass(frozen=True)
class Hidden:
    """Prompts whose calls a principal may not see: by id, by name and by folder."""

    prompt_ids: tuple[int, ...] = ()
    prompt_names: tuple[str, ...] = ()
    folder_paths: tuple[str, ...] = ()

    def exclude_from(self, completions: QuerySet) -> QuerySet:
        if self.prompt_ids:
            completions = completions.exclude(prompt_id__in=self.prompt_ids)
        if self.prompt_names:
            completions = completions.exclude(prompt_name__in=self.prompt_names)
        for path in self.folder_paths:
            completions = completions.exclude(prompt_name__startswith=path + "/")
        return completions


def hidden_for(principal: Principal) -> Hidden:
    """Admins and owners see everything (they set the restrictions): no query for them."""
    if principal.role in (Role.OWNER, Role.ADMIN):
        return Hidden()
    restricted = list(
        Prompt.objects.filter(workspace=principal.workspace)
        .exclude(view_role="", edit_role="")
        .only("pk", "name", "view_role", "edit_role")
    )
    folders = list(
        Folder.objects.filter(workspace=principal.workspace).exclude(view_role="", edit_role="")
    )
    prompts = access.hidden_among(principal, restricted)
    return Hidden(
        prompt_ids=tuple(p.pk for p in prompts),
        prompt_names=tuple(p.name for p in prompts),
        folder_paths=tuple(f.path for f in access.hidden_among(principal, folders)),
    )


def visible_completions(principal: Principal, hidden: Hidden | None = None) -> QuerySet:
    completions = Completion.objects.filter(workspace=principal.workspace)
    return (hidden or hidden_for(principal)).exclude_from(completions)


def completion_for(principal: Principal, public_id) -> Completion:
    """One completion of the principal's workspace they may see, or 404."""
    completion = visible_completions(principal).filter(public_id=public_id).first()
    if completion is None:
        raise Http404("No such completion.")
    return completion


def with_metadata(completions: QuerySet, key: str, value: str) -> QuerySet:
    """metadata[key] == value, compared as text; the key is a bound parameter, never SQL."""
    as_text = Cast(KeyTextTransform(key, "metadata"), TextField())
    return completions.alias(metadata_value=as_text).filter(metadata_value=value)


@dataclass
class LogPage:
    rows: list[Completion]
    newer_cursor: int | None  # the id to show rows after (newer), None on the first page
    older_cursor: int | None  # the id to show rows before (older), None on the last page


def page_of(completions: QuerySet, *, before: int | None, after: int | None) -> LogPage:
    """One page of the log, newest first: rows with id < before, or id > after, or the newest.

    Fetches one row more than a page to know whether there is a next one (no COUNT)."""
    if after is not None:
        rows = list(completions.filter(id__gt=after).order_by("id")[: PAGE_SIZE + 1])
        more_newer = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        return LogPage(
            rows=rows,
            newer_cursor=rows[0].id if rows and more_newer else None,
            older_cursor=rows[-1].id if rows else after + 1,
        )
    if before is not None:
        completions = completions.filter(id__lt=before)
    rows = list(completions.order_by("-id")[: PAGE_SIZE + 1])
    more_older = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return LogPage(
        rows=rows,
        newer_cursor=rows[0].id if rows and before is not None else None,
        older_cursor=rows[-1].id if rows and more_older else None,
    )
