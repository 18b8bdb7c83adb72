"""Small filters for the playground page (errors of the dynamic fields, cells by column)."""

import re

from django import template

register = template.Library()
_COL = re.compile(r"^col-(\d+)-")


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


@register.filter
def get_error(errors: dict, index: int) -> str:
    return errors.get(f"msg-{index}-content") or errors.get(f"msg-{index}-role") or ""


@register.filter
def col_index(key: str) -> int | None:
    match = _COL.match(key or "")
    return int(match.group(1)) if match else None


@register.filter
def get_col_error(errors: dict, index: int) -> bool:
    return any(col_index(key) == index for key in errors)


@register.filter
def cell_at(cells, column: int):
    return next((cell for cell in cells if cell.column == column and cell.row == 0), None)


@register.filter
def cell_label(cell) -> str:
    row = f", row {cell.row + 1}" if cell.row else ""
    return f"Column {cell.column + 1}{row}: {cell.model_name}"


@register.filter
def ms_or_dash(value) -> str:
    if value is None:
        return "–"
    return f"{value} ms" if value < 1000 else f"{value / 1000:.2f} s"
