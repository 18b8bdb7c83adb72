"""What the editor shows about what it holds: highlighted text, the variables the template
needs, problems next to the block they belong to, and the live preview.

The preview renders through the same engine as the API (snippets resolved first with
snippet_refs.resolve_snippets, then templating.render / render_messages), so what the author
sees is what an application gets.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from workspaces.principal import Principal

from .. import content, diffing, rendering, snippet_refs, templating
from ..models import Prompt, PromptVersion
from ..templating.parsing import unclosed_mustache_tags
from .state import Block, EditorState

PLACEHOLDER_NAME_HELP = "Name the chat history with letters, digits and “_”, e.g. history."
HISTORY_EXAMPLE = '[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]'


@dataclass
class BlockView:
    index: int
    block: Block
    tokens: list[tuple[str, str]]
    error: str = ""
    focus: str = ""  # "content", "name", "up" or "down": what to focus after a re-render
    warning: str = ""  # saved anyway, but probably not what the author meant

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def index_str(self) -> str:
        return str(self.index)


@dataclass
class SampleRow:
    name: str
    value: str
    error: str = ""


# The preview marks where sample values went and where one is still missing. The values are
# passed to the engine wrapped in these private-use characters, which prompts don't contain.
VALUE_START, VALUE_END, MISSING_START, MISSING_END = "\ue000", "\ue001", "\ue002", "\ue003"
MARKERS = re.compile("\ue000([^\ue000-\ue003]*)\ue001|\ue002([^\ue000-\ue003]*)\ue003")


def _segments(text: str) -> list[tuple[str, str]]:
    """("text" | "value" | "missing", chunk) pieces of a rendered text."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in MARKERS.finditer(text):
        if match.start() > position:
            pieces.append(("text", text[position : match.start()]))
        if match.group(1) is not None:
            pieces.append(("value", match.group(1)))
        else:
            pieces.append(("missing", match.group(2)))
        position = match.end()
    pieces.append(("text", text[position:]))
    stray = re.compile("[\ue000-\ue003]")
    return [(kind, stray.sub("", chunk)) for kind, chunk in pieces if chunk]


@dataclass
class PreviewMessage:
    role: str | None
    text: str = ""
    placeholder: str = ""  # a placeholder nobody gave sample messages for
    from_history: str = ""  # name of the placeholder these sample messages came from

    @property
    def segments(self) -> list[tuple[str, str]]:
        if self.from_history:
            return _clip([("text", self.text)] if self.text else [])
        return _clip(_segments(self.text))


# A huge prompt would otherwise be on the page three times (textarea, highlighted copy,
# preview): past these sizes the copy is left out and the preview shows the beginning.
HIGHLIGHT_LIMIT = 20_000
PREVIEW_LIMIT = 20_000


