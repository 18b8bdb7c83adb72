from django.contrib import admin
from django.urls import include, path

from promptregistry.api.langfuse import langfuse_api

from . import health
from .api import api

admin.site.site_header = "PromptOps operations"
admin.site.site_title = "PromptOps admin"
admin.site.index_title = "Operator console"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/public/", langfuse_api.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("workspaces.urls")),
    path("", include("promptregistry.urls")),
    path("", include("gateway.urls")),
    path("", include("evaluations.urls")),
    path("", include("playground.urls")),
]
