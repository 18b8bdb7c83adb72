"""The editor's input boundary: model settings (config) and the "Save version" area.

Message blocks, template format and sample values are read by editor/state.py, because the
editor re-renders them as typed (even half-written) before anything is validated.
"""

import json
import math
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .. import content
from ..models import MAX_VERSION_NUMBER

# (value, label in the picker, one line saying what it is for)
TEMPLATE_FORMATS = [
    (
        "mustache",
        "Mustache: {{name}}",
        "The default. Write {{name}} where a value goes; no logic, works with Langfuse.",
    ),
    (
        "fstring",
        "F-string: {name}",
        "Python / LangChain style: {name} is a value, {{ and }} are literal braces.",
    ),
    (
        "jinja2",
        "Jinja2: {{ name }} with logic",
        "{{ name }}, {% if %} and {% for %} for conditions and lists; runs in a sandbox.",
    ),
]
FORMAT_HELP = {value: help_text for value, _, help_text in TEMPLATE_FORMATS}

RESPONSE_FORMATS = [
    ("", "Text (model default)"),
    ("json_object", "JSON object"),
    ("json_schema", "JSON matching a schema"),
]

# The settings with a field of their own; everything else lives in the JSON box.
COMMON_KEYS = ("model", "temperature", "max_tokens", "top_p", "stop", "response_format")


def _number(raw: str) -> int | float:
    """'1' stays an int and '0.7' a float, so a saved config reads back exactly as written."""
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError("Enter a number, e.g. 0.7.") from None
    if not math.isfinite(value):
        raise ValidationError("Enter a number, e.g. 0.7.")
    return value


def _json_object(raw: str, example: str) -> dict:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"This isn't valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    if not isinstance(value, dict):
        raise ValidationError(f"Write a JSON object in curly braces, like {example}.")
    return value


class ConfigForm(forms.Form):
    """Common model settings as fields plus a JSON box for the rest, merged into one config."""

    model = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. gpt-4o-mini", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text="The model your app should call with this prompt.",
    )
    temperature = forms.CharField(
        required=False,
        widget=forms.NumberInput(attrs={"min": "0", "max": "2", "step": "any", "placeholder": "1"}),
        help_text="0 is focused and repeatable, 2 is very creative.",
    )
    max_tokens = forms.IntegerField(
        required=False,
        min_value=1,
        label="Max tokens",
        widget=forms.NumberInput(attrs={"placeholder": "No limit"}),
        help_text="The longest answer the model may write.",
    )
    top_p = forms.CharField(
        required=False,
        label="Top p",
        widget=forms.NumberInput(attrs={"min": "0", "max": "1", "step": "any", "placeholder": "1"}),
        help_text="Usually left alone; from 0 to 1.",
    )
    stop = forms.CharField(
        required=False,
        strip=False,
        label="Stop sequences",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="One per line. The model stops writing when it produces one of them.",
    )
    response_format = forms.ChoiceField(
        required=False, choices=RESPONSE_FORMATS, label="Response format"
    )
    json_schema = forms.CharField(
        required=False,
        label="JSON schema",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"}),
        help_text='Used with “JSON matching a schema”, e.g. {"name": "answer", "schema": {…}}.',
    )
    config = forms.CharField(
        required=False,
        label="Other settings (JSON)",
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "spellcheck": "false",
                "class": "mono",
                "placeholder": '{"tools": [], "seed": 7}',
            }
        ),
        help_text="Anything else your app or provider reads, such as tools or a seed.",
    )

    def clean_temperature(self) -> int | float | None:
        raw = self.cleaned_data["temperature"].strip()
        return _number(raw) if raw else None

    def clean_top_p(self) -> int | float | None:
        raw = self.cleaned_data["top_p"].strip()
        return _number(raw) if raw else None

    def clean_stop(self) -> list[str]:
        lines = self.cleaned_data["stop"].replace("\r\n", "\n").split("\n")
        return [line for line in lines if line.strip()]

    def clean_json_schema(self) -> dict | None:
        raw = self.cleaned_data["json_schema"].strip()
        if not raw:
            if self.data.get("response_format") == "json_schema":
                raise ValidationError("Paste the JSON schema the answer must follow.")
            return None
        return _json_object(raw, '{"name": "answer", "schema": {"type": "object"}}')

    def clean_config(self) -> dict:
        raw = self.cleaned_data["config"].strip()
        return _json_object(raw, '{"seed": 7}') if raw else {}

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        merged = dict(cleaned["config"])
        for key, value in self._common_settings(cleaned).items():
            if key in merged:
                self.add_error(
                    "config",
                    f"“{key}” is set in its own field above; remove it here or clear that field.",
                )
            merged[key] = value
        try:
            cleaned["merged"] = content.normalise_config(merged)
        except ValidationError as error:
            self.add_error("config", error.message_dict.get("config", error.messages))
        return cleaned

    @staticmethod
    def _common_settings(cleaned: dict) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        if cleaned.get("model", "").strip():
            settings["model"] = cleaned["model"].strip()
        for key in ("temperature", "max_tokens", "top_p"):
            if cleaned.get(key) is not None:
                settings[key] = cleaned[key]
        if cleaned.get("stop"):
            settings["stop"] = cleaned["stop"]
        if cleaned.get("response_format") == "json_object":
            settings["response_format"] = {"type": "json_object"}
        elif cleaned.get("response_format") == "json_schema":
            settings["response_format"] = {
                "type": "json_schema",
                "json_schema": cleaned["json_schema"],
            }
        return settings

    @property
    def merged_config(self) -> dict:
        return self.cleaned_data["merged"]


