"""What the visual editor holds.

The editor posts everything it holds on every request (a save, a preview, a draft, an
"Add message" button without JavaScript), so one parser reads that POST into an
EditorState; operations return a changed copy; drafts store it as JSON. What the page shows
about a state (highlights, variables, the preview) is worked out in editor_analysis.

POST fields: template_format, text (text prompts), m-<i>-kind / -role / -content / -name
(chat blocks, in index order), the ConfigForm fields, var-<name> (sample values),
ph-<name> (sample chat history, JSON), commit_message, base_number, newer_number, op.
"""

import re
from dataclasses import dataclass, field, replace
from typing import Any

from django.http import QueryDict

from .. import content, templating
from ..models import MAX_VERSION_NUMBER, Draft, Prompt, PromptVersion
from .forms import ConfigForm, config_fields_from

ROLES = content.ROLES
FORMATS = tuple(f.value for f in templating.TemplateFormat)
NEXT_ROLE = {"system": "user", "user": "assistant", "assistant": "user"}
MAX_BLOCKS = content.MAX_MESSAGES + 50  # past this the rest is dropped, not parsed
DRAFT_SHAPE = 1
SNIPPET_NAME = re.compile(r"^[A-Za-z0-9_./-]+$")
OP_PATTERN = re.compile(
    r"^(?P<name>add-message|add-placeholder|insert-snippet|preview|save|save-over"
    r"|remove|up|down)(?:-(?P<index>\d{1,4}))?$"
)
BLOCK_KEY = re.compile(r"^m-(\d{1,4})-kind$")


def _text(value: Any) -> str:
    """Browsers send textarea line breaks as CRLF; a prompt stores plain LF."""
    if not isinstance(value, str):
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Block:
    """One block of a chat prompt: a message, or a placeholder for messages given at run time."""

    kind: str = "message"  # "message" | "placeholder"
    role: str = "user"
    content: str = ""
    name: str = ""

    @property
    def is_placeholder(self) -> bool:
        return self.kind == "placeholder"

    def stored(self) -> dict:
        if self.is_placeholder:
            return {"type": "placeholder", "name": self.name.strip()}
        return {"role": self.role, "content": self.content}

    @classmethod
    def from_stored(cls, message: Any) -> "Block":
        if not isinstance(message, dict):
            return cls()
        if content.is_placeholder(message) or message.get("kind") == "placeholder":
            return cls(kind="placeholder", name=str(message.get("name", "")))
        role = message.get("role")
        return cls(
            role=role if role in ROLES else "user",
            content=_text(message.get("content", "")),
        )


@dataclass
class EditorState:
    prompt_type: str
    template_format: str = templating.DEFAULT_FORMAT.value
    text: str = ""
    blocks: list[Block] = field(default_factory=list)
    config_fields: dict[str, str] = field(default_factory=lambda: config_fields_from({}))
    samples: dict[str, str] = field(default_factory=dict)
    placeholder_samples: dict[str, str] = field(default_factory=dict)
    commit_message: str = ""
    base_number: int = 0

    @property
    def is_chat(self) -> bool:
        return self.prompt_type == Prompt.Type.CHAT

    def content(self) -> dict:
        if not self.is_chat:
            return {"text": self.text}
        return {"messages": [block.stored() for block in self.blocks]}

    def to_draft(self) -> dict:
        return {
            "shape": DRAFT_SHAPE,
            "template_format": self.template_format,
            "text": self.text,
            "blocks": [
                {"kind": b.kind, "role": b.role, "content": b.content, "name": b.name}
                for b in self.blocks
            ],
            "config": self.config_fields,
            "samples": self.samples,
            "placeholder_samples": self.placeholder_samples,
            "commit_message": self.commit_message,
        }

    def same_as(self, other: "EditorState") -> bool:
        """Same prompt (content, format, settings): what a saved version would hold."""
        return (
            self.content() == other.content()
            and self.template_format == other.template_format
            and self.config_fields == other.config_fields
        )


