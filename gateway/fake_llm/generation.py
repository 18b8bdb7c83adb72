"""A generation request (chat completion or message), from either provider's request body.

Validates and parses the body, and picks the provider's wire format for error bodies and
streamed events; the HTTP handler in :mod:`gateway.fake_llm.server` sends them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.fake_llm.anthropic_format import (
    ANTHROPIC_MALFORMED_EVENT,
    anthropic_sse_events,
    anthropic_status_error,
)
from gateway.fake_llm.demo_model import Answer, build_answer, content_text, tool_answer
from gateway.fake_llm.faults import Fault
from gateway.fake_llm.openai_format import (
    OPENAI_MALFORMED_EVENT,
    openai_sse_events,
    openai_status_error,
)

Provider = Literal["openai", "anthropic"]


def provider_error(provider: Provider, status: int, message: str) -> dict[str, Any]:
    """An error body shaped like the provider's for the given HTTP status."""
    if provider == "anthropic":
        return anthropic_status_error(status, message)
    return openai_status_error(status, message)


@dataclass
class _ParsedRequest:
    provider: Provider
    model: str
    stream: bool
    answer: Answer
    include_usage: bool = False
    fault: Fault | None = field(default=None)


def _validate(provider: Provider, body: dict[str, Any]) -> str | None:
    """Return a message for the first missing/invalid required field, like the real APIs."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("messages"), list):
        return "messages: Field required"
    if provider == "anthropic" and not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    return None


def _parse_generation(provider: Provider, body: dict[str, Any]) -> _ParsedRequest:
    if provider == "openai":
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        system_text = ""
        stream_options = body.get("stream_options") or {}
        include_usage = bool(stream_options.get("include_usage"))
    else:
        max_tokens = body.get("max_tokens")
        system_text = content_text(body.get("system"))
        include_usage = False
    answer = build_answer(
        body["messages"], system_text, max_tokens if isinstance(max_tokens, int) else None
    )
    first_tool = _first_tool(provider, body.get("tools"))
    if first_tool is not None:
        answer = tool_answer(answer, *first_tool)
    return _ParsedRequest(
        provider=provider,
        model=body["model"],
        stream=bool(body.get("stream")),
        answer=answer,
        include_usage=include_usage,
    )


def _first_tool(provider: Provider, tools: Any) -> tuple[str, str, Any] | None:
    """(call id, name, parameter schema) of the first tool offered, in the provider's format."""
    if not isinstance(tools, list) or not tools or not isinstance(tools[0], dict):
        return None
    if provider == "openai":
        function = tools[0].get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return None
        return "call_demo_1", function["name"], function.get("parameters")
    if not isinstance(tools[0].get("name"), str):
        return None
    return "toolu_demo_1", tools[0]["name"], tools[0].get("input_schema")


def _sse_events(request: _ParsedRequest) -> Iterator[bytes]:
    if request.provider == "openai":
        yield from openai_sse_events(request.model, request.answer, request.include_usage)
    else:
        yield from anthropic_sse_events(request.model, request.answer)


def _malformed_event(provider: Provider) -> bytes:
    return OPENAI_MALFORMED_EVENT if provider == "openai" else ANTHROPIC_MALFORMED_EVENT
