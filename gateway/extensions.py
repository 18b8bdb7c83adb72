"""Where other apps add to the gateway's pages without the gateway importing them.

Apps depend one way (evaluations -> gateway), so the log detail page can't know about datasets;
instead an app registers a template here from its AppConfig.ready(), and the page includes it
in its actions bar for every principal whose role allows `need`:

    # evaluations/apps.py
    def ready(self):
        from gateway.extensions import register_completion_action
        register_completion_action("evaluations/_add_to_dataset.html", need=Action.EDIT)

The template gets `completion` (a gateway.models.Completion) and the page's usual context
(request.workspace, can, csrf_token). Nothing is registered today: the page shows no
"add to dataset" button until the evaluations app exists and registers one.
"""

from dataclasses import dataclass

from workspaces.principal import Principal
from workspaces.roles import Action


@dataclass(frozen=True)
class CompletionAction:
    template: str
    need: Action


COMPLETION_ACTIONS: list[CompletionAction] = []


def register_completion_action(template: str, *, need: Action = Action.EDIT) -> None:
    action = CompletionAction(template=template, need=need)
    if action not in COMPLETION_ACTIONS:
        COMPLETION_ACTIONS.append(action)


def completion_actions_for(principal: Principal) -> list[str]:
    """The action templates this principal may use, in registration order."""
    return [action.template for action in COMPLETION_ACTIONS if principal.can(action.need)]
