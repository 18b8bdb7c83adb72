from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "Evaluations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The gateway's log detail page shows "Add to dataset" without importing this app
        # (gateway/extensions.py): apps depend one way, evaluations -> gateway.
        from gateway.extensions import register_completion_action
        from workspaces.roles import Action

        register_completion_action("evaluations/_add_to_dataset.html", need=Action.EDIT)

        # "Gate production on evaluation" (a workspace setting): the registry's label moves
        # ask it through promptregistry/release_checks.py.
        from promptregistry.release_checks import register_release_check

        from .gate import production_needs_passing_run

        register_release_check(production_needs_passing_run)
