from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class GatewayConfig(AppConfig):
    name = "gateway"
    verbose_name = "Gateway"

    def ready(self) -> None:
        from .completion import directory
        from .models import GatewaySettings, ModelAlias, Provider, ProviderModel

        # What the completion service remembers of a workspace's models moves on with them.
        for model in (Provider, ProviderModel, ModelAlias, GatewaySettings):
            post_save.connect(directory.forget_on_change, sender=model)
            post_delete.connect(directory.forget_on_change, sender=model)
