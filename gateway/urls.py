from django.urls import path

from .views import analytics, catalog, logs, metrics, openai_compat, providers, settings

app_name = "gateway"

urlpatterns = [
    # /v1/: the OpenAI-compatible API (workspace API keys; OpenAI's error shape)
    path("v1/chat/completions", openai_compat.chat_completions, name="openai-chat-completions"),
    path("v1/models", openai_compat.models, name="openai-models"),
    # /metrics: Prometheus (a bearer token, PROMPTOPS_METRICS_TOKEN)
    path("metrics", metrics.metrics_view, name="metrics"),
    # /w/<slug>/providers/, /models/, /aliases/: providers, their models, aliases
    path("w/<slug:slug>/providers/", providers.provider_list, name="providers"),
    path("w/<slug:slug>/providers/new/", providers.provider_create, name="provider-create"),
    path(
        "w/<slug:slug>/providers/<int:provider_id>/edit/",
        providers.provider_edit,
        name="provider-edit",
    ),
    path(
        "w/<slug:slug>/providers/<int:provider_id>/test/",
        providers.provider_test,
        name="provider-test",
    ),
    path(
        "w/<slug:slug>/providers/<int:provider_id>/delete/",
        providers.provider_delete,
        name="provider-delete",
    ),
    path(
        "w/<slug:slug>/providers/<int:provider_id>/models/new/",
        catalog.model_create,
        name="model-create",
    ),
    path("w/<slug:slug>/models/<int:model_id>/edit/", catalog.model_edit, name="model-edit"),
    path("w/<slug:slug>/models/<int:model_id>/delete/", catalog.model_delete, name="model-delete"),
    path("w/<slug:slug>/aliases/new/", catalog.alias_create, name="alias-create"),
    path("w/<slug:slug>/aliases/<int:model_alias_id>/edit/", catalog.alias_edit, name="alias-edit"),
    path(
        "w/<slug:slug>/aliases/<int:model_alias_id>/delete/",
        catalog.alias_delete,
        name="alias-delete",
    ),
    # /w/<slug>/settings/logs/: what the request log keeps
    path("w/<slug:slug>/settings/logs/", settings.log_settings, name="log-settings"),
    # /w/<slug>/analytics/
    path("w/<slug:slug>/analytics/", analytics.analytics, name="analytics"),
    # /w/<slug>/logs/: the request log
    path("w/<slug:slug>/logs/", logs.log_list, name="logs"),
    path("w/<slug:slug>/logs/export/", logs.log_export, name="log-export"),
    path("w/<slug:slug>/logs/<uuid:completion_id>/", logs.log_detail, name="log-detail"),
    path(
        "w/<slug:slug>/logs/<uuid:completion_id>/feedback/",
        logs.log_feedback,
        name="log-feedback",
    ),
]
