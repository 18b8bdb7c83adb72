"""What the request log keeps of a call's content: in full, redacted, or nothing.

The workspace chooses (GatewaySettings.store_content); the completion service applies it when it
writes the Completion row. Redaction replaces, in every string of the variables, the input
messages and the output: emails, phone numbers, card numbers (Luhn-checked) and things that look
like secrets (API keys, tokens, private keys, passwords in URLs). It is pattern matching: it
catches the common shapes, not every way a person can write personal data.
"""

import re
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or hyphens; kept only when the Luhn check passes.
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# International or national numbers with at least 8 digits: +44 20 7946 0958, (555) 123-4567.
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]?\d{2,4}){2,4}(?!\w)"
)
SECRETS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    # Provider and platform keys: sk-..., sk-ant-..., pk-..., ghp_..., xox?-..., AKIA...
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),  # JWTs
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{16,}=*"),
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),  # user:password@ in URLs
    # password=..., "api_key": "...": the name is kept, the value goes (group 1 stays).
    re.compile(
        r"(?i)(\b(?:password|passwd|secret|api_key|apikey|token)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s\"',;]{4,}"
    ),
]

REDACTED_EMAIL = "[email]"
REDACTED_PHONE = "[phone]"
REDACTED_CARD = "[card]"
REDACTED_SECRET = "[secret]"  # noqa: S105 - the placeholder, not a password


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return REDACTED_CARD if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group()


DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")


def _phone(match: re.Match) -> str:
    if DATE.fullmatch(match.group()):
        return match.group()
    digits = re.sub(r"\D", "", match.group())
    return REDACTED_PHONE if 8 <= len(digits) <= 15 else match.group()


def redact_secrets(text: str) -> str:
    """Secrets only: also used on provider error messages passed back to callers."""
    for pattern in SECRETS:
        replacement = r"\1" + REDACTED_SECRET if pattern.groups else REDACTED_SECRET
        text = pattern.sub(replacement, text)
    return text


def redact_text(text: str) -> str:
    if not text:
        return text
    text = redact_secrets(text)
    text = EMAIL.sub(REDACTED_EMAIL, text)
    text = CARD.sub(_card, text)
    return PHONE.sub(_phone, text)


def redact(value: Any) -> Any:
    """Every string inside a JSON-like value redacted (keys kept: they are names, not data)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def stored_content(
    store: str,
    *,
    variables: dict,
    input_messages: list,
    output_text: str,
    tool_calls: list | None = None,
) -> tuple[dict, list, str, list]:
    """(variables, input_messages, output_text, tool_calls) as the log keeps them under
    `store`."""
    tool_calls = tool_calls or []
    if store == "none":
        return {}, [], "", []
    if store == "redacted":
        return (
            redact(variables),
            redact(input_messages),
            redact_text(output_text),
            # ids and tool names are the caller's own names: only arguments are data.
            [{**call, "arguments": redact_text(call.get("arguments", ""))} for call in tool_calls],
        )
    return variables, input_messages, output_text, tool_calls
