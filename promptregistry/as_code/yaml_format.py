"""Prompts as code: one YAML file per prompt, written by the export and read by `promptops push`.

    name: support/triage        # the full name: the file lives at support/triage.yaml
    kind: prompt                # prompt | snippet
    type: chat                  # chat | text (a snippet is always text)
    template_format: mustache   # mustache | fstring | jinja2
    description: Sorts incoming tickets.
    tags:
      - support
    labels:                     # labels on this content when exported (push ignores them)
      - production
    config:                     # keys sorted at every level
      model: gpt-4o-mini
      temperature: 0.2
    messages:                   # or `text:` for a text prompt or a snippet
      - role: system
        content: |
          You sort support tickets for {{product}}.
          Be brief.
      - type: placeholder
        name: history

Output is deterministic (same state, same bytes) and multi-line text is a `|` block scalar so a
git diff reads like the prompt. Dumping then parsing gives back exactly what was dumped (a round
trip changes nothing: push compares with `same_version`).

No Django here: the `promptops` command line imports this module without a configured project.
"""

import json
import math
from dataclasses import dataclass, field
from typing import Any

import yaml

KINDS = ("prompt", "snippet")
TYPES = ("chat", "text")
TEMPLATE_FORMATS = ("mustache", "fstring", "jinja2")
ROLES = ("system", "user", "assistant")
FIELDS = (
    "name",
    "kind",
    "type",
    "template_format",
    "description",
    "tags",
    "labels",
    "config",
    "messages",
    "text",
)
SUFFIX = ".yaml"


@dataclass(frozen=True)
class PromptFile:
    """One prompt's newest version and details, as a file holds them."""

    name: str
    content: dict  # {"text": str} or {"messages": [{"role", "content"} | {"type", "name"}]}
    kind: str = "prompt"
    type: str = "chat"
    template_format: str = "mustache"
    description: str = ""
    tags: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)

    @property
    def path(self) -> str:
        """Where the file lives inside an export or a checkout."""
        return self.name + SUFFIX

    def version_key(self) -> str:
        """What makes a new version: content, config and template format, compared exactly
        (json with sorted keys, so 1 and 1.0 and true differ as they do once stored)."""
        return json.dumps(
            [self.content, self.config, self.template_format], sort_keys=True, ensure_ascii=False
        )

    def same_version(self, other: "PromptFile") -> bool:
        return self.version_key() == other.version_key()


class PromptFileError(ValueError):
    """A file that isn't a valid prompt file; the message names the file and the field."""

    def __init__(self, source: str, message: str, field: str | None = None):
        self.source = source
        self.field = field
        self.message = message
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {message}")


# Writing ---------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line text, no anchors, no line folding."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def analyze_scalar(self, scalar: str):
        # PyYAML refuses block style when a line holds a tab; YAML allows tabs as content of a
        # literal block (only indentation must be spaces), and prompts do contain tabs.
        analysis = super().analyze_scalar(scalar.replace("\t", " "))
        if "\t" in scalar:
            plain = super().analyze_scalar(scalar)
            analysis.allow_flow_plain = plain.allow_flow_plain
            analysis.allow_block_plain = plain.allow_block_plain
            analysis.allow_single_quoted = plain.allow_single_quoted
        analysis.scalar = scalar
        return analysis

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        # Indent list items under their key (`messages:\n  - role: ...`), as most editors do.
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Text with a line break between visible lines reads best as a block; "\n\n" or "Hi\n"
    # stays quoted (a block of blank lines is harder to read than its escape).
    style = "|" if "\n" in value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _sorted_config(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_config(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted_config(item) for item in value]
    return value


def _message_out(message: dict) -> dict:
    if message.get("type") == "placeholder":
        return {"type": "placeholder", "name": message["name"]}
    return {"role": message["role"], "content": message["content"]}


def dump(prompt: PromptFile) -> str:
    """The file's text: fields in a fixed order, config keys sorted, tags and labels sorted."""
    data: dict[str, Any] = {
        "name": prompt.name,
        "kind": prompt.kind,
        "type": prompt.type,
        "template_format": prompt.template_format,
        "description": prompt.description,
        "tags": sorted(prompt.tags),
        "labels": sorted(prompt.labels),
        "config": _sorted_config(prompt.config),
    }
    if "text" in prompt.content:
        data["text"] = prompt.content["text"]
    else:
        data["messages"] = [_message_out(m) for m in prompt.content.get("messages", [])]
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )


