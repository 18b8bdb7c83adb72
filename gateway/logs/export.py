"""The request log as CSV or JSON Lines: the rows a filter shows, newest first, streamed.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, or a tab or
carriage return) get a leading apostrophe: an exported log can hold whatever a caller sent
and a model answered, and opening it must not run any of it. JSON Lines is written as it is.
"""

import csv
import json
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import QuerySet

from ..models import Completion

MAX_ROWS = 100_000  # per export: narrow the filters (dates) for more
CHUNK = 1_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = [
    "id",
    "created_at",
    "status",
    "source",
    "prompt",
    "prompt_version",
    "prompt_label",
    "ab_split",
    "model",
    "requested_model",
    "fallback_model",
    "provider",
    "input_tokens",
    "output_tokens",
    "tokens_estimated",
    "cost_usd",
    "queue_ms",
    "ttft_ms",
    "latency_ms",
    "retries",
    "finish_reason",
    "error_type",
    "error_message",
    "user",
    "session_id",
    "trace_id",
    "tags",
    "metadata",
    "variables",
    "input",
    "output",
    "content_stored",
]


def record_of(c: Completion) -> dict:
    return {
        "id": str(c.public_id),
        "created_at": c.created_at.isoformat(),
        "status": c.status,
        "source": c.source,
        "prompt": c.prompt_name,
        "prompt_version": c.prompt_version,
        "prompt_label": c.prompt_label,
        "ab_split": c.ab_split,
        "model": c.model_name,
        "requested_model": c.requested_model,
        "fallback_model": c.fallback_model,
        "provider": c.provider_name,
        "input_tokens": c.input_tokens,
        "output_tokens": c.output_tokens,
        "tokens_estimated": c.tokens_estimated,
        "cost_usd": c.cost,
        "queue_ms": c.queue_ms,
        "ttft_ms": c.ttft_ms,
        "latency_ms": c.latency_ms,
        "retries": c.retries,
        "finish_reason": c.finish_reason,
        "error_type": c.error_type,
        "error_message": c.error_message,
        "user": c.user_ref,
        "session_id": c.session_id,
        "trace_id": c.trace_id,
        "tags": c.tags,
        "metadata": c.metadata,
        "variables": c.variables,
        "input": c.input_messages,
        "output": c.output_text,
        "content_stored": c.content_stored,
    }


def safe_cell(value) -> str | int | float:
    """One CSV cell: numbers as they are, structures as JSON, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _rows(completions: QuerySet) -> Iterator[Completion]:
    """Newest first, a chunk at a time by id (no OFFSET), at most MAX_ROWS."""
    sent = 0
    before = None
    while sent < MAX_ROWS:
        chunk = completions.order_by("-id")
        if before is not None:
            chunk = chunk.filter(id__lt=before)
        rows = list(chunk[: min(CHUNK, MAX_ROWS - sent)])
        if not rows:
            return
        yield from rows
        sent += len(rows)
        before = rows[-1].id


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(completions: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheets read UTF-8
    yield writer.writerow(COLUMNS)
    for completion in _rows(completions):
        record = record_of(completion)
        yield writer.writerow([safe_cell(record[column]) for column in COLUMNS])


def jsonl_lines(completions: QuerySet) -> Iterator[str]:
    for completion in _rows(completions):
        yield json.dumps(record_of(completion), ensure_ascii=False, default=str) + "\n"
