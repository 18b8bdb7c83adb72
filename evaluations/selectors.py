"""Reads of the evaluations app: objects by id for a principal (404 across workspaces), keyset
pages, run aggregates and comparisons."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from workspaces import access
from workspaces.principal import Principal
from workspaces.roles import Action

from .models import Dataset, DatasetItem, EvaluationResult, EvaluationRun, Evaluator

PAGE_SIZE = 50


def dataset_for(principal: Principal, dataset_id: int, need: Action = Action.READ) -> Dataset:
    return access.object_for(principal, Dataset.objects.all(), need, pk=dataset_id)


def evaluator_for(principal: Principal, evaluator_id: int, need: Action = Action.READ) -> Evaluator:
    return access.object_for(principal, Evaluator.objects.all(), need, pk=evaluator_id)


def run_for(principal: Principal, run_id: int, need: Action = Action.READ) -> EvaluationRun:
    return access.object_for(
        principal, EvaluationRun.objects.select_related("dataset"), need, pk=run_id
    )


def item_for(dataset: Dataset, item_id: int) -> DatasetItem:
    from django.http import Http404

    item = DatasetItem.objects.filter(dataset=dataset, pk=item_id).first()
    if item is None:
        raise Http404("No such item.")
    item.dataset = dataset
    return item


@dataclass
class Page:
    rows: list
    next_cursor: int | None
    prev_cursor: int | None


def keyset_page(queryset: QuerySet, *, after: int | None, before: int | None) -> Page:
    """Rows ordered by position, PAGE_SIZE at a time: one query whatever the page (no OFFSET,
    no COUNT), so the 2,000th page of 100,000 rows costs what the first does."""
    if before is not None:
        rows = list(queryset.filter(position__lt=before).order_by("-position")[: PAGE_SIZE + 1])
        more = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        return Page(rows, rows[-1].position if rows else None, rows[0].position if more else None)
    if after is not None:
        queryset = queryset.filter(position__gt=after)
    rows = list(queryset.order_by("position")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Page(
        rows,
        rows[-1].position if more else None,
        rows[0].position if rows and after is not None else None,
    )


@dataclass
class EvaluatorSummary:
    name: str
    count: int = 0
    total: float = 0.0
    passed: int = 0
    errors: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * 5)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.count if self.count else None

    @property
    def distribution(self) -> list[dict]:
        top = max(self.buckets) or 1
        labels = ["0–0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "0.8–1"]
        return [
            {"label": label, "count": n, "height": round(100 * n / top)}
            for label, n in zip(labels, self.buckets, strict=True)
        ]


def evaluator_summaries(run: EvaluationRun, evaluators: list) -> list[EvaluatorSummary]:
    """Mean, pass rate and a five-bucket distribution per evaluator, read a chunk at a time."""
    summaries: dict[str, EvaluatorSummary] = {}
    for evaluator in evaluators:
        summaries[str(evaluator.pk)] = EvaluatorSummary(evaluator.name)
    rows = (
        EvaluationResult.objects.filter(run=run, status=EvaluationResult.Status.DONE)
        .values_list("scores", flat=True)
        .iterator(chunk_size=2000)
    )
    for scores in rows:
        for key, entry in (scores or {}).items():
            summary = summaries.setdefault(key, EvaluatorSummary(entry.get("name", key)))
            if entry.get("error"):
                summary.errors += 1
                continue
            value = float(entry.get("score") or 0)
            summary.count += 1
            summary.total += value
            summary.passed += 1 if entry.get("passed") else 0
            summary.buckets[min(4, int(value * 5))] += 1
    return list(summaries.values())


@dataclass
class CompareRow:
    position: int
    inputs: dict
    cells: list[dict]
    delta: float

    @property
    def regressed(self) -> bool:
        return self.delta < 0


def compare_runs(
    runs: list[EvaluationRun], limit: int = 200
) -> tuple[list[dict], list[CompareRow]]:
    """Aggregates of each run with its delta from the first, and the items whose outcome
    differs between runs, regressions (a lower score than the first run's) first."""
    aggregates = []
    base = runs[0]
    for run in runs:
        aggregates.append(
            {
                "run": run,
                "mean": run.mean_score,
                "pass_rate": run.pass_rate,
                "delta_mean": None
                if run.mean_score is None or base.mean_score is None
                else run.mean_score - base.mean_score,
                "delta_pass": None
                if run.pass_rate is None or base.pass_rate is None
                else run.pass_rate - base.pass_rate,
            }
        )
    by_item: dict[int, list] = defaultdict(lambda: [None] * len(runs))
    positions: dict[int, int] = {}
    for index, run in enumerate(runs):
        rows = (
            EvaluationResult.objects.filter(run=run)
            .exclude(status=EvaluationResult.Status.PENDING)
            .values_list("item_id", "position", "status", "score", "passed", "output")
            .iterator(chunk_size=2000)
        )
        for item_id, position, status, score, passed, output in rows:
            positions[item_id] = position
            by_item[item_id][index] = {
                "status": status,
                "score": score,
                "passed": passed,
                "output": (output or "")[:300],
            }
    differing = []
    for item_id, cells in by_item.items():
        outcomes = {((c or {}).get("status"), (c or {}).get("passed")) for c in cells}
        scores = {round((c or {}).get("score") or 0, 4) for c in cells}
        if len(outcomes) == 1 and len(scores) == 1:
            continue
        first = (cells[0] or {}).get("score") or 0
        worst = min(((c or {}).get("score") or 0) - first for c in cells[1:]) if cells[1:] else 0
        differing.append((item_id, cells, worst))
    differing.sort(key=lambda entry: (entry[2], positions[entry[0]]))
    differing = differing[:limit]
    inputs = dict(
        DatasetItem.objects.filter(pk__in=[entry[0] for entry in differing]).values_list(
            "pk", "inputs"
        )
    )
    rows = [
        CompareRow(positions[item_id], inputs.get(item_id, {}), cells, worst)
        for item_id, cells, worst in differing
    ]
    return aggregates, rows
