"""Langfuse's shapes for the Langfuse-compatible API (api/langfuse.py): requests, the Prompt and
PromptMeta answers and Langfuse's error body, matching the installed `langfuse` SDK's types
(langfuse/api/prompts/types, langfuse/api/prompt_version)."""

import re
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.http import JsonResponse
from django.utils import timezone
from ninja import Field, Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from .. import names, serving, templating
from ..models import LATEST, PRODUCTION, Prompt, PromptVersion
from ..templating import TemplateFormat

LANGFUSE_LABEL = re.compile(r"^[a-z0-9_\-.]{1,36}$")
ERROR_NAMES = {
    400: "InvalidRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "LangfuseNotFoundError",
    405: "MethodNotAllowedError",
    409: "ConflictError",
    422: "UnprocessableContentError",
}


class LangfuseError(Exception):
    def __init__(self, status: int, message: str, error: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error or ERROR_NAMES.get(status, "BaseError")


def langfuse_error(status: int, message: str, error: str | None = None) -> JsonResponse:
    return JsonResponse(
        {"message": message, "error": error or ERROR_NAMES.get(status, "BaseError")}, status=status
    )


class PromptCreateIn(Schema):
    """CreatePromptRequest (text or chat) of the Langfuse SDK."""

    name: str
    type: str | None = Field(None, pattern="^(text|chat)$")
    prompt: str | list[dict[str, Any]]
    config: Any = None
    labels: list[str] = []
    tags: list[str] | None = None
    commitMessage: str | None = Field(None, max_length=500)  # noqa: N815 (Langfuse's name)

    @field_validator("name")
    @classmethod
    def _one_name_rule(cls, value: str) -> str:
        """The editor's rule (names.py), reported as Langfuse reports a bad name: 400
        "Invalid request data" with the reason as the issue's message."""
        name = value.strip()
        problem = names.name_problem(name)
        if problem:
            raise PydanticCustomError("invalid_name", problem)
        return name


class LegacyPromptCreateIn(PromptCreateIn):
    """The v1 create: `isActive` is required (true also puts `production` on the version)."""

    isActive: bool  # noqa: N815 (Langfuse's name)


class PromptLabelsIn(Schema):
    newLabels: list[str]  # noqa: N815 (Langfuse's name)


def not_found_message(name: str, label: str | None, version: int | None) -> str:
    if version is not None:
        return f"Prompt not found: '{name}' with version {version}"
    return f"Prompt not found: '{name}' with label '{label or PRODUCTION}'"


def as_mustache(text: str, template_format: str) -> str:
    if template_format == TemplateFormat.JINJA2:
        return text
    return templating.to_mustache(text, template_format)


def langfuse_prompt(
    served: serving.ServedVersion, *, workspace_slug: str, for_write: bool = False
) -> dict:
    """A served version in Langfuse's Prompt shape ({{var}} templates). The answer to a write
    (for_write) shows a Jinja2 version as stored instead of refusing it."""
    if served.template_format == TemplateFormat.JINJA2 and not for_write:
        raise LangfuseError(
            422,
            f"“{served.name}” is a Jinja2 template, which Langfuse clients can't compile. "
            f"Render it with POST /api/v1/prompts/{served.name}/render instead.",
            "UnsupportedTemplateFormatError",
        )
    try:
        if "text" in served.content:
            prompt: Any = as_mustache(served.content["text"], served.template_format)
        else:
            prompt = [
                {"type": "placeholder", "name": m["name"]}
                if m.get("type") == "placeholder"
                else {
                    "role": m["role"],
                    "content": as_mustache(m["content"], served.template_format),
                }
                for m in served.content["messages"]
            ]
    except templating.TemplateFormatNotConvertible as error:
        raise LangfuseError(
            422,
            f"“{served.name}” can't be served as a {{{{var}}}} template ({error}). Render it with "
            f"POST /api/v1/prompts/{served.name}/render instead.",
            "UnsupportedTemplateFormatError",
        ) from error
    return {
        "id": version_id({"prompt_id": served.prompt_id, "version": served.number}),
        "name": served.name,
        "version": served.number,
        "type": served.type,
        "prompt": prompt,
        "config": served.config,
        "labels": served.labels,
        "tags": served.tags,
        "commitMessage": served.commit_message or None,
        "resolutionGraph": resolution_graph(served.resolution_graph),
        "createdAt": served.created_at,
        "updatedAt": served.updated_at,
        "createdBy": "API" if served.created_via_api else served.created_by,
        "projectId": workspace_slug,
        "isActive": served.is_active,
    }


def version_id(node: dict) -> str:
    """A version's Langfuse `id` (Langfuse gives each version one)."""
    return f"{node['prompt_id']}-{node['version']}"


def resolution_graph(graph: dict | None) -> dict | None:
    """Langfuse's resolutionGraph: the root version and, per version id, the versions its
    references resolved to ({"name", "version", "id"})."""
    if not graph:
        return None

    def node(item: dict) -> dict:
        return {"name": item["name"], "version": item["version"], "id": version_id(item)}

    dependencies: dict[str, list[dict]] = {}
    for parent, child in graph["edges"]:
        dependencies.setdefault(version_id(parent), []).append(node(child))
    return {"root": node(graph["root"]), "dependencies": dependencies}


def served_from_db(prompt: Prompt, version: PromptVersion) -> serving.ServedVersion:
    """What a write answers with: the stored version (references intact), fresh from the DB."""
    labels = list(
        prompt.labels.filter(version=version)
        .order_by("updated_at", "id")
        .values_list("name", flat=True)
    )
    if version.number == prompt.latest_version_number:
        labels.append(LATEST)
    return serving.served_version(prompt, version, labels=labels)


def check_labels(labels: list[str]) -> None:
    for label in labels:
        if not LANGFUSE_LABEL.fullmatch(label):
            raise LangfuseError(
                400,
                f"Invalid label “{label}”: labels are 1 to 36 lowercase letters, digits, "
                "“_”, “-” or “.”.",
            )


def content_of(prompt_type: str, prompt: str | list[dict[str, Any]]) -> dict:
    if prompt_type == Prompt.Type.TEXT:
        if not isinstance(prompt, str):
            raise LangfuseError(400, "A text prompt's “prompt” must be a string.")
        return {"text": prompt}
    if not isinstance(prompt, list):
        raise LangfuseError(400, "A chat prompt's “prompt” must be a list of messages.")
    return {"messages": prompt}


def aware(value: datetime | None, field: str) -> datetime | None:
    """In UTC (naive means UTC), as the database compares it; 400 for an instant UTC can't
    hold, such as 9999-12-31T23:59:59-01:00."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise LangfuseError(400, f"“{field}” is out of range.") from error


def prompt_meta(prompt: Prompt, label: str | None) -> dict:
    by_number: dict[int, list[str]] = {}
    for item in prompt.labels.all():
        by_number.setdefault(item.version.number, []).append(item.name)
    by_number.setdefault(prompt.latest_version_number, []).append(LATEST)
    versions = list(prompt.matching_versions)
    if label:
        versions = [v for v in versions if label in by_number.get(v.number, [])]
    numbers = [v.number for v in versions]
    labels = sorted({name for n in numbers for name in by_number.get(n, [])})
    last_updated = max((v.created_at for v in versions), default=prompt.updated_at)
    return {
        "name": prompt.name,
        "type": prompt.type,
        "versions": numbers,
        "labels": labels,
        "tags": sorted(tag.name for tag in prompt.tags.all()),
        "lastUpdatedAt": last_updated.isoformat(),
        "_prompt_id": prompt.pk,
        "_last": numbers[-1] if numbers else None,
    }


def configs_of(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    if not pairs:
        return {}
    condition = Q()
    for prompt_id, number in pairs:
        condition |= Q(prompt_id=prompt_id, number=number)
    rows = (
        PromptVersion.objects.filter(condition)
        .order_by()
        .values_list("prompt_id", "number", "config")
    )
    return {(prompt_id, number): config for prompt_id, number, config in rows}
