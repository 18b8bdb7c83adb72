"""Output contains (or, kind not_contains, doesn't contain) `value` or the expected output;
`values` (a list) checks several: all must be (or none may be) present."""

from django.core.exceptions import ValidationError

from .base import Case, Score, flag, pass_fail, short, target


def validate(config: dict) -> dict:
    values = config.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError("values must be a list of texts.")
    return {
        "kind": config.get("kind", "contains"),
        "value": str(config.get("value") or ""),
        "values": [v for v in values if v],
        "case_sensitive": flag(config, "case_sensitive", False),
    }


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    needles = config["values"] or [target(config, case)]
    if not any(needles):
        return Score(0.0, False, "Nothing to look for: set a value or an expected output.", True)
    hay = output if config["case_sensitive"] else output.casefold()
    found = [n for n in needles if (n if config["case_sensitive"] else n.casefold()) in hay]
    if config["kind"] == "not_contains":
        if found:
            return pass_fail(False, f"Output contains {short(found[0])!r}.")
        return pass_fail(True, "None of the forbidden texts appear.")
    missing = [n for n in needles if n not in found]
    if missing:
        return Score(len(found) / len(needles), False, f"Missing {short(missing[0])!r}.")
    return pass_fail(True, f"Output contains {', '.join(repr(short(n, 30)) for n in needles)}.")
