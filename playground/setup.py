"""What a person set up in the playground: the prompt (as edited), the variables, the inputs
grid and 1 to 6 columns. forms.py builds a Setup from the page; selectors.py from a version, a
logged completion or a saved session; services.py runs and saves it.
"""

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .models import MAX_COLUMNS, MAX_GRID_ROWS

RESPONSE_FORMATS = {"": "Text", "json_object": "JSON object", "json_schema": "JSON schema"}


@dataclass
class Column:
    model: str = ""
    # A stored version of the session's prompt; None: the left pane's messages.
    version: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    response_format: str = ""
    json_schema: str = ""  # JSON text: a schema, or {"name", "schema"} as OpenAI takes it
    tools: str = ""  # JSON text: OpenAI-format tools, sent with the column's calls

    def params(self) -> dict[str, Any]:
        """The provider parameters this column overrides (the gateway merges the rest)."""
        params: dict[str, Any] = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        if self.top_p is not None:
            params["top_p"] = self.top_p
        if self.response_format == "json_object":
            params["response_format"] = {"type": "json_object"}
        elif self.response_format == "json_schema" and self.json_schema.strip():
            schema = json.loads(self.json_schema)
            if not ("schema" in schema and "name" in schema):
                schema = {"name": "output", "schema": schema}
            params["response_format"] = {"type": "json_schema", "json_schema": schema}
        if self.tools.strip():
            tools = json.loads(self.tools)
            if tools:
                params["tools"] = tools
        return params

    @property
    def has_overrides(self) -> bool:
        return bool(self.params())


@dataclass
class Setup:
    prompt: str = ""  # the prompt's name ("" when none)
    base_version: int | None = None
    prompt_type: str = "chat"
    template_format: str = "mustache"
    content: dict = field(default_factory=lambda: {"messages": [{"role": "user", "content": ""}]})
    variables: dict[str, str] = field(default_factory=dict)
    grid: str = ""
    columns: list[Column] = field(default_factory=lambda: [Column()])
    title: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Setup":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        columns = [Column(**c) for c in known.pop("columns", [])][:MAX_COLUMNS]
        return cls(**known, columns=columns or [Column()])

    @property
    def messages(self) -> list[dict]:
        return list(self.content.get("messages", []))

    @property
    def text(self) -> str:
        return self.content.get("text", "")


def grid_rows(grid: str) -> tuple[list[str], list[dict[str, str]]]:
    """(variable names, rows) of a grid typed or pasted from a spreadsheet: the first line
    names the variables; tab-separated when the header has a tab, else comma-separated.
    Raises ValueError saying what is wrong."""
    lines = [line for line in grid.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        return [], []
    delimiter = "\t" if "\t" in lines[0] else ","
    table = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [name.strip() for name in table[0]]
    if not all(header) or len(set(header)) != len(header):
        raise ValueError("The grid's first line names the variables, each once.")
    rows = table[1:]
    if not rows:
        raise ValueError("Add at least one row of inputs under the grid's first line.")
    if len(rows) > MAX_GRID_ROWS:
        raise ValueError(f"The grid takes up to {MAX_GRID_ROWS} rows; run the rest as a dataset.")
    return header, [
        {name: (row[i] if i < len(row) else "") for i, name in enumerate(header)} for row in rows
    ]
