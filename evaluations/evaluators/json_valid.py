"""Output parses as JSON (a ```json fence around it is allowed when `allow_fence`)."""

import json

from .base import Case, Score, flag, pass_fail

FENCE = "```"


def validate(config: dict) -> dict:
    return {"allow_fence": flag(config, "allow_fence", True)}


def strip_fence(text: str) -> str:
    text = text.strip()
    if text.startswith(FENCE) and text.endswith(FENCE) and len(text) >= 6:
        body = text[3:-3]
        first_newline = body.find("\n")
        if first_newline != -1 and body[:first_newline].strip().isalpha():
            body = body[first_newline + 1 :]
        return body.strip()
    return text


def parse(output: str, allow_fence: bool):
    text = strip_fence(output) if allow_fence else output
    return json.loads(text)


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    try:
        value = parse(output, config["allow_fence"])
    except ValueError as error:
        return pass_fail(False, f"Not JSON: {error}.")
    return pass_fail(True, f"Valid JSON ({type(value).__name__}).")
