"""Checking request bodies of the completion APIs: one JSON object, fields of the right type,
nothing the database can't store. Errors are GatewayErrors naming the field (400)."""

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from promptregistry import content
from promptregistry.models import MAX_VERSION_NUMBER

from .errors import GatewayError, invalid
from .request import OPENAI_PARAMS

MAX_MESSAGES = 1000
MAX_TAGS = 50
ROLES = {"system", "developer", "user", "assistant"}


def json_body(request: HttpRequest) -> dict:
    try:
        raw = request.body
    except RequestDataTooBig as error:
        raise GatewayError(413, "payload_too_large", "The request body is too large.") from error
    try:
        body = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise invalid("The request body is not valid JSON.") from error
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    problem = content.json_problem(body)
    if problem:
        raise invalid(problem)
    return body


def text(body: dict, name: str, *, max_length: int = 255) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string.", name)
    if len(value) > max_length:
        raise invalid(f"{name} is longer than {max_length} characters.", name)
    return value


def optional_text(body: dict, name: str, *, max_length: int = 255) -> str | None:
    return text(body, name, max_length=max_length) if body.get(name) is not None else None


def flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f"{name} must be true or false.", name)
    return value


def version_number(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not 1 <= value <= MAX_VERSION_NUMBER
    ):
        raise invalid(f"{name} must be a version number.", name)
    return value


def mapping(body: dict, name: str) -> dict:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"{name} must be a JSON object.", name)
    return value


def messages(body: dict, name: str = "messages") -> list[dict]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_MESSAGES:
        raise invalid(f"{name} must be a list of messages.", name)
    cleaned = []
    for index, message in enumerate(value):
        if isinstance(message, dict) and (
            message.get("tool_calls") or message.get("role") == "tool"
        ):
            # The gateway sends tools and returns the model's calls, but can't yet send a
            # call's result back (Anthropic needs them converted to tool_result blocks).
            raise invalid(
                "Tool results in messages (role “tool”, assistant tool_calls) are not "
                "supported by the gateway yet.",
                name,
            )
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise invalid(
                f"{name}[{index}] must be a message with a role (system, user, assistant).", name
            )
        body_text = message.get("content")
        if body_text is not None and not isinstance(body_text, str | list):
            raise invalid(f"{name}[{index}].content must be text or a list of parts.", name)
        cleaned.append({"role": message["role"], "content": body_text or ""})
    return cleaned


def names(body: dict, name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise invalid(f"{name} must be a list of model names.", name)
    return value


def tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("tags must be a list of strings.", "tags")
    return [tag[:100] for tag in value[:MAX_TAGS]]


def params(body: dict) -> dict:
    """The provider parameters present in the body (the provider checks their values)."""
    found = {key: body[key] for key in OPENAI_PARAMS if body.get(key) is not None}
    for key in ("max_tokens", "max_completion_tokens"):
        value = found.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise invalid(f"{key} must be a whole number above 0.", key)
    if "tools" in found:
        found["tools"] = tools(found["tools"])
    if "parallel_tool_calls" in found and not isinstance(found["parallel_tool_calls"], bool):
        raise invalid("parallel_tool_calls must be true or false.", "parallel_tool_calls")
    choice = found.get("tool_choice")
    if choice is not None and not (
        choice in ("auto", "none", "required")
        or (isinstance(choice, dict) and isinstance(choice.get("function"), dict))
    ):
        raise invalid(
            'tool_choice must be "auto", "none", "required" or '
            '{"type": "function", "function": {"name": ...}}.',
            "tool_choice",
        )
    for key in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
        value = found.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise invalid(f"{key} must be a number.", key)
    return found


def tools(value: Any) -> list[dict]:
    """OpenAI-format tools: [{"type": "function", "function": {"name", ...}}]."""
    if not isinstance(value, list):
        raise invalid("tools must be a list of tools.", "tools")
    for index, tool in enumerate(value):
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(function, dict)
            or tool.get("type", "function") != "function"
            or not isinstance(function.get("name"), str)
            or not function["name"]
        ):
            raise invalid(
                f'tools[{index}] must be {{"type": "function", "function": {{"name": ...}}}}.',
                "tools",
            )
        if function.get("parameters") is not None and not isinstance(function["parameters"], dict):
            raise invalid(f"tools[{index}].function.parameters must be a JSON schema.", "tools")
    return value


def unsupported(body: dict) -> None:
    if body.get("functions") or body.get("function_call"):
        raise invalid("Use tools and tool_choice instead of functions.", "functions")
    n = body.get("n")
    if n not in (None, 1):
        raise invalid("Only one choice per request (n=1) is supported.", "n")
