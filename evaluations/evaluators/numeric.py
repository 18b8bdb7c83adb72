"""The first number in the output is within `tolerance` (absolute) or `relative_tolerance`
of the expected number (or `value`). Score falls linearly to 0 at ten times the tolerance."""

import re

from django.core.exceptions import ValidationError

from .base import Case, Score, number, target

NUMBER = re.compile(r"[-+]?(?:\d[\d,_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def first_number(text: str) -> float | None:
    match = NUMBER.search(text or "")
    if not match:
        return None
    try:
        return float(match.group().replace(",", "").replace("_", ""))
    except ValueError:
        return None


def validate(config: dict) -> dict:
    tolerance = number(config, "tolerance", minimum=0)
    relative = number(config, "relative_tolerance", minimum=0)
    value = config.get("value")
    if value not in (None, "") and first_number(str(value)) is None:
        raise ValidationError("value must be a number.")
    return {
        "value": "" if value is None else str(value),
        "tolerance": tolerance if tolerance is not None else 0.0,
        "relative_tolerance": relative,
    }


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    want = first_number(target(config, case))
    if want is None:
        return Score(0.0, False, "No expected number to compare with.", error=True)
    got = first_number(output)
    if got is None:
        return Score(0.0, False, "No number in the output.")
    allowed = config["tolerance"]
    if config["relative_tolerance"] is not None:
        allowed = max(allowed, abs(want) * config["relative_tolerance"])
    off = abs(got - want)
    if off <= allowed:
        return Score(1.0, True, f"{got:g} is within {allowed:g} of {want:g}.")
    span = allowed * 10 or max(abs(want), 1.0)
    return Score(max(0.0, 1 - off / span), False, f"{got:g} is {off:g} away from {want:g}.")
