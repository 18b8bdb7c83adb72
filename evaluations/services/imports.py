"""CSV and JSONL uploads into a dataset: stored to disk, previewed with a column mapping, then
imported all or nothing.

Memory stays bounded whatever the file's size: the upload is written to disk a chunk at a time,
the preview reads the first rows, and the import parses one line at a time and inserts in
batches inside one transaction. Any bad row rolls the whole import back and is reported with
its line number (up to MAX_ERRORS of them), so a dataset is never half-imported.
"""

import contextlib
import csv
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from workspaces import access, audit
from workspaces.principal import Principal
from workspaces.roles import Action

from ..models import Dataset
from .datasets import ItemData, _insert, _locked, clean_item

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
MAX_ERRORS = 100
MAX_COLUMNS = 200
MAX_FIELD = 1_000_000
PREVIEW_ROWS = 5
KINDS = ("csv", "jsonl")
# Mapping targets of a column.
INPUT, EXPECTED, METADATA, IGNORE = "input", "expected", "metadata", "ignore"
TARGETS = (INPUT, EXPECTED, METADATA, IGNORE)
EXPECTED_NAMES = {"expected", "expected_output", "expected output", "answer", "output", "target"}
# A JSONL line with these keys is an item as exported: it maps itself.
NATIVE_KEYS = {"inputs"}

csv.field_size_limit(MAX_FIELD)


class ImportFailed(Exception):  # noqa: N818 - reads as a sentence at the call site
    def __init__(self, errors: list[str], more: bool = False):
        super().__init__(f"{len(errors)} rows could not be imported")
        self.errors = errors
        self.more = more


@dataclass
class Preview:
    kind: str
    columns: list[str]
    rows: list[dict]
    native: bool
    mapping: dict[str, str]


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(dataset: Dataset, token: str) -> Path:
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        raise ValidationError("No such upload.")
    matches = list(upload_dir().glob(f"{dataset.pk}-{token}.*"))
    if not matches:
        raise ValidationError("That upload has expired: upload the file again.")
    return matches[0]


