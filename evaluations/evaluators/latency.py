"""The call's latency is at most `max_ms`."""

from .base import Case, Score, number, pass_fail


def validate(config: dict) -> dict:
    return {"max_ms": number(config, "max_ms", required=True, minimum=0)}


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    if case.latency_ms is None:
        return Score(0.0, False, "The call's latency is unknown.", error=True)
    ok = case.latency_ms <= config["max_ms"]
    word = "within" if ok else "over"
    return pass_fail(ok, f"{case.latency_ms} ms, {word} {config['max_ms']:g} ms.")
