"""The playground's pages: a new set-up (empty, from a version, from a logged call, from the
editor's unsaved text), a saved session with its run history, and the writes behind its
buttons (Run, Run the grid, Save as new version, Continue) plus the word diff and the
variables form. The streams that fill the cells are in stream.py."""

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from promptregistry import templating
from promptregistry.diffing import Message, diff_messages
from promptregistry.selectors import prompt_for
from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action

from .. import selectors, services
from ..forms import (
    AddToDatasetForm,
    ContinueForm,
    DatasetPickForm,
    DiffForm,
    SetupForm,
    from_editor,
)
from ..models import MAX_COLUMNS, MAX_GRID_ROWS, Cell, Run, Session
from ..setup import RESPONSE_FORMATS, Column, Setup, grid_rows

PAGE = "playground/playground.html"


def variable_names(setup: Setup) -> tuple[list[str], str]:
    """(the template's variables, a template error to show or "")."""
    try:
        if setup.prompt_type == "text":
            return templating.variables(setup.text, setup.template_format), ""
        messages = [m for m in setup.messages if "role" in m]
        return templating.message_variables(messages, setup.template_format), ""
    except templating.TemplateError as error:
        return [], str(error)


def _grid_table(run: Run | None, cells: list[Cell]) -> list[dict]:
    rows: dict[int, dict] = {}
    for cell in cells:
        rows.setdefault(cell.row, {"index": cell.row, "variables": cell.variables, "cells": []})
        rows[cell.row]["cells"].append(cell)
    return [rows[i] for i in sorted(rows)]


def _page(
    request: WorkspaceRequest,
    setup: Setup,
    *,
    form: SetupForm | None = None,
    session: Session | None = None,
    run: Run | None = None,
    status: int = 200,
):
    principal = request.principal
    names, template_error = variable_names(setup)
    cells = selectors.cells_of(run) if run else []
    run_columns = [Column(**c) for c in (run.setup.get("columns", []) if run else [])]
    columns = list(setup.columns) + [Column() for _ in range(MAX_COLUMNS - len(setup.columns))]
    grid_names, grid_error = [], ""
    try:
        grid_names, _rows = grid_rows(setup.grid)
    except ValueError as error:
        grid_error = str(error)
    may_edit_prompt, versions = False, []
    if setup.prompt:
        prompt = prompt_for(principal, setup.prompt)
        may_edit_prompt = access.may_use(principal, prompt, Action.EDIT) and principal.can(
            Action.EDIT
        )
        versions = selectors.version_numbers(prompt)
    context = {
        "nav_section": "playground",
        "setup": setup,
        "form": form or SetupForm(initial={"template_format": setup.template_format}),
        "errors": form.dynamic_errors if form else {},
        "session": session,
        "run": run,
        "rows": _grid_table(run, cells),
        "run_columns": run_columns,
        "cells": cells,
        "streaming": any(c.status == Cell.Status.PENDING for c in cells),
        "runs": selectors.runs_of(session) if session else [],
        "recent": selectors.recent_sessions(principal),
        "models": selectors.model_names(principal),
        "versions": versions,
        "variable_names": names,
        "template_error": template_error,
        "grid_names": grid_names,
        "grid_error": grid_error,
        "columns": columns,
        "column_count": len(setup.columns),
        "response_formats": RESPONSE_FORMATS,
        "roles": ("system", "user", "assistant"),
        "can_run": principal.can(Action.RUN_PLAYGROUND),
        "may_edit_prompt": may_edit_prompt,
        "action_url": reverse("playground:run", args=[request.workspace.slug])
        if session is None
        else reverse("playground:session-run", args=[request.workspace.slug, session.pk]),
        "diff_form": DiffForm(),
        "datasets": selectors.datasets_of(principal),
        "evaluators": selectors.evaluators_of(principal),
        "may_edit": principal.can(Action.EDIT),
    }
    return render(request, PAGE, context, status=status)


@login_required
@require_GET
def playground(request: WorkspaceRequest, slug: str) -> HttpResponse:
    """Empty, or opened from ?prompt=<name>&version=<n> or ?completion=<log id>."""
    access.workspace_for(request, slug)
    principal = request.principal
    prompt, completion = request.GET.get("prompt", ""), request.GET.get("completion", "")
    if completion:
        try:
            public_id = UUID(completion)
        except ValueError:
            public_id = None
        if public_id is not None:
            access.require(principal, Action.VIEW_LOGS)
            return _page(request, selectors.setup_for_completion(principal, public_id))
    if prompt:
        version = request.GET.get("version", "")
        number = int(version) if version.isdigit() else None
        return _page(request, selectors.setup_for_version(principal, prompt, number))
    names = selectors.model_names(principal)
    return _page(request, Setup(columns=[Column(model=names[0] if names else "")]))


@login_required
@require_GET
def session_page(request: WorkspaceRequest, slug: str, session_id: int) -> HttpResponse:
    access.workspace_for(request, slug)
    session = selectors.session_for(request.principal, session_id)
    number = request.GET.get("run", "")
    run = selectors.run_of(session, int(number) if number.isdigit() else None)
    return _page(request, selectors.setup_of(session), session=session, run=run)


