"""Evaluations in the operators' admin site: look up runs and results; datasets, evaluators and
runs are made in the workspace's pages (services keep counters and positions right)."""

from django.contrib import admin

from .models import (
    Dataset,
    DatasetItem,
    EvaluationResult,
    EvaluationRun,
    EvaluationSettings,
    Evaluator,
    HumanGrade,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ["name", "workspace", "item_count", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["name"]


@admin.register(DatasetItem)
class DatasetItemAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "position", "created_at"]
    list_select_related = ["dataset"]
    raw_id_fields = ["dataset", "source_completion"]


@admin.register(Evaluator)
class EvaluatorAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "workspace"]
    list_filter = ["kind"]


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "prompt_name",
        "prompt_version",
        "dataset",
        "status",
        "done_count",
        "failed_count",
        "total_items",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["dataset"]


@admin.register(EvaluationResult)
class EvaluationResultAdmin(ReadOnlyAdmin):
    list_display = ["run", "position", "status", "score", "worker"]
    list_filter = ["status"]
    raw_id_fields = ["run", "item", "completion"]


@admin.register(HumanGrade)
class HumanGradeAdmin(ReadOnlyAdmin):
    list_display = ["result", "grader", "score", "created_at"]
    raw_id_fields = ["result"]


@admin.register(EvaluationSettings)
class EvaluationSettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", "gate_production", "gate_min_score"]
