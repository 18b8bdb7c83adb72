"""Output is JSON matching `schema`: a JSON Schema subset (type, properties, required,
additionalProperties, items, enum, const, minimum/maximum, minLength/maxLength, pattern,
minItems/maxItems, anyOf). Unsupported keywords are refused when the evaluator is saved, so
a schema never silently checks less than it says."""

import json
import re

from django.core.exceptions import ValidationError

from . import patterns
from .base import Case, Score, flag, pass_fail
from .json_valid import parse

SUPPORTED = {
    "$schema", "title", "description", "type", "properties", "required",
    "additionalProperties", "items", "enum", "const", "minimum", "maximum", "minLength",
    "maxLength", "pattern", "minItems", "maxItems", "anyOf", "default", "examples",
}  # fmt: skip
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def _check_schema(schema, path: str = "schema") -> None:
    if not isinstance(schema, dict):
        if isinstance(schema, bool):
            return
        raise ValidationError(f"{path} must be an object.")
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise ValidationError(f"{path}: unsupported keyword {sorted(unknown)[0]!r}.")
    types = schema.get("type")
    for name in [types] if isinstance(types, str) else types or []:
        if name not in TYPES:
            raise ValidationError(f"{path}: unknown type {name!r}.")
    for key, sub in (schema.get("properties") or {}).items():
        _check_schema(sub, f"{path}.properties.{key}")
    if isinstance(schema.get("items"), dict):
        _check_schema(schema["items"], f"{path}.items")
    if isinstance(schema.get("additionalProperties"), dict):
        _check_schema(schema["additionalProperties"], f"{path}.additionalProperties")
    for index, sub in enumerate(schema.get("anyOf") or []):
        _check_schema(sub, f"{path}.anyOf[{index}]")
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except (re.error, TypeError):
            raise ValidationError(f"{path}: pattern is not a regular expression.") from None


def validate(config: dict) -> dict:
    schema = config.get("schema")
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError:
            raise ValidationError("The schema is not JSON.") from None
    if not isinstance(schema, dict):
        raise ValidationError("Set a JSON Schema object.")
    _check_schema(schema)
    return {"schema": schema, "allow_fence": flag(config, "allow_fence", True)}


def _is_type(value, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, TYPES[name])


def errors(value, schema, path: str = "$") -> list[str]:
    if schema is True:
        return []
    if schema is False:
        return [f"{path}: not allowed"]
    found: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_is_type(value, name) for name in names):
            return [f"{path}: expected {' or '.join(names)}, got {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: must be one of {schema['enum']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{path}: above {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            found.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{path}: longer than {schema['maxLength']}")
        # In a helper process, with a time limit (patterns.py): PatternTimeout is the
        # evaluator's error.
        if "pattern" in schema and patterns.match_start(schema["pattern"], value) is None:
            found.append(f"{path}: does not match {schema['pattern']}")
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key in schema.get("required") or []:
            if key not in value:
                found.append(f"{path}: missing {key!r}")
        for key, item in value.items():
            if key in properties:
                found += errors(item, properties[key], f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}: unexpected {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += errors(item, schema["additionalProperties"], f"{path}.{key}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            found.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{path}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                found += errors(item, schema["items"], f"{path}[{index}]")
    if "anyOf" in schema and not any(not errors(value, sub, path) for sub in schema["anyOf"]):
        found.append(f"{path}: matches none of anyOf")
    return found


def evaluate(config: dict, output: str, case: Case) -> Score:
    config = validate(config)
    try:
        value = parse(output, config["allow_fence"])
    except ValueError as error:
        return pass_fail(False, f"Not JSON: {error}.")
    problems = errors(value, config["schema"])
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return pass_fail(False, f"{problems[0]}{more}.")
    return pass_fail(True, "Matches the schema.")
