"""The playground's saved state: a session (the set-up a person is trying), its runs (each press
of Run: a snapshot of the set-up) and their cells (one model call each: a column, or a column
and a row of the inputs grid). Cells are what the stream view fills in; the history a person
returns to after a reload is these rows.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from workspaces.models import Workspace

MAX_COLUMNS = 6
MAX_GRID_ROWS = 20


class Session(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="playground_sessions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The prompt the session was opened from (none: opened empty or from raw messages).
    prompt = models.ForeignKey(
        "promptregistry.Prompt",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="playground_sessions",
    )
    base_version = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200, blank=True)
    prompt_type = models.CharField(max_length=10, default="chat")  # chat | text
    template_format = models.CharField(max_length=10, default="mustache")
    # {"messages": [...]} or {"text": "..."}: the left pane, as edited.
    content = models.JSONField(default=dict)
    variables = models.JSONField(default=dict, blank=True)
    # The inputs grid as typed or pasted: a header of variable names, one row per line.
    grid = models.TextField(blank=True)
    # One dict per column: model, params, version (a stored version number or None: the
    # left pane's messages), tools (JSON text, kept with the column).
    columns = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-updated_at"], name="playground_session_recent")
        ]

    def __str__(self) -> str:
        return self.title or f"Session {self.pk}"

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.prompt_id:
            return self.prompt.name
        return "Untitled session"


class Run(models.Model):
    class Kind(models.TextChoices):
        COLUMNS = "columns", "Columns"
        GRID = "grid", "Inputs grid"
        CONTINUE = "continue", "Follow-up"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COLUMNS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The set-up as it was when Run was pressed (content, variables, columns, grid rows).
    setup = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="playground_run_number")
        ]

    def __str__(self) -> str:
        return f"Run {self.number} of {self.session_id}"


class Cell(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Streaming"
        OK = "ok", "Done"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Stopped"

    FINISHED = (Status.OK, Status.ERROR, Status.CANCELLED)

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="cells")
    column = models.PositiveSmallIntegerField()
    row = models.PositiveSmallIntegerField(default=0)
    model_name = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    # Set when the cell runs a stored version unchanged: the call names it, so the log links it.
    prompt_version = models.PositiveIntegerField(null=True, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    input_messages = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    output_text = models.TextField(blank=True)
    # The tools the model called instead of (or with) text: [{"id", "name", "arguments"}].
    tool_calls = models.JSONField(default=list, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    completion_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["row", "column"]
        constraints = [
            models.UniqueConstraint(fields=["run", "column", "row"], name="playground_cell_once")
        ]

    def __str__(self) -> str:
        return f"Cell {self.column}x{self.row} of run {self.run_id}"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)

    def metrics(self) -> dict:
        """What the column footer shows (also sent as the stream's last event)."""
        return {
            "status": self.status,
            "ttft_ms": self.ttft_ms,
            "latency_ms": self.latency_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": format_cost(self.cost),
            "error": self.error_message,
        }


def format_cost(cost: Decimal | None) -> str:
    if cost is None:
        return ""
    if cost == 0:
        return "$0"
    if cost < Decimal("0.01"):
        return f"${cost:.5f}".rstrip("0")
    return f"${cost:.4f}"
