"""Reading rendered pages the way a person does: which field an error sits next to."""

import html
import re

from django.http import HttpResponse


def text(response: HttpResponse) -> str:
    """The page as a person reads it: entities such as &#x27; turned back into characters."""
    return html.unescape(response.content.decode())


def field_html(response: HttpResponse, name: str) -> str:
    """The rendered block of one form field: its label, input, help text and errors."""
    chunks = re.split(r'(?=<(?:div|fieldset) class="field)', response.content.decode())
    for chunk in chunks:
        if re.search(rf'\bname="{re.escape(name)}"', chunk):
            return chunk
    raise AssertionError(f"No field named {name!r} on the page.")


def field_error(response: HttpResponse, name: str) -> str:
    """The error text shown next to one field ('' when there is none)."""
    block = field_html(response, name)
    errors = re.search(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', block, re.S)
    if not errors:
        return ""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", errors.group(1)).split()))


def words(response: HttpResponse) -> str:
    """The visible words of the page, tags removed and spaces collapsed."""
    spaced = " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())
    return re.sub(r" ([.,;:!?])", r"\1", spaced)