def _clip(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first PREVIEW_LIMIT characters, then a ("cut", "… N more characters") piece."""
    total = sum(len(chunk) for _, chunk in pieces)
    if total <= PREVIEW_LIMIT:
        return pieces
    out, shown = [], 0
    for kind, chunk in pieces:
        if shown >= PREVIEW_LIMIT:
            break
        out.append((kind, chunk[: PREVIEW_LIMIT - shown]))
        shown += len(out[-1][1])
    out.append(("cut", f"… {total - shown:,} more characters, not shown in the preview"))
    return out


def _highlight(text: str, fmt: str) -> list[tuple[str, str]]:
    return templating.tokenize_for_highlight(text, fmt) if len(text) <= HIGHLIGHT_LIMIT else []


def size_problem(text: str, what: str) -> str:
    """The editor's own limit, said next to the block (the API has its own, see content)."""
    if len(text) <= content.MAX_TEXT:
        return ""
    split = ", or split it into several messages" if what == "This message" else ""
    return (
        f"{what} is {len(text):,} characters long; it may hold at most {content.MAX_TEXT:,}. "
        f"Shorten it{split}."
    )


@dataclass
class Preview:
    messages: list[PreviewMessage] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str = ""
    where: str = ""  # "Message 2" when the error belongs to one message

    @property
    def ok(self) -> bool:
        return not self.missing and not self.error


@dataclass
class Analysis:
    blocks: list[BlockView]
    text_tokens: list[tuple[str, str]]
    text_error: str
    variables: list[SampleRow]
    placeholders: list[SampleRow]
    unused: list[SampleRow]
    problem: str  # about the prompt as a whole, e.g. a name used twice
    preview: Preview
    text_warning: str = ""

    @property
    def names_key(self) -> str:
        """Which rows the variables panel has: the page swaps the panel only when this changes,
        so nobody loses the sample value they are typing."""
        parts = [
            ",".join(r.name for r in self.variables),
            ",".join(r.name for r in self.placeholders),
            ",".join(r.name for r in self.unused),
            str(bool(self.problem)),
        ]
        return "|".join(parts)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """(where, what) for every problem that stops a save."""
        found = [(f"Message {v.number}", v.error) for v in self.blocks if v.error]
        if self.text_error:
            found.append(("Prompt text", self.text_error))
        if self.problem:
            found.append(("Messages", self.problem))
        return found

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """(where, what) for what is saved as written but looks like a typo."""
        found = [(f"Message {v.number}", v.warning) for v in self.blocks if v.warning]
        if self.text_warning:
            found.append(("Prompt text", self.text_warning))
        return found

    @property
    def filled(self) -> int:
        return sum(1 for row in self.variables if row.value != "")


def _resolve(
    principal: Principal, prompt: Prompt, text: str, resolution: templating.Resolution
) -> tuple[str, str]:
    """The text with snippet references replaced as the author may read them (a snippet they
    can't see is "not found", so the preview never shows restricted text), and the reason
    when that fails. One `resolution` for all blocks: their total size is bounded together."""
    if "{{" not in text and "@@@" not in text:
        return text, ""
    try:
        resolved = snippet_refs.resolve_snippets(
            principal=principal, name=prompt.name, text=text, resolution=resolution
        )
    except templating.TemplateError as error:
        return text, str(error)
    return resolved, ""


def _variables(text: str, fmt: str) -> tuple[list[str], str]:
    try:
        return content.variables_of({"text": text}, fmt), ""
    except templating.TemplateError as error:
        return [], str(error)


def unclosed_warning(text: str, fmt: str) -> str:
    """Mustache sends an unclosed {{ as plain text; say so, since it is usually a typo.
    (In f-string and Jinja2 an unclosed brace or block is a syntax error already.)"""
    if fmt != templating.TemplateFormat.MUSTACHE:
        return ""
    tags = unclosed_mustache_tags(text)
    if not tags:
        return ""
    quoted = ", ".join(f"“{tag}”" for tag in tags[:3]) + (" …" if len(tags) > 3 else "")
    return (
        f"{quoted} {'is' if len(tags) == 1 else 'are'} never closed, so the model gets the "
        "braces as plain text. Close a variable with }}, e.g. {{name}}."
    )


def parse_history(raw: str) -> tuple[list[dict] | None, str]:
    """A sample chat history typed as JSON, or why it can't be used."""
    if not raw.strip():
        return None, ""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        return None, (
            f"This isn't valid JSON ({error.msg}, line {error.lineno}). "
            f"Write a list of messages, like {HISTORY_EXAMPLE}"
        )
    if not isinstance(value, list):
        return None, f"Write a list of messages in square brackets, like {HISTORY_EXAMPLE}"
    for position, item in enumerate(value, start=1):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("role"), str)
            and isinstance(item.get("content"), str)
        ):
            return None, f"Message {position} needs a “role” and a “content” text."
    return value, ""


def _sample_values(state: EditorState) -> dict[str, Any]:
    """Sample values worth rendering with: an empty box means "no value yet", not "empty"."""
    values: dict[str, Any] = {}
    for name, typed in state.samples.items():
        raw = re.sub("[\ue000-\ue003]", "", typed)
        if raw == "":
            continue
        value: Any = raw
        # Jinja2 templates may loop over lists or read keys: JSON there is data, not text.
        if state.template_format == "jinja2" and raw.lstrip()[:1] in ("[", "{"):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                value = raw
        values[name] = value
    return values


