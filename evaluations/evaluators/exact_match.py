"""Output equals the expected output (or `value`); options: case_sensitive, strip (default on)."""

from .base import Case, Score, flag, pass_fail, short, target


def validate(config: dict) -> dict:
    return {
        "value": str(config.get("value") or ""),
        "case_sensitive": flag(config, "case_sensitive", True),
        "strip": flag(config, "strip", True),
    }


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    want, got = target(config, case), output
    if config["strip"]:
        want, got = want.strip(), got.strip()
    if not config["case_sensitive"]:
        want, got = want.casefold(), got.casefold()
    if got == want:
        return pass_fail(True, "Output equals the expected text.")
    return pass_fail(False, f"Expected {short(want)!r}, got {short(got)!r}.")
