"""Folders: the folder page (the prompt list scoped to it), create, rename, move, delete, access."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from workspaces import access
from workspaces.principal import Principal, WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error

from .. import selectors, services
from ..forms.prompts import FolderCreateForm, FolderMoveForm, FolderRenameForm
from ..models import Folder
from ..services.folders import folder_contents
from .prompts import handle_access_form, render_prompt_list, restricted_ancestors


def _folder_url(slug: str, folder: Folder | None) -> str:
    if folder is None:
        return reverse("promptregistry:prompts", args=[slug])
    return reverse("promptregistry:folder", args=[slug, folder.path])


def _parent_for(principal: Principal, path: str, field: str) -> Folder | None:
    """The folder things are created or moved into; ValidationError on `field` when refused."""
    services.check_may_write_in(principal=principal, folder_path=path, field=field)
    if not path:
        return None
    folder = selectors.visible_folders(principal).filter(path=path).first()
    if folder is None:
        raise ValidationError({field: f"There is no folder “{path}” you can use."})
    return folder


@login_required
@require_GET
def folder_detail(request: WorkspaceRequest, slug: str, path: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.READ)
    folder = selectors.folder_for(request.principal, path, need=Action.READ)
    return render_prompt_list(request, folder=folder)


@login_required
@require_http_methods(["GET", "POST"])
def folder_create(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    paths = list(selectors.visible_folders(request.principal).values_list("path", flat=True))
    form = FolderCreateForm(
        request.POST or None, folders=paths, initial={"parent": request.GET.get("parent", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            parent = _parent_for(request.principal, form.cleaned_data["parent"], "parent")
            folder = services.folder_create(
                principal=request.principal, parent=parent, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Folder “{folder.path}” created. Add prompts to it.")
            return redirect(_folder_url(slug, folder))
    return render(
        request,
        "promptregistry/folder_create.html",
        {"nav_section": "prompts", "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def folder_rename(request: WorkspaceRequest, slug: str, path: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    folder = selectors.folder_for(request.principal, path, need=Action.EDIT)
    form = FolderRenameForm(request.POST or None, initial={"name": folder.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.folder_rename(
                principal=request.principal, folder=folder, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            folder.refresh_from_db()
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                f"Renamed to “{folder.path}”. Apps fetching prompts by their old names keep "
                "working through aliases.",
            )
            return redirect(_folder_url(slug, folder))
    return _folder_form_page(request, "folder_rename.html", folder, form)


@login_required
@require_http_methods(["GET", "POST"])
def folder_move(request: WorkspaceRequest, slug: str, path: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    folder = selectors.folder_for(request.principal, path, need=Action.EDIT)
    targets = [
        p
        for p in selectors.visible_folders(request.principal).values_list("path", flat=True)
        if p != folder.path and not p.startswith(folder.path + "/")
    ]
    current_parent = folder.path.rpartition("/")[0]
    form = FolderMoveForm(request.POST or None, folders=targets, initial={"parent": current_parent})
    if request.method == "POST" and form.is_valid():
        try:
            parent = _parent_for(request.principal, form.cleaned_data["parent"], "parent")
            services.folder_move(principal=request.principal, folder=folder, parent=parent)
        except ValidationError as error:
            folder.refresh_from_db()
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                f"Moved to “{folder.path}”. Apps fetching prompts by their old names keep "
                "working through aliases.",
            )
            return redirect(_folder_url(slug, folder))
    return _folder_form_page(request, "folder_move.html", folder, form)


def _folder_form_page(request, template: str, folder: Folder, form) -> HttpResponse:
    contents = folder_contents(folder)
    return render(
        request,
        f"promptregistry/{template}",
        {
            "nav_section": "prompts",
            "folder": folder,
            "form": form,
            "example": contents["prompts"][0] if contents["prompts"] else None,
            "prompt_count": len(contents["prompts"]),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def folder_delete(request: WorkspaceRequest, slug: str, path: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.DELETE)
    folder = selectors.folder_for(request.principal, path, need=Action.DELETE)
    contents = folder_contents(folder)
    if request.method == "POST":
        parent = folder.parent
        try:
            services.folder_delete(
                principal=request.principal,
                folder=folder,
                confirmed=request.POST.get("confirmed") == "yes",
            )
        except ValidationError:
            messages.warning(request, "This folder isn't empty: check what goes, then confirm.")
            return redirect("promptregistry:folder-delete", slug, path)
        gone = len(contents["prompts"])
        messages.success(
            request,
            f"Folder “{path}” deleted"
            + (f" with {gone} prompt{'s' if gone != 1 else ''}." if gone else "."),
        )
        return redirect(_folder_url(slug, parent))
    return render(
        request,
        "promptregistry/folder_delete.html",
        {"nav_section": "prompts", "folder": folder, **contents},
    )


@login_required
@require_http_methods(["GET", "POST"])
def folder_access(request: WorkspaceRequest, slug: str, path: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_SETTINGS)
    folder = selectors.folder_for(request.principal, path, need=Action.MANAGE_SETTINGS)
    form = handle_access_form(request, folder)
    if form is None:
        return redirect("promptregistry:folder-access", slug, folder.path)
    return render(
        request,
        "promptregistry/folder_access.html",
        {
            "nav_section": "prompts",
            "folder": folder,
            "form": form,
            "inherited": restricted_ancestors(folder),
        },
        status=400 if form.errors else 200,
    )
