"""The deterministic "model": the reply to a conversation and its naive token counts.

One token per whitespace-separated word. Prompt tokens are the words of every message (and
the Anthropic ``system`` parameter); completion tokens are the words of the reply.
``max_tokens`` / ``max_completion_tokens`` truncate the reply to that many words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

REPLY_QUOTE_LIMIT = 200

# Listed by GET /v1/models: the echo, and one model per fault kind.
DEMO_MODELS = (
    "local-demo",
    "fake-slow",
    "fake-429",
    "fake-500",
    "fake-malformed",
    "fake-cut",
    "fake-hang",
)

# Words plus their trailing whitespace, so that joining the pieces gives the text back exactly.
_WORD_PIECES = re.compile(r"\S+\s*")


@dataclass(frozen=True)
class Answer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    truncated: bool  # cut by max_tokens
    # Set when the request offered tools: the answer calls the first one instead of replying
    # in text ({"id", "name", "arguments": dict}).
    tool_call: dict[str, Any] | None = None

    @property
    def pieces(self) -> list[str]:
        """The reply split into word chunks for streaming."""
        return _WORD_PIECES.findall(self.text)


def count_tokens(text: str) -> int:
    """One token per whitespace-separated word."""
    return len(text.split())


def content_text(content: Any) -> str:
    """Text of a message ``content``: a string or a list of parts (only text parts count)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return " ".join(texts)
    return ""


def demo_reply(user_text: str) -> str:
    """The reply for a user message: the same input always gives the same output."""
    quoted = " ".join(user_text.split())
    if len(quoted) > REPLY_QUOTE_LIMIT:
        quoted = quoted[:REPLY_QUOTE_LIMIT] + "..."
    words = count_tokens(user_text)
    unit = "word" if words == 1 else "words"
    return f'Local demo model reply to: "{quoted}" ({words} {unit}).'


def build_answer(messages: list[Any], system_text: str, max_tokens: int | None) -> Answer:
    texts = [system_text] + [
        content_text(m.get("content")) for m in messages if isinstance(m, dict)
    ]
    user_texts = [
        content_text(m.get("content"))
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user"
    ]
    reply = demo_reply(user_texts[-1] if user_texts else "")
    pieces = _WORD_PIECES.findall(reply)
    truncated = max_tokens is not None and 0 <= max_tokens < len(pieces)
    if truncated:
        reply = "".join(pieces[:max_tokens]).rstrip()
    return Answer(
        text=reply,
        prompt_tokens=sum(count_tokens(t) for t in texts),
        completion_tokens=count_tokens(reply),
        truncated=truncated,
    )


_EXAMPLE_VALUES = {
    "string": "example",
    "integer": 1,
    "number": 1,
    "boolean": True,
    "array": [],
    "object": {},
    "null": None,
}


def example_arguments(schema: Any) -> dict[str, Any]:
    """Arguments for a tool's JSON schema: each required property with an example value of
    its type (the first of an enum)."""
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = schema.get("required") if isinstance(schema.get("required"), list) else []
    arguments: dict[str, Any] = {}
    for name in required:
        spec = properties.get(name) if isinstance(properties.get(name), dict) else {}
        if isinstance(spec.get("enum"), list) and spec["enum"]:
            arguments[name] = spec["enum"][0]
            continue
        kind = spec.get("type", "string")
        if isinstance(kind, list):
            kind = kind[0] if kind else "string"
        arguments[name] = _EXAMPLE_VALUES.get(kind, "example")
    return arguments


def tool_answer(answer: Answer, tool_id: str, name: str, schema: Any) -> Answer:
    """The answer calling tool ``name`` (deterministic arguments, no text)."""
    arguments = example_arguments(schema)
    words = len(name.split()) + sum(count_tokens(str(v)) + 1 for v in arguments.values())
    return Answer(
        text="",
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=words,
        truncated=False,
        tool_call={"id": tool_id, "name": name, "arguments": arguments},
    )