def kind_of(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    raise ValidationError("Upload a .csv or .jsonl file.")


def upload_store(*, principal: Principal, dataset: Dataset, upload: UploadedFile) -> str:
    """Save an uploaded file a chunk at a time; returns the token the preview step uses."""
    access.require(principal, Action.EDIT)
    kind = kind_of(upload.name or "")
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(f"Files are at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
    token = secrets.token_urlsafe(16)
    path = upload_dir() / f"{dataset.pk}-{token}.{kind}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


def upload_discard(dataset: Dataset, token: str) -> None:
    with contextlib.suppress(ValidationError):
        _path(dataset, token).unlink(missing_ok=True)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line number, cells or None, problem) per record, header included."""
    with path.open(encoding="utf-8-sig", errors="strict", newline="") as handle:
        reader = csv.reader(handle)
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                yield line, None, "the file is not UTF-8 text"
                return
            except csv.Error as error:
                yield line, None, f"not valid CSV ({error})"
                return
            yield line, cells, ""


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            if len(raw) > MAX_FIELD * 2:
                yield line_no, None, "the line is too long"
                continue
            try:
                value = json.loads(raw.decode("utf-8-sig" if line_no == 1 else "utf-8"))
            except UnicodeDecodeError:
                yield line_no, None, "not UTF-8 text"
                continue
            except ValueError as error:
                yield line_no, None, f"not JSON ({error})"
                continue
            if not isinstance(value, dict):
                yield line_no, None, "each line must be a JSON object"
                continue
            yield line_no, value, ""


def default_mapping(columns: list[str]) -> dict[str, str]:
    mapping = {}
    for column in columns:
        name = column.strip().lower()
        if name in EXPECTED_NAMES:
            mapping[column] = EXPECTED
        elif name == "metadata":
            mapping[column] = METADATA
        elif name in ("", "id", "#"):
            mapping[column] = IGNORE
        else:
            mapping[column] = INPUT
    if list(mapping.values()).count(EXPECTED) > 1:
        first = True
        for column, target in mapping.items():
            if target == EXPECTED:
                mapping[column] = EXPECTED if first else INPUT
                first = False
    return mapping


def preview(dataset: Dataset, token: str) -> Preview:
    path = _path(dataset, token)
    kind = path.suffix.lstrip(".")
    rows: list[dict] = []
    if kind == "csv":
        records = _csv_rows(path)
        first = next(records, None)
        if first is None or first[1] is None:
            raise ValidationError(
                f"Line 1: {first[2]}." if first else "The file is empty: it needs a header row."
            )
        columns = first[1]
        if len(columns) > MAX_COLUMNS:
            raise ValidationError(f"At most {MAX_COLUMNS} columns.")
        if len(set(columns)) != len(columns):
            raise ValidationError("Line 1: two columns have the same name.")
        for _line, cells, _problem in records:
            if cells is None or len(rows) >= PREVIEW_ROWS:
                break
            rows.append(dict(zip(columns, cells, strict=False)))
        return Preview("csv", columns, rows, False, default_mapping(columns))
    columns: list[str] = []
    for _line, value, _problem in _jsonl_rows(path):
        if value is None:
            continue
        for key in value:
            if key not in columns and len(columns) < MAX_COLUMNS:
                columns.append(key)
        rows.append(value)
        if len(rows) >= PREVIEW_ROWS:
            break
    if not rows:
        raise ValidationError("The file has no JSON lines.")
    native = set(columns) >= NATIVE_KEYS
    mapping = {c: c if native else default_mapping(columns)[c] for c in columns}
    return Preview("jsonl", columns, rows, native, mapping)


def _item_from(record: dict, mapping: dict[str, str], native: bool) -> ItemData:
    if native:
        unknown = set(record) - {"inputs", "expected_output", "metadata", "position"}
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}")
        return clean_item(
            {
                "inputs": record.get("inputs") or {},
                "expected_output": record.get("expected_output") or "",
                "metadata": record.get("metadata") or {},
            }
        )
    inputs, metadata, expected = {}, {}, ""
    for column, value in record.items():
        target = mapping.get(column, IGNORE)
        if target == INPUT:
            inputs[column] = value
        elif target == EXPECTED:
            if value is not None and not isinstance(value, str):
                value = json.dumps(value, ensure_ascii=False)
            expected = value or ""
        elif target == METADATA:
            if isinstance(value, str) and value.strip().startswith("{"):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise ValidationError(f"{column}: metadata is not a JSON object") from None
            if isinstance(value, dict):
                metadata.update(value)
            elif value not in (None, ""):
                metadata[column] = value
    return clean_item(ItemData(inputs=inputs, expected_output=expected, metadata=metadata))


def _records(path: Path, kind: str, errors: list[str]) -> Iterator[tuple[int, dict]]:
    if kind == "csv":
        records = _csv_rows(path)
        header = next(records, None)
        if header is None or header[1] is None:
            errors.append("Line 1: the file needs a header row.")
            return
        columns = header[1]
        for line, cells, problem in records:
            if cells is None:
                errors.append(f"Line {line}: {problem}.")
                return
            if not any(cell.strip() for cell in cells):
                continue  # blank lines
            if len(cells) != len(columns):
                errors.append(f"Line {line}: {len(cells)} cells, the header has {len(columns)}.")
                continue
            yield line, dict(zip(columns, cells, strict=True))
        return
    for line, value, problem in _jsonl_rows(path):
        if value is None:
            errors.append(f"Line {line}: {problem}.")
            continue
        yield line, value


def dataset_import(
    *, principal: Principal, dataset: Dataset, token: str, mapping: dict[str, str]
) -> int:
    """Import an uploaded file; all rows or none. Raises ImportFailed with the bad lines."""
    access.require(principal, Action.EDIT)
    found = preview(dataset, token)
    if not found.native:
        if set(mapping) != set(found.columns) or not set(mapping.values()) <= set(TARGETS):
            raise ValidationError("Map every column.")
        if list(mapping.values()).count(EXPECTED) > 1:
            raise ValidationError("Only one column can be the expected output.")
        if INPUT not in mapping.values():
            raise ValidationError("Map at least one column to an input variable.")
    path = _path(dataset, token)
    errors: list[str] = []
    more = False

    def items() -> Iterator[ItemData]:
        nonlocal more
        for line, record in _records(path, found.kind, errors):
            try:
                item = _item_from(record, mapping, found.native)
            except ValidationError as error:
                errors.append(f"Line {line}: {' '.join(error.messages)}")
                item = None
            if len(errors) >= MAX_ERRORS:
                more = True
                return
            if item is not None and not errors:
                yield item  # once a row failed, the rest are only checked

    with transaction.atomic():
        locked = _locked(dataset)
        added = _insert(locked, items())
        if errors:
            raise ImportFailed(errors, more)
        if not added:
            raise ImportFailed(["The file has no rows to import."])
        audit.record(
            principal=principal,
            action="dataset.import",
            target=locked,
            data={"count": added, "format": found.kind},
        )
    upload_discard(dataset, token)
    return added
