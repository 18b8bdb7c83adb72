"""The role matrix: the one place that says which role may do what in a workspace.

access.py asks it; the members page shows it (ROLE_MATRIX_ROWS), so what users read is what
the code enforces.
"""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


RANK: dict[str, int] = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3, Role.OWNER: 4}


class Action(StrEnum):
    READ = "read"
    EDIT = "edit"
    RELEASE_PROTECTED = "release_protected"
    DELETE = "delete"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_KEYS = "manage_keys"
    MANAGE_PROVIDERS = "manage_providers"
    VIEW_LOGS = "view_logs"
    GIVE_FEEDBACK = "give_feedback"
    RUN_PLAYGROUND = "run_playground"
    VIEW_AUDIT = "view_audit"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_OWNERS = "manage_owners"


MINIMUM_ROLE: dict[Action, Role] = {
    Action.READ: Role.VIEWER,
    Action.EDIT: Role.EDITOR,
    Action.RELEASE_PROTECTED: Role.ADMIN,
    Action.DELETE: Role.ADMIN,
    Action.MANAGE_MEMBERS: Role.ADMIN,
    Action.MANAGE_KEYS: Role.ADMIN,
    Action.MANAGE_PROVIDERS: Role.ADMIN,
    Action.VIEW_LOGS: Role.VIEWER,
    Action.GIVE_FEEDBACK: Role.EDITOR,
    Action.RUN_PLAYGROUND: Role.EDITOR,
    Action.VIEW_AUDIT: Role.ADMIN,
    Action.MANAGE_SETTINGS: Role.ADMIN,
    Action.MANAGE_OWNERS: Role.OWNER,
}

# Shown on the members page, in this order. Only what the product does today: a row joins
# when its feature ships.
ACTION_DESCRIPTIONS: dict[Action, str] = {
    Action.READ: "See prompts, snippets, versions, labels and comments",
    Action.EDIT: "Write prompts, save versions, move unprotected labels",
    Action.RELEASE_PROTECTED: "Move protected labels such as production",
    Action.DELETE: "Delete prompts and folders",
    Action.VIEW_LOGS: "Read the request log and analytics (of the prompts they may see)",
    Action.GIVE_FEEDBACK: "Rate logged completions (thumbs up or down)",
    Action.RUN_PLAYGROUND: "Run prompts in the playground (each run calls models and costs money)",
    Action.MANAGE_MEMBERS: "Invite people, change roles, remove members",
    Action.MANAGE_KEYS: "Create and revoke API keys",
    Action.MANAGE_PROVIDERS: "Set up model providers, their models and prices, and model aliases",
    Action.VIEW_AUDIT: "Read the audit log",
    Action.MANAGE_SETTINGS: "Change workspace settings and what the request log keeps",
    Action.MANAGE_OWNERS: "Make or remove owners, transfer ownership",
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.OWNER: "Everything, including who the owners are.",
    Role.ADMIN: "Runs the workspace: members, keys, settings, production releases.",
    Role.EDITOR: "Writes and tests prompts; releases to unprotected labels.",
    Role.VIEWER: "Reads everything they are allowed to see; changes nothing.",
}


def role_allows(role: str, action: Action) -> bool:
    return RANK[role] >= RANK[MINIMUM_ROLE[action]]


def role_at_least(role: str, other: str) -> bool:
    return RANK[role] >= RANK[other]


def lower_role(a: str, b: str) -> str:
    """An API key acts with the lower of its ceiling and its creator's role."""
    return a if RANK[a] <= RANK[b] else b


def role_matrix_rows() -> list[tuple[str, list[bool]]]:
    roles = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER]
    return [
        (ACTION_DESCRIPTIONS[action], [role_allows(role, action) for role in roles])
        for action in ACTION_DESCRIPTIONS
    ]
