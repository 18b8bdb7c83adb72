"""Output matches `pattern` (Python re, searched anywhere unless `full_match`)."""

import re

from django.core.exceptions import ValidationError

from . import patterns
from .base import Case, Score, flag, pass_fail

MAX_PATTERN = 1000


def validate(config: dict) -> dict:
    pattern = config.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise ValidationError("Set a pattern.")
    if len(pattern) > MAX_PATTERN:
        raise ValidationError(f"Patterns are at most {MAX_PATTERN} characters.")
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValidationError(f"Not a valid regular expression: {error}.") from None
    return {
        "pattern": pattern,
        "full_match": flag(config, "full_match"),
        "ignore_case": flag(config, "ignore_case"),
    }


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    flags = re.IGNORECASE if config["ignore_case"] else 0
    try:  # in a helper process, with a time limit (patterns.py)
        start = patterns.match_start(
            config["pattern"], output, flags=flags, full=config["full_match"]
        )
    except patterns.PatternTimeout as error:
        return Score(0.0, False, str(error), error=True)
    if start is not None:
        return pass_fail(True, f"Matches /{config['pattern']}/ at {start}.")
    return pass_fail(False, f"Does not match /{config['pattern']}/.")
