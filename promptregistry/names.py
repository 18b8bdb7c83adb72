"""The one rule for prompt, snippet and folder names: the editor, both APIs and push use it.

Langfuse's rule, so a name an application or CI uses with Langfuse works here unchanged: any
characters except "|" (it separates the parts of a reference), no HTML tags, no leading or
trailing "/" and no "//" ("/" separates folders), trimmed, not empty, at most 255 characters.
("new", which Langfuse keeps for its own page address, is a fine name here.) PromptOps refuses
a few more, each for a reason (docs/api-prompts.md lists them):
- "-", "." or ".." as a whole folder or prompt name: page addresses put actions after a "-"
  segment (/w/<slug>/p/<name>/-/edit/), and browsers rewrite "." and ".." segments;
- "\\": it separates folders in Windows paths, and prompts are also files (promptops pull);
- control characters (line breaks, tabs, NUL) and unpaired surrogates, which URLs, file names
  and the database can't hold.

Messages for the rules shared with Langfuse use Langfuse's words, which clients may match.
"""

import re

from django.core.exceptions import ValidationError

from .content import text_problem

MAX_NAME = 255
UNUSABLE_SEGMENTS = ("-", ".", "..")
_HTML_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _character_problem(value: str) -> str | None:
    if _HTML_TAG.search(value):
        return "Text cannot contain HTML tags"
    if "|" in value:
        return "Prompt name cannot contain '|' character"
    if "\\" in value:
        return "Name cannot contain '\\': prompts are also files, where it separates folders"
    if _CONTROL.search(value):
        return "Name cannot contain control characters such as line breaks or tabs"
    return text_problem(value)


def _segment_problem(segment: str) -> str | None:
    if segment in UNUSABLE_SEGMENTS:
        return (
            f"'{segment}' can't be a folder or prompt name on its own: page addresses use it "
            "(e.g. support/-/triage is not allowed)"
        )
    return None


def name_problem(name: str) -> str | None:
    """Why `name` (already trimmed) can't name a prompt, or None."""
    if not name:
        return "Text cannot be empty"
    if len(name) > MAX_NAME:
        return f"Name cannot be longer than {MAX_NAME} characters"
    problem = _character_problem(name)
    if problem:
        return problem
    if name.startswith("/"):
        return "Name cannot start with a slash"
    if "//" in name:
        return "Name cannot contain consecutive slashes"
    if name.endswith("/"):
        return "Name cannot end with a slash"
    for segment in name.split("/"):
        problem = _segment_problem(segment)
        if problem:
            return problem
    return None


def clean_name(value: str) -> str:
    """The name as stored (trimmed), or ValidationError({"name": why})."""
    name = value.strip()
    problem = name_problem(name)
    if problem:
        raise ValidationError({"name": problem}, code="invalid_name")
    return name


def validate_segment(value: str) -> None:
    """One folder's name (a part of a prompt name between slashes)."""
    problem = (
        ("Text cannot be empty" if not value else None)
        or (f"Name cannot be longer than {MAX_NAME} characters" if len(value) > MAX_NAME else None)
        or ("A folder name cannot contain '/'" if "/" in value else None)
        or _character_problem(value)
        or _segment_problem(value)
    )
    if problem:
        raise ValidationError(problem, code="invalid_name")
