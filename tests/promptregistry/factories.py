"""Shared registry helpers: prompts, snippets and folders made through the real services.

prompt = make_prompt(acme, "support/triage", by=bob, labels=["staging"])
snippet = make_snippet(acme, "tone", "Be warm.", by=bob)
folder = make_folder(acme, "support/billing", by=alice)
restrict(folder, view_role=Role.ADMIN)
"""

from promptregistry import services
from promptregistry.models import Folder, Prompt, PromptVersion
from workspaces.models import Membership, Workspace
from workspaces.principal import Principal
from workspaces.roles import Role

DEFAULT_MESSAGES = [
    {"role": "system", "content": "You help customers of {{company}}."},
    {"role": "user", "content": "{{question}}"},
]


def principal_for(workspace: Workspace, user=None, role: str | None = None) -> Principal:
    """The user's principal in the workspace (their membership's role), or an owner with no user."""
    if user is None:
        return Principal(workspace=workspace, role=role or Role.OWNER)
    membership = Membership.objects.select_related("workspace", "user").get(
        workspace=workspace, user=user
    )
    return Principal(workspace=workspace, role=role or membership.role, user=user)


def make_prompt(
    workspace: Workspace,
    name: str,
    *,
    messages: list[dict] | None = None,
    text: str | None = None,
    by=None,
    labels: list[str] | tuple = (),
    tags: list[str] | tuple = (),
    description: str = "",
    kind: str = Prompt.Kind.PROMPT,
    template_format: str = "mustache",
) -> Prompt:
    """A prompt with version 1: chat with `messages` (default DEFAULT_MESSAGES), or text with
    `text`. Made by `by` (a member; an owner principal without a user when None). `labels` are
    set with owner rights, so protected ones such as production work whoever `by` is."""
    is_text = text is not None or kind == Prompt.Kind.SNIPPET
    prompt = services.prompt_create(
        principal=principal_for(workspace, by),
        name=name,
        kind=kind,
        prompt_type=Prompt.Type.TEXT if is_text else Prompt.Type.CHAT,
        description=description,
        tags=list(tags),
        version_content={"text": text or ""}
        if is_text
        else {"messages": messages or DEFAULT_MESSAGES},
        template_format=template_format,
        commit_message="First version",
    )
    _move_labels(prompt, prompt.versions.get(), labels, by)
    return prompt


def _move_labels(prompt: Prompt, version: PromptVersion, labels, by) -> None:
    releaser = principal_for(prompt.workspace, by, role=Role.OWNER)
    for label in labels:
        services.label_move(principal=releaser, prompt=prompt, name=label, version=version)


def make_snippet(workspace: Workspace, name: str, text: str = "Be kind.", **kwargs) -> Prompt:
    return make_prompt(workspace, name, text=text, kind=Prompt.Kind.SNIPPET, **kwargs)


def add_version(
    prompt: Prompt,
    *,
    messages: list[dict] | None = None,
    text: str | None = None,
    by=None,
    labels: list[str] | tuple = (),
    message: str = "",
) -> PromptVersion:
    """Version N+1 of the prompt, with the same shape as its type (labels as in make_prompt)."""
    content = (
        {"text": text or ""}
        if prompt.type == Prompt.Type.TEXT
        else {"messages": messages or DEFAULT_MESSAGES}
    )
    version = services.prompt_version_create(
        principal=principal_for(prompt.workspace, by),
        prompt=prompt,
        version_content=content,
        commit_message=message,
    )
    _move_labels(prompt, version, labels, by)
    return version


def make_folder(workspace: Workspace, path: str, *, by=None) -> Folder:
    """The folder at path, with any missing parents."""
    parent = None
    built = []
    for segment in path.split("/"):
        built.append(segment)
        existing = Folder.objects.filter(workspace=workspace, path="/".join(built)).first()
        parent = existing or services.folder_create(
            principal=principal_for(workspace, by), parent=parent, name=segment
        )
    return parent


def restrict(obj: Folder | Prompt, view_role: str = Role.ADMIN, edit_role: str = "") -> None:
    """Restrict directly (tests of the access service use services.access_update instead)."""
    obj.view_role, obj.edit_role = view_role, edit_role
    obj.save(update_fields=["view_role", "edit_role"])
