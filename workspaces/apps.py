from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_delete


class WorkspacesConfig(AppConfig):
    name = "workspaces"
    verbose_name = "Workspaces"

    def ready(self) -> None:
        # API key authentication caches keys briefly: every change that alters what a key
        # may do drops it, whichever process (web, admin, shell) makes the change.
        from . import api_auth
        from .models import ApiKey, Membership

        for signal in (post_save, post_delete):
            signal.connect(api_auth.forget_key_on_change, sender=ApiKey)
            signal.connect(api_auth.forget_creator_keys_on_membership_change, sender=Membership)
        pre_delete.connect(
            api_auth.forget_creator_keys_on_user_delete, sender=settings.AUTH_USER_MODEL
        )
