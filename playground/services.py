"""Writes of the playground: saving a session, starting a run (its cells rendered through the
registry as the person may read it), a cell's result when its stream closes, a follow-up turn
in a column, and saving the left pane as the prompt's next version.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from gateway.completion import CompletionCall, CompletionRequest
from gateway.models import Completion
from promptregistry import templating
from promptregistry.models import Prompt, PromptVersion
from promptregistry.selectors import prompt_for, version_of
from promptregistry.services import prompt_version_create
from promptregistry.snippet_refs import resolve_content
from workspaces import access
from workspaces.principal import Principal
from workspaces.roles import Action

from .models import Cell, Run, Session
from .setup import Column, Setup, grid_rows

SCRATCH_NAME = "playground"  # the root name snippet references resolve under without a prompt


class RenderFailed(Exception):
    pass


def _prompt_of(principal: Principal, setup: Setup, need: Action = Action.READ) -> Prompt | None:
    return prompt_for(principal, setup.prompt, need) if setup.prompt else None


@transaction.atomic
def session_save(*, principal: Principal, setup: Setup, session: Session | None = None) -> Session:
    """Create or update the session holding `setup` (the prompt as the principal may read it)."""
    access.require(principal, Action.RUN_PLAYGROUND)
    prompt = _prompt_of(principal, setup)
    if session is None:
        session = Session(workspace=principal.workspace, created_by=principal.user)
    session.prompt = prompt
    session.base_version = setup.base_version if prompt else None
    session.title = setup.title[:200]
    session.prompt_type = setup.prompt_type
    session.template_format = setup.template_format
    session.content = setup.content
    session.variables = setup.variables
    session.grid = setup.grid
    session.columns = [column.__dict__ for column in setup.columns]
    session.updated_at = timezone.now()
    session.full_clean()
    session.save()
    return session


def _render(
    principal: Principal, setup: Setup, prompt: Prompt | None, column: Column, variables: dict
) -> tuple[list[dict], int | None]:
    """(messages, the stored version the cell runs unchanged or None). Raises RenderFailed."""
    content, fmt, prompt_type, version = (
        setup.content,
        setup.template_format,
        setup.prompt_type,
        None,
    )
    if column.version is not None and prompt is not None:
        stored = version_of(prompt, column.version)
        content, fmt, prompt_type = stored.content, stored.template_format, prompt.type
        version = stored.number
    elif prompt is not None and setup.base_version is not None:
        base = PromptVersion.objects.filter(prompt=prompt, number=setup.base_version).first()
        if base is not None and base.content == content and base.template_format == fmt:
            version = base.number
    try:
        resolved = resolve_content(
            principal=principal, name=prompt.name if prompt else SCRATCH_NAME, stored=content
        )
        if "text" in resolved or prompt_type == Prompt.Type.TEXT:
            text = templating.render(resolved.get("text", ""), fmt, variables)
            return [{"role": "user", "content": text}], version
        messages = templating.render_messages(
            resolved["messages"], fmt, variables, allow_missing_placeholders=True
        )
    except templating.TemplateError as error:
        raise RenderFailed(str(error)) from error
    return [m for m in messages if m.get("role")], version


@transaction.atomic
def run_start(*, principal: Principal, session: Session, setup: Setup, grid: bool = False) -> Run:
    """A run of every column (or every column x every grid row): one pending cell each, which
    the page's streams then fill. A cell whose template can't render is an error at once."""
    access.require(principal, Action.RUN_PLAYGROUND)
    prompt = _prompt_of(principal, setup)
    rows = [setup.variables]
    if grid:
        try:
            _names, grid_inputs = grid_rows(setup.grid)
        except ValueError as error:
            raise ValidationError({"grid": str(error)}) from error
        if not grid_inputs:
            raise ValidationError({"grid": "Type or paste some rows of inputs first."})
        rows = [{**setup.variables, **row} for row in grid_inputs]
    locked = Session.objects.select_for_update().get(pk=session.pk)
    number = (locked.runs.aggregate(n=Max("number"))["n"] or 0) + 1
    run = Run(
        session=locked,
        number=number,
        kind=Run.Kind.GRID if grid else Run.Kind.COLUMNS,
        created_by=principal.user,
        setup=setup.as_dict(),
    )
    run.full_clean()
    run.save()
    cells = []
    for row_index, variables in enumerate(rows):
        for column_index, column in enumerate(setup.columns):
            cell = Cell(
                run=run,
                column=column_index,
                row=row_index,
                model_name=column.model,
                params=column.params(),
                variables=variables,
            )
            try:
                cell.input_messages, cell.prompt_version = _render(
                    principal, setup, prompt, column, variables
                )
            except RenderFailed as error:
                cell.status, cell.error_code, cell.error_message = (
                    Cell.Status.ERROR,
                    "template_error",
                    str(error),
                )
            cells.append(cell)
    Cell.objects.bulk_create(cells)
    Session.objects.filter(pk=session.pk).update(updated_at=timezone.now())
    return run


@transaction.atomic
def run_continue(*, principal: Principal, cell: Cell, message: str) -> Run:
    """Multi-turn: the column's conversation so far, its answer and a new user message, as a
    new run of that one column."""
    access.require(principal, Action.RUN_PLAYGROUND)
    message = message.strip()
    if not message:
        raise ValidationError({"message": "Write the next user message."})
    if cell.status != Cell.Status.OK:
        raise ValidationError({"message": "Continue from an answer that finished."})
    run = cell.run
    locked = Session.objects.select_for_update().get(pk=run.session_id)
    number = (locked.runs.aggregate(n=Max("number"))["n"] or 0) + 1
    follow_up = Run.objects.create(
        session=locked,
        number=number,
        kind=Run.Kind.CONTINUE,
        created_by=principal.user,
        setup={**run.setup, "continued_from": {"run": run.number, "column": cell.column}},
    )
    Cell.objects.create(
        run=follow_up,
        column=cell.column,
        row=0,
        model_name=cell.model_name,
        params=cell.params,
        variables=cell.variables,
        input_messages=[
            *cell.input_messages,
            {"role": "assistant", "content": cell.output_text},
            {"role": "user", "content": message},
        ],
    )
    return follow_up


def cell_claim(cell_id: int) -> bool:
    """Pending -> streaming, once: a second stream of the same cell (another tab, a browser
    reconnecting) replays the result instead of calling the model again."""
    return bool(
        Cell.objects.filter(pk=cell_id, status=Cell.Status.PENDING).update(
            status=Cell.Status.RUNNING
        )
    )


def completion_request(principal: Principal, cell: Cell, session: Session) -> CompletionRequest:
    by_version = cell.prompt_version is not None and session.prompt_id is not None
    return CompletionRequest(
        principal=principal,
        source=Completion.Source.PLAYGROUND,
        model=cell.model_name,
        messages=[] if by_version else cell.input_messages,
        prompt_name=session.prompt.name if by_version else "",
        prompt_version=cell.prompt_version if by_version else None,
        variables=cell.variables if by_version else {},
        params=cell.params,
        stream=True,
        session_id=f"playground-{session.pk}",
        metadata={"playground_session": session.pk, "playground_run": cell.run.number},
    )


def call_cost(call: CompletionCall) -> Decimal | None:
    input_tokens, output_tokens, _ = call.tokens()
    return call.target.model.cost(input_tokens, output_tokens) if call.target else None


_STATUS = {
    Completion.Status.OK: Cell.Status.OK,
    Completion.Status.ERROR: Cell.Status.ERROR,
    Completion.Status.CANCELLED: Cell.Status.CANCELLED,
}


def cell_finish(*, cell_id: int, call: CompletionCall) -> None:
    """The cell's result, once its stream closed (after the call's row was written)."""
    input_tokens, output_tokens, _ = call.tokens()
    Cell.objects.filter(pk=cell_id).update(
        status=_STATUS.get(call.status, Cell.Status.CANCELLED),
        output_text=call.text.replace("\x00", "\ufffd"),
        tool_calls=call.tool_calls,
        error_code=call.error_code[:60],
        error_message=call.error_message,
        ttft_ms=call.ttft_ms,
        latency_ms=call.latency_ms,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=call_cost(call),
        completion_id=call.public_id,
    )


def version_save(
    *, principal: Principal, setup: Setup, column_index: int, commit_message: str
) -> PromptVersion:
    """The left pane as the prompt's next version, with the chosen column's model and
    parameters in its config (over the newest version's config)."""
    if not setup.prompt:
        raise ValidationError("Open a prompt to save a version of it.")
    prompt = prompt_for(principal, setup.prompt, Action.EDIT)
    latest = prompt.versions.order_by("-number").first()
    config = dict(latest.config) if latest and isinstance(latest.config, dict) else {}
    if 0 <= column_index < len(setup.columns):
        column = setup.columns[column_index]
        if column.model:
            config["model"] = column.model
        config.update(column.params())
    content = setup.content if "text" not in setup.content else {"text": setup.text}
    return prompt_version_create(
        principal=principal,
        prompt=prompt,
        version_content=content,
        template_format=setup.template_format,
        config=config,
        commit_message=commit_message or "Saved from the playground",
        refuse_unchanged=True,
    )


# Evaluations: an output into a dataset, and the set-up as an evaluation run of a dataset.


def cell_add_to_dataset(
    *, principal: Principal, cell: Cell, dataset_id: int | None, new_dataset: str = ""
):
    """The cell's variables as an item's inputs, its output as the expected output."""
    from evaluations.models import Dataset
    from evaluations.services.datasets import dataset_create, dataset_item_add

    access.require(principal, Action.EDIT)
    if cell.status != Cell.Status.OK:
        raise ValidationError("Add an output that finished.")
    if cell.tool_calls and not cell.output_text:
        # A dataset's expected output is text: an empty one would pass as "expect nothing".
        raise ValidationError("This answer is a tool call, not text: add a text answer.")
    with transaction.atomic():
        if new_dataset.strip():
            dataset = dataset_create(principal=principal, name=new_dataset.strip())
        else:
            dataset = Dataset.objects.filter(workspace=principal.workspace, pk=dataset_id).first()
            if dataset is None:
                raise ValidationError("Pick a dataset, or name a new one.")
        completion = (
            Completion.objects.filter(workspace=principal.workspace, public_id=cell.completion_id)
            .only("pk")
            .first()
            if cell.completion_id
            else None
        )
        item = dataset_item_add(
            principal=principal,
            dataset=dataset,
            inputs=cell.variables,
            expected_output=cell.output_text,
            metadata={"source": "playground", "model": cell.model_name},
            source_completion_id=completion.pk if completion else None,
        )
    return dataset, item


def stored_version_of(principal: Principal, setup: Setup, column: Column) -> int:
    """The stored version a column's set-up is: its own version, or the left pane when it is
    the version it was opened from, unchanged. ValidationError otherwise."""
    if column.version is not None:
        return column.version
    prompt = _prompt_of(principal, setup)
    if prompt is not None and setup.base_version is not None:
        base = PromptVersion.objects.filter(prompt=prompt, number=setup.base_version).first()
        if (
            base is not None
            and base.content == setup.content
            and base.template_format == setup.template_format
        ):
            return base.number
    raise ValidationError(
        "An evaluation runs a saved version: save the messages as a new version first."
    )


def dataset_run_start(
    *,
    principal: Principal,
    setup: Setup,
    column_index: int,
    dataset_id: int | None,
    evaluator_ids: list[int],
):
    """ "Run on the whole dataset": the column's version, model and parameters as an
    evaluation run of the dataset (the evaluations app runs and scores it)."""
    from evaluations.models import Dataset, Evaluator
    from evaluations.services.runs import evaluation_run_start

    access.require(principal, Action.EDIT)
    if not setup.prompt:
        raise ValidationError("Open a saved prompt to evaluate it on a dataset.")
    if not 0 <= column_index < len(setup.columns):
        raise ValidationError("Pick one of the columns.")
    dataset = Dataset.objects.filter(workspace=principal.workspace, pk=dataset_id).first()
    if dataset is None:
        raise ValidationError("Pick a dataset.")
    column = setup.columns[column_index]
    evaluators = Evaluator.objects.filter(workspace=principal.workspace, pk__in=evaluator_ids)
    return evaluation_run_start(
        principal=principal,
        prompt_name=setup.prompt,
        dataset=dataset,
        evaluators=list(evaluators),
        version=stored_version_of(principal, setup, column),
        model=column.model,
        params=column.params(),
    )
