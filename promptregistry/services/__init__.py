"""Writes of the prompt registry. Each public function is atomic, validated and audited."""

from .access import access_update, alias_delete, check_may_write_in, grants_for
from .comments import comment_create, comment_delete, comment_update
from .drafts import draft_discard, draft_save
from .folders import folder_create, folder_delete, folder_move, folder_rename
from .labels import label_abort_split, label_move, label_promote_split, label_remove, label_split
from .prompts import (
    StaleVersionError,
    UnchangedVersionError,
    prompt_create,
    prompt_delete,
    prompt_rename,
    prompt_update_details,
    prompt_version_create,
    version_restore,
)
from .versions import version_delete

__all__ = [
    "access_update",
    "alias_delete",
    "check_may_write_in",
    "grants_for",
    "StaleVersionError",
    "UnchangedVersionError",
    "comment_create",
    "comment_delete",
    "comment_update",
    "draft_discard",
    "draft_save",
    "folder_create",
    "folder_delete",
    "folder_move",
    "folder_rename",
    "label_abort_split",
    "label_move",
    "label_promote_split",
    "label_remove",
    "label_split",
    "prompt_create",
    "prompt_delete",
    "prompt_rename",
    "prompt_update_details",
    "prompt_version_create",
    "version_delete",
    "version_restore",
]
