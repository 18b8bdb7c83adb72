"""The Anthropic wire format: messages, their stream events, the model list and errors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from gateway.fake_llm.demo_model import DEMO_MODELS, Answer

# HTTP status -> error type of the error body.
_ERROR_KINDS: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
}

# Valid SSE framing around JSON that stops in the middle of an object.
ANTHROPIC_MALFORMED_EVENT = (
    b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": \n\n'
)


def anthropic_error(message: str, error_type: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def anthropic_status_error(status: int, message: str) -> dict[str, Any]:
    """The error body Anthropic sends with the given HTTP status."""
    return anthropic_error(message, _ERROR_KINDS.get(status, "api_error"))


def _stop_reason(answer: Answer) -> str:
    if answer.tool_call is not None:
        return "tool_use"
    return "max_tokens" if answer.truncated else "end_turn"


def _tool_use(answer: Answer) -> dict[str, Any]:
    call = answer.tool_call or {}
    return {"type": "tool_use", "id": call["id"], "name": call["name"], "input": call["arguments"]}


def anthropic_message(model: str, answer: Answer) -> dict[str, Any]:
    content = [{"type": "text", "text": answer.text}]
    if answer.tool_call is not None:
        content = [_tool_use(answer)]
    return {
        "id": f"msg_{uuid.uuid4().hex}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _stop_reason(answer),
        "stop_sequence": None,
        "usage": {"input_tokens": answer.prompt_tokens, "output_tokens": answer.completion_tokens},
    }


def anthropic_events(model: str, answer: Answer) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs of an Anthropic message stream, in order."""
    start = anthropic_message(model, answer)
    start.update(content=[], stop_reason=None)
    start["usage"] = {"input_tokens": answer.prompt_tokens, "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    if answer.tool_call is not None:
        # A tool_use block: its input arrives as partial JSON in fragments.
        block = {**_tool_use(answer), "input": {}}
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        )
        yield "ping", {"type": "ping"}
        arguments = json.dumps(answer.tool_call["arguments"])
        middle = len(arguments) // 2
        for part in (arguments[:middle], arguments[middle:]):
            delta = {"type": "input_json_delta", "partial_json": part}
            yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    else:
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        yield "ping", {"type": "ping"}
        for piece in answer.pieces:
            delta = {"type": "text_delta", "text": piece}
            yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": _stop_reason(answer),
                "stop_sequence": None,
            },
            "usage": {
                "input_tokens": answer.prompt_tokens,
                "output_tokens": answer.completion_tokens,
            },
        },
    )
    yield "message_stop", {"type": "message_stop"}


def anthropic_sse_events(model: str, answer: Answer) -> Iterator[bytes]:
    """The stream's server-sent events, each named by an ``event:`` line."""
    for name, data in anthropic_events(model, answer):
        yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def anthropic_models() -> dict[str, Any]:
    data = [
        {
            "type": "model",
            "id": name,
            "display_name": f"Local demo model ({name})",
            "created_at": "2025-01-01T00:00:00Z",
        }
        for name in DEMO_MODELS
    ]
    return {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