def analyse(principal: Principal, prompt: Prompt, state: EditorState) -> Analysis:
    fmt = state.template_format
    resolution = templating.Resolution()
    names: list[str] = []
    views: list[BlockView] = []
    resolved_texts: list[str | None] = []
    text_tokens: list[tuple[str, str]] = []
    text_error = text_warning = ""
    if state.is_chat:
        for index, block in enumerate(state.blocks):
            if block.is_placeholder:
                error = "" if block.name.isidentifier() else PLACEHOLDER_NAME_HELP
                views.append(BlockView(index, block, [], error))
                resolved_texts.append(None)
                continue
            resolved, error = _resolve(principal, prompt, block.content, resolution)
            found, syntax = _variables(resolved, fmt)
            names.extend(found)
            views.append(
                BlockView(
                    index,
                    block,
                    _highlight(block.content, fmt),
                    size_problem(block.content, "This message") or error or syntax,
                    warning=unclosed_warning(block.content, fmt),
                )
            )
            resolved_texts.append(resolved)
    else:
        resolved, error = _resolve(principal, prompt, state.text, resolution)
        found, syntax = _variables(resolved, fmt)
        names.extend(found)
        text_tokens = _highlight(state.text, fmt)
        text_error = size_problem(state.text, "The text") or error or syntax
        text_warning = unclosed_warning(state.text, fmt)
        resolved_texts.append(resolved)
    names = list(dict.fromkeys(names))
    placeholder_names = list(
        dict.fromkeys(b.name for b in state.blocks if b.is_placeholder and b.name.isidentifier())
    )
    problem = _problem(state, names, placeholder_names)
    variables = [SampleRow(n, state.samples.get(n, "")) for n in names]
    histories = {}
    placeholders = []
    for name in placeholder_names:
        raw = state.placeholder_samples.get(name, "")
        parsed, error = parse_history(raw)
        if parsed is not None:
            histories[name] = parsed
        placeholders.append(SampleRow(name, raw, error))
    unused = [SampleRow(n, v) for n, v in state.samples.items() if v != "" and n not in set(names)]
    analysis = Analysis(
        blocks=views,
        text_tokens=text_tokens,
        text_error=text_error,
        variables=variables,
        placeholders=placeholders,
        unused=unused,
        problem=problem,
        preview=Preview(),
        text_warning=text_warning,
    )
    analysis.preview = _preview(state, analysis, resolved_texts, histories)
    return analysis


def _problem(state: EditorState, names: list[str], placeholders: list[str]) -> str:
    if state.is_chat and not state.blocks:
        return "A chat prompt needs at least one message: add one."
    clash = sorted(set(names) & set(placeholders))
    if clash:
        return "A variable and a chat history can't share a name: " + ", ".join(clash) + "."
    taken = [b.name for b in state.blocks if b.is_placeholder and b.name]
    twice = sorted({n for n in taken if taken.count(n) > 1})
    if twice:
        return "Two chat histories are called " + ", ".join(twice) + ": rename one."
    return ""


def _preview(
    state: EditorState,
    analysis: Analysis,
    resolved_texts: list[str | None],
    histories: dict[str, list[dict]],
) -> Preview:
    for view in analysis.blocks:
        if view.error:
            return Preview(error=view.error, where=f"Message {view.number}")
    if analysis.text_error:
        return Preview(error=analysis.text_error)
    if analysis.problem:
        return Preview(error=analysis.problem)
    values = _sample_values(state)
    # Mustache and f-string insert values as they are, so marking them is safe; Jinja2 may
    # transform a value (|upper, |length), so its values go in unmarked.
    marked = state.template_format != "jinja2"
    if marked:
        values = {name: f"{VALUE_START}{value}{VALUE_END}" for name, value in values.items()}
    missing: list[str] = []
    try:
        rendered = _render(state, resolved_texts, values, histories)
    except templating.MissingVariablesError as error:
        missing = error.names
        if not marked:
            return Preview(missing=missing)
        # Render again with each missing name shown where it goes, so the author still sees
        # the whole prompt while filling in the values.
        values |= {name: f"{MISSING_START}{name}{MISSING_END}" for name in missing}
        try:
            rendered = _render(state, resolved_texts, values, histories)
        except templating.TemplateError:
            return Preview(missing=missing)
    except templating.TemplateError as error:
        where = f"Message {error.message_index + 1}" if error.message_index is not None else ""
        return Preview(error=str(error), where=where)
    if not state.is_chat:
        return Preview(messages=[PreviewMessage(None, rendered[0]["content"])], missing=missing)
    return Preview(messages=_label_history(state.blocks, rendered, histories), missing=missing)


