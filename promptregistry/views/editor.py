"""The no-code editor: message blocks, live preview, server-side drafts, "Save version".

Everything works as plain form posts (buttons carry an `op`; the page re-renders with the
change applied, nothing saved); static/js/editor.js makes the same buttons instant and
htmx refreshes the preview and keeps the draft while the author types.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action

from .. import content, selectors, services
from ..editor import analysis as editor_analysis
from ..editor import state as editor_state
from ..editor.forms import FORMAT_HELP, TEMPLATE_FORMATS, ConfigForm, SaveForm
from ..editor.state import EditorState
from ..models import MAX_VERSION_NUMBER, Draft, Prompt
from ..services.drafts import MAX_DRAFT_BYTES

TEMPLATE = "promptregistry/editor.html"


# Shown next to the fields, and checked by editor.js before anything is sent: a post past
# DATA_UPLOAD_MAX_MEMORY_SIZE is refused by Django before any view could keep its text.
def _limits() -> dict:
    post_bytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return {
        "messages": content.MAX_MESSAGES,
        "chars": f"{content.MAX_TEXT:,}",
        "post_bytes": post_bytes,
        "post_size": filesizeformat(post_bytes),
    }


@login_required
@require_http_methods(["GET", "POST"])
def prompt_edit(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    if request.method == "GET":
        draft = Draft.objects.filter(prompt=prompt, user=request.user).first()
        if draft is None:
            state = editor_state.state_from_version(prompt, editor_state.latest_version(prompt))
        else:
            state = editor_state.state_from_draft(prompt, draft)
        return _editor(request, prompt, state, restored=draft)
    state = editor_state.state_from_post(request.POST, prompt)
    op = editor_state.op_from(request.POST)
    if op.name in ("save", "save-over"):
        return _save(request, prompt, state, over=op.name == "save-over")
    result = editor_state.apply_op(state, op, request.POST, _snippet_names(request, prompt))
    _keep_draft(request, prompt, result.state)  # without JavaScript there is no autosave
    return _editor(request, prompt, result.state, focus=result.focus, op_problem=result.problem)


def _save(
    request: WorkspaceRequest, prompt: Prompt, state: EditorState, over: bool
) -> HttpResponse:
    save_form = SaveForm(request.POST)
    config_form = ConfigForm(state.config_fields)
    newer = _int_or_none(request.POST.get("newer_number"))
    if over and newer is not None:
        state.base_number = newer  # the author has seen the newer version and saves on top
    analysis = editor_analysis.analyse(request.principal, prompt, state)
    general, conflict = [], None
    # Both forms are checked (no short-circuit), so every error shows at once.
    if save_form.is_valid() & config_form.is_valid() and not analysis.errors:
        try:
            version = services.prompt_version_create(
                principal=request.principal,
                prompt=prompt,
                version_content=state.content(),
                template_format=state.template_format,
                config=config_form.merged_config,
                commit_message=save_form.cleaned_data["commit_message"].strip(),
                base_number=state.base_number,
                refuse_unchanged=True,
            )
        except services.StaleVersionError as stale:
            diff = editor_analysis.conflict_diff(stale.newer, state, config_form.merged_config)
            conflict = {
                "newer": stale.newer,
                "diff": diff,
                "left_title": f"Version {stale.newer.number}",
            }
        except ValidationError as error:
            forms = {"config": config_form, "commit_message": save_form}
            general = editor_analysis.place_errors(error, analysis, forms)
        else:
            services.draft_discard(principal=request.principal, prompt=prompt)
            messages.success(request, f"Saved version {version.number}.")
            for warning in editor_analysis.saved_warnings(
                request.principal, prompt, state, version
            ):
                messages.warning(request, warning)
            return redirect(prompt.get_absolute_url())
    _keep_draft(request, prompt, state)  # what was typed survives a closed tab, too
    problems = [f"{where}: {what}" for where, what in analysis.errors]
    problems += save_form.hidden_problems() + general
    return _editor(
        request, prompt, state, analysis=analysis, config_form=config_form, save_form=save_form,
        conflict=conflict, problems=problems, status=409 if conflict else 400,
    )  # fmt: skip


@login_required
@require_POST
def prompt_preview(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    state = editor_state.state_from_post(request.POST, prompt)
    if not request.htmx:
        return _editor(request, prompt, state)
    analysis = editor_analysis.analyse(request.principal, prompt, state)
    context = {
        "prompt": prompt,
        "state": state,
        "analysis": analysis,
        "format_help": FORMAT_HELP.get(state.template_format, ""),
        "panel_changed": request.POST.get("known_names") != analysis.names_key,
    }
    return render(request, "promptregistry/_editor_refresh.html", context)


@login_required
@require_POST
def draft_save(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    state = editor_state.state_from_post(request.POST, prompt)
    draft, problem = _keep_draft(request, prompt, state)
    if request.htmx:
        context = {"draft_saved": draft, "draft_problem": problem, "draft_checked": True}
        # 200 even with a problem: this is a status line, and htmx only swaps 2xx answers.
        return render(request, f"{TEMPLATE}#draft-status", context)
    if problem:
        messages.error(request, problem)
        return _editor(request, prompt, state, status=400)
    messages.success(
        request,
        "Draft saved: it waits here until you save a version or discard it."
        if draft
        else "Nothing to keep: the editor holds the saved version as it is.",
    )
    return redirect("promptregistry:prompt-edit", slug, prompt.name)


@login_required
@require_POST
def draft_discard(request: WorkspaceRequest, slug: str, name: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.EDIT)
    prompt = selectors.prompt_for(request.principal, name, need=Action.EDIT)
    services.draft_discard(principal=request.principal, prompt=prompt)
    messages.success(request, "Discarded your unsaved changes.")
    url = reverse("promptregistry:prompt-edit", args=[slug, prompt.name])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- Helpers ----------------------------------------------------------------------------------


def _int_or_none(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= MAX_VERSION_NUMBER else None


def _snippet_names(request: WorkspaceRequest, prompt: Prompt) -> set[str]:
    return {name for name, _ in _snippets(request, prompt)}


def _snippets(request: WorkspaceRequest, prompt: Prompt) -> list[tuple[str, str]]:
    """Snippets the author may see, for the "Insert snippet" picker."""
    visible = selectors.visible_prompts(request.principal).filter(kind=Prompt.Kind.SNIPPET)
    return list(
        visible.exclude(pk=prompt.pk).order_by("name").values_list("name", "description")[:500]
    )


def _base_state(prompt: Prompt, number: int) -> EditorState:
    version = prompt.versions.filter(number=number).first() if number else None
    return editor_state.state_from_version(prompt, version)


def _keep_draft(request: WorkspaceRequest, prompt: Prompt, state: EditorState):
    """(draft, problem): the editor's content kept as a draft; none when it equals the version
    it started from, so opening the editor later doesn't offer to restore nothing."""
    data = state.to_draft()
    if len(json.dumps(data)) > MAX_DRAFT_BYTES:
        return None, "This is too long to keep as a draft: save it as a version instead."
    if state.same_as(_base_state(prompt, state.base_number)):
        services.draft_discard(principal=request.principal, prompt=prompt)
        return None, ""
    draft = services.draft_save(
        principal=request.principal, prompt=prompt, data=data, base_number=state.base_number
    )
    return draft, ""


