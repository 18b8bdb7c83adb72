"""Writing the model catalog: models of a provider (prices pre-filled from genai-prices) and
the workspace's model aliases. An admin's business (Action.MANAGE_PROVIDERS).

A name clients send as `model` must mean one thing: a model's name is unique in the workspace
(a database constraint) and no alias may share it, nor a model an alias's (checked here).
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from workspaces import access, audit
from workspaces.principal import Principal
from workspaces.roles import Action

from ..models import MODEL_NAME_MAX, ModelAlias, Provider, ProviderModel
from ..prices import price_for

MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@\-]*$")
MODEL_FIELDS = (
    "name",
    "upstream_name",
    "display_name",
    "context_window",
    "default_params",
    "input_price_per_million",
    "output_price_per_million",
    "price_source",
    "connect_timeout_seconds",
    "total_timeout_seconds",
    "is_active",
)
# Sentinel: look the prices up in genai-prices (the default when creating a model).
LOOK_UP = object()


def validate_model_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name or len(name) > MODEL_NAME_MAX or not MODEL_NAME.fullmatch(name):
        raise ValidationError(
            {
                field: "Use letters, digits and . _ - : / @ (up to 200), starting with a letter "
                "or digit, e.g. gpt-4o-mini or llama3:8b."
            }
        )
    return name


def _check_name_free(workspace, name: str, *, model_pk=None, alias_pk=None) -> None:
    models = ProviderModel.objects.filter(workspace=workspace, name=name).exclude(pk=model_pk)
    aliases = ModelAlias.objects.filter(workspace=workspace, name=name).exclude(pk=alias_pk)
    if models.exists():
        raise ValidationError({"name": f"A model called “{name}” already exists."})
    if aliases.exists():
        raise ValidationError({"name": f"An alias called “{name}” already exists."})


def _snapshot(model: ProviderModel) -> dict:
    data = {field: getattr(model, field) for field in MODEL_FIELDS}
    for field in ("input_price_per_million", "output_price_per_million"):
        data[field] = str(data[field]) if data[field] is not None else None
    return data


def _save(obj) -> None:
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        raise ValidationError({"name": "This name is already used in the workspace."}) from error


def _fill_prices(model: ProviderModel) -> None:
    price = price_for(model.provider.kind, model.upstream_name)
    if price is None:
        model.price_source = ProviderModel.PriceSource.NONE
        return
    model.input_price_per_million = price.input_per_million
    model.output_price_per_million = price.output_per_million
    model.price_source = ProviderModel.PriceSource.GENAI_PRICES
    if model.context_window is None:
        model.context_window = price.context_window


@transaction.atomic
def model_create(
    *,
    principal: Principal,
    provider: Provider,
    name: str,
    upstream_name: str = "",
    display_name: str = "",
    context_window: int | None = None,
    default_params: dict | None = None,
    prices: tuple[Decimal | None, Decimal | None] | object = LOOK_UP,
    connect_timeout_seconds: float | None = None,
    total_timeout_seconds: float | None = None,
) -> ProviderModel:
    """`prices`: (input, output) per million tokens as entered, or LOOK_UP (genai-prices)."""
    access.require(principal, Action.MANAGE_PROVIDERS)
    if provider.workspace_id != principal.workspace.pk:
        raise ValidationError({"provider": "No such provider."})
    name = validate_model_name(name)
    upstream_name = validate_model_name(upstream_name or name, "upstream_name")
    _check_name_free(principal.workspace, name)
    model = ProviderModel(
        workspace=principal.workspace,
        provider=provider,
        name=name,
        upstream_name=upstream_name,
        display_name=display_name.strip(),
        context_window=context_window,
        default_params=default_params or {},
        connect_timeout_seconds=connect_timeout_seconds,
        total_timeout_seconds=total_timeout_seconds,
    )
    if prices is LOOK_UP:
        _fill_prices(model)
    else:
        model.input_price_per_million, model.output_price_per_million = prices
        has_price = any(p is not None for p in prices)
        model.price_source = ProviderModel.PriceSource.MANUAL if has_price else ""
    _save(model)
    audit.record(
        principal=principal, action="model.create", target=model, data={"after": _snapshot(model)}
    )
    return model


@transaction.atomic
def model_update(*, principal: Principal, model: ProviderModel, **changes) -> ProviderModel:
    """Change the fields given (MODEL_FIELDS). Prices given by hand become "manual"; passing
    prices=LOOK_UP refreshes them from genai-prices."""
    access.require(principal, Action.MANAGE_PROVIDERS)
    look_up = changes.pop("prices", None) is LOOK_UP
    unknown = set(changes) - set(MODEL_FIELDS)
    if unknown:
        raise TypeError(f"model_update() got unknown fields: {sorted(unknown)}")
    model = ProviderModel.objects.select_for_update().select_related("provider").get(pk=model.pk)
    before = _snapshot(model)
    if "name" in changes:
        changes["name"] = validate_model_name(changes["name"])
        _check_name_free(model.workspace, changes["name"], model_pk=model.pk)
    if "upstream_name" in changes:
        changes["upstream_name"] = validate_model_name(changes["upstream_name"], "upstream_name")
    for field, value in changes.items():
        setattr(model, field, value)
    priced_by_hand = {"input_price_per_million", "output_price_per_million"} & set(changes)
    if look_up:
        _fill_prices(model)
    elif priced_by_hand and "price_source" not in changes:
        model.price_source = ProviderModel.PriceSource.MANUAL
    model.updated_at = timezone.now()
    _save(model)
    after = _snapshot(model)
    if before != after:
        audit.record(
            principal=principal,
            action="model.update",
            target=model,
            data={
                "before": {k: v for k, v in before.items() if after[k] != v},
                "after": {k: v for k, v in after.items() if before[k] != v},
            },
        )
    return model


@transaction.atomic
def model_delete(*, principal: Principal, model: ProviderModel) -> None:
    """Its aliases go with it; logged completions keep the model's name."""
    access.require(principal, Action.MANAGE_PROVIDERS)
    audit.record(
        principal=principal, action="model.delete", target=model, data={"before": _snapshot(model)}
    )
    model.delete()


