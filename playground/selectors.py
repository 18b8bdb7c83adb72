"""Reads of the playground: sessions as the principal may see them, a set-up opened from a
version, a logged completion or a session, the models a column may pick, a run's cells."""

import json

from django.db.models import Q, QuerySet
from django.http import Http404

from gateway.completion import GatewayError, parsing
from gateway.logs.query import completion_for
from gateway.models import ModelAlias, ProviderModel
from promptregistry.models import Prompt
from promptregistry.selectors import may_see, prompt_for, version_of, visible_prompts
from workspaces import access
from workspaces.principal import Principal
from workspaces.roles import Action

from .models import Cell, Run, Session
from .setup import Column, Setup

RECENT_SESSIONS = 12
HISTORY_RUNS = 30


def model_names(principal: Principal) -> list[str]:
    """The models and aliases a column may pick, by name."""
    workspace = principal.workspace
    models = ProviderModel.objects.filter(workspace=workspace, is_active=True).values_list(
        "name", flat=True
    )
    aliases = ModelAlias.objects.filter(workspace=workspace, model__is_active=True).values_list(
        "name", flat=True
    )
    return sorted({*models, *aliases})


def session_for(principal: Principal, session_id: int, need: Action = Action.READ) -> Session:
    """A session of the principal's workspace; 404 when its prompt is hidden from them."""
    session = (
        Session.objects.select_related("prompt")
        .filter(workspace=principal.workspace, pk=session_id)
        .first()
    )
    if session is None or (session.prompt_id and not may_see(principal, session.prompt)):
        raise Http404("No such session.")
    access.require(principal, need)
    return session


def recent_sessions(principal: Principal) -> list[Session]:
    """The workspace's latest sessions, without those of prompts hidden from the principal
    (a constant number of queries)."""
    visible = Q(prompt__isnull=True) | Q(prompt__in=visible_prompts(principal).values("pk"))
    return list(
        Session.objects.filter(workspace=principal.workspace)
        .filter(visible)
        .select_related("prompt")
        .only("pk", "title", "updated_at", "prompt__name")
        .order_by("-updated_at", "-id")[:RECENT_SESSIONS]
    )


def runs_of(session: Session) -> QuerySet:
    return session.runs.order_by("-number")[:HISTORY_RUNS]


def run_of(session: Session, number: int | None) -> Run | None:
    runs = session.runs.order_by("-number")
    run = runs.filter(number=number).first() if number else runs.first()
    if number and run is None:
        raise Http404("No such run.")
    return run


def cells_of(run: Run) -> list[Cell]:
    return list(run.cells.order_by("row", "column"))


def cell_for(session: Session, cell_id: int) -> Cell:
    cell = Cell.objects.select_related("run").filter(run__session=session, pk=cell_id).first()
    if cell is None:
        raise Http404("No such cell.")
    return cell


def version_numbers(prompt: Prompt) -> list[int]:
    return list(prompt.versions.order_by("-number").values_list("number", flat=True)[:50])


def _first_model(principal: Principal, config: dict) -> str:
    model = config.get("model") if isinstance(config.get("model"), str) else ""
    return model or next(iter(model_names(principal)), "")


def setup_for_version(principal: Principal, name: str, number: int | None) -> Setup:
    prompt = prompt_for(principal, name)
    if prompt.kind != Prompt.Kind.PROMPT:
        raise Http404("Snippets are not run on their own.")
    number = number or prompt.latest_version_number
    version = version_of(prompt, number)
    config = version.config if isinstance(version.config, dict) else {}
    column = Column(
        model=_first_model(principal, config),
        temperature=config.get("temperature"),
        max_tokens=config.get("max_tokens"),
        top_p=config.get("top_p"),
        tools=_tools_text(config.get("tools")),
    )
    return Setup(
        prompt=prompt.name,
        base_version=version.number,
        prompt_type=prompt.type,
        template_format=version.template_format,
        content=version.content,
        columns=[column],
    )


def _tools_text(tools) -> str:
    """A config's or call's tools as the column's JSON text: "" when there are none, or when
    they are not OpenAI-format tools (the gateway doesn't send those either)."""
    try:
        return json.dumps(parsing.tools(tools), indent=2) if tools else ""
    except GatewayError:
        return ""


def setup_for_completion(principal: Principal, public_id) -> Setup:
    """A logged call: its messages as sent (or its prompt version), model, parameters and
    variables."""
    completion = completion_for(principal, public_id)
    params = completion.params if isinstance(completion.params, dict) else {}
    response_format = params.get("response_format") or {}
    column = Column(
        model=completion.model_name or completion.requested_model,
        temperature=params.get("temperature"),
        max_tokens=params.get("max_tokens"),
        top_p=params.get("top_p"),
        response_format=response_format.get("type", "")
        if isinstance(response_format, dict)
        else "",
        json_schema=json.dumps(response_format.get("json_schema"), indent=2)
        if isinstance(response_format, dict) and response_format.get("json_schema")
        else "",
        tools=_tools_text(params.get("tools")),
    )
    variables = {k: str(v) for k, v in (completion.variables or {}).items()}
    if completion.prompt_name and completion.prompt_version:
        try:
            setup = setup_for_version(principal, completion.prompt_name, completion.prompt_version)
        except Http404:
            setup = None
        if setup is not None:
            setup.variables, setup.columns = variables, [column]
            return setup
    messages = [
        {"role": str(m.get("role", "user")), "content": m.get("content") or ""}
        for m in completion.input_messages or []
        if isinstance(m, dict) and isinstance(m.get("content", ""), str)
    ]
    return Setup(
        content={"messages": messages or [{"role": "user", "content": ""}]},
        variables=variables,
        columns=[column],
        title=f"From the log: {completion.created_at:%d %b %H:%M}",
    )


def setup_of(session: Session) -> Setup:
    return Setup(
        prompt=session.prompt.name if session.prompt_id else "",
        base_version=session.base_version,
        prompt_type=session.prompt_type,
        template_format=session.template_format,
        content=session.content,
        variables=session.variables,
        grid=session.grid,
        columns=[Column(**c) for c in session.columns] or [Column()],
        title=session.title,
    )


# Evaluations: datasets to pick rows from or add an output to, evaluators for a dataset run.


def datasets_of(principal: Principal) -> list:
    from evaluations.models import Dataset

    return list(
        Dataset.objects.filter(workspace=principal.workspace)
        .order_by("name")
        .only("pk", "name", "item_count")[:200]
    )


def evaluators_of(principal: Principal) -> list:
    from evaluations.models import Evaluator

    return list(
        Evaluator.objects.filter(workspace=principal.workspace).order_by("name").only("pk", "name")
    )


def dataset_for(principal: Principal, dataset_id: int):
    from evaluations.models import Dataset

    dataset = Dataset.objects.filter(workspace=principal.workspace, pk=dataset_id).first()
    if dataset is None:
        raise Http404("No such dataset.")
    return dataset


def grid_from_dataset(dataset, limit: int) -> str:
    """The dataset's first rows as a grid (tab-separated, a header of the input names)."""
    items = list(dataset.items.order_by("position")[:limit])
    names: list[str] = []
    for item in items:
        for name in item.inputs if isinstance(item.inputs, dict) else {}:
            if name not in names:
                names.append(name)

    def cell(value) -> str:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return " ".join(text.replace("\t", " ").splitlines())

    lines = ["\t".join(names)]
    lines += ["\t".join(cell(item.inputs.get(name, "")) for name in names) for item in items]
    return "\n".join(lines) if names else ""
