"""A completion's timing as a waterfall: queue, waiting for the first token, streaming."""

from dataclasses import dataclass

from ..models import Completion


@dataclass(frozen=True)
class Segment:
    name: str
    tone: str  # css: waterfall-<tone>
    start_ms: int
    end_ms: int
    total_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def left(self) -> float:
        return round(100 * self.start_ms / self.total_ms, 2) if self.total_ms else 0

    @property
    def width(self) -> float:
        if not self.total_ms:
            return 0
        return max(round(100 * self.duration_ms / self.total_ms, 2), 0.6)  # always visible


def waterfall(c: Completion) -> list[Segment]:
    """From the request's arrival: queued until the first upstream request, then waiting for
    the first token, then the tokens streaming in until the last byte. Missing marks (no
    token ever came, or none was measured) merge into the neighbouring segment."""
    total = max(c.latency_ms or 0, 0)
    queue = min(c.queue_ms or 0, total)
    first = min(c.ttft_ms, total) if c.ttft_ms is not None else None
    segments = []
    if queue:
        segments.append(Segment("Queue", "queue", 0, queue, total))
    if first is not None and first >= queue:
        segments.append(Segment("Waiting for the first token", "wait", queue, first, total))
        if total > first:
            segments.append(Segment("Streaming the answer", "stream", first, total, total))
    elif total > queue:
        label = "Waiting for the answer" if c.status == Completion.Status.OK else "Until it failed"
        segments.append(Segment(label, "wait", queue, total, total))
    return segments
