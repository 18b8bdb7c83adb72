"""The workspace's gateway settings: what the request log keeps of each call, and how long."""

from django.db import transaction
from django.utils import timezone

from workspaces import access, audit
from workspaces.principal import Principal
from workspaces.roles import Action

from ..models import GatewaySettings

RETENTION_MAX_DAYS = 3650


@transaction.atomic
def gateway_settings_update(
    *, principal: Principal, store_content: str, retention_days: int | None
) -> GatewaySettings:
    """Save the settings (a workspace without a row has the defaults until its first save).

    A shorter retention takes effect at the next hourly run of the retention task
    (gateway/tasks.py); changing what is stored applies to calls from now on, never to rows
    already written."""
    access.require(principal, Action.MANAGE_SETTINGS)
    current = GatewaySettings.objects.select_for_update().filter(
        workspace=principal.workspace
    ).first() or GatewaySettings(workspace=principal.workspace)
    before = {"store_content": current.store_content, "retention_days": current.retention_days}
    current.store_content = store_content
    current.retention_days = retention_days
    current.updated_at = timezone.now()
    current.full_clean()
    current.save()
    after = {"store_content": current.store_content, "retention_days": current.retention_days}
    if before != after or current._state.adding:
        audit.record(
            principal=principal,
            action="gateway_settings.update",
            target=principal.workspace,
            data={"before": before, "after": after},
        )
    return current