# --- Building a state ---------------------------------------------------------------------------


def latest_version(prompt: Prompt) -> PromptVersion | None:
    return (
        prompt.versions.select_related("author", "author_api_key")
        .filter(number=prompt.latest_version_number)
        .first()
    )


def state_from_version(prompt: Prompt, version: PromptVersion | None) -> EditorState:
    if version is None:
        blocks = [Block(role="system"), Block(role="user")] if prompt.type == "chat" else []
        return EditorState(prompt_type=prompt.type, blocks=blocks)
    stored = version.content or {}
    return EditorState(
        prompt_type=prompt.type,
        template_format=version.template_format,
        text=_text(stored.get("text", "")),
        blocks=[Block.from_stored(m) for m in stored.get("messages", [])],
        config_fields=config_fields_from(version.config or {}),
        base_number=version.number,
    )


def _string_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): _text(v) for k, v in value.items() if isinstance(v, str)}


def state_from_draft(prompt: Prompt, draft: Draft) -> EditorState:
    """A draft as it was typed; anything unreadable in it falls back to an empty value."""
    data = draft.data if isinstance(draft.data, dict) else {}
    fmt = data.get("template_format")
    blocks = data.get("blocks") if isinstance(data.get("blocks"), list) else []
    fields = config_fields_from({})
    fields.update({k: v for k, v in _string_dict(data.get("config")).items() if k in fields})
    return EditorState(
        prompt_type=prompt.type,
        template_format=fmt if fmt in FORMATS else templating.DEFAULT_FORMAT.value,
        text=_text(data.get("text", "")),
        blocks=[Block.from_stored(b) for b in blocks[:MAX_BLOCKS]],
        config_fields=fields,
        samples=_string_dict(data.get("samples")),
        placeholder_samples=_string_dict(data.get("placeholder_samples")),
        commit_message=_text(data.get("commit_message", "")),
        base_number=draft.base_number,
    )


