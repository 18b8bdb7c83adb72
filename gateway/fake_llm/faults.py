"""Scripted failures: what a fault is, and the two ways to ask for one.

Faults are scripted two ways. In-process tests queue them with
``server.fail_next("429", times=2, retry_after=1)``. Other processes (Celery workers, the
browser) cannot reach the queue, so a request for a model named ``fake-<kind>`` (for example
``fake-slow`` or ``fake-slow-2.5`` for a 2.5 s delay) triggers the same fault. Queued faults
win over model-name faults, and both apply only to the generation endpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = ("slow", "429", "500", "malformed", "cut", "hang")
DEFAULT_DELAY = 1.0
DEFAULT_RETRY_AFTER = 1


@dataclass(frozen=True)
class Fault:
    """A scripted failure. ``delay`` and ``chunk_delay`` are seconds."""

    kind: str
    delay: float = DEFAULT_DELAY
    chunk_delay: float | None = None  # defaults to ``delay`` between stream chunks
    retry_after: int = DEFAULT_RETRY_AFTER

    @property
    def stream_chunk_delay(self) -> float:
        return self.delay if self.chunk_delay is None else self.chunk_delay


def make_fault(kind: str, **opts: Any) -> Fault:
    """Validate a fault kind and its options; raises ValueError on anything unknown."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
    unknown = set(opts) - {"delay", "chunk_delay", "retry_after"}
    if unknown:
        raise ValueError(f"unknown fault options: {sorted(unknown)}")
    return Fault(kind=kind, **opts)


def fault_from_model(model: str) -> Fault | None:
    """``fake-<kind>`` or ``fake-<kind>-<number>`` (delay for slow, Retry-After for 429)."""
    match = re.fullmatch(r"fake-(slow|429|500|malformed|cut|hang)(?:-(\d+(?:\.\d+)?))?", model)
    if match is None:
        return None
    kind, number = match.group(1), match.group(2)
    if number is None:
        return Fault(kind=kind)
    if kind == "429":
        return Fault(kind=kind, retry_after=max(0, round(float(number))))
    return Fault(kind=kind, delay=float(number))
