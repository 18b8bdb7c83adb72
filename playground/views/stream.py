"""The stream that fills one cell: GET .../cells/<id>/stream/ is an async view (served by
Django's ASGI handler under granian, so a stream pins no thread) answering server-sent events:

    event: delta   data: {"text": "..."}            as the model writes
    event: tool_calls  data: {"calls": [{"id", "name", "arguments"}]}  the tools it called
                                                    (arguments pretty-printed JSON text)
    event: done    data: {"status", "ttft_ms", "latency_ms", "input_tokens", ...}
    event: failed  data: {..., "error": "..."}      a provider error, in place

The call goes through the gateway's completion service with source "playground". Stop is the
browser closing the stream: Django cancels the response, the service closes the provider's
answer and logs "cancelled", and the cell says so. The call's row and the cell are written when
Django closes the response. A cell streams once: opening it again replays its result.
"""

import json

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.views.decorators.http import require_GET

from gateway.completion import CompletionCall, Delta, GatewayError, ToolCalls
from gateway.completion.http import RecordedStream, finish_wsgi, served_by_asgi
from gateway.templatetags.gateway_ui import tool_arguments
from workspaces import access
from workspaces.async_db import in_thread, released_first
from workspaces.principal import WorkspaceRequest
from workspaces.roles import Action

from .. import selectors, services
from ..models import Cell, format_cost


def event(name: str, payload: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


class CellStream(RecordedStream):
    """Closing it writes the call's row, then the cell's result."""

    def __init__(self, content, *, call: CompletionCall, cell_id: int):
        super().__init__(content, call=call)
        self.cell_id = cell_id

    def close(self) -> None:
        try:
            self.call.write_row()  # at once, not batched: the cell refers to it
            super().close()
        finally:
            services.cell_finish(cell_id=self.cell_id, call=self.call)


def tool_calls_event(calls: list[dict]) -> bytes:
    shown = [{**call, "arguments": tool_arguments(call.get("arguments"))} for call in calls]
    return event("tool_calls", {"calls": shown})


def _metrics(call: CompletionCall, status: str, error: str = "") -> dict:
    input_tokens, output_tokens, estimated = call.tokens()
    return {
        "status": status,
        "ttft_ms": call.ttft_ms,
        "latency_ms": call.latency_ms,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "tokens_estimated": estimated,
        "cost": format_cost(services.call_cost(call)),
        "error": error,
    }


async def _events(call: CompletionCall):
    yield b": streaming\n\n"  # headers and a first byte now: the page shows "waiting"
    try:
        await call.start()
        async for item in call.events():
            if isinstance(item, Delta):
                yield event("delta", {"text": item.text})
            elif isinstance(item, ToolCalls):
                yield tool_calls_event(item.calls)
    except GatewayError as error:
        yield event("failed", _metrics(call, Cell.Status.ERROR, error.message))
        return
    yield event("done", _metrics(call, Cell.Status.OK))


def _prepare(request: WorkspaceRequest, slug: str, session_id: int, cell_id: int):
    access.workspace_for(request, slug, need=Action.RUN_PLAYGROUND)
    principal = request.principal
    session = selectors.session_for(principal, session_id, Action.RUN_PLAYGROUND)
    cell = selectors.cell_for(session, cell_id)
    if not services.cell_claim(cell.pk):
        cell.refresh_from_db()
        return None, cell
    return services.completion_request(principal, cell, session), cell


def _replay(cell: Cell) -> StreamingHttpResponse:
    if cell.status == Cell.Status.RUNNING:
        payload = {**cell.metrics(), "error": "This cell is streaming elsewhere (another tab)."}
        chunks = [event("failed", payload)]
    else:
        name = "done" if cell.status == Cell.Status.OK else "failed"
        chunks = [event("delta", {"text": cell.output_text})] if cell.output_text else []
        if cell.tool_calls:
            chunks.append(tool_calls_event(cell.tool_calls))
        chunks.append(event(name, cell.metrics()))
    response = StreamingHttpResponse(iter(chunks), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
async def cell_stream(request: WorkspaceRequest, slug: str, session_id: int, cell_id: int):
    completion_request, cell = await in_thread(_prepare, request, slug, session_id, cell_id)
    if completion_request is None:
        return _replay(cell)
    call = CompletionCall(completion_request)
    if served_by_asgi(request):
        return CellStream(released_first(_events(call)), call=call, cell_id=cell.pk)
    # Under WSGI (test client, live_server) the loop ends with the view: read it whole here.
    chunks = [chunk async for chunk in _events(call)]
    await finish_wsgi(request)
    return CellStream(iter(chunks), call=call, cell_id=cell.pk)
