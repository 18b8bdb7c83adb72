"""What a caller asks the completion service for (every source: APIs, playground, evaluations)."""

from dataclasses import dataclass, field
from typing import Any

from workspaces.principal import Principal

# Tools in OpenAI's format ([{"type": "function", "function": {name, description,
# parameters}}]), whichever provider answers.
TOOL_PARAMS = ("tools", "tool_choice", "parallel_tool_calls")

# Parameters passed to providers; anything else in a model's defaults or a prompt's config is
# not a provider parameter (a prompt config may hold the model name, notes, ...).
OPENAI_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "response_format",
        "logit_bias",
        "reasoning_effort",
        *TOOL_PARAMS,
    }
)
# Anthropic gets the OpenAI-format tool parameters converted (upstream._anthropic_tools).
ANTHROPIC_PARAMS = frozenset(
    {"temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens", "stop", *TOOL_PARAMS}
)
PARAMS = OPENAI_PARAMS | ANTHROPIC_PARAMS


@dataclass
class CompletionRequest:
    principal: Principal
    source: str  # Completion.Source
    # The model or alias name; "" or "prompt": the prompt config's model.
    model: str = ""
    # Raw messages ([{"role", "content"}]) when no prompt is named; with a chat prompt they
    # fill its message placeholders.
    messages: list[dict] = field(default_factory=list)
    prompt_name: str = ""
    prompt_label: str | None = None
    prompt_version: int | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    placeholders: dict[str, list] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    fallbacks: list[str] | None = None
    stream: bool = False
    # Caller metadata, logged with the row.
    user_ref: str = ""
    session_id: str = ""
    trace_id: str = ""
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