def config_fields_from(config: dict) -> dict[str, str]:
    """A saved config as the form's typed values: a setting goes into its own field only when
    the field can hold it exactly; anything else stays, as it was, in the JSON box."""
    rest = dict(config or {})
    fields = dict.fromkeys(ConfigForm.base_fields, "")
    model = rest.get("model")
    if isinstance(model, str) and model.strip() == model and model:
        fields["model"] = rest.pop("model")
    for key in ("temperature", "top_p"):
        value = rest.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            fields[key] = json.dumps(rest.pop(key))
    max_tokens = rest.get("max_tokens")
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool):
        fields["max_tokens"] = str(rest.pop("max_tokens"))
    stop = rest.get("stop")
    if (
        isinstance(stop, list)
        and stop
        and all(isinstance(s, str) and s.strip() and "\n" not in s and "\r" not in s for s in stop)
    ):
        fields["stop"] = "\n".join(rest.pop("stop"))
    response_format = rest.get("response_format")
    if response_format == {"type": "json_object"}:
        fields["response_format"] = "json_object"
        rest.pop("response_format")
    elif (
        isinstance(response_format, dict)
        and set(response_format) == {"type", "json_schema"}
        and response_format["type"] == "json_schema"
        and isinstance(response_format["json_schema"], dict)
    ):
        fields["response_format"] = "json_schema"
        fields["json_schema"] = json.dumps(response_format["json_schema"], indent=2)
        rest.pop("response_format")
    fields["config"] = json.dumps(rest, indent=2, ensure_ascii=False) if rest else ""
    return fields


class SaveForm(forms.Form):
    """The "Save version" area: a short message, and the version the editor started from."""

    commit_message = forms.CharField(
        max_length=500,
        label="What changed?",
        error_messages={
            "required": "Describe your change in a few words, e.g. “Shorter greeting”.",
            "max_length": "Keep the message under 500 characters.",
        },
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. Ask for the order number first", "autocomplete": "off"}
        ),
        help_text="A short note for the history, so your team knows why this version exists.",
    )
    base_number = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION_NUMBER, widget=forms.HiddenInput
    )
    # Set when a save was refused because someone else saved first: "Save anyway" saves on
    # top of that newer version, after the author has seen the difference.
    newer_number = forms.IntegerField(
        min_value=0, max_value=MAX_VERSION_NUMBER, required=False, widget=forms.HiddenInput
    )

    def hidden_problems(self) -> list[str]:
        """Errors of the hidden fields, which nobody could fix by typing: only a tampered or
        truncated post gets here."""
        if any(name in self.errors for name in ("base_number", "newer_number")):
            return ["The editor lost track of the version it started from. Reload the page."]
        return []
