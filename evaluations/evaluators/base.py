from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError


@dataclass
class Case:
    expected: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    latency_ms: int | None = None
    cost: Decimal | None = None


@dataclass
class Score:
    score: float
    passed: bool
    reason: str
    error: bool = False

    def as_dict(self, name: str) -> dict:
        return {
            "name": name,
            "score": round(max(0.0, min(1.0, self.score)), 4),
            "passed": self.passed,
            "reason": self.reason[:1000],
            "error": self.error,
        }


def pass_fail(ok: bool, reason: str) -> Score:
    return Score(1.0 if ok else 0.0, ok, reason)


def target(config: dict, case: Case) -> str:
    """The text to compare with: the config's `value`, else the item's expected output."""
    value = config.get("value")
    return case.expected if value in (None, "") else str(value)


def number(config: dict, key: str, *, required: bool = False, minimum: float | None = None):
    value = config.get(key)
    if value in (None, ""):
        if required:
            raise ValidationError(f"Set {key}.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError(f"{key} must be a number.")
    try:
        value = float(value)
    except ValueError:
        raise ValidationError(f"{key} must be a number.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationError(f"{key} must be a finite number.")
    if minimum is not None and value < minimum:
        raise ValidationError(f"{key} must be at least {minimum:g}.")
    return value


def flag(config: dict, key: str, default: bool = False) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(f"{key} must be true or false.")
    return value


def short(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
