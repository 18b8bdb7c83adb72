from django.urls import path

from .views import openai_compat

app_name = "gateway"

urlpatterns = [
    # /v1/: the OpenAI-compatible API (workspace API keys; OpenAI's error shape)
    path("v1/chat/completions", openai_compat.chat_completions, name="openai-chat-completions"),
    path("v1/models", openai_compat.models, name="openai-models"),
]
