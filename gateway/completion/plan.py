"""Turning a request into a plan: the prompt rendered, the model and its fallbacks resolved,
the parameters merged. Synchronous (database and cache reads): the async service runs it in
one thread hop before it calls any provider.
"""

from dataclasses import dataclass, field
from typing import Any

from promptregistry import serving, templating
from promptregistry.models import LATEST, PRODUCTION, Prompt
from workspaces import access
from workspaces.models import LABEL_PATTERN

from ..models import GatewaySettings, ModelAlias, Provider, ProviderKeyUnreadable, ProviderModel
from ..url_safety import literal_address_refused
from . import errors, parsing
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


def build_plan(request: CompletionRequest) -> Plan:
    """Raises errors.GatewayError saying what is wrong (unknown prompt or model, missing
    variables, provider without a key...)."""
    principal = request.principal
    served, split = None, False
    if request.prompt_name:
        served, split = _serve(request)
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
    primary, alias_fallbacks = _resolve(principal.workspace, requested)
    fallback_names = request.fallbacks
    if fallback_names is None:
        configured = config.get("fallbacks")
        fallback_names = configured if isinstance(configured, list) else None
    if fallback_names is None:
        fallback_names = alias_fallbacks
    models = [primary]
    for name in fallback_names[:MAX_FALLBACKS]:
        if not isinstance(name, str) or not name.strip():
            raise errors.invalid("fallbacks must be a list of model names.", "fallbacks")
        model, _ = _resolve(principal.workspace, name.strip())
        if all(model.pk != m.pk for m in models):
            models.append(model)
    prompt_params = _prompt_params(config)
    targets = [_target(model, prompt_params, request.params) for model in models]
    settings = GatewaySettings.for_workspace(principal.workspace)
    return Plan(
        targets=targets,
        messages=messages,
        requested_model=requested,
        store_content=settings.store_content,
        served=served,
        served_label=(served.served_label or "") if served else "",
        ab_split=split,
        params={**prompt_params, **request.params},
    )


def _serve(request: CompletionRequest) -> tuple[serving.ServedVersion, bool]:
    name, label, version = request.prompt_name, request.prompt_label, request.prompt_version
    if label is not None and version is not None:
        raise errors.invalid("Ask for prompt_label or prompt_version, not both.", "prompt_label")
    if label is not None and label != LATEST and not LABEL_PATTERN.fullmatch(label):
        raise errors.prompt_not_found(f"No version of “{name}” has the label “{label}”.")
    seed = request.session_id or request.user_ref or None
    try:
        served = serving.serve(request.principal, name, label=label, version=version, seed=seed)
    except serving.PromptNotFound as error:
        raise errors.prompt_not_found(str(error)) from error
    except templating.TemplateError as error:  # a snippet reference that can't be resolved
        raise errors.GatewayError(422, "template_error", str(error), "prompt_id") from error
    if not access.may_see_with_roles(request.principal, served.required_view_roles):
        missing = serving.not_found(name, label=label or PRODUCTION, version=version)
        raise errors.prompt_not_found(str(missing))
    if served.kind != Prompt.Kind.PROMPT:
        raise errors.prompt_not_found(f"“{name}” is a snippet, not a prompt.")
    split = version is None and _label_splits(served)
    return served, split


def _label_splits(served: serving.ServedVersion) -> bool:
    """Whether the label served splits traffic (A/B): the row marks its arm."""
    from promptregistry.models import Label

    if not served.served_label:
        return False
    label = (
        Label.objects.filter(prompt_id=served.prompt_id, name=served.served_label)
        .only("split_version_id", "split_percent")
        .first()
    )
    return label is not None and label.has_split


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


def _resolve(workspace, name: str) -> tuple[ProviderModel, list]:
    """A model by its name or an alias; (model, the alias's fallbacks)."""
    model = (
        ProviderModel.objects.select_related("provider")
        .filter(workspace=workspace, name=name, is_active=True)
        .first()
    )
    if model is not None:
        return model, []
    alias = (
        ModelAlias.objects.select_related("model__provider")
        .filter(workspace=workspace, name=name, model__is_active=True)
        .first()
    )
    if alias is None:
        raise errors.model_not_found(name)
    return alias.model, list(alias.fallbacks or [])


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


def _target(model: ProviderModel, prompt_params: dict, call_params: dict) -> Target:
    provider = model.provider
    try:
        api_key = provider.api_key()
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