def _int(value: Any, default: int = 0) -> int:
    """A version number from a post; anything else (including one too large to store, which
    only a tampered post holds) is the default."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if 0 <= number <= MAX_VERSION_NUMBER else default


def state_from_post(post: QueryDict, prompt: Prompt) -> EditorState:
    """Everything the editor posted, as typed. Nothing here refuses input: validation happens
    when saving, and the editor shows what it received either way."""
    fmt = post.get("template_format")
    indexes = sorted(int(m.group(1)) for key in post if (m := BLOCK_KEY.match(key)))
    blocks = []
    for i in indexes[:MAX_BLOCKS]:
        kind = "placeholder" if post.get(f"m-{i}-kind") == "placeholder" else "message"
        role = post.get(f"m-{i}-role")
        blocks.append(
            Block(
                kind=kind,
                role=role if role in ROLES else "user",
                content=_text(post.get(f"m-{i}-content", "")),
                name=post.get(f"m-{i}-name", "").strip(),
            )
        )
    return EditorState(
        prompt_type=prompt.type,
        template_format=fmt if fmt in FORMATS else templating.DEFAULT_FORMAT.value,
        text=_text(post.get("text", "")),
        blocks=blocks if prompt.type == Prompt.Type.CHAT else [],
        config_fields={name: _text(post.get(name, "")) for name in ConfigForm.base_fields},
        samples={k[4:]: _text(v) for k, v in post.items() if k.startswith("var-") and k[4:]},
        placeholder_samples={
            k[3:]: _text(v) for k, v in post.items() if k.startswith("ph-") and k[3:]
        },
        commit_message=post.get("commit_message", ""),
        base_number=_int(post.get("base_number"), prompt.latest_version_number),
    )


# --- Operations (the buttons that work without JavaScript) --------------------------------------


@dataclass(frozen=True)
class Op:
    name: str
    index: int | None = None


PREVIEW = Op("preview")


def op_from(post: QueryDict) -> Op:
    match = OP_PATTERN.match(post.get("op", ""))
    if not match:
        return PREVIEW
    index = match.group("index")
    if match.group("name") in ("remove", "up", "down") and index is None:
        return PREVIEW
    return Op(match.group("name"), int(index) if index is not None else None)


@dataclass
class OpResult:
    state: EditorState
    focus: str = ""  # id of the control to focus after the page re-renders
    problem: str = ""  # said next to the control that asked for the operation


def _free_placeholder_name(blocks: list[Block], wanted: str) -> str:
    taken = {b.name for b in blocks if b.is_placeholder}
    base = wanted or "history"
    if base not in taken:
        return base
    number = 2
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def apply_op(
    state: EditorState, op: Op, post: QueryDict, snippet_names: set[str] | None = None
) -> OpResult:
    """The editor after one button: a changed copy of the state, never saved."""
    blocks = list(state.blocks)
    if op.name == "add-message" and state.is_chat:
        last = next((b for b in reversed(blocks) if not b.is_placeholder), None)
        blocks.append(Block(role=NEXT_ROLE.get(last.role, "user") if last else "system"))
        return OpResult(replace(state, blocks=blocks), focus=f"m-{len(blocks) - 1}-content")
    if op.name == "add-placeholder" and state.is_chat:
        name = _free_placeholder_name(blocks, post.get("placeholder_name", "").strip())
        blocks.append(Block(kind="placeholder", name=name))
        return OpResult(replace(state, blocks=blocks), focus=f"m-{len(blocks) - 1}-name")
    if op.name == "insert-snippet":
        return _insert_snippet(state, post, snippet_names)
    if op.index is None or not 0 <= op.index < len(blocks):
        return OpResult(state)
    i = op.index
    if op.name == "remove":
        del blocks[i]
        focus = f"m-{min(i, len(blocks) - 1)}-content" if blocks else "add-message"
        return OpResult(replace(state, blocks=blocks), focus=focus)
    target = i - 1 if op.name == "up" else i + 1
    if not 0 <= target < len(blocks):
        return OpResult(state, focus=_move_focus(i, op.name, len(blocks)))
    blocks[i], blocks[target] = blocks[target], blocks[i]
    return OpResult(replace(state, blocks=blocks), focus=_move_focus(target, op.name, len(blocks)))


def _move_focus(index: int, direction: str, count: int) -> str:
    """Keep focus on the moved block's button, or its twin once that one is disabled at an end."""
    if count == 1:
        return f"m-{index}-remove"
    if direction == "up" and index == 0:
        return f"m-{index}-down"
    if direction == "down" and index == count - 1:
        return f"m-{index}-up"
    return f"m-{index}-{direction}"


def _insert_snippet(
    state: EditorState, post: QueryDict, snippet_names: set[str] | None
) -> OpResult:
    name = post.get("snippet", "").strip()
    if not name or not SNIPPET_NAME.match(name) or (snippet_names and name not in snippet_names):
        return OpResult(state, focus="snippet", problem="Choose a snippet to insert.")
    reference = "{{> " + name + "}}"
    if not state.is_chat:
        separator = "\n" if state.text and not state.text.endswith("\n") else ""
        return OpResult(replace(state, text=state.text + separator + reference), focus="text")
    messages = [i for i, b in enumerate(state.blocks) if not b.is_placeholder]
    if not messages:
        return OpResult(state, focus="snippet", problem="Add a message to insert the snippet into.")
    chosen = _int(post.get("snippet_target"), -1)
    index = chosen if chosen in messages else messages[-1]
    blocks = list(state.blocks)
    old = blocks[index].content
    separator = "\n" if old and not old.endswith("\n") else ""
    blocks[index] = replace(blocks[index], content=old + separator + reference)
    return OpResult(replace(state, blocks=blocks), focus=f"m-{index}-content")
