"""The OpenAI wire format: chat completions, their stream chunks, the model list and errors."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from gateway.fake_llm.demo_model import DEMO_MODELS, Answer

# HTTP status -> (error type, error code) of the error body.
_ERROR_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "unknown_url"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
}

# Valid SSE framing around JSON that stops in the middle of an object.
OPENAI_MALFORMED_EVENT = b'data: {"id": "chatcmpl-malformed", "choices": [{"delta": \n\n'


def openai_error(message: str, error_type: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def openai_status_error(status: int, message: str) -> dict[str, Any]:
    """The error body OpenAI sends with the given HTTP status."""
    error_type, code = _ERROR_KINDS.get(status, ("server_error", None))
    return openai_error(message, error_type, code)


def _finish_reason(answer: Answer) -> str:
    if answer.tool_call is not None:
        return "tool_calls"
    return "length" if answer.truncated else "stop"


def _tool_call(answer: Answer) -> dict[str, Any]:
    call = answer.tool_call or {}
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
    }


def openai_completion(model: str, answer: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text, "refusal": None}
    if answer.tool_call is not None:
        message.update(content=None, tool_calls=[_tool_call(answer)])
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _finish_reason(answer),
            }
        ],
        "usage": openai_usage(answer),
    }


def openai_usage(answer: Answer) -> dict[str, int]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.prompt_tokens + answer.completion_tokens,
    }


def openai_chunks(model: str, answer: Answer, include_usage: bool) -> Iterator[dict[str, Any]]:
    """The chat.completion.chunk objects of a stream, in order (without ``[DONE]``)."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
    }
    # With include_usage OpenAI sends "usage": null on every chunk but the last.
    extra: dict[str, Any] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**base, "choices": [choice], **extra}

    yield chunk({"role": "assistant", "content": ""})
    for piece in answer.pieces:
        yield chunk({"content": piece})
    if answer.tool_call is not None:
        # OpenAI streams a call as its id and name, then the arguments in fragments.
        call = _tool_call(answer)
        arguments = call["function"]["arguments"]
        head = {**call, "function": {"name": call["function"]["name"], "arguments": ""}}
        yield chunk({"tool_calls": [{"index": 0, **head}]})
        middle = len(arguments) // 2
        for part in (arguments[:middle], arguments[middle:]):
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": part}}]})
    yield chunk({}, _finish_reason(answer))
    if include_usage:
        yield {**base, "choices": [], "usage": openai_usage(answer)}


def openai_sse_events(model: str, answer: Answer, include_usage: bool) -> Iterator[bytes]:
    """The stream's server-sent events, ending with ``data: [DONE]``."""
    for chunk in openai_chunks(model, answer, include_usage):
        yield f"data: {json.dumps(chunk)}\n\n".encode()
    yield b"data: [DONE]\n\n"


def openai_models() -> dict[str, Any]:
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "promptops-local-demo"}
        for name in DEMO_MODELS
    ]
    return {"object": "list", "data": data}
