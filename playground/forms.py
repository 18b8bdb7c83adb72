"""The playground's one input boundary: the set-up form (left pane, variables, grid, columns),
the follow-up message and the diff's two columns. The page's dynamic fields are named
msg-<i>-role / msg-<i>-content, var-<name> and col-<i>-<field>."""

import json
import math
import re

from django import forms

from gateway.completion import GatewayError, parsing
from promptregistry import templating
from promptregistry.content import json_problem, text_problem

from .models import MAX_COLUMNS
from .setup import RESPONSE_FORMATS, Column, Setup

MAX_MESSAGES = 40
MAX_FIELD = 100_000
ROLES = ("system", "user", "assistant")
FORMATS = [(f.value, f.value) for f in templating.TemplateFormat]
_VAR = re.compile(r"^var-(.{1,100})$")


def _number(data, key: str, kind, low: float, high: float, errors: dict):
    raw = (data.get(key) or "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        errors[key] = "Enter a number."
        return None
    if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        errors[key] = f"Between {low:g} and {high:g}."
        return None
    return value


def _json_text(data, key: str, kind: type, what: str, errors: dict) -> str:
    raw = (data.get(key) or "").strip()
    if not raw:
        return ""
    try:
        value = json.loads(raw)
    except ValueError as error:
        errors[key] = f"Not valid JSON: {error}."
        return raw
    if not isinstance(value, kind):
        errors[key] = f"Write {what}."
    elif problem := json_problem(value):
        errors[key] = problem
    return raw


class SetupForm(forms.Form):
    prompt = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    base_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    prompt_type = forms.ChoiceField(
        choices=[("chat", "Chat"), ("text", "Text")], initial="chat", widget=forms.HiddenInput
    )
    template_format = forms.ChoiceField(choices=FORMATS, initial="mustache", label="Format")
    title = forms.CharField(required=False, max_length=200)
    text = forms.CharField(required=False, max_length=MAX_FIELD, strip=False)
    grid = forms.CharField(required=False, max_length=MAX_FIELD, strip=False)
    commit_message = forms.CharField(required=False, max_length=500, label="Version message")
    save_column = forms.IntegerField(required=False, min_value=0, max_value=MAX_COLUMNS - 1)

    def __init__(self, *args, models: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.models = models or []
        self.dynamic_errors: dict[str, str] = {}

    def clean(self):
        cleaned = super().clean()
        data, errors = self.data, self.dynamic_errors
        for name in ("text", "grid", "title", "commit_message"):
            if problem := text_problem(cleaned.get(name) or ""):
                self.add_error(name, problem)
        if cleaned.get("prompt_type") == "text":
            content = {"text": cleaned.get("text") or ""}
        else:
            content = {"messages": self._messages(data, errors)}
        variables = {}
        for key in data:
            match = _VAR.match(key)
            if match:
                value = data.get(key, "")[:MAX_FIELD]
                if problem := text_problem(value):
                    errors[key] = problem
                variables[match.group(1)] = value
        columns = self._columns(data, errors)
        if not columns:
            errors["col-0-model"] = "Pick a model for at least one column."
        if errors:
            raise forms.ValidationError("Check the highlighted fields.")
        self.setup = Setup(
            prompt=cleaned.get("prompt") or "",
            base_version=cleaned.get("base_version"),
            prompt_type=cleaned.get("prompt_type") or "chat",
            template_format=cleaned.get("template_format") or "mustache",
            content=content,
            variables=variables,
            grid=cleaned.get("grid") or "",
            columns=columns,
            title=cleaned.get("title") or "",
        )
        return cleaned

    def _messages(self, data, errors: dict) -> list[dict]:
        messages = []
        for i in range(MAX_MESSAGES):
            placeholder = data.get(f"msg-{i}-placeholder")
            if placeholder:
                messages.append({"type": "placeholder", "name": placeholder[:100]})
                continue
            role, content = data.get(f"msg-{i}-role"), data.get(f"msg-{i}-content")
            if role is None and content is None:
                continue
            if role not in ROLES:
                errors[f"msg-{i}-role"] = "Pick system, user or assistant."
            content = (content or "")[:MAX_FIELD]
            if problem := text_problem(content):
                errors[f"msg-{i}-content"] = problem
            messages.append({"role": role, "content": content})
        if not messages:
            errors["msg-0-content"] = "Write at least one message."
        return messages

    def _columns(self, data, errors: dict) -> list[Column]:
        columns = []
        for i in range(MAX_COLUMNS):
            model = (data.get(f"col-{i}-model") or "").strip()
            if not model:
                continue
            p = f"col-{i}-"
            if self.models and model not in self.models:
                errors[p + "model"] = f"No model or alias named “{model[:200]}” here."
            version = _number(data, p + "version", int, 1, 10**9, errors)
            response_format = data.get(p + "response_format") or ""
            if response_format not in RESPONSE_FORMATS:
                errors[p + "response_format"] = "Pick text, JSON object or JSON schema."
            column = Column(
                model=model[:200],
                version=version,
                temperature=_number(data, p + "temperature", float, 0, 2, errors),
                max_tokens=_number(data, p + "max_tokens", int, 1, 200_000, errors),
                top_p=_number(data, p + "top_p", float, 0, 1, errors),
                response_format=response_format,
                json_schema=_json_text(data, p + "json_schema", dict, "a JSON object", errors),
                tools=_json_text(data, p + "tools", list, "a JSON list of tools", errors),
            )
            if column.tools and p + "tools" not in errors:
                try:
                    parsing.tools(json.loads(column.tools))
                except GatewayError as error:
                    errors[p + "tools"] = error.message
            if response_format == "json_schema" and not column.json_schema:
                errors[p + "json_schema"] = "Write the JSON schema the answer must follow."
            columns.append(column)
        return columns


class ContinueForm(forms.Form):
    message = forms.CharField(max_length=MAX_FIELD, label="Next user message")

    def clean_message(self):
        message = self.cleaned_data["message"]
        if problem := text_problem(message):
            raise forms.ValidationError(problem)
        return message


class DiffForm(forms.Form):
    a = forms.IntegerField(min_value=1, label="Compare")
    b = forms.IntegerField(min_value=1, label="with")


class AddToDatasetForm(forms.Form):
    dataset = forms.IntegerField(required=False, min_value=1)
    new_dataset = forms.CharField(required=False, max_length=200, label="or a new dataset")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("dataset") and not (cleaned.get("new_dataset") or "").strip():
            raise forms.ValidationError("Pick a dataset, or name a new one.")
        return cleaned


class DatasetPickForm(forms.Form):
    """The dataset (and for a dataset run, the evaluators) picked on the set-up form."""

    dataset = forms.IntegerField(min_value=1, error_messages={"required": "Pick a dataset."})
    evaluators = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    eval_column = forms.IntegerField(required=False, min_value=0, max_value=MAX_COLUMNS - 1)

    def __init__(self, *args, evaluator_ids: list[int] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluators"].choices = [(pk, pk) for pk in evaluator_ids]


_EDITOR_FIELD = re.compile(r"^m-(\d+)-(kind|role|content|name)$")


def from_editor(data) -> dict:
    """The registry editor's fields (m-<i>-kind/role/content/name, text, var-<name>,
    template_format) as the set-up form's, for "Try it" with unsaved text."""
    blocks: dict[int, dict] = {}
    for key in data:
        match = _EDITOR_FIELD.match(key)
        if match:
            blocks.setdefault(int(match.group(1)), {})[match.group(2)] = data.get(key, "")
    out = {k: data.get(k, "") for k in data if k.startswith("var-")}
    out["template_format"] = data.get("template_format", "mustache")
    if blocks:
        out["prompt_type"] = "chat"
        for n, i in enumerate(sorted(blocks)[:MAX_MESSAGES]):
            block = blocks[i]
            if block.get("kind") == "placeholder":
                out[f"msg-{n}-placeholder"] = block.get("name", "") or "history"
            else:
                out[f"msg-{n}-role"] = block.get("role", "user")
                out[f"msg-{n}-content"] = block.get("content", "")
    else:
        out["prompt_type"] = "text"
        out["text"] = data.get("text", "")
    return out