def _editor(request, prompt, state, *, status=200, analysis=None, **extra) -> HttpResponse:
    config_form = extra.pop("config_form", None) or ConfigForm(state.config_fields)
    save_form = extra.pop("save_form", None) or SaveForm(
        initial={"commit_message": state.commit_message}
    )
    latest = prompt.latest_version_number
    restored = extra.pop("restored", None)
    analysis = analysis or editor_analysis.analyse(request.principal, prompt, state)
    editor_analysis.mark_focus(analysis, extra.get("focus", ""))
    context = {
        "nav_section": "snippets" if prompt.is_snippet else "prompts",
        "active_tab": "edit",
        "crumb_tail": "Edit",
        "prompt": prompt,
        "state": state,
        "analysis": analysis,
        "config_form": config_form,
        "save_form": save_form,
        "formats": TEMPLATE_FORMATS,
        "format_help": FORMAT_HELP.get(state.template_format, ""),
        "roles": editor_state.ROLES,
        "new_message": editor_state.Block(),
        "new_placeholder": editor_state.Block(kind="placeholder", name="history"),
        "snippets": _snippets(request, prompt),
        "restored": restored,
        "draft_behind": restored is not None and restored.base_number < latest,
        "latest_number": latest,
        # Rendered with unsaved changes (a restored draft, a refused save, an "Add message"
        # without JavaScript): leaving the page warns straight away.
        "dirty": not state.same_as(_base_state(prompt, state.base_number)),
        "limits": _limits(),
        **extra,
    }
    return render(request, TEMPLATE, context, status=status)
