"""Prompt and snippet lists, creating a prompt, its page, settings, deletion and access."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from workspaces import access
from workspaces.principal import Principal, WorkspaceRequest
from workspaces.roles import Action, Role
from workspaces.views.helpers import PAGE_SIZE, apply_validation_error, paginate

from .. import content, selectors, services, templating
from ..forms.prompts import (
    AccessForm,
    PromptCreateForm,
    PromptDetailsForm,
    PromptFilterForm,
    PromptRenameForm,
)
from ..models import Folder, Label, Prompt, PromptVersion, Tag

LIST_TEMPLATE = "promptregistry/prompt_list.html"


# The list (shared with the folder page) ----------------------------------------------------


def render_prompt_list(request: WorkspaceRequest, folder: Folder | None) -> HttpResponse:
    """The prompts list at the top level or inside `folder`: its folders first, then prompts.

    Without a search or filter it browses one level; with one it searches everything below.
    Keyset pages (`?after=` / `?before=` a row's cursor, selectors.prompt_page): the same
    queries and time on page 100 as on page 1, however many prompts (tests/promptregistry).
    """
    principal = request.principal
    hidden_folders = selectors.hidden_folder_paths(principal)
    visible = selectors.visible_prompts(principal, hidden_folders)
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    folders = selectors.visible_folders(principal, hidden_folders).only(
        "pk", "parent_id", "name", "path", "view_role", "edit_role"
    )
    if not (after or before):  # the first page shows the level's folders, with their counts
        folders = selectors.with_prompt_counts(folders, visible, parent=folder)
    folders = list(folders)
    inside = visible.filter(name__under=folder.path) if folder else visible
    form = PromptFilterForm(
        request.GET or None,
        folders=[f.path for f in folders if not folder or f.path.startswith(folder.path + "/")],
        tags=list(Tag.objects.filter(prompts__in=inside).values_list("name", flat=True).distinct()),
        labels=sorted(
            set(Label.objects.filter(prompt__in=inside).values_list("name", flat=True).distinct())
        ),
        authors=[
            (m.user_id, m.user.display_name)
            for m in principal.workspace.memberships.select_related("user").order_by("user__name")
        ],
    )
    browsing = not form.is_filtering and not form.value("folder")
    prompts = form.filter(inside.filter(folder=folder) if browsing else inside)
    sort = form.value("sort") or "name"
    if old_page := _old_page_link(request, prompts, sort):
        return redirect(old_page)
    page = selectors.prompt_page(prompts, sort=sort, after=after, before=before, per_page=PAGE_SIZE)
    at_start = not (after or before)
    context = {
        "nav_section": "snippets" if form.value("type") == "snippet" else "prompts",
        "folder": folder,
        "form": form,
        "page": page,
        "page_links": _page_links(request, page),
        "browsing": browsing,
        "sort": sort,
        "more_filters": any(form.value(f) for f in ("folder", "tag", "label", "author")),
        "level_folders": _folder_rows(folders, parent=folder) if browsing and at_start else [],
        "can_add_here": services.access.may_write_in(
            principal=principal, folder_path=folder.path if folder else ""
        ),
        "list_url": request.path,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, LIST_TEMPLATE + "#results", context)
    else:
        response = render(request, LIST_TEMPLATE, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


CURSOR_PARAMS = ("after", "before", "page")


def _list_link(request: WorkspaceRequest, **cursor: str) -> str:
    """This list with its search, filters and sort, at `cursor` (none: the first page)."""
    params = request.GET.copy()
    for name in CURSOR_PARAMS:
        params.pop(name, None)
    for name, value in cursor.items():
        params[name] = value
    return f"{request.path}?{params.urlencode()}" if params else request.path


def _page_links(request: WorkspaceRequest, page: selectors.PromptPage) -> dict[str, str | None]:
    previous = None
    if page.before:
        at = {} if page.previous_is_first else {"before": page.before}
        previous = _list_link(request, **at)
    return {
        "first": _list_link(request),
        "previous": previous,
        "next": _list_link(request, after=page.after) if page.after else None,
    }


def _old_page_link(request: WorkspaceRequest, prompts, sort: str) -> str | None:
    """Where a `?page=N` link of the numbered pages this list had starts now, as a cursor."""
    try:
        number = int(request.GET.get("page", ""))
    except ValueError:
        return None
    if number < 2 or number > 100_000 or request.GET.get("after") or request.GET.get("before"):
        return None
    cursor = selectors.list_cursor_at(prompts, sort=sort, position=(number - 1) * PAGE_SIZE)
    return _list_link(request, after=cursor) if cursor else None  # past the end: the first page


def _folder_rows(folders: list[Folder], parent: Folder | None) -> list[dict]:
    """The level's folders with the prompts they hold (`prompt_count`, annotated in the folders'
    own query: selectors.with_prompt_counts) and the folders inside them."""
    parent_id = parent.pk if parent else None
    folder_counts: dict[int, int] = {}
    for f in folders:
        if f.parent_id is not None:
            folder_counts[f.parent_id] = folder_counts.get(f.parent_id, 0) + 1
    return [
        {"folder": f, "prompts": f.prompt_count or 0, "folders": folder_counts.get(f.pk, 0)}
        for f in folders
        if f.parent_id == parent_id
    ]


@login_required
@require_GET
def prompt_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.READ)
    return render_prompt_list(request, folder=None)


@login_required
@require_GET
def snippet_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.READ)
    visible = selectors.visible_prompts(request.principal)
    query = request.GET.get("q", "").strip()
    snippets = visible.filter(kind=Prompt.Kind.SNIPPET).order_by("name")
    if query:
        snippets = snippets.filter(search_text__contains=query.lower())
    page_obj = paginate(request, selectors.with_list_details(snippets))
    usage = snippet_usage(visible, [snippet.name for snippet in page_obj])
    rows = [{"snippet": s, "used_by": usage.get(s.name, [])} for s in page_obj]
    return render(
        request,
        "promptregistry/snippet_list.html",
        {"nav_section": "snippets", "page_obj": page_obj, "rows": rows, "query": query},
    )


def snippet_usage(visible, names: list[str]) -> dict[str, list[Prompt]]:
    """{snippet name: prompts whose newest version references it}, in one query for them all.

    Only prompts the principal may see (`visible`) count: restricted ones vanish from counts too.
    """
    if not names:
        return {}
    wanted = set(names)
    newest = (
        PromptVersion.objects.filter(prompt__in=visible, number=F("prompt__latest_version_number"))
        .select_related("prompt")
        .only("content", "prompt__name", "prompt__workspace_id", "prompt__kind")
        .order_by("prompt__name")
    )
    usage: dict[str, list[Prompt]] = {}
    for version in newest:
        found = set()
        for text in content.texts_of(version.content):
            if "{{" in text or "@@@" in text:
                found |= {r.name for r in templating.find_references(text, strict=False)}
        for name in (found & wanted) - {version.prompt.name}:
            usage.setdefault(name, []).append(version.prompt)
    return usage


# Creating a prompt ---------------------------------------------------------------------------


def _folder_paths(principal: Principal) -> list[str]:
    return list(selectors.visible_folders(principal).values_list("path", flat=True))


@login_required
@require_http_methods(["GET", "POST"])
def prompt_create(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    initial = {"folder": request.GET.get("folder", ""), "kind": request.GET.get("kind", "prompt")}
    form = PromptCreateForm(
        request.POST or None, folders=_folder_paths(request.principal), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        name = data["full_name"]
        try:
            services.check_may_write_in(
                principal=request.principal, folder_path=name.rpartition("/")[0]
            )
            prompt = services.prompt_create(
                principal=request.principal,
                name=name,
                kind=data["kind"],
                prompt_type=data["type"],
                description=data["description"],
                tags=data["tag_list"],
                version_content=data["version_content"],
                template_format=data["template_format"],
                commit_message="First version",
            )
        except ValidationError as error:
            apply_validation_error(form, _content_errors_to(form.content_field(), error))
        else:
            messages.success(request, f"“{prompt.name}” is saved as version 1.")
            return redirect(prompt)
    return render(
        request,
        "promptregistry/prompt_create.html",
        {"nav_section": "prompts", "form": form},
        status=400 if form.errors else 200,
    )


def _content_errors_to(field: str, error: ValidationError) -> ValidationError:
    """The service names content errors "content"/"messages"; the form has textareas."""
    if not hasattr(error, "error_dict"):
        return error
    moved: dict[str, list] = {}
    for key, errors in error.error_dict.items():
        target = field if key in ("content", "messages") else key
        moved.setdefault(target, []).extend(errors)
    return ValidationError(moved)


# One prompt --------------------------------------------------------------------------------


def _may(principal: Principal, prompt: Prompt, need: Action) -> bool:
    try:
        selectors.prompt_for(principal, prompt.name, need=need)
    except (PermissionDenied, Http404):
        return False
    return True


@login_required
@require_GET
def prompt_detail(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.READ)
    prompt = selectors.prompt_for(request.principal, name, need=Action.READ)
    if prompt.name != name:
        messages.info(
            request, f"“{name}” is an old name of “{prompt.name}”: apps fetching it still work."
        )
        return redirect(prompt)
    latest = None
    if prompt.latest_version_number:
        latest = selectors.version_of(prompt, prompt.latest_version_number)
    visible = selectors.visible_prompts(request.principal)
    labels = list(prompt.labels.select_related("version", "split_version"))
    used_by = []
    if prompt.is_snippet:
        used_by = snippet_usage(visible, [prompt.name]).get(prompt.name, [])
    context = {
        "nav_section": "snippets" if prompt.is_snippet else "prompts",
        "prompt": prompt,
        "active_tab": "overview",
        "latest": latest,
        "labels": labels,
        "fetch_label": "production" if any(lb.name == "production" for lb in labels) else "latest",
        "tags": list(prompt.tags.all()),
        "aliases": list(prompt.aliases.all()),
        "used_by": used_by,
        "can_edit_prompt": _may(request.principal, prompt, Action.EDIT),
        **_content_summary(prompt, latest, visible),
        **_fetch_examples(request, prompt),
    }
    return render(request, "promptregistry/prompt_detail.html", context)


def _content_summary(prompt: Prompt, latest: PromptVersion | None, visible) -> dict:
    if latest is None:
        return {"blocks": [], "variables": [], "placeholders": [], "snippets_used": []}
    if "text" in latest.content:
        blocks = [{"role": "Snippet" if prompt.is_snippet else "Text", "content": latest.text}]
    else:
        blocks = [
            {"placeholder": m["name"]} if content.is_placeholder(m) else m for m in latest.messages
        ]
    try:
        variables = content.variables_of(latest.content, latest.template_format)
    except (templating.TemplateError, ValueError):
        variables = []
    referenced = {
        ref.name
        for text in content.texts_of(latest.content)
        for ref in templating.find_references(text, strict=False)
    }
    return {
        "blocks": blocks,
        "variables": variables,
        "placeholders": content.placeholders_of(latest.content),
        "snippets_used": list(visible.filter(name__in=referenced).order_by("name"))
        if referenced
        else [],
    }


def _fetch_examples(request: WorkspaceRequest, prompt: Prompt) -> dict:
    host = request.build_absolute_uri("/").rstrip("/")
    return {
        "host": host,
        "fetch_url": f"{host}/api/public/v2/prompts/{quote(prompt.name, safe='')}",
        "render_url": f"{host}/api/v1/prompts/{quote(prompt.name, safe='')}/render",
    }


@login_required
@require_POST
def alias_delete(request: WorkspaceRequest, slug: str, name: str, alias_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    alias = get_object_or_404(prompt.aliases, pk=alias_id)
    services.alias_delete(principal=request.principal, prompt=prompt, alias=alias)
    messages.success(
        request, f"“{alias.name}” no longer finds this prompt. Apps still using it get “not found”."
    )
    return redirect(prompt)


# Settings: rename or move, details ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def prompt_settings(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    rename_form = PromptRenameForm(initial={"name": prompt.name})
    tags = ", ".join(t.name for t in prompt.tags.all())
    details_form = PromptDetailsForm(initial={"description": prompt.description, "tags": tags})
    if request.method == "POST":
        if request.POST.get("section") == "name":
            rename_form = PromptRenameForm(request.POST)
            done = _rename(request, prompt, rename_form)
        else:
            details_form = PromptDetailsForm(request.POST)
            done = _save_details(request, prompt, details_form)
        if done is not None:
            return done
    context = {
        "nav_section": "snippets" if prompt.is_snippet else "prompts",
        "prompt": prompt,
        "active_tab": "settings",
        "rename_form": rename_form,
        "details_form": details_form,
        "aliases": list(prompt.aliases.all()),
    }
    failed = rename_form.errors or details_form.errors
    return render(
        request, "promptregistry/prompt_settings.html", context, status=400 if failed else 200
    )


def _save_details(request: WorkspaceRequest, prompt: Prompt, form: PromptDetailsForm):
    if not form.is_valid():
        return None
    try:
        services.prompt_update_details(
            principal=request.principal,
            prompt=prompt,
            description=form.cleaned_data["description"],
            tags=form.cleaned_data["tags"],
        )
    except ValidationError as error:
        apply_validation_error(form, error)
        return None
    messages.success(request, "Description and tags saved.")
    return redirect(prompt)


def _rename(request: WorkspaceRequest, prompt: Prompt, form: PromptRenameForm):
    if not form.is_valid():
        return None
    old_name = prompt.name
    new_name = form.cleaned_data["name"].strip().strip("/")
    try:
        services.check_may_write_in(
            principal=request.principal, folder_path=new_name.rpartition("/")[0], field="name"
        )
        services.prompt_rename(principal=request.principal, prompt=prompt, new_name=new_name)
    except ValidationError as error:
        prompt.name = old_name
        apply_validation_error(form, error)
        return None
    if prompt.name != old_name:
        messages.success(
            request,
            f"Renamed to “{prompt.name}”. Apps fetching “{old_name}” keep working through the "
            "old name; switch them to the new one when you can.",
        )
    return redirect(prompt)


@login_required
@require_http_methods(["GET", "POST"])
def prompt_delete(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.DELETE)
    prompt = selectors.prompt_for(request.principal, name, need=Action.DELETE)
    if request.method == "POST":
        services.prompt_delete(principal=request.principal, prompt=prompt)
        messages.success(
            request, f"“{prompt.name}” was deleted. Apps fetching it now get “not found”."
        )
        if prompt.folder_id and Folder.objects.filter(pk=prompt.folder_id).exists():
            return redirect(prompt.folder)
        return redirect("promptregistry:prompts", slug)
    visible = selectors.visible_prompts(request.principal)
    used_by = (
        snippet_usage(visible, [prompt.name]).get(prompt.name, []) if prompt.is_snippet else []
    )
    return render(
        request,
        "promptregistry/prompt_delete.html",
        {
            "nav_section": "snippets" if prompt.is_snippet else "prompts",
            "prompt": prompt,
            "active_tab": "settings",
            "used_by": used_by,
            "aliases": list(prompt.aliases.all()),
        },
    )


# Access: restrictions and grants (prompts here, folders in views/folders.py) ------------------


def access_members(principal: Principal) -> list[tuple[int, str, str]]:
    """Who can be let in by name: everyone below admin (admins and owners see everything)."""
    memberships = (
        principal.workspace.memberships.select_related("user")
        .filter(role__in=[Role.EDITOR, Role.VIEWER])
        .order_by("user__name", "user__email")
    )
    return [
        (m.user_id, f"{m.user.display_name} · {m.user.email} · {m.get_role_display()}", m.role)
        for m in memberships
    ]


def handle_access_form(request: WorkspaceRequest, obj: Folder | Prompt) -> AccessForm | None:
    """The access form for obj; None once a POST was saved (the caller redirects)."""
    viewers, editors = services.grants_for(obj)
    members = access_members(request.principal)
    form = AccessForm(
        request.POST or None,
        members=members,
        initial={
            "view_role": obj.view_role,
            "edit_role": obj.edit_role,
            "viewers": [u.pk for u in viewers],
            "editors": [u.pk for u in editors],
        },
    )
    if request.method != "POST" or not form.is_valid():
        return form
    data = form.cleaned_data
    people = {u.pk: u for u in User.objects.filter(pk__in={*data["viewers"], *data["editors"]})}
    try:
        services.access_update(
            principal=request.principal,
            obj=obj,
            view_role=data["view_role"],
            edit_role=data["edit_role"],
            viewers=[people[pk] for pk in data["viewers"] if pk in people],
            editors=[people[pk] for pk in data["editors"] if pk in people],
        )
    except ValidationError as error:
        apply_validation_error(form, error)
        return form
    messages.success(request, "Access saved.")
    return None


def restricted_ancestors(obj: Folder | Prompt) -> list[Folder]:
    """The restricted folders around obj: their restrictions apply to it as well."""
    path = obj.path if isinstance(obj, Folder) else obj.name
    parts = path.split("/")[:-1]
    paths = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if not paths:
        return []
    return list(
        Folder.objects.filter(workspace_id=obj.workspace_id, path__in=paths)
        .exclude(view_role="", edit_role="")
        .order_by("path")
    )


@login_required
@require_http_methods(["GET", "POST"])
def prompt_access(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_SETTINGS)
    prompt = selectors.prompt_for(request.principal, name, need=Action.MANAGE_SETTINGS)
    form = handle_access_form(request, prompt)
    if form is None:
        return redirect(reverse("promptregistry:prompt-access", args=[slug, prompt.name]))
    return render(
        request,
        "promptregistry/prompt_access.html",
        {
            "nav_section": "snippets" if prompt.is_snippet else "prompts",
            "prompt": prompt,
            "active_tab": "access",
            "form": form,
            "inherited": restricted_ancestors(prompt),
        },
        status=400 if form.errors else 200,
    )
