"""A prompt's history: the version list, one version with its comments, diffs, restore.

Versions are immutable; "Restore this version" saves a new version with the old content
(services.version_restore, audited). Comments are Markdown rendered safely (markdown.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error, paginate

from .. import selectors, services
from ..diffing import VersionDiff, VersionSnapshot, diff_versions
from ..forms.history import CommentForm, DiffQueryForm, version_choices
from ..models import Prompt, PromptVersion
from .labels import badges_by_number, label_choices, labels_of, prompt_context

VERSIONS_PER_PAGE = 20
# Config keys most prompts have, shown first and with names people read.
CONFIG_NAMES = {
    "model": "Model",
    "temperature": "Temperature",
    "max_tokens": "Max tokens",
    "top_p": "Top p",
    "frequency_penalty": "Frequency penalty",
    "presence_penalty": "Presence penalty",
    "stop": "Stop sequences",
    "response_format": "Response format",
    "tools": "Tools",
}


def _version_url(prompt: Prompt, number: int) -> str:
    return reverse("promptregistry:version", args=[prompt.workspace.slug, prompt.name, number])


def _snapshot(version: PromptVersion) -> VersionSnapshot:
    return VersionSnapshot.from_dicts(version.content, version.config, version.template_format)


def _empty_snapshot(prompt: Prompt, like: PromptVersion) -> VersionSnapshot:
    """What version 1 is compared with: nothing at all."""
    content = {"text": ""} if "text" in like.content else {"messages": []}
    return VersionSnapshot.from_dicts(content, {}, like.template_format)


def _diff(old: PromptVersion | None, new: PromptVersion, prompt: Prompt) -> VersionDiff:
    before = _snapshot(old) if old else _empty_snapshot(prompt, new)
    return diff_versions(before, _snapshot(new))


# --- History ----------------------------------------------------------------------------------


@login_required
@require_GET
def version_list(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.READ)
    prompt = selectors.prompt_for(request.principal, name)
    versions = (
        selectors.with_previous_number(prompt.versions.select_related("author", "author_api_key"))
        .annotate(comment_count=Count("comments"))
        .order_by("-number")
    )
    page_obj = paginate(request, versions, VERSIONS_PER_PAGE)
    labels = labels_of(prompt)
    badges = badges_by_number(prompt, labels)
    move_labels = label_choices(prompt, labels, request.principal)
    for version in page_obj:
        version.badges = badges.get(version.number, [])
        version.movable = _movable(move_labels, version.number)
    context = {
        **prompt_context(prompt, "history"),
        "page_obj": page_obj,
        "move_labels": move_labels,
        "compare_to": prompt.latest_version_number,
        "compare_from": next(
            (v.previous_number for v in page_obj if v.number == prompt.latest_version_number),
            None,
        )
        or prompt.latest_version_number,
    }
    return render(request, "promptregistry/history.html", context)


# --- One version and its comments -------------------------------------------------------------


def _movable(move_labels: list, number: int) -> bool:
    return any(not choice.locked and choice.number != number for choice in move_labels)


def _config_rows(config: dict) -> list[tuple[str, object]]:
    known = [(CONFIG_NAMES[key], config[key]) for key in CONFIG_NAMES if key in config]
    others = [(key, value) for key, value in config.items() if key not in CONFIG_NAMES]
    return known + others


def _version_page(
    request: WorkspaceRequest,
    prompt: Prompt,
    version: PromptVersion,
    *,
    comment_form: CommentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    labels = labels_of(prompt)
    move_labels = label_choices(prompt, labels, request.principal)
    context = {
        **prompt_context(prompt, "history", f"Version {version.number}"),
        "version": version,
        "badges": badges_by_number(prompt, labels).get(version.number, []),
        "comments": version.comments.select_related("author"),
        "comment_form": comment_form or CommentForm(auto_id="comment-%s"),
        "move_labels": move_labels,
        "movable": _movable(move_labels, version.number),
        "config_rows": _config_rows(version.config),
        "is_latest": version.number == prompt.latest_version_number,
    }
    return render(request, "promptregistry/version_detail.html", context, status=status)


@login_required
@require_GET
def version_detail(request: WorkspaceRequest, slug: str, name: str, number: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.READ)
    prompt = selectors.prompt_for(request.principal, name)
    return _version_page(request, prompt, selectors.version_of(prompt, number))


@login_required
@require_POST
def comment_create(request: WorkspaceRequest, slug: str, name: str, number: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    version = selectors.version_of(prompt, number)
    form = CommentForm(request.POST, auto_id="comment-%s")
    if form.is_valid():
        try:
            comment = services.comment_create(
                principal=request.principal, version=version, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Comment posted.")
            return redirect(f"{_version_url(prompt, number)}#comment-{comment.pk}")
    return _version_page(request, prompt, version, comment_form=form, status=400)


def _own_comment(request: WorkspaceRequest, slug: str, name: str, comment_id: int):
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    comment = selectors.comment_of(prompt, comment_id)
    if comment.author_id != request.user.pk:
        raise PermissionDenied("You can only change your own comments.")
    return prompt, comment


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: WorkspaceRequest, slug: str, name: str, comment_id: int) -> HttpResponse:
    prompt, comment = _own_comment(request, slug, name, comment_id)
    form = CommentForm(
        request.POST or None, initial={"body": comment.body}, auto_id=f"edit-{comment.pk}-%s"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_update(
                principal=request.principal, comment=comment, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            if request.htmx:
                return render(
                    request,
                    "promptregistry/version_detail.html#comment",
                    {**prompt_context(prompt, "history"), "comment": comment},
                )
            messages.success(request, "Comment updated.")
            return redirect(f"{_version_url(prompt, comment.version.number)}#comment-{comment.pk}")
    context = {**prompt_context(prompt, "history"), "comment": comment, "form": form}
    template = "promptregistry/comment_edit.html"
    if request.htmx:
        template += "#comment-edit-form"
    status = (422 if request.htmx else 400) if form.errors else 200
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(
    request: WorkspaceRequest, slug: str, name: str, comment_id: int
) -> HttpResponse:
    prompt, comment = _own_comment(request, slug, name, comment_id)
    if request.method == "POST":
        number = comment.version.number
        services.comment_delete(principal=request.principal, comment=comment)
        messages.success(request, "Comment deleted.")
        return redirect(f"{_version_url(prompt, number)}#comments")
    context = {**prompt_context(prompt, "history"), "comment": comment}
    return render(request, "promptregistry/comment_delete.html", context)


# --- Restore ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def version_restore(request: WorkspaceRequest, slug: str, name: str, number: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    version = selectors.version_of(prompt, number)
    error = None
    if request.method == "POST":
        try:
            restored = services.version_restore(principal=request.principal, version=version)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                f"Version {restored.number} saved with the content of version {number}. "
                "Move a label to it to release it.",
            )
            return redirect("promptregistry:version", slug, prompt.name, restored.number)
    latest = selectors.version_of(prompt, prompt.latest_version_number)
    context = {
        **prompt_context(prompt, "history", f"Restore version {number}"),
        "version": version,
        "latest": latest,
        "diff": _diff(latest, version, prompt),
        "error": error,
    }
    status = 400 if error else 200
    return render(request, "promptregistry/version_restore.html", context, status=status)


# --- Diff -------------------------------------------------------------------------------------


@login_required
@require_GET
def version_diff(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.READ)
    prompt = selectors.prompt_for(request.principal, name)
    query = DiffQueryForm(request.GET)
    wanted = query.cleaned_data if query.is_valid() else {}
    if not prompt.latest_version_number:
        return render(request, "promptregistry/diff.html", prompt_context(prompt, "history"))
    new = selectors.version_of(prompt, wanted.get("to") or prompt.latest_version_number)
    from_number = wanted.get("from_") or new.previous_number
    old = selectors.version_of(prompt, from_number) if from_number else None
    mode = wanted.get("mode") or "side"
    context = {
        **prompt_context(prompt, "history"),
        "old": old,
        "new": new,
        "diff": _diff(old, new, prompt),
        "mode": mode,
        "choices": version_choices(prompt),
        "bad_query": not query.is_valid(),
    }
    return render(request, "promptregistry/diff.html", context)
