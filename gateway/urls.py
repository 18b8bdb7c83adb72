from django.urls import path

from .views import analytics, logs, openai_compat

app_name = "gateway"

urlpatterns = [
    # /v1/: the OpenAI-compatible API (workspace API keys; OpenAI's error shape)
    path("v1/chat/completions", openai_compat.chat_completions, name="openai-chat-completions"),
    path("v1/models", openai_compat.models, name="openai-models"),
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
