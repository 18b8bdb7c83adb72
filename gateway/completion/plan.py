"""Turning a request into a plan: the prompt rendered, the model and its fallbacks resolved,
the parameters merged. The async service calls aplan(): on a warm process the plan comes from
memory on the event loop itself (the served prompt and the workspace's model directory are
remembered under their generations); otherwise build_plan() reads the database on a thread.
"""

from dataclasses import dataclass, field
from typing import Any

from promptregistry import cache as registry_cache
from promptregistry import serving, templating
from promptregistry.models import LATEST, PRODUCTION, Prompt
from promptregistry.templating.formats import TemplateFormat
from workspaces import access, generations
from workspaces.async_db import in_thread
from workspaces.models import LABEL_PATTERN

from ..models import Provider, ProviderKeyUnreadable, ProviderModel
from ..url_safety import literal_address_refused
from . import directory, errors, parsing
from .request import ANTHROPIC_PARAMS, OPENAI_PARAMS, TOOL_PARAMS, CompletionRequest

MAX_FALLBACKS = 3
# What a model name in the request may be: "" or "prompt" means the prompt config's model.
PROMPT_MODEL = "prompt"
NO_KEY = "no-key"  # the SDKs refuse an empty key; a local server without auth ignores this one


@dataclass
class Target:
    """One model to try, with everything the provider client needs."""

    model: ProviderModel
    provider: Provider
    api_key: str
    params: dict[str, Any]
    connect_timeout: float
    total_timeout: float
    max_retries: int

    @property
    def kind(self) -> str:
        return self.provider.kind


@dataclass
class Plan:
    targets: list[Target]
    messages: list[dict]
    requested_model: str
    store_content: str
    served: serving.ServedVersion | None = None
    served_label: str = ""
    ab_split: bool = False
    params: dict[str, Any] = field(default_factory=dict)


# The generations a plan rests on (workspaces/generations.py): the prompts', the models'.
SUBJECTS = [registry_cache.SUBJECT, directory.SUBJECT]


async def aplan(request: CompletionRequest) -> Plan:
    """build_plan() for the event loop: from this process's memory when the workspace's
    prompts and models are remembered at their current generations (no thread, no database,
    and no Redis round trip while the generation watch vouches for the counters), else
    build_plan() on a thread, which remembers them for next time."""
    found = await generations.acurrent(SUBJECTS, request.principal.workspace.pk)
    plan = plan_from_memory(request, found) if found else None
    if plan is None:
        plan = await in_thread(build_plan, request, found)
    return plan


def build_plan(request: CompletionRequest, found: list[int] | None = None) -> Plan:
    """Raises errors.GatewayError saying what is wrong (unknown prompt or model, missing
    variables, provider without a key...). `found`: the generations, when already read."""
    workspace = request.principal.workspace
    registry_generation, gateway_generation = found or generations.current(SUBJECTS, workspace.pk)
    served = _serve(request, registry_generation) if request.prompt_name else None
    return _assemble(request, served, directory.for_workspace(workspace, gateway_generation))


def plan_from_memory(request: CompletionRequest, found: list[int]) -> Plan | None:
    """The plan from this process's memory alone, or None when something isn't there (or the
    prompt is Jinja2, whose rendering runs on a thread under its time limit)."""
    registry_generation, gateway_generation = found
    models = directory.remembered(request.principal.workspace.pk, gateway_generation)
    if models is None:
        return None
    served = None
    if request.prompt_name:
        _check_ask(request)
        served = serving.serve_remembered(
            request.principal,
            request.prompt_name,
            generation=registry_generation,
            **_asked(request),
        )
        if served is None or served.template_format == TemplateFormat.JINJA2:
            return None
        _check_served(request, served)
    return _assemble(request, served, models)


def _assemble(
    request: CompletionRequest, served: serving.ServedVersion | None, models: directory.Directory
) -> Plan:
    if served is not None:
        messages = _render(served, request)
        config = served.config or {}
    else:
        if not request.messages:
            raise errors.invalid(
                "Send messages, or name a stored prompt with prompt_id.", "messages"
            )
        messages = request.messages
        config = {}
    requested = request.model.strip()
    if not requested or requested == PROMPT_MODEL:
        requested = config.get("model") if isinstance(config.get("model"), str) else ""
        if not requested:
            raise errors.invalid(
                "Name a model: the request has none and the prompt's config doesn't name one.",
                "model",
            )
    primary, alias_fallbacks = _resolve(models, requested)
    fallback_names = request.fallbacks
    if fallback_names is None:
        configured = config.get("fallbacks")
        fallback_names = configured if isinstance(configured, list) else None
    if fallback_names is None:
        fallback_names = alias_fallbacks
    chosen = [primary]
    for name in fallback_names[:MAX_FALLBACKS]:
        if not isinstance(name, str) or not name.strip():
            raise errors.invalid("fallbacks must be a list of model names.", "fallbacks")
        model, _ = _resolve(models, name.strip())
        if all(model.pk != m.pk for m in chosen):
            chosen.append(model)
    prompt_params = _prompt_params(config)
    targets = [_target(models, model, prompt_params, request.params) for model in chosen]
    # Only a call through a label (not a pinned version) can land on an A/B arm.
    split = served is not None and request.prompt_version is None and served.ab_split
    return Plan(
        targets=targets,
        messages=messages,
        requested_model=requested,
        store_content=models.store_content,
        served=served,
        served_label=(served.served_label or "") if served else "",
        ab_split=split,
        params={**prompt_params, **request.params},
    )


