"""Request and response shapes of the native prompt API (/api/v1/prompts), for OpenAPI."""

from typing import Any, Literal

from ninja import Field, Schema

TemplateFormatName = Literal["mustache", "fstring", "jinja2"]
MAX_INT = 2_147_483_647


class LabelOut(Schema):
    name: str
    version: int
    split_version: int | None = Field(
        None, description="During an A/B split: the version under test."
    )
    split_percent: int = Field(0, description="Share of traffic (%) sent to split_version.")


class PromptListItem(Schema):
    name: str = Field(..., description="Full path, e.g. support/triage.")
    kind: Literal["prompt", "snippet"]
    type: Literal["text", "chat"]
    description: str
    folder: str = Field(..., description="Folder path; empty at the root.")
    tags: list[str]
    labels: list[LabelOut]
    latest_version: int
    updated_at: str


class PromptList(Schema):
    items: list[PromptListItem]
    next_cursor: str | None = Field(
        None, description="Pass as ?cursor= for the next page; null on the last page."
    )


class PromptOut(Schema):
    """One served version: what an application renders."""

    name: str
    kind: Literal["prompt", "snippet"]
    type: Literal["text", "chat"]
    version: int
    label: str | None = Field(None, description="The label it was served through, if any.")
    labels: list[str] = Field(..., description="Labels on this version, including latest.")
    template_format: TemplateFormatName
    content: dict[str, Any] = Field(
        ..., description='{"text": "..."} or {"messages": [{"role", "content"} | placeholder]}.'
    )
    variables: list[str]
    placeholders: list[str]
    config: dict[str, Any]
    commit_message: str
    tags: list[str]
    created_at: str
    updated_at: str
    created_by: str


class PromptCreateIn(Schema):
    name: str = Field(..., description="Full path; folders are created as needed.")
    kind: Literal["prompt", "snippet"] = "prompt"
    type: Literal["text", "chat"] = "chat"
    description: str = ""
    tags: list[str] = []
    content: dict[str, Any] = Field(
        ..., description='{"text": "..."} for text prompts, {"messages": [...]} for chat.'
    )
    template_format: TemplateFormatName = "mustache"
    config: dict[str, Any] = {}
    commit_message: str = ""
    labels: list[str] = []


class VersionCreateIn(Schema):
    content: dict[str, Any]
    template_format: TemplateFormatName = "mustache"
    config: dict[str, Any] = {}
    commit_message: str = ""
    base_version: int | None = Field(
        None,
        ge=0,
        le=MAX_INT,
        description="The version you started from: if someone saved after it, 409 conflict "
        "and nothing is written.",
    )
    labels: list[str] = []


class VersionOut(Schema):
    version: int
    template_format: TemplateFormatName
    content: dict[str, Any]
    config: dict[str, Any]
    commit_message: str
    labels: list[str]
    restored_from: int | None
    created_at: str
    created_by: str


class VersionList(Schema):
    items: list[VersionOut]
    next_cursor: str | None = None


class LabelMoveIn(Schema):
    version: int = Field(..., ge=1, le=MAX_INT)


class LabelMoveOut(Schema):
    id: int
    label: str
    action: str
    from_version: int | None
    to_version: int | None
    split_version: int | None
    split_percent: int
    actor: str
    at: str


class LabelHistory(Schema):
    label: str
    items: list[LabelMoveOut]
    next_cursor: str | None = None


class RenderIn(Schema):
    variables: dict[str, Any] = {}
    placeholders: dict[str, list[dict[str, Any]]] = Field(
        {}, description="Messages for each chat placeholder, e.g. the conversation history."
    )
    label: str | None = None
    version: int | None = Field(None, ge=1, le=MAX_INT)
    session_id: str | None = Field(
        None, description="Stable A/B arm per session (or user_id); random when absent."
    )
    user_id: str | None = None


class RenderOut(Schema):
    name: str
    version: int
    label: str | None
    type: Literal["text", "chat"]
    template_format: TemplateFormatName
    text: str | None = Field(None, description="The rendered text (text prompts).")
    messages: list[dict[str, Any]] | None = Field(
        None, description="The rendered messages (chat prompts)."
    )
    config: dict[str, Any]


class DiffSegment(Schema):
    op: Literal["equal", "insert", "delete"]
    text: str


class DiffLine(Schema):
    status: Literal["equal", "changed", "inserted", "deleted"]
    old_number: int | None
    new_number: int | None
    segments: list[DiffSegment]


class DiffMessage(Schema):
    status: Literal["equal", "changed", "added", "removed"]
    old_index: int | None
    new_index: int | None
    old_role: str | None
    new_role: str | None
    placeholder: str | None
    moved: bool
    lines: list[DiffLine]


class DiffConfigChange(Schema):
    path: str
    kind: Literal["added", "removed", "changed"]
    old: Any = Field(None, description="Absent (null) when the key was added.")
    new: Any = Field(None, description="Absent (null) when the key was removed.")


class DiffOut(Schema):
    name: str
    from_version: int
    to_version: int
    has_changes: bool
    words_added: int
    words_removed: int
    lines_added: int
    lines_removed: int
    template_format_change: dict[str, str] | None
    config_changes: list[DiffConfigChange]
    messages: list[DiffMessage]


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail
