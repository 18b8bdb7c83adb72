"""Writing the audit log. Every security-relevant service calls record() inside its transaction."""

import re
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


# How the audit log says each action, after the actor: "alice@example.com moved …".
# {target} is the event's target label; label events also get {prompt}, {label} and
# {version}; version and comment events {prompt} and {number} (from "name v3"). Every
# action a service records needs a sentence here (a test greps for them).
SENTENCES = {
    "workspace.create": "created the workspace",
    "workspace.update": "changed the workspace settings",
    "workspace.transfer_ownership": "made {target} the owner of the workspace",
    "member.join": "joined the workspace",
    "member.leave": "left the workspace",
    "member.remove": "removed {target} from the workspace",
    "member.role_change": "changed the role of {target}",
    "invitation.create": "invited {target}",
    "invitation.resend": "sent the invitation to {target} again",
    "invitation.revoke": "withdrew the invitation to {target}",
    "api_key.create": "created the API key {target}",
    "api_key.revoke": "revoked the API key {target}",
    "folder.create": "created the folder {target}",
    "folder.rename": "renamed the folder {target}",
    "folder.move": "moved the folder {target}",
    "folder.delete": "deleted the folder {target}",
    "folder.access": "changed who may see and edit the folder {target}",
    "prompt.create": "created {target}",
    "prompt.rename": "renamed {target}",
    "prompt.delete": "deleted {target}",
    "prompt.access": "changed who may see and edit {target}",
    "prompt.alias_delete": "stopped an old name of {target} from resolving",
    "version.create": "saved version {number} of {prompt}",
    "version.delete": "deleted {target} (kept for the audit trail)",
    "comment.create": "commented on version {number} of {prompt}",
    "comment.delete": "deleted a comment on version {number} of {prompt}",
    "label.move": "pointed “{label}” of {prompt} at version {version}",
    "label.split": "started an A/B test on “{label}” of {prompt}",
    "label.promote": "promoted the A/B test on “{label}” of {prompt} to version {version}",
    "label.abort": "aborted the A/B test on “{label}” of {prompt}, back to version {version}",
    "label.remove": "removed the label “{label}” from {prompt}",
    "provider.create": "added the model provider {target}",
    "provider.update": "changed the model provider {target}",
    "provider.delete": "removed the model provider {target}",
    "model.create": "added the model {target}",
    "model.update": "changed the model {target}",
    "model.delete": "removed the model {target}",
    "model_alias.create": "added the model alias {target}",
    "model_alias.update": "pointed the model alias {target}",
    "model_alias.delete": "removed the model alias {target}",
    "gateway_settings.update": "changed what the request log keeps and for how long",
}


def sentence(event: AuditEvent) -> str:
    """What happened, in words ("pointed “production” of support-bot at version 3")."""
    template = SENTENCES.get(event.action)
    target = event.target_label or "—"
    if template is None:  # an action recorded before it had a sentence: say it as it is
        return f"{event.action.replace('_', ' ').replace('.', ': ')} {event.target_label}".strip()
    prompt, label, number = target, "", "—"
    if event.action.startswith("label."):
        prompt, _, label = target.rpartition("@")
    elif match := VERSIONED.fullmatch(target):
        prompt, number = match.group(1), match.group(2)
    after = event.data.get("after") if isinstance(event.data, dict) else None
    version = after.get("version") if isinstance(after, dict) else None
    return template.format(
        target=target, prompt=prompt, label=label, version=version or "—", number=number
    )


VERSIONED = re.compile(r"(.+) v(\d+)")


def action_name(action: str) -> str:
    """An action as a filter choice: "Changed the role of …"."""
    template = SENTENCES.get(action)
    if template is None:
        return action
    named = re.sub(r"\{[a-z]+\}", "…", template)
    return named[:1].upper() + named[1:]
