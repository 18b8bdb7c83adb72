"""What changed between two prompt versions, for the compare pages.

Pure standard library (difflib): no models, no database and no HTML. The compare templates
render the structures built here in two layouts:

* side by side: ``MessageDiff.row_groups`` -> ``Row`` (left ``Line`` | right ``Line``);
* inline: ``MessageDiff.inline_groups`` -> ``InlineLine``.

Both carry word-level ``Segment(op, text)`` pieces whose texts join back to the exact line,
so the template only has to escape each text and wrap "insert"/"delete" pieces in <ins>/<del>.
Runs of unchanged lines far from any change sit in ``Group(collapsed=True)`` so long system
prompts can fold away.

A text prompt is diffed as a single message with no role, so both layouts treat text and
chat prompts alike.
"""

from .config import diff_config
from .constants import (
    DEFAULT_CONTEXT,
    MAX_PAIRING_CANDIDATES,
    MAX_WORD_DIFF_WORDS,
    MIN_COLLAPSED_RUN,
    PAIRING_CUTOFF,
    SAME_ROLE_BONUS,
)
from .grouping import group_rows
from .messages import diff_messages
from .models import (
    MISSING,
    ChangeKind,
    ConfigChange,
    DiffStats,
    Group,
    InlineLine,
    Line,
    Message,
    MessageDiff,
    MessageStatus,
    Missing,
    PromptKind,
    Row,
    RowStatus,
    Segment,
    SegmentOp,
    ValueChange,
    VersionDiff,
    VersionSnapshot,
)
from .pairing import Alignment
from .versions import diff_versions
from .words import Opcode, similarity, tokenize

__all__ = [
    "DEFAULT_CONTEXT",
    "MAX_PAIRING_CANDIDATES",
    "MAX_WORD_DIFF_WORDS",
    "MIN_COLLAPSED_RUN",
    "MISSING",
    "PAIRING_CUTOFF",
    "SAME_ROLE_BONUS",
    "Alignment",
    "ChangeKind",
    "ConfigChange",
    "DiffStats",
    "Group",
    "InlineLine",
    "Line",
    "Message",
    "MessageDiff",
    "MessageStatus",
    "Missing",
    "Opcode",
    "PromptKind",
    "Row",
    "RowStatus",
    "Segment",
    "SegmentOp",
    "ValueChange",
    "VersionDiff",
    "VersionSnapshot",
    "diff_config",
    "diff_messages",
    "diff_versions",
    "group_rows",
    "similarity",
    "tokenize",
]