def _render(
    state: EditorState,
    resolved_texts: list[str | None],
    values: dict[str, Any],
    histories: dict[str, list[dict]],
) -> list[dict]:
    fmt = state.template_format
    if not state.is_chat:
        return [{"role": None, "content": templating.render(resolved_texts[0] or "", fmt, values)}]
    messages = [
        b.stored() if b.is_placeholder else {"role": b.role, "content": resolved_texts[i]}
        for i, b in enumerate(state.blocks)
    ]
    return templating.render_messages(
        messages, fmt, values, histories, allow_missing_placeholders=True
    )


def _label_history(
    blocks: list[Block], rendered: list[dict], histories: dict[str, list[dict]]
) -> list[PreviewMessage]:
    """Rendered messages, marking which came from a sample chat history."""
    out: list[PreviewMessage] = []
    position = 0
    for block in blocks:
        if block.is_placeholder and block.name in histories:
            for message in rendered[position : position + len(histories[block.name])]:
                out.append(
                    PreviewMessage(
                        str(message.get("role")),
                        str(message.get("content")),
                        from_history=block.name,
                    )
                )
            position += len(histories[block.name])
        elif block.is_placeholder:
            out.append(PreviewMessage(None, placeholder=block.name))
            position += 1
        else:
            message = rendered[position]
            out.append(PreviewMessage(message["role"], message["content"]))
            position += 1
    return out


# --- Saving ---------------------------------------------------------------------------------------

MESSAGE_POSITION = re.compile(r"^Message (\d+)\b")


def place_errors(error: ValidationError, analysis: Analysis, forms: dict) -> list[str]:
    """Put a service's ValidationError next to the block or field it is about; what belongs
    nowhere in particular comes back, to be shown above the editor."""
    general: list[str] = []
    items = error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
    for key, messages in items:
        for message in messages:
            match = MESSAGE_POSITION.match(message) if key == "messages" else None
            if match and 0 < int(match.group(1)) <= len(analysis.blocks):
                analysis.blocks[int(match.group(1)) - 1].error = message
            elif key == "content" and not analysis.blocks:
                analysis.text_error = message
            elif key in forms:
                forms[key].add_error(key if key in forms[key].fields else None, message)
            else:
                general.append(message)
    return general


def conflict_diff(newer: PromptVersion, state: EditorState, config: dict) -> diffing.VersionDiff:
    """The newer saved version (left) against what the editor holds (right)."""
    kind = "chat" if state.is_chat else "text"
    return diffing.diff_versions(
        diffing.VersionSnapshot.from_dicts(
            newer.content, newer.config, newer.template_format, kind=kind
        ),
        diffing.VersionSnapshot.from_dicts(
            state.content(), config, state.template_format, kind=kind
        ),
    )


def mark_focus(analysis: Analysis, focus: str) -> None:
    """Tell the block holding the control named `focus` (an id like "m-2-up") to focus it."""
    for view in analysis.blocks:
        prefix = f"m-{view.index}-"
        if focus.startswith(prefix):
            view.focus = focus[len(prefix) :]


def saved_warnings(
    principal: Principal, prompt: Prompt, state: EditorState, version: PromptVersion
) -> list[str]:
    """What to tell the author about a version that was saved but may not work: it can't be
    rendered with their sample values, or a tag was left unclosed."""
    found = []
    problem = rendering.render_problem(
        principal=principal,
        name=prompt.name,
        stored=version.content,
        template_format=version.template_format,
        values=_sample_values(state),
    )
    if problem:
        found.append(
            f"Version {version.number} can't be rendered with your sample values: {problem} "
            "Applications that fetch it with variables get an error, and protected labels "
            "such as production can't point at it. Fix it and save again."
        )
    analysis = analyse(principal, prompt, state)
    found += [f"{where}: {what}" for where, what in analysis.warnings]
    return found
