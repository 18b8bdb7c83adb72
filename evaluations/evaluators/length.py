"""Output length within `min`..`max`, counted in `unit` "characters" (default) or "words"."""

from django.core.exceptions import ValidationError

from .base import Case, Score, number, pass_fail


def validate(config: dict) -> dict:
    low = number(config, "min", minimum=0)
    high = number(config, "max", minimum=0)
    if low is None and high is None:
        raise ValidationError("Set min, max or both.")
    if low is not None and high is not None and low > high:
        raise ValidationError("min is larger than max.")
    unit = config.get("unit") or "characters"
    if unit not in ("characters", "words"):
        raise ValidationError("unit must be characters or words.")
    return {"min": low, "max": high, "unit": unit}


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    size = len(output.split()) if config["unit"] == "words" else len(output)
    unit = config["unit"]
    if config["min"] is not None and size < config["min"]:
        return pass_fail(False, f"{size} {unit}, fewer than {config['min']:g}.")
    if config["max"] is not None and size > config["max"]:
        return pass_fail(False, f"{size} {unit}, more than {config['max']:g}.")
    return pass_fail(True, f"{size} {unit}, within bounds.")
