"""What the completion views share: responses that write the call's row once Django has sent
them, and the difference between serving under ASGI and under WSGI.

In production every `async def` view is served by Django's ASGI handler (config/asgi.py), and a
stream is relayed as it arrives. Under WSGI (Django's test client and live server, runserver)
an async view's event loop ends with the view, while the provider's connection belongs to it:
there the stream is read whole inside the view and then sent (same bytes, not incremental).
"""

import json

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from config.machine_api import is_machine_api
from workspaces.async_db import released_first

from . import clients
from .service import CompletionCall


class RecordedResponse(HttpResponse):
    """A JSON answer; closing it (after it was sent) records the call's row."""

    def __init__(self, payload: dict, *, call: CompletionCall | None, status: int = 200):
        super().__init__(
            json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json"
        )
        self.call = call
        if call is not None:
            self["x-promptops-completion-id"] = str(call.public_id)

    def close(self) -> None:
        # Before super().close(): it sends request_finished, which tidies the database
        # connection this write uses (written after, it would stay open in this thread).
        try:
            if self.call is not None:
                self.call.record()
        finally:
            super().close()


class RecordedStream(StreamingHttpResponse):
    """A server-sent event stream; closing it (after the last byte, or when the client went
    away) records the call's row."""

    def __init__(self, content, *, call: CompletionCall):
        super().__init__(content, content_type="text/event-stream; charset=utf-8")
        self.call = call
        self["Cache-Control"] = "no-cache"
        self["X-Accel-Buffering"] = "no"  # proxies: don't buffer a stream
        self["x-promptops-completion-id"] = str(call.public_id)

    def close(self) -> None:
        try:
            self.call.record()
        finally:
            super().close()


def served_by_asgi(request: HttpRequest) -> bool:
    return isinstance(request, ASGIRequest)


async def stream_response(request: HttpRequest, events, call: CompletionCall) -> RecordedStream:
    if served_by_asgi(request):
        if request.resolver_match is not None and is_machine_api(request.resolver_match.func):
            # config/asgi.py's machine API handler runs nothing on a thread before the view,
            # and the view's own database work hands its connections back (in_thread): there
            # is nothing to release, and releasing it would start a thread for this request
            # that lives as long as the stream (asgiref gives each request its own).
            return RecordedStream(events, call=call)
        return RecordedStream(released_first(events), call=call)
    chunks = [chunk async for chunk in events]
    await finish_wsgi(request)
    return RecordedStream(iter(chunks), call=call)


async def finish_wsgi(request: HttpRequest) -> None:
    """Under WSGI the loop dies with the view: close its provider connections now."""
    if not served_by_asgi(request):
        await clients.close_loop_clients()


def sse(payload: dict | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()
