"""The entry point: everything that differs between two prompt versions."""

from .config import diff_config
from .constants import DEFAULT_CONTEXT
from .messages import diff_messages
from .models import DiffStats, ValueChange, VersionDiff, VersionSnapshot


def diff_versions(
    old: VersionSnapshot, new: VersionSnapshot, *, context: int | None = DEFAULT_CONTEXT
) -> VersionDiff:
    """Everything that differs from old to new; context=None never collapses unchanged rows."""
    if context is not None and context < 0:
        raise ValueError("context must be >= 0 or None")
    messages = diff_messages(old.messages(), new.messages(), context=context)
    stats = DiffStats()
    for message in messages:
        stats += message.stats
    template_format_change = (
        ValueChange(old.template_format, new.template_format)
        if old.template_format != new.template_format
        else None
    )
    kind_change = ValueChange(old.kind, new.kind) if old.kind != new.kind else None
    return VersionDiff(
        old=old,
        new=new,
        messages=messages,
        config_changes=diff_config(old.config, new.config),
        template_format_change=template_format_change,
        kind_change=kind_change,
        stats=stats,
        context=context,
    )
