"""Model providers, their models and the workspace's aliases: one page to read, forms to change.

Everyone in the workspace may read which models exist (editors name them in prompts); only
admins (Action.MANAGE_PROVIDERS) change them. A provider's key is write-only: the pages show
its hint ("sk-…abcd") and never send the key, or any part of it beyond that, to the browser.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from workspaces import access
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action
from workspaces.views.helpers import apply_validation_error, paginate

from ..forms import AliasForm, ProviderForm
from ..models import ModelAlias, Provider, ProviderModel
from ..services import providers

PAGE = "gateway/providers.html"
FORM = "gateway/provider_form.html"


def provider_for(request: WorkspaceRequest, provider_id: int, need: Action) -> Provider:
    return access.object_for(request.principal, Provider.objects.all(), need, pk=provider_id)


@login_required
@require_GET
def provider_list(request: WorkspaceRequest, slug: str) -> HttpResponse:
    workspace = access.workspace_for(request, slug, need=Action.READ)
    models = ProviderModel.objects.annotate(alias_count=Count("aliases")).order_by("name")
    provider_rows = Provider.objects.filter(workspace=workspace).prefetch_related(
        Prefetch("models", queryset=models)
    )
    aliases = (
        ModelAlias.objects.filter(workspace=workspace)
        .select_related("model", "model__provider")
        .order_by("name")
    )
    page_obj = paginate(request, provider_rows)
    context = {
        "nav_section": "providers",
        "page_obj": page_obj,
        "providers": list(page_obj),
        "aliases": list(aliases),
        "alias_form": AliasForm(workspace=workspace)
        if request.principal.can(Action.MANAGE_PROVIDERS)
        else None,
    }
    response = render(request, PAGE, context)
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def provider_create(request: WorkspaceRequest, slug: str) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    form = ProviderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            provider = providers.provider_create(
                principal=request.principal,
                name=data["name"],
                kind=data["kind"],
                base_url=data["base_url"],
                api_key=data["api_key"],
                connect_timeout_seconds=data["connect_timeout_seconds"],
                total_timeout_seconds=data["total_timeout_seconds"],
                max_retries=data["max_retries"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, f"“{provider.name}” is saved. Test the connection, then add its models."
            )
            return redirect(reverse("gateway:providers", args=[slug]) + f"#provider-{provider.pk}")
    return _form_page(request, form, provider=None)


@login_required
@require_http_methods(["GET", "POST"])
def provider_edit(request: WorkspaceRequest, slug: str, provider_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    provider = provider_for(request, provider_id, Action.MANAGE_PROVIDERS)
    initial = {field: getattr(provider, field) for field in providers.AUDITED_FIELDS}
    form = ProviderForm(request.POST or None, initial=initial, provider=provider)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Empty keeps the saved key; the checkbox removes it.
        api_key = "" if data.get("remove_api_key") else (data["api_key"] or providers.KEEP)
        try:
            providers.provider_update(
                principal=request.principal,
                provider=provider,
                api_key=api_key,
                **{field: data[field] for field in providers.AUDITED_FIELDS},
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"“{data['name']}” is saved.")
            return redirect(reverse("gateway:providers", args=[slug]) + f"#provider-{provider.pk}")
    return _form_page(request, form, provider=provider)


def _form_page(request: WorkspaceRequest, form: ProviderForm, provider) -> HttpResponse:
    response = render(
        request,
        FORM,
        {"nav_section": "providers", "form": form, "provider": provider},
        status=400 if form.errors else 200,
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def provider_delete(request: WorkspaceRequest, slug: str, provider_id: int) -> HttpResponse:
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    provider = provider_for(request, provider_id, Action.MANAGE_PROVIDERS)
    providers.provider_delete(principal=request.principal, provider=provider)
    messages.success(
        request,
        f"“{provider.name}” and its models are removed. Logged calls keep their model names.",
    )
    return redirect("gateway:providers", slug)


@login_required
@require_POST
def provider_test(request: WorkspaceRequest, slug: str, provider_id: int) -> HttpResponse:
    """A real, tiny call to the provider; with htmx the result replaces the button's slot."""
    access.workspace_for(request, slug, need=Action.MANAGE_PROVIDERS)
    provider = provider_for(request, provider_id, Action.MANAGE_PROVIDERS)
    result = providers.provider_test_connection(principal=request.principal, provider=provider)
    if request.htmx:
        return render(
            request, "gateway/_connection_result.html", {"result": result, "provider": provider}
        )
    if result.ok:
        messages.success(request, f"{provider.name}: {result.message}")
    else:
        messages.error(request, f"{provider.name}: {result.message}")
    return redirect(reverse("gateway:providers", args=[slug]) + f"#provider-{provider.pk}")
