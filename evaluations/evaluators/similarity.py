"""String similarity to the expected output: `method` "levenshtein" (1 - distance / longer
length, the default) or "ratio" (difflib's); passes at `threshold` (default 0.8)."""

from difflib import SequenceMatcher

from django.core.exceptions import ValidationError

from .base import Case, Score, flag, number, target

MAX_CHARS = 20_000  # both texts are cut here: Levenshtein is quadratic


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def validate(config: dict) -> dict:
    method = config.get("method") or "levenshtein"
    if method not in ("levenshtein", "ratio"):
        raise ValidationError("method must be levenshtein or ratio.")
    threshold = number(config, "threshold", minimum=0)
    if threshold is not None and threshold > 1:
        raise ValidationError("threshold must be between 0 and 1.")
    return {
        "method": method,
        "threshold": 0.8 if threshold is None else threshold,
        "case_sensitive": flag(config, "case_sensitive", False),
        "value": str(config.get("value") or ""),
    }


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    want, got = target(config, case).strip(), output.strip()
    if not config["case_sensitive"]:
        want, got = want.casefold(), got.casefold()
    want, got = want[:MAX_CHARS], got[:MAX_CHARS]
    if not want and not got:
        value = 1.0
    elif config["method"] == "ratio":
        value = SequenceMatcher(None, want, got, autojunk=False).ratio()
    else:
        value = 1 - levenshtein(want, got) / max(len(want), len(got))
    ok = value >= config["threshold"]
    return Score(
        value, ok, f"Similarity {value:.2f} ({config['method']}), needs {config['threshold']:.2f}."
    )