# Reading ---------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe loading; dates stay text (config is JSON) and a key given twice is an error."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            continue  # the base constructor reports unhashable keys itself
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"“{key}” is given twice", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse(text: str, source: str = "<prompt>") -> PromptFile:
    """The prompt a file describes, or PromptFileError naming `source` and the field."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise PromptFileError(source, f"isn't valid YAML: {problem}{where}") from error
    if not isinstance(data, dict):
        raise PromptFileError(
            source, "expected a prompt file: a mapping with name, type and messages or text"
        )
    unknown = sorted(str(key) for key in data if key not in FIELDS)
    if unknown:
        raise PromptFileError(
            source,
            f"unknown field (expected {', '.join(FIELDS)})",
            field=unknown[0],
        )
    reader = _Reader(source, data)
    name = reader.text_field("name", required=True).strip()
    if not name:
        raise PromptFileError(source, "the prompt needs a name, e.g. support/triage", "name")
    kind = reader.choice("kind", KINDS, default="prompt")
    default_type = "text" if "text" in data or kind == "snippet" else "chat"
    prompt_type = reader.choice("type", TYPES, default=default_type)
    if kind == "snippet" and prompt_type != "text":
        raise PromptFileError(source, "a snippet is always text", "type")
    return PromptFile(
        name=name,
        kind=kind,
        type=prompt_type,
        template_format=reader.choice("template_format", TEMPLATE_FORMATS, default="mustache"),
        description=reader.text_field("description"),
        tags=reader.names("tags"),
        labels=reader.names("labels"),
        config=reader.config(),
        content=reader.content(prompt_type),
    )


class _Reader:
    def __init__(self, source: str, data: dict):
        self.source = source
        self.data = data

    def error(self, field: str, message: str) -> PromptFileError:
        return PromptFileError(self.source, message, field)

    def text_field(self, key: str, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "is missing")
            return ""
        if not isinstance(value, str):
            raise self.error(key, f"must be text, not {_kind_of(value)} (put it in quotes)")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if value not in options:
            raise self.error(key, f"must be one of {', '.join(options)}, not {value!r}")
        return value

    def names(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(key, "must be a list of names, e.g. [support, billing]")
        return sorted(set(value))

    def config(self) -> dict:
        value = self.data.get("config")
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error("config", "must be a mapping, e.g. {model: gpt-4o, temperature: 0.2}")
        _check_json(self, value, "config")
        return value

    def content(self, prompt_type: str) -> dict:
        has_text, has_messages = "text" in self.data, "messages" in self.data
        if has_text and has_messages:
            raise self.error("messages", "give either text (a text prompt) or messages, not both")
        if prompt_type == "text":
            if has_messages:
                raise self.error("messages", "a text prompt has text, not messages")
            if not has_text:
                raise self.error("text", "is missing")
            return {"text": self.text_field("text", required=True)}
        if has_text:
            raise self.error("text", "a chat prompt has messages, not text")
        messages = self.data.get("messages")
        if not isinstance(messages, list) or not messages:
            raise self.error("messages", "a chat prompt needs a list of at least one message")
        return {"messages": [self.message(i, m) for i, m in enumerate(messages, start=1)]}

    def message(self, position: int, message: Any) -> dict:
        where = f"messages[{position}]"
        if not isinstance(message, dict):
            raise self.error(where, "must be a mapping with role and content")
        if message.get("type") == "placeholder":
            extra = sorted(str(k) for k in message if k not in ("type", "name"))
            if extra:
                raise self.error(f"{where}.{extra[0]}", "a placeholder has only type and name")
            name = message.get("name")
            if not isinstance(name, str) or not name.isidentifier():
                raise self.error(
                    f"{where}.name", "a placeholder needs a name of letters, digits and _"
                )
            return {"type": "placeholder", "name": name}
        extra = sorted(str(k) for k in message if k not in ("role", "content"))
        if extra:
            raise self.error(
                f"{where}.{extra[0]}",
                "unknown field (a message has role and content; a placeholder has "
                "type: placeholder and name)",
            )
        role = message.get("role")
        if role not in ROLES:
            raise self.error(f"{where}.role", f"must be one of {', '.join(ROLES)}")
        content = message.get("content")
        if not isinstance(content, str):
            raise self.error(
                f"{where}.content",
                "is missing" if content is None else "must be text (put it in quotes)",
            )
        return {"role": role, "content": content}


def _check_json(reader: _Reader, value: Any, where: str) -> None:
    """Config is stored as JSON: text keys, and values JSON can hold."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise reader.error(f"{where}.{key}", "keys must be text (put the key in quotes)")
            _check_json(reader, item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(reader, item, f"{where}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise reader.error(where, "must be a finite number")
    elif not isinstance(value, str | int | float | bool) and value is not None:
        raise reader.error(where, f"can't hold {_kind_of(value)}")


def _kind_of(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a mapping",
        bytes: "binary data",
    }.get(type(value), type(value).__name__)
