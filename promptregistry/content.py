"""Validating and reading a version's content: text or chat messages, config, variables."""

import json
import math
import re
from typing import Any

from django.core.exceptions import ValidationError

from . import templating

ROLES = ("system", "user", "assistant")
MAX_JSON_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why the database can't store this text, or None: NUL characters, or unpaired
    surrogates, which a JSON body can spell ("\\ud800") but UTF-8 can't encode."""
    if "\x00" in value:
        return "Text may not contain NUL characters."
    if _SURROGATE.search(value):
        return "Text may not contain unpaired surrogates (\\ud800 to \\udfff)."
    return None


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why a JSON value from a request can't be stored and served back, or None: text as in
    text_problem, a number JSON can't spell (Python's json reads NaN, Infinity and 1e400), or
    nesting deeper than MAX_JSON_DEPTH."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "Numbers must be finite: NaN and Infinity are not JSON."
    if isinstance(value, dict | list):
        if depth >= MAX_JSON_DEPTH:
            return f"JSON may nest at most {MAX_JSON_DEPTH} levels deep."
        pairs = value.items() if isinstance(value, dict) else (("", item) for item in value)
        for key, item in pairs:
            problem = text_problem(str(key)) or json_problem(item, depth + 1)
            if problem:
                return problem
    return None


MAX_MESSAGES = 200
MAX_TEXT = 200_000


def is_placeholder(message: dict) -> bool:
    return message.get("type") == "placeholder"


def normalise_content(prompt_type: str, content: Any) -> dict:
    """The stored shape, or ValidationError naming what is wrong ('content' or 'messages')."""
    if not isinstance(content, dict):
        raise ValidationError({"content": "Content must be an object."})
    problem = json_problem(content)
    if problem:
        raise ValidationError({"content": problem})
    if prompt_type == "text":
        text = content.get("text")
        if not isinstance(text, str):
            raise ValidationError({"content": "A text prompt needs its text."})
        if len(text) > MAX_TEXT:
            raise ValidationError({"content": f"The text is longer than {MAX_TEXT} characters."})
        return {"text": text}
    messages = content.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValidationError({"messages": "A chat prompt needs at least one message."})
    if len(messages) > MAX_MESSAGES:
        raise ValidationError({"messages": f"A chat prompt holds at most {MAX_MESSAGES} messages."})
    cleaned = []
    for position, message in enumerate(messages, start=1):
        cleaned.append(_normalise_message(position, message))
    return {"messages": cleaned}


def _normalise_message(position: int, message: Any) -> dict:
    if not isinstance(message, dict):
        raise ValidationError({"messages": f"Message {position} must be an object."})
    if is_placeholder(message):
        name = str(message.get("name", "")).strip()
        if not name.isidentifier():
            raise ValidationError(
                {
                    "messages": f"Message {position}: a placeholder needs a name made of letters, "
                    "digits and “_”, e.g. history."
                }
            )
        return {"type": "placeholder", "name": name}
    role = message.get("role")
    if role not in ROLES:
        raise ValidationError(
            {"messages": f"Message {position}: the role must be system, user or assistant."}
        )
    text = message.get("content")
    if not isinstance(text, str):
        raise ValidationError({"messages": f"Message {position} needs text content."})
    return {"role": role, "content": text}


def texts_of(content: dict) -> list[str]:
    """Every template string in a version's content, for checks that look at all of them."""
    if "text" in content:
        return [content["text"]]
    return [m["content"] for m in content.get("messages", []) if not is_placeholder(m)]


def variables_of(content: dict, template_format: str) -> list[str]:
    if "text" in content:
        return templating.variables(content["text"], template_format)
    return templating.message_variables(content.get("messages", []), template_format)


def placeholders_of(content: dict) -> list[str]:
    return templating.message_placeholders(content.get("messages", []))


def check_templates(content: dict, template_format: str) -> None:
    """Syntax errors and name clashes, as field errors the editor can show."""
    try:
        names = variables_of(content, template_format)
    except templating.TemplateError as error:
        raise ValidationError({"content": str(error)}) from error
    clash = set(names) & set(placeholders_of(content))
    if clash:
        raise ValidationError(
            {
                "messages": "The names of variables and placeholders must be unique; these "
                "are both: " + ", ".join(sorted(clash))
            }
        )


def normalise_config(config: Any) -> dict:
    if config in (None, ""):
        return {}
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except json.JSONDecodeError as error:
            raise ValidationError(
                {"config": f"Config isn't valid JSON: {error.msg} (line {error.lineno})."}
            ) from error
    problem = json_problem(config)
    if problem:
        raise ValidationError({"config": problem})
    if not isinstance(config, dict):
        raise ValidationError(
            {"config": 'Config must be a JSON object, like {"temperature": 0.2}.'}
        )
    _check_known_fields(config)
    return config


def _check_known_fields(config: dict) -> None:
    temperature = config.get("temperature")
    if temperature is not None and (
        not isinstance(temperature, int | float)
        or isinstance(temperature, bool)
        or not 0 <= temperature <= 2
    ):
        raise ValidationError({"config": "temperature must be a number from 0 to 2."})
    for key in ("max_tokens", "max_completion_tokens"):
        value = config.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise ValidationError({"config": f"{key} must be a whole number above 0."})
    top_p = config.get("top_p")
    if top_p is not None and (not isinstance(top_p, int | float) or not 0 <= top_p <= 1):
        raise ValidationError({"config": "top_p must be a number from 0 to 1."})
    stop = config.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise ValidationError({"config": "stop must be a text or a list of texts."})
    model = config.get("model")
    if model is not None and not isinstance(model, str):
        raise ValidationError({"config": "model must be a model name."})
