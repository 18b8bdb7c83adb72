"""Request bodies of every machine API: one JSON object, within the operator's upload limit.

django-ninja reads a missing body, `null`, a list and a string alike as "no fields sent", so
`POST .../render` with `[]` rendered with defaults; and a body over DATA_UPLOAD_MAX_MEMORY_SIZE
escaped ninja as Django's HTML 400 page. Both APIs (config/api.py, the Langfuse-compatible one)
use this parser and answer these cases in their own JSON error shape.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from ninja.errors import HttpError
from ninja.parser import Parser

__all__ = ["RequestDataTooBig", "JsonObjectParser", "body_problem", "too_large_message"]


class BodyNotAnObject(ValueError):
    pass


class JsonObjectParser(Parser):
    def parse_body(self, request):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise BodyNotAnObject(f"got {type(data).__name__ if data is not None else 'null'}")
        return data


def body_problem(exc: HttpError) -> str | None:
    """What was wrong with a body ninja could not parse, for the client (None: not a body)."""
    cause = exc.__cause__
    if isinstance(cause, BodyNotAnObject):
        return f"The request body must be a JSON object ({cause})."
    if isinstance(cause, json.JSONDecodeError):
        return f"The request body is not valid JSON: {cause.msg} at position {cause.pos}."
    if isinstance(cause, UnicodeDecodeError):
        return "The request body is not valid UTF-8."
    return None


def too_large_message() -> str:
    return (
        "The request body is too large: the limit is "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes."
    )