def _asked(request: CompletionRequest) -> dict:
    """The label or version the request asks for, and the seed that keeps its A/B arm."""
    return {
        "label": request.prompt_label,
        "version": request.prompt_version,
        "seed": request.session_id or request.user_ref or None,
    }


def _check_ask(request: CompletionRequest) -> None:
    name, label, version = request.prompt_name, request.prompt_label, request.prompt_version
    if label is not None and version is not None:
        raise errors.invalid("Ask for prompt_label or prompt_version, not both.", "prompt_label")
    if label is not None and label != LATEST and not LABEL_PATTERN.fullmatch(label):
        raise errors.prompt_not_found(f"No version of “{name}” has the label “{label}”.")


def _check_served(request: CompletionRequest, served: serving.ServedVersion) -> None:
    if not access.may_see_with_roles(request.principal, served.required_view_roles):
        missing = serving.not_found(
            request.prompt_name,
            label=request.prompt_label or PRODUCTION,
            version=request.prompt_version,
        )
        raise errors.prompt_not_found(str(missing))
    if served.kind != Prompt.Kind.PROMPT:
        raise errors.prompt_not_found(f"“{request.prompt_name}” is a snippet, not a prompt.")


def _serve(request: CompletionRequest, generation: int) -> serving.ServedVersion:
    _check_ask(request)
    try:
        served = serving.serve(
            request.principal, request.prompt_name, generation=generation, **_asked(request)
        )
    except serving.PromptNotFound as error:
        raise errors.prompt_not_found(str(error)) from error
    except templating.TemplateError as error:  # a snippet reference that can't be resolved
        raise errors.GatewayError(422, "template_error", str(error), "prompt_id") from error
    _check_served(request, served)
    return served


def _render(served: serving.ServedVersion, request: CompletionRequest) -> list[dict]:
    placeholders = dict(request.placeholders)
    if served.type == Prompt.Type.CHAT:
        # The client's messages (maybe none: an empty history) fill every placeholder it
        # didn't fill by name.
        from promptregistry.content import placeholders_of

        for name in placeholders_of(served.content):
            placeholders.setdefault(name, request.messages)
    try:
        rendered = serving.render_served(served, request.variables, placeholders)
    except templating.MissingPlaceholdersError as error:
        raise errors.GatewayError(
            400,
            "missing_placeholders",
            f"{error} (send messages, or prompt_placeholders, to fill them).",
            "messages",
        ) from error
    except templating.MissingVariablesError as error:
        raise errors.GatewayError(
            400,
            "missing_variables",
            f"{error} for prompt “{served.name}” v{served.number}: send it in prompt_variables.",
            "prompt_variables",
        ) from error
    except templating.TemplateError as error:
        raise errors.GatewayError(422, "template_error", str(error), "prompt_id") from error
    if isinstance(rendered, str):
        return [{"role": "user", "content": rendered}]
    return rendered


def _resolve(models: directory.Directory, name: str) -> tuple[ProviderModel, list]:
    """A model by its name or an alias; (model, the alias's fallbacks)."""
    found = models.resolve(name)
    if found is None:
        raise errors.model_not_found(name)
    return found


def _prompt_params(config: dict) -> dict:
    """The provider parameters of a prompt's config. Its tools are sent only when they are
    OpenAI-format function tools: configs written for other tools keep tools in their own
    shape, which providers would refuse (and which were never sent before tools were)."""
    params = {k: v for k, v in config.items() if k in OPENAI_PARAMS | ANTHROPIC_PARAMS}
    if "tools" in params:
        try:
            parsing.tools(params["tools"])
        except errors.GatewayError:
            for key in TOOL_PARAMS:
                params.pop(key, None)
    return params


def _target(
    models: directory.Directory, model: ProviderModel, prompt_params: dict, call_params: dict
) -> Target:
    provider = model.provider
    try:
        api_key = models.api_key(provider)
    except ProviderKeyUnreadable as error:
        raise errors.GatewayError(400, "provider_key_missing", str(error), "model") from error
    if not api_key:
        if provider.kind != Provider.Kind.OPENAI_COMPATIBLE:
            raise errors.GatewayError(
                400,
                "provider_key_missing",
                f"The provider “{provider.name}” of model “{model.name}” has no API key: an "
                "admin can add one on the workspace's Providers page.",
                "model",
            )
        api_key = NO_KEY
    # Host names are checked as they resolve (clients.GuardedResolver); literal addresses here.
    if provider.base_url and literal_address_refused(provider.base_url):
        raise errors.GatewayError(
            400,
            "provider_url_refused",
            f"The provider “{provider.name}” points at a private address, which this server "
            "doesn't call unless its operator allows private providers.",
            "model",
        )
    allowed = ANTHROPIC_PARAMS if provider.kind == Provider.Kind.ANTHROPIC else OPENAI_PARAMS
    defaults = model.default_params if isinstance(model.default_params, dict) else {}
    merged = {**defaults, **prompt_params, **call_params}
    return Target(
        model=model,
        provider=provider,
        api_key=api_key,
        params={k: v for k, v in merged.items() if k in allowed and v is not None},
        connect_timeout=model.connect_timeout,
        total_timeout=model.total_timeout,
        max_retries=provider.max_retries,
    )