def _check_fallbacks(workspace, fallbacks) -> list[str]:
    names = []
    for name in fallbacks or []:
        name = validate_model_name(name, "fallbacks")
        known = (
            ProviderModel.objects.filter(workspace=workspace, name=name).exists()
            or ModelAlias.objects.filter(workspace=workspace, name=name).exists()
        )
        if not known:
            raise ValidationError({"fallbacks": f"There is no model or alias “{name}”."})
        names.append(name)
    return names


@transaction.atomic
def alias_create(
    *,
    principal: Principal,
    name: str,
    model: ProviderModel,
    fallbacks: list[str] | None = None,
) -> ModelAlias:
    access.require(principal, Action.MANAGE_PROVIDERS)
    if model.workspace_id != principal.workspace.pk:
        raise ValidationError({"model": "No such model."})
    name = validate_model_name(name)
    _check_name_free(principal.workspace, name)
    alias = ModelAlias(
        workspace=principal.workspace,
        name=name,
        model=model,
        fallbacks=_check_fallbacks(principal.workspace, fallbacks),
    )
    _save(alias)
    audit.record(
        principal=principal,
        action="model_alias.create",
        target=alias,
        target_label=f"{alias.name} → {model.name}",
        data={"after": {"name": name, "model": model.name, "fallbacks": alias.fallbacks}},
    )
    return alias


@transaction.atomic
def alias_update(
    *,
    principal: Principal,
    alias: ModelAlias,
    model: ProviderModel,
    fallbacks: list[str] | None = None,
) -> ModelAlias:
    """Point the alias at another model (clients using the alias follow at once)."""
    access.require(principal, Action.MANAGE_PROVIDERS)
    if model.workspace_id != principal.workspace.pk:
        raise ValidationError({"model": "No such model."})
    alias = ModelAlias.objects.select_for_update().select_related("model").get(pk=alias.pk)
    before = {"model": alias.model.name, "fallbacks": alias.fallbacks}
    alias.model = model
    alias.fallbacks = _check_fallbacks(principal.workspace, fallbacks)
    _save(alias)
    after = {"model": model.name, "fallbacks": alias.fallbacks}
    if before != after:
        audit.record(
            principal=principal,
            action="model_alias.update",
            target=alias,
            target_label=f"{alias.name} → {model.name}",
            data={"before": before, "after": after},
        )
    return alias


@transaction.atomic
def alias_delete(*, principal: Principal, alias: ModelAlias) -> None:
    access.require(principal, Action.MANAGE_PROVIDERS)
    audit.record(
        principal=principal,
        action="model_alias.delete",
        target=alias,
        target_label=alias.name,
        data={"before": {"name": alias.name, "model_id": alias.model_id}},
    )
    alias.delete()
