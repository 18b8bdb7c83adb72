"""CompletionRollup: the completions of one hour added up, per prompt, version, model, source...

The analytics page and /metrics read these instead of the Completion rows, so a month of a
busy workspace is a few thousand rows however many calls it made. rollups.py writes them
(recomputed from the Completion rows, an hour at a time, by a periodic task); they are
imported into gateway/models.py so Django and its migrations see them.

Every dimension is NOT NULL ("" or 0 for "none") so the unique constraint holds for calls
without a prompt too. Latency and time to first token are kept as counts per histogram bucket
(buckets.py): latency_00 counts calls under 25 ms, ... latency_17 calls of 120 s or more.
"""

from django.db import models

from workspaces.models import Workspace

from .buckets import BUCKET_COUNT

LATENCY_BUCKETS = [f"latency_{i:02}" for i in range(BUCKET_COUNT)]
TTFT_BUCKETS = [f"ttft_{i:02}" for i in range(BUCKET_COUNT)]
DIMENSIONS = [
    "source",
    "status",
    "prompt_name",
    "prompt_version",
    "prompt_label",
    "ab_split",
    "model_name",
    "provider_name",
    "error_type",
]


class CompletionRollup(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()  # the start of the hour, UTC
    # Dimensions: Completion's fields of the same names ("" / 0 when the call had none).
    source = models.CharField(max_length=12)
    status = models.CharField(max_length=10)
    prompt_name = models.CharField(max_length=255, blank=True)
    prompt_version = models.PositiveIntegerField(default=0)
    prompt_label = models.CharField(max_length=36, blank=True)
    ab_split = models.BooleanField(default=False)
    model_name = models.CharField(max_length=200, blank=True)
    provider_name = models.CharField(max_length=100, blank=True)
    error_type = models.CharField(max_length=60, blank=True)
    # Measures.
    requests = models.PositiveIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=8, default=0)
    unpriced = models.PositiveIntegerField(default=0)  # calls whose cost is unknown
    retries = models.PositiveIntegerField(default=0)
    fallbacks = models.PositiveIntegerField(default=0)  # calls a fallback model answered
    latency_sum_ms = models.BigIntegerField(default=0)
    ttft_count = models.PositiveIntegerField(default=0)  # calls that streamed a first token
    ttft_sum_ms = models.BigIntegerField(default=0)
    # The histogram columns: latency_00..latency_17 and ttft_00..ttft_17 (see the docstring).
    for _column in LATENCY_BUCKETS + TTFT_BUCKETS:
        vars()[_column] = models.PositiveIntegerField(default=0)
    del _column

    class Meta:
        app_label = "gateway"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "hour", *DIMENSIONS], name="completion_rollup_unique"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="completion_rollup_hour")]

    def __str__(self) -> str:
        return f"{self.requests} calls at {self.hour:%Y-%m-%d %H:00}"


class RollupProgress(models.Model):
    """How far the rollups go: every hour before `rolled_until` is in them. One row."""

    name = models.CharField(max_length=40, primary_key=True)  # "completions"
    rolled_until = models.DateTimeField()

    class Meta:
        app_label = "gateway"

    def __str__(self) -> str:
        return f"{self.name} rolled up until {self.rolled_until:%Y-%m-%d %H:00}"
