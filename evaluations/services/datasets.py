"""Datasets and their items.

Stable for callers outside this app (the playground's "Add to dataset" and "Run on the whole
dataset"):

    dataset_create(principal=..., name=..., description="") -> Dataset
    dataset_item_add(principal=..., dataset=..., inputs={...}, expected_output="", metadata={})
        -> DatasetItem
    dataset_items_add(principal=..., dataset=..., items=[ItemData(...) or dict, ...])
        -> int  (how many were added)

All need Action.EDIT in the dataset's workspace and raise ValidationError on bad input
(nothing is written then: each call is one transaction). Positions are allocated under the
dataset's row lock and only grow, so paging by position is stable while rows are added.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gateway.models import Completion
from promptregistry.content import json_problem
from workspaces import access, audit
from workspaces.principal import Principal
from workspaces.roles import Action

from ..models import Dataset, DatasetItem

MAX_EXPECTED = 200_000
BATCH = 1000


@dataclass
class ItemData:
    inputs: dict[str, Any] = field(default_factory=dict)
    expected_output: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    source_completion_id: int | None = None


def clean_item(data: "ItemData | dict") -> ItemData:
    """One item's fields checked (inputs and metadata JSON objects, expected output text)."""
    if isinstance(data, dict):
        unknown = set(data) - {"inputs", "expected_output", "metadata", "source_completion_id"}
        if unknown:
            raise ValidationError(f"Unknown item fields: {', '.join(sorted(unknown))}.")
        data = ItemData(**data)
    if not isinstance(data.inputs, dict):
        raise ValidationError("Inputs must be a JSON object of variables.")
    if not isinstance(data.metadata, dict):
        raise ValidationError("Metadata must be a JSON object.")
    expected = data.expected_output
    if expected is None:
        expected = ""
    if not isinstance(expected, str):
        raise ValidationError("The expected output must be text.")
    if len(expected) > MAX_EXPECTED:
        raise ValidationError(f"The expected output is longer than {MAX_EXPECTED:,} characters.")
    for value in (data.inputs, data.metadata, expected):
        problem = json_problem(value)
        if problem:
            raise ValidationError(problem)
    data.expected_output = expected
    return data