@login_required
@require_POST
def try_text(request: WorkspaceRequest, slug: str) -> HttpResponse:
    """The editor's "Try it" (?prompt=<name>): its unsaved text, opened here beside the
    version it started from (nothing is written)."""
    access.workspace_for(request, slug, need=Action.RUN_PLAYGROUND)
    principal = request.principal
    name = request.GET.get("prompt", "")
    base = request.POST.get("base_number", "")
    setup = (
        selectors.setup_for_version(principal, name, int(base) if base.isdigit() else None)
        if name
        else Setup()
    )
    form = SetupForm({**from_editor(request.POST), "col-0-model": setup.columns[0].model})
    if form.is_valid():
        setup.content, setup.variables = form.setup.content, form.setup.variables
        setup.template_format, setup.prompt_type = (
            form.setup.template_format,
            form.setup.prompt_type,
        )
        return _page(request, setup)
    return _page(request, setup, form=form)


def _lenient_setup(request: WorkspaceRequest, form: SetupForm) -> Setup:
    """What the person typed, to show again beside the errors."""
    data = request.POST
    columns = [
        Column(model=data.get(f"col-{i}-model", "")[:200])
        for i in range(MAX_COLUMNS)
        if data.get(f"col-{i}-model")
    ]
    messages_ = [
        {"role": data.get(f"msg-{i}-role", "user"), "content": data.get(f"msg-{i}-content", "")}
        for i in range(40)
        if f"msg-{i}-content" in data
    ]
    prompt_type = "text" if data.get("prompt_type") == "text" else "chat"
    return Setup(
        prompt=data.get("prompt", "")[:500],
        prompt_type=prompt_type,
        template_format=form.cleaned_data.get("template_format", "mustache")
        if hasattr(form, "cleaned_data")
        else "mustache",
        content={"text": data.get("text", "")}
        if prompt_type == "text"
        else {"messages": messages_},
        variables={k[4:]: v for k, v in data.items() if k.startswith("var-")},
        grid=data.get("grid", ""),
        columns=columns or [Column()],
        title=data.get("title", "")[:200],
    )


@login_required
@require_POST
def run_create(request: WorkspaceRequest, slug: str, session_id: int | None = None):
    """Run (every column), Run the grid (every column x every row) or Save the session."""
    access.workspace_for(request, slug, need=Action.RUN_PLAYGROUND)
    principal = request.principal
    session = selectors.session_for(principal, session_id) if session_id else None
    form = SetupForm(request.POST, models=selectors.model_names(principal))
    if not form.is_valid():
        return _page(request, _lenient_setup(request, form), form=form, session=session, status=422)
    action = request.POST.get("action", "run")
    if action == "load-dataset":
        pick = DatasetPickForm({"dataset": request.POST.get("grid_dataset", "")})
        if not pick.is_valid():
            form.dynamic_errors["grid"] = "Pick a dataset to take rows from."
            return _page(request, form.setup, form=form, session=session, status=422)
        dataset = selectors.dataset_for(principal, pick.cleaned_data["dataset"])
        form.setup.grid = selectors.grid_from_dataset(dataset, MAX_GRID_ROWS)
    session = services.session_save(principal=principal, setup=form.setup, session=session)
    url = reverse("playground:session", args=[slug, session.pk])
    if action in ("run", "grid"):
        try:
            run = services.run_start(
                principal=principal, session=session, setup=form.setup, grid=action == "grid"
            )
        except ValidationError as error:
            form.dynamic_errors.update({k: " ".join(v) for k, v in error.message_dict.items()})
            return _page(request, form.setup, form=form, session=session, status=422)
        url += "?" + urlencode({"run": run.number})
    elif action == "load-dataset":
        messages.success(request, "The grid holds the dataset's first rows: Run the grid.")
    else:
        messages.success(request, "Session saved.")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_POST
