"""Writing the audit log. Every security-relevant service calls record() inside its transaction."""

from typing import Any

from django.db.models import Model

from .models import AuditEvent
from .principal import Principal


def record(
    *,
    principal: Principal,
    action: str,
    target: Model | None = None,
    target_label: str = "",
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        workspace=principal.workspace,
        actor_user=principal.user,
        actor_api_key=principal.api_key,
        actor_label=principal.label,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label or (str(target) if target is not None else ""),
        data=data or {},
        ip_address=ip_address,
    )
    event.full_clean()
    event.save()
    return event
