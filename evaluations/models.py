"""Datasets, evaluators, evaluation runs and their results.

Runs are written by Celery workers at the same time as the web process reads them: workers
change a run only with `save(update_fields=...)` or F() updates under a row lock
(services/runs.py), and a result moves from `pending` to a final state exactly once (a
conditional UPDATE), so a redelivered task changes nothing.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from gateway.models import Completion
from promptregistry.models import Prompt
from workspaces.models import ApiKey, Workspace


class Dataset(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Kept by the item services (counted under the dataset's row lock), so lists never count.
    item_count = models.PositiveIntegerField(default=0, editable=False)
    # The next position to give an item: positions only grow, so paging by position is stable.
    next_position = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="dataset_unique_name"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DatasetItem(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    inputs = models.JSONField(default=dict, blank=True)  # the prompt's variables
    expected_output = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Where it came from, when it came from the request log.
    source_completion = models.ForeignKey(
        Completion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "position"], name="dataset_item_unique_position"
            ),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.dataset_id}#{self.position}"


class Evaluator(models.Model):
    class Kind(models.TextChoices):
        EXACT_MATCH = "exact_match", "Exact match"
        CONTAINS = "contains", "Contains"
        NOT_CONTAINS = "not_contains", "Does not contain"
        REGEX = "regex", "Regex"
        JSON_VALID = "json_valid", "Valid JSON"
        JSON_SCHEMA = "json_schema", "JSON Schema"
        NUMERIC = "numeric", "Numeric closeness"
        SIMILARITY = "similarity", "String similarity"
        LENGTH = "length", "Length bounds"
        LATENCY = "latency", "Latency bound"
        COST = "cost", "Cost bound"
        LLM_JUDGE = "llm_judge", "LLM as judge"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Checked by evaluations.evaluators.validate_config for the kind.
    config = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="evaluator_unique_name"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EvaluationRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    prompt = models.ForeignKey(Prompt, on_delete=models.SET_NULL, null=True, related_name="+")
    prompt_name = models.CharField(max_length=255)
    # What was asked (a label or a version) and the version it resolved to at start: every
    # item of a run uses the same version even if the label moves meanwhile.
    prompt_label = models.CharField(max_length=36, blank=True)
    prompt_version = models.PositiveIntegerField()
    model = models.CharField(max_length=200, blank=True)  # "" = the prompt config's model
    params = models.JSONField(default=dict, blank=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="runs")
    evaluators = models.ManyToManyField(Evaluator, related_name="runs", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    concurrency = models.PositiveSmallIntegerField(default=4)
    # Counters, changed by workers under the run's row lock (services/runs.py).
    total_items = models.PositiveIntegerField(default=0)
    dispatched_count = models.PositiveIntegerField(default=0)  # items handed to tasks
    # Items are handed out in position order up to the dataset's last position at start:
    # `cursor_position` is the last one handed out (items added later are not in the run).
    cursor_position = models.PositiveIntegerField(default=0)
    last_position = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    score_sum = models.FloatField(default=0)
    passed_count = models.PositiveIntegerField(default=0)
    cost_total = models.DecimalField(max_digits=14, decimal_places=8, default=0)
    latency_total_ms = models.BigIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    # The CI gate's threshold, when the run was started with one.
    min_score = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="evalrun_ws_created")]

    def __str__(self) -> str:
        return f"{self.prompt_name} v{self.prompt_version} on {self.dataset_id}"

    @property
    def finished_count(self) -> int:
        return self.done_count + self.failed_count

    @property
    def remaining(self) -> int:
        return max(0, self.total_items - self.finished_count)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.done_count if self.done_count else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed_count / self.done_count if self.done_count else None

    @property
    def percent(self) -> int:
        return int(100 * self.finished_count / self.total_items) if self.total_items else 100

    @property
    def throughput(self) -> float | None:
        """Items per second since the run started."""
        if not self.started_at or not self.finished_count:
            return None
        end = self.finished_at or timezone.now()
        seconds = max((end - self.started_at).total_seconds(), 0.001)
        return self.finished_count / seconds

    @property
    def duration_seconds(self) -> int | None:
        if not self.started_at or not self.finished_at:
            return None
        return round((self.finished_at - self.started_at).total_seconds())

    @property
    def eta_seconds(self) -> int | None:
        rate = self.throughput
        if not rate or not self.is_active:
            return None
        return round(self.remaining / rate)

    @property
    def gate_passed(self) -> bool | None:
        if self.status != self.Status.COMPLETED or self.min_score is None:
            return None
        return (self.mean_score or 0) >= self.min_score


class EvaluationResult(models.Model):
    """One item of one run. Created `pending` when the item is handed to a task; the task moves
    it to `done` or `failed` with one conditional UPDATE, so it is scored exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(DatasetItem, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()  # the item's, copied for ordering and comparison
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    completion = models.ForeignKey(
        Completion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    output = models.TextField(blank=True)
    error = models.TextField(blank=True)
    # {"<evaluator id>": {"name", "score": 0..1, "passed": bool, "reason", "error": bool}}
    scores = models.JSONField(default=dict, blank=True)
    score = models.FloatField(null=True, blank=True)  # the mean of the evaluators' scores
    passed = models.BooleanField(null=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)  # hostname:pid that scored it
    created_at = models.DateTimeField(default=timezone.now)  # handed out
    claimed_at = models.DateTimeField(null=True, blank=True)  # last taken by a worker
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="evaluation_result_unique_item"),
        ]
        indexes = [
            models.Index(fields=["run", "position"], name="evalresult_run_position"),
            # Every finished item counts its run's pending results under the run's row lock
            # (services/runs.py: _refill): this keeps that count as small as the concurrency
            # instead of a scan of every result the run has so far.
            models.Index(
                fields=["run"],
                condition=models.Q(status="pending"),
                name="evalresult_run_pending",
            ),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"run {self.run_id} item {self.item_id}: {self.status}"


class HumanGrade(models.Model):
    """A reviewer's score of one result (a rubric of 1..5, shown beside the automatic scores)."""

    result = models.ForeignKey(EvaluationResult, on_delete=models.CASCADE, related_name="grades")
    grader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "grader"], name="human_grade_one_per_grader"),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="human_grade_score_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 on result {self.result_id}"


class EvaluationSettings(models.Model):
    """A workspace's evaluation settings: "gate production on evaluation" (enforced through the
    registry's label-move hook, see evaluations/gate.py)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    gate_production = models.BooleanField(default=False)
    gate_dataset = models.ForeignKey(
        Dataset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    gate_min_score = models.FloatField(default=0.8)

    def __str__(self) -> str:
        return f"evaluation settings of {self.workspace_id}"