def _check_name(workspace, name: str, *, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the dataset a name."})
    if len(name) > 200:
        raise ValidationError({"name": "At most 200 characters."})
    clash = Dataset.objects.filter(workspace=workspace, name=name)
    if exclude:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": "A dataset with this name exists."})
    return name


@transaction.atomic
def dataset_create(*, principal: Principal, name: str, description: str = "") -> Dataset:
    access.require(principal, Action.EDIT)
    dataset = Dataset(
        workspace=principal.workspace,
        name=_check_name(principal.workspace, name),
        description=description.strip(),
        created_by=principal.user,
    )
    dataset.full_clean()
    dataset.save()
    audit.record(principal=principal, action="dataset.create", target=dataset)
    return dataset


@transaction.atomic
def dataset_update(
    *, principal: Principal, dataset: Dataset, name: str, description: str = ""
) -> Dataset:
    access.require(principal, Action.EDIT)
    dataset.name = _check_name(dataset.workspace, name, exclude=dataset.pk)
    dataset.description = description.strip()
    dataset.updated_at = timezone.now()
    dataset.save(update_fields=["name", "description", "updated_at"])
    audit.record(principal=principal, action="dataset.update", target=dataset)
    return dataset


@transaction.atomic
def dataset_delete(*, principal: Principal, dataset: Dataset) -> None:
    access.require(principal, Action.DELETE)
    audit.record(principal=principal, action="dataset.delete", target=dataset)
    dataset.delete()


def _locked(dataset: Dataset) -> Dataset:
    return Dataset.objects.select_for_update().get(pk=dataset.pk)


def _check_same_workspace(principal: Principal, dataset: Dataset) -> None:
    if dataset.workspace_id != principal.workspace.pk:
        raise ValidationError("That dataset belongs to another workspace.")


def _insert(locked: Dataset, items: Iterable[ItemData]) -> int:
    """Insert checked items in batches at the dataset's next positions; the caller holds the
    dataset's row lock and saves the counters."""
    added = 0
    batch: list[DatasetItem] = []
    now = timezone.now()
    for data in items:
        batch.append(
            DatasetItem(
                dataset=locked,
                position=locked.next_position + added,
                inputs=data.inputs,
                expected_output=data.expected_output,
                metadata=data.metadata,
                source_completion_id=data.source_completion_id,
                created_at=now,
            )
        )
        added += 1
        if len(batch) >= BATCH:
            DatasetItem.objects.bulk_create(batch)
            batch = []
    if batch:
        DatasetItem.objects.bulk_create(batch)
    locked.next_position += added
    locked.item_count += added
    locked.updated_at = now
    locked.save(update_fields=["next_position", "item_count", "updated_at"])
    return added


@transaction.atomic
def dataset_items_add(
    *, principal: Principal, dataset: Dataset, items: Iterable["ItemData | dict"]
) -> int:
    """Add items (ItemData or dicts with inputs/expected_output/metadata); all or none.
    `items` may be a generator: it is read once, in batches, never held whole."""
    access.require(principal, Action.EDIT)
    _check_same_workspace(principal, dataset)
    locked = _locked(dataset)
    added = _insert(locked, (clean_item(item) for item in items))
    dataset.item_count, dataset.next_position = locked.item_count, locked.next_position
    if added:
        audit.record(
            principal=principal, action="dataset.items_add", target=locked, data={"count": added}
        )
    return added


def dataset_item_add(
    *,
    principal: Principal,
    dataset: Dataset,
    inputs: dict[str, Any],
    expected_output: str = "",
    metadata: dict[str, Any] | None = None,
    source_completion_id: int | None = None,
) -> DatasetItem:
    """One item (the table editor's "add row", the playground's "Add to dataset")."""
    dataset_items_add(
        principal=principal,
        dataset=dataset,
        items=[
            ItemData(
                inputs=inputs,
                expected_output=expected_output,
                metadata=metadata or {},
                source_completion_id=source_completion_id,
            )
        ],
    )
    return DatasetItem.objects.get(dataset=dataset, position=dataset.next_position - 1)


@transaction.atomic
def dataset_item_update(
    *,
    principal: Principal,
    item: DatasetItem,
    inputs: dict[str, Any],
    expected_output: str = "",
    metadata: dict[str, Any] | None = None,
) -> DatasetItem:
    access.require(principal, Action.EDIT)
    data = clean_item(
        ItemData(inputs=inputs, expected_output=expected_output, metadata=metadata or {})
    )
    item.inputs, item.expected_output, item.metadata = (
        data.inputs,
        data.expected_output,
        data.metadata,
    )
    item.save(update_fields=["inputs", "expected_output", "metadata"])
    Dataset.objects.filter(pk=item.dataset_id).update(updated_at=timezone.now())
    return item


@transaction.atomic
def dataset_item_delete(*, principal: Principal, item: DatasetItem) -> None:
    access.require(principal, Action.EDIT)
    locked = _locked(item.dataset)
    item.delete()
    locked.item_count = max(0, locked.item_count - 1)
    locked.updated_at = timezone.now()
    locked.save(update_fields=["item_count", "updated_at"])


def dataset_items_from_completions(
    *, principal: Principal, dataset: Dataset, completions: Iterable[Completion]
) -> int:
    """Items from logged completions: their variables as inputs, their output as expected."""
    return dataset_items_add(
        principal=principal,
        dataset=dataset,
        items=(
            ItemData(
                inputs=completion.variables if isinstance(completion.variables, dict) else {},
                expected_output=completion.output_text,
                metadata={"completion": str(completion.public_id), "model": completion.model_name},
                source_completion_id=completion.pk,
            )
            for completion in completions
        ),
    )
