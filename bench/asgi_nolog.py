"""config.asgi with completion logging off, for B6 (the cost of logging) only.

The product has no switch that stops the log (every authenticated call writes its row), so the
benchmark serves the same application with the row write replaced by a no-op: the difference
between the two servers is exactly the row's cost (building it, the thread hop, the INSERT).
"""

from config.asgi import application  # noqa: F401
from gateway.completion.service import CompletionCall

CompletionCall.write_row = lambda self: None


async def _no_row(self):
    return None


CompletionCall.awrite_row = _no_row
