"""Who is acting: a signed-in member or an API key, always inside one workspace."""

from dataclasses import dataclass

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User

from .models import ApiKey, Membership, Workspace
from .roles import Action, role_allows


@dataclass(frozen=True)
class Principal:
    workspace: Workspace
    role: str
    user: User | None = None
    api_key: ApiKey | None = None

    @classmethod
    def for_membership(cls, membership: Membership) -> "Principal":
        return cls(workspace=membership.workspace, role=membership.role, user=membership.user)

    @classmethod
    def for_api_key(cls, api_key: ApiKey) -> "Principal":
        return cls(workspace=api_key.workspace, role=api_key.role, api_key=api_key)

    def can(self, action: Action) -> bool:
        return role_allows(self.role, action)

    @property
    def label(self) -> str:
        if self.api_key is not None:
            return f"API key {self.api_key.name} ({self.api_key.secret_prefix}…)"
        return self.user.email if self.user else "system"


class WorkspaceRequest(HttpRequest):
    """The request every workspace view receives once access.workspace_for() has run."""

    user: User
    htmx: HtmxDetails
    workspace: Workspace
    principal: Principal
