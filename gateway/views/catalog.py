"""Adding and editing a provider's models (prices pre-filled from genai-prices), and aliases."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error

from ..forms import AliasEditForm, AliasForm, ModelForm
from ..models import ModelAlias, ProviderModel
from ..prices import price_for
from ..services import catalog
from .providers import provider_for

MODEL_FORM = "gateway/model_form.html"
PRICE_FIELDS = ("input_price_per_million", "output_price_per_million")


def model_for(request: WorkspaceRequest, model_id: int, need: Action) -> ProviderModel:
    return access.object_for(
        request.principal, ProviderModel.objects.select_related("provider"), need, pk=model_id
    )


def alias_for(request: WorkspaceRequest, model_alias_id: int, need: Action) -> ModelAlias:
    return access.object_for(
        request.principal, ModelAlias.objects.select_related("model"), need, pk=model_alias_id
    )


def _providers_url(slug: str, anchor: str) -> str:
    return reverse("gateway:providers", args=[slug]) + f"#{anchor}"


def _looked_up(provider, data) -> tuple[dict, object]:
    """The form's values with the prices (and context window) genai-prices knows, filled in
    where they are empty; and the price found (None when genai-prices doesn't know the model)."""
    values = {key: data.get(key, "") for key in ModelForm.base_fields}
    price = price_for(provider.kind, (values["upstream_name"] or values["name"] or "").strip())
    if price is not None:
        values["input_price_per_million"] = values["input_price_per_million"] or (
            price.input_per_million
        )
        values["output_price_per_million"] = values["output_price_per_million"] or (
            price.output_per_million
        )
        values["context_window"] = values["context_window"] or price.context_window or ""
        values["display_name"] = values["display_name"] or price.display_name
    return values, price


@login_required
@require_http_methods(["GET", "POST"])
def model_create(request: WorkspaceRequest, slug: str, provider_id: int) -> HttpResponse:
    """GET with a name looks its prices up (the "Look up prices" button, or htmx as the name
    is typed) and shows them in the form, to keep or change before saving."""
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    provider = provider_for(request, provider_id, Action.MANAGE_PROVIDERS)
    price = None
    if request.method == "POST":
        form = ModelForm(request.POST)
    elif request.GET.get("name") or request.GET.get("upstream_name"):
        initial, price = _looked_up(provider, request.GET)
        form = ModelForm(initial=initial)
    else:
        form = ModelForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entered = tuple(data[field] for field in PRICE_FIELDS)
        try:
            model = catalog.model_create(
                principal=request.principal,
                provider=provider,
                name=data["name"],
                upstream_name=data["upstream_name"],
                display_name=data["display_name"],
                context_window=data["context_window"],
                default_params=data["default_params"],
                prices=entered if any(p is not None for p in entered) else catalog.LOOK_UP,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            priced = model.input_price_per_million is not None
            messages.success(
                request,
                f"“{model.name}” is ready to use."
                + (
                    ""
                    if priced
                    else " It has no price yet: its calls show no cost until you add one."
                ),
            )
            return redirect(_providers_url(slug, f"model-{model.pk}"))
    context = {
        "nav_section": "providers",
        "form": form,
        "provider": provider,
        "model": None,
        "price": price,
        "looked_up": request.method == "GET" and bool(request.GET),
    }
    template = MODEL_FORM + "#model-form" if request.htmx else MODEL_FORM
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def model_edit(request: WorkspaceRequest, slug: str, model_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    model = model_for(request, model_id, Action.MANAGE_PROVIDERS)
    initial = {field: getattr(model, field) for field in ModelForm.base_fields}
    form = ModelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {
            field: value
            for field, value in form.cleaned_data.items()
            if field in form.changed_data or field == "name"
        }
        if not changes.get("upstream_name", True):
            changes["upstream_name"] = form.cleaned_data["name"]
        try:
            catalog.model_update(principal=request.principal, model=model, **changes)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"“{form.cleaned_data['name']}” is saved.")
            return redirect(_providers_url(slug, f"model-{model.pk}"))
    return render(
        request,
        MODEL_FORM,
        {"nav_section": "providers", "form": form, "provider": model.provider, "model": model},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def model_delete(request: WorkspaceRequest, slug: str, model_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    model = model_for(request, model_id, Action.MANAGE_PROVIDERS)
    catalog.model_delete(principal=request.principal, model=model)
    messages.success(request, f"“{model.name}” is removed, with the aliases that pointed at it.")
    return redirect(_providers_url(slug, f"provider-{model.provider_id}"))


@login_required
@require_POST
def alias_create(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    form = AliasForm(request.POST, workspace=workspace)
    if form.is_valid():
        try:
            alias = catalog.alias_create(
                principal=request.principal,
                name=form.cleaned_data["name"],
                model=form.cleaned_data["model"],
                fallbacks=form.cleaned_data["fallbacks"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"“{alias.name}” now means {alias.model.name}.")
            return redirect(_providers_url(slug, "aliases"))
    return render(
        request,
        "gateway/alias_form.html",
        {"nav_section": "providers", "form": form, "alias": None},
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def alias_edit(request: WorkspaceRequest, slug: str, model_alias_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    alias = alias_for(request, model_alias_id, Action.MANAGE_PROVIDERS)
    initial = {"model": alias.model, "fallbacks": ", ".join(alias.fallbacks)}
    form = AliasEditForm(request.POST or None, alias=alias, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            catalog.alias_update(
                principal=request.principal,
                alias=alias,
                model=form.cleaned_data["model"],
                fallbacks=form.cleaned_data["fallbacks"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, f"“{alias.name}” now means {form.cleaned_data['model'].name}."
            )
            return redirect(_providers_url(slug, "aliases"))
    return render(
        request,
        "gateway/alias_form.html",
        {"nav_section": "providers", "form": form, "alias": alias},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def alias_delete(request: WorkspaceRequest, slug: str, model_alias_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    alias = alias_for(request, model_alias_id, Action.MANAGE_PROVIDERS)
    catalog.alias_delete(principal=request.principal, alias=alias)
    messages.success(request, f"“{alias.name}” is removed. Requests naming it now fail.")
    return redirect(_providers_url(slug, "aliases"))
