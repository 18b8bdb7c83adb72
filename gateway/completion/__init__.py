"""The completion service (see service.py): every model call in the product goes through it."""

from .errors import GatewayError
from .request import CompletionRequest
from .service import CompletionCall, CompletionResult, complete, complete_sync
from .upstream import Delta, Finish, ToolCalls

__all__ = [
    "CompletionCall",
    "CompletionRequest",
    "CompletionResult",
    "Delta",
    "Finish",
    "GatewayError",
    "ToolCalls",
    "complete",
    "complete_sync",
]
