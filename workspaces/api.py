"""Native API routes owned by workspaces: who am I (the key check CI scripts start with)."""

from ninja import Router, Schema

from .principal import Principal

router = Router(tags=["workspace"])


class WhoAmI(Schema):
    workspace: str
    workspace_name: str
    role: str
    key_name: str | None


@router.get("/me", response=WhoAmI, summary="The workspace and role of the calling API key")
def me(request) -> WhoAmI:
    principal: Principal = request.auth
    return WhoAmI(
        workspace=principal.workspace.slug,
        workspace_name=principal.workspace.name,
        role=principal.role,
        key_name=principal.api_key.name if principal.api_key else None,
    )
