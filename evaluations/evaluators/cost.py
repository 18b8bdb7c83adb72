"""The call's cost is at most `max_usd`."""

from decimal import Decimal

from .base import Case, Score, number, pass_fail


def validate(config: dict) -> dict:
    return {"max_usd": number(config, "max_usd", required=True, minimum=0)}


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    if case.cost is None:
        return Score(0.0, False, "The call's cost is unknown (the model has no prices).", True)
    ok = case.cost <= Decimal(str(config["max_usd"]))
    word = "within" if ok else "over"
    return pass_fail(ok, f"${case.cost:.6f}, {word} ${config['max_usd']:g}.")
