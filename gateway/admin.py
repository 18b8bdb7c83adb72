"""The gateway in the operators' admin site.

Operators look things up and adjust limits here; providers, models and aliases are created in
the workspace's pages (gateway/services/: base URL checks, key encryption, audit). A provider's
key is never shown, not even encrypted: only its hint ("sk-…abcd"). Completions and feedback
are a record of what happened: read-only.
"""

import uuid

from django.contrib import admin

from .models import Completion, Feedback, GatewaySettings, ModelAlias, Provider, ProviderModel


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ProviderModelInline(admin.TabularInline):
    model = ProviderModel
    extra = 0
    fields = ["name", "upstream_name", "input_price_per_million", "output_price_per_million"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "kind", "base_url", "api_key_hint", "updated_at"]
    list_filter = ["kind", "workspace"]
    search_fields = ["name", "base_url", "workspace__name", "workspace__slug"]
    list_select_related = ["workspace"]
    # encrypted_api_key is not editable and not listed: it never reaches a page.
    readonly_fields = [
        "workspace",
        "name",
        "kind",
        "base_url",
        "api_key_hint",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fields = [
        *readonly_fields,
        "connect_timeout_seconds",
        "total_timeout_seconds",
        "max_retries",
    ]
    inlines = [ProviderModelInline]

    def has_add_permission(self, request) -> bool:
        return False  # keys are encrypted and base URLs checked by the workspace's page


@admin.register(ProviderModel)
class ProviderModelAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "workspace",
        "provider",
        "upstream_name",
        "input_price_per_million",
        "output_price_per_million",
        "price_source",
        "is_active",
    ]
    list_filter = ["is_active", "price_source", "workspace"]
    search_fields = ["name", "upstream_name", "display_name", "workspace__slug"]
    list_select_related = ["workspace", "provider"]
    readonly_fields = ["workspace", "provider", "name", "created_at", "updated_at"]
    fields = [
        *readonly_fields,
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
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "model", "created_at"]
    search_fields = ["name", "workspace__slug"]
    list_select_related = ["workspace", "model"]
    readonly_fields = ["workspace", "name", "model", "fallbacks", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(GatewaySettings)
class GatewaySettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", "store_content", "retention_days", "updated_at"]
    list_filter = ["store_content"]
    search_fields = ["workspace__name", "workspace__slug"]
    list_select_related = ["workspace"]
    readonly_fields = ["workspace", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "workspace",
        "created_at",
        "source",
        "prompt_name",
        "prompt_version",
        "model_name",
        "status",
        "latency_ms",
        "cost",
    ]
    list_filter = ["status", "source", "workspace"]
    search_fields = ["=public_id", "prompt_name", "model_name", "trace_id", "workspace__slug"]
    list_select_related = ["workspace"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # the log can hold millions of rows

    def get_search_fields(self, request) -> list[str]:
        # A term that isn't a UUID can't match public_id (and must not become a 500).
        try:
            uuid.UUID(request.GET.get("q", "").strip())
        except ValueError:
            return [f for f in self.search_fields if f != "=public_id"]
        return self.search_fields


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["completion", "workspace", "score", "created_by", "api_key", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["comment", "workspace__slug"]
    list_select_related = ["workspace", "created_by", "api_key"]
