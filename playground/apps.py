from django.apps import AppConfig


class PlaygroundConfig(AppConfig):
    name = "playground"
    verbose_name = "Playground"

    def ready(self):
        # The log detail page's "Open in playground" (gateway/extensions.py): apps depend one
        # way, playground -> gateway.
        from gateway.extensions import register_completion_action
        from workspaces.roles import Action

        register_completion_action("playground/_open_in_playground.html", need=Action.VIEW_LOGS)
