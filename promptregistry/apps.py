from django.apps import AppConfig


class PromptRegistryConfig(AppConfig):
    name = "promptregistry"
    verbose_name = "Prompt registry"
