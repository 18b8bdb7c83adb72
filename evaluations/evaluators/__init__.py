"""Scorers: pure functions, one module each. Each takes the output text and a `Case` (the
item's expected output and inputs, the call's latency and cost) and returns a `Score`: a number
in 0..1, whether it passed, and a reason a person can read.

`score(kind, config, output, case, judge=None)` dispatches on the kind;
`validate_config(kind, config)` checks a configuration before it is saved (ValidationError).
The LLM judge needs a model call: the caller passes `judge(messages) -> text`, so this package
stays free of I/O.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError

from . import (
    contains,
    cost,
    exact_match,
    json_schema,
    json_valid,
    latency,
    length,
    llm_judge,
    numeric,
    regex,
    similarity,
)
from .base import Case, Score

MODULES = {
    "exact_match": exact_match,
    "contains": contains,
    "not_contains": contains,
    "regex": regex,
    "json_valid": json_valid,
    "json_schema": json_schema,
    "numeric": numeric,
    "similarity": similarity,
    "length": length,
    "latency": latency,
    "cost": cost,
    "llm_judge": llm_judge,
}

__all__ = ["Case", "Score", "score", "validate_config"]


def validate_config(kind: str, config: dict) -> dict:
    if kind not in MODULES:
        raise ValidationError(f"Unknown evaluator kind {kind!r}.")
    if not isinstance(config, dict):
        raise ValidationError("The configuration must be a JSON object.")
    return MODULES[kind].validate(dict(config, kind=kind) if kind.endswith("contains") else config)


def score(
    kind: str,
    config: dict,
    output: str,
    case: Case,
    judge: Callable[[list[dict]], str] | None = None,
) -> Score:
    module = MODULES[kind]
    if kind.endswith("contains"):
        config = dict(config, kind=kind)
    try:
        if kind == "llm_judge":
            return module.evaluate(config, output, case, judge=judge)
        return module.evaluate(config, output, case)
    except Exception as error:  # noqa: BLE001 - a scorer's failure is that item's error
        return Score(0.0, False, f"Evaluator error: {error}", error=True)