def version_save(request: WorkspaceRequest, slug: str, session_id: int | None = None):
    """Save as new version: the left pane and the chosen column's settings, as version N+1."""
    access.workspace_for(request, slug, need=Action.EDIT)
    principal = request.principal
    session = selectors.session_for(principal, session_id) if session_id else None
    form = SetupForm(request.POST, models=selectors.model_names(principal))
    if not form.is_valid():
        return _page(request, _lenient_setup(request, form), form=form, session=session, status=422)
    try:
        version = services.version_save(
            principal=principal,
            setup=form.setup,
            column_index=form.cleaned_data.get("save_column") or 0,
            commit_message=form.cleaned_data.get("commit_message") or "",
        )
    except ValidationError as error:
        form.add_error("commit_message", error.messages[0] if error.messages else str(error))
        return _page(request, form.setup, form=form, session=session, status=422)
    form.setup.base_version = version.number
    session = services.session_save(principal=principal, setup=form.setup, session=session)
    version_url = reverse(
        "promptregistry:version", args=[slug, version.prompt.name, version.number]
    )
    messages.success(
        request,
        format_html(
            'Saved as <a href="{}">version {}</a> of {}.',
            version_url,
            version.number,
            version.prompt.name,
        ),
    )
    url = reverse("playground:session", args=[slug, session.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_POST
def variables_form(request: WorkspaceRequest, slug: str) -> HttpResponse:
    """The variables form for the messages as typed (htmx, while editing; writes nothing)."""
    access.workspace_for(request, slug)
    form = SetupForm(request.POST)
    setup = form.setup if form.is_valid() else _lenient_setup(request, form)
    names, error = variable_names(setup)
    context = {"variable_names": names, "template_error": error, "setup": setup}
    return render(request, "playground/_variables.html", context)


@login_required
@require_POST
def cell_continue(request: WorkspaceRequest, slug: str, session_id: int, cell_id: int):
    """Multi-turn: append the column's answer and a new user message, and run it."""
    access.workspace_for(request, slug, need=Action.RUN_PLAYGROUND)
    session = selectors.session_for(request.principal, session_id)
    cell = selectors.cell_for(session, cell_id)
    form = ContinueForm(request.POST)
    url = reverse("playground:session", args=[slug, session.pk])
    if not form.is_valid():
        messages.error(request, "Write the next user message to continue.")
        return redirect(url + "?" + urlencode({"run": cell.run.number}))
    try:
        run = services.run_continue(
            principal=request.principal, cell=cell, message=form.cleaned_data["message"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(url + "?" + urlencode({"run": cell.run.number}))
    url += "?" + urlencode({"run": run.number})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_GET
def output_diff(request: WorkspaceRequest, slug: str, session_id: int) -> HttpResponse:
    """A word diff between two cells' outputs (?a=<cell>&b=<cell>)."""
    access.workspace_for(request, slug)
    session = selectors.session_for(request.principal, session_id)
    form = DiffForm(request.GET)
    context = {"session": session, "diff_form": form, "lines": None}
    if form.is_valid():
        a = selectors.cell_for(session, form.cleaned_data["a"])
        b = selectors.cell_for(session, form.cleaned_data["b"])
        diffs = diff_messages(
            [Message(role=None, text=a.output_text)],
            [Message(role=None, text=b.output_text)],
            context=None,
        )
        context.update(a=a, b=b, lines=[line for d in diffs for line in d.inline])
        context["stats"] = sum((d.stats for d in diffs), start=type(diffs[0].stats)())
    template = "playground/diff.html#diff" if request.htmx else "playground/diff.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def cell_add_to_dataset(request: WorkspaceRequest, slug: str, session_id: int, cell_id: int):
    """ "Add to dataset": the cell's variables and output as a dataset item."""
    access.workspace_for(request, slug, need=Action.EDIT)
    session = selectors.session_for(request.principal, session_id)
    cell = selectors.cell_for(session, cell_id)
    form = AddToDatasetForm(request.POST)
    url = reverse("playground:session", args=[slug, session.pk])
    url += "?" + urlencode({"run": cell.run.number})
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or "Check the dataset.")
        return redirect(url)
    try:
        dataset, item = services.cell_add_to_dataset(
            principal=request.principal,
            cell=cell,
            dataset_id=form.cleaned_data.get("dataset"),
            new_dataset=form.cleaned_data.get("new_dataset") or "",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(url)
    dataset_url = reverse("evaluations:dataset", args=[slug, dataset.pk])
    messages.success(
        request,
        format_html('Added as row {} of <a href="{}">{}</a>.', item.position, dataset_url, dataset),
    )
    return redirect(url)


@login_required
@require_POST
def dataset_run(request: WorkspaceRequest, slug: str, session_id: int | None = None):
    """ "Run on the whole dataset": the set-up handed to an evaluation run."""
    access.workspace_for(request, slug, need=Action.EDIT)
    principal = request.principal
    session = selectors.session_for(principal, session_id) if session_id else None
    form = SetupForm(request.POST, models=selectors.model_names(principal))
    evaluator_ids = [e.pk for e in selectors.evaluators_of(principal)]
    pick = DatasetPickForm(request.POST, evaluator_ids=evaluator_ids)
    if not form.is_valid():
        return _page(request, _lenient_setup(request, form), form=form, session=session, status=422)
    if not pick.is_valid():
        form.dynamic_errors["dataset"] = "Pick a dataset to run on."
        return _page(request, form.setup, form=form, session=session, status=422)
    try:
        run = services.dataset_run_start(
            principal=principal,
            setup=form.setup,
            column_index=pick.cleaned_data.get("eval_column") or 0,
            dataset_id=pick.cleaned_data["dataset"],
            evaluator_ids=pick.cleaned_data["evaluators"],
        )
    except ValidationError as error:
        form.dynamic_errors["dataset"] = " ".join(error.messages)
        return _page(request, form.setup, form=form, session=session, status=422)
    url = reverse("evaluations:run", args=[slug, run.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
