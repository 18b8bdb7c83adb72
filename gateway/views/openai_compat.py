"""The OpenAI-compatible API: POST /v1/chat/completions and GET /v1/models.

The official `openai` SDK works unchanged with base_url=http://host/v1 and a workspace API key;
PromptOps' own fields (prompt_id, prompt_variables, prompt_label, prompt_version, fallbacks)
travel in the body (the SDK's extra_body). Errors use OpenAI's JSON shape and status codes.
Any role may run completions (viewers included: running a prompt changes nothing stored).
"""

import time
from json.encoder import encode_basestring  # what json.dumps(text, ensure_ascii=False) does

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from config.machine_api import machine_api
from workspaces.api_auth import aprincipal_from_request, principal_from_request

from ..completion import (
    CompletionCall,
    CompletionRequest,
    Delta,
    Finish,
    GatewayError,
    ToolCalls,
    parsing,
)
from ..completion.http import RecordedResponse, finish_wsgi, sse, stream_response
from ..models import Completion, ModelAlias, ProviderModel

UNAUTHENTICATED = GatewayError(
    401,
    "invalid_api_key",
    "Incorrect API key provided: use a PromptOps workspace API key (Authorization: Bearer sk-...).",
)


def openai_error(error: GatewayError, call: CompletionCall | None = None) -> RecordedResponse:
    response = RecordedResponse(error.openai_body(), call=call, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(max(1, round(error.retry_after)))
    return response


def chat_request(principal, body: dict) -> CompletionRequest:
    parsing.unsupported(body)
    metadata = parsing.mapping(body, "metadata")
    return CompletionRequest(
        principal=principal,
        source=Completion.Source.OPENAI,
        model=parsing.text(body, "model", max_length=200),
        messages=parsing.messages(body),
        prompt_name=parsing.text(body, "prompt_id"),
        prompt_label=parsing.optional_text(body, "prompt_label", max_length=36),
        prompt_version=parsing.version_number(body, "prompt_version"),
        variables=parsing.mapping(body, "prompt_variables"),
        params=parsing.params(body),
        fallbacks=parsing.names(body, "fallbacks"),
        stream=parsing.flag(body, "stream"),
        user_ref=parsing.text(body, "user"),
        session_id=str(metadata.get("session_id") or "")[:255],
        trace_id=str(metadata.get("trace_id") or "")[:255],
        tags=parsing.tags(metadata.get("tags", body.get("tags"))),
        metadata=metadata,
    )


@machine_api
@csrf_exempt
@require_POST
async def chat_completions(request: HttpRequest):
    started = time.monotonic()
    principal = await aprincipal_from_request(request)
    if principal is None:
        return openai_error(UNAUTHENTICATED)
    try:
        body = parsing.json_body(request)
        completion_request = chat_request(principal, body)
        include_usage = bool(parsing.mapping(body, "stream_options").get("include_usage"))
    except GatewayError as error:
        return openai_error(error)
    call = CompletionCall(completion_request, started=started)
    try:
        await call.start()
    except GatewayError as error:
        await finish_wsgi(request)
        return openai_error(error, call)
    if not completion_request.stream:
        await finish_wsgi(request)
        return RecordedResponse(_completion_body(call), call=call)
    return await stream_response(request, _chunks(call, include_usage), call)


def _usage(call: CompletionCall) -> dict:
    input_tokens, output_tokens, _ = call.tokens()
    input_tokens, output_tokens = input_tokens or 0, output_tokens or 0
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def _tool_calls(calls: list[dict], *, indexed: bool = False) -> list[dict]:
    """Calls in OpenAI's shape (a stream's delta also numbers them)."""
    return [
        {
            **({"index": index} if indexed else {}),
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": call["arguments"]},
        }
        for index, call in enumerate(calls)
    ]


def _completion_body(call: CompletionCall) -> dict:
    result = call.result()
    message = {"role": "assistant", "content": result.text, "refusal": None}
    if result.tool_calls:
        # OpenAI sends content null when the model only called tools.
        message.update(content=result.text or None, tool_calls=_tool_calls(result.tool_calls))
    return {
        "id": f"chatcmpl-{call.public_id.hex}",
        "object": "chat.completion",
        "created": int(call.created_at.timestamp()),
        "model": result.model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": result.finish_reason,
            }
        ],
        "usage": _usage(call),
    }


_MARK = "\x00promptops-text\x00"
_ENCODED_MARK = encode_basestring(_MARK).encode()


async def _chunks(call: CompletionCall, include_usage: bool):
    """OpenAI's chat.completion.chunk events, the usage chunk when asked, then [DONE]; a
    failure mid-stream is an error event (what the SDK raises as APIError) and no [DONE]."""
    base = {
        "id": f"chatcmpl-{call.public_id.hex}",
        "object": "chat.completion.chunk",
        "created": int(call.created_at.timestamp()),
        "model": call.plan.requested_model,
        "system_fingerprint": None,
    }
    extra = {"usage": None} if include_usage else {}

    def chunk(delta: dict, finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return sse({**base, "choices": [choice], **extra})

    # A text chunk is the same bytes but for its text: encoded once around a marker (the last
    # string in the chunk), then only the text is encoded per chunk (B3: a thousand streams).
    head, _, tail = chunk({"content": _MARK}).rpartition(_ENCODED_MARK)

    yield chunk({"role": "assistant", "content": ""})
    try:
        async for event in call.events():
            if isinstance(event, Delta):
                yield b"".join((head, encode_basestring(event.text).encode(), tail))
            elif isinstance(event, ToolCalls):
                yield chunk({"tool_calls": _tool_calls(event.calls, indexed=True)})
            elif isinstance(event, Finish):
                yield chunk({}, event.reason)
    except GatewayError as error:
        yield sse(error.openai_body())
        return
    if include_usage:
        yield sse({**base, "choices": [], "usage": _usage(call)})
    yield b"data: [DONE]\n\n"


def _model_list(principal) -> dict:
    workspace = principal.workspace
    models = ProviderModel.objects.filter(workspace=workspace, is_active=True).select_related(
        "provider"
    )
    aliases = ModelAlias.objects.filter(workspace=workspace, model__is_active=True).select_related(
        "model__provider"
    )
    data = [
        {
            "id": model.name,
            "object": "model",
            "created": int(model.created_at.timestamp()),
            "owned_by": model.provider.name,
        }
        for model in models
    ] + [
        {
            "id": alias.name,
            "object": "model",
            "created": int(alias.created_at.timestamp()),
            "owned_by": alias.model.provider.name,
        }
        for alias in aliases
    ]
    return {"object": "list", "data": sorted(data, key=lambda item: item["id"])}


@csrf_exempt
@require_GET
def models(request: HttpRequest):
    principal = principal_from_request(request)
    if principal is None:
        return JsonResponse(UNAUTHENTICATED.openai_body(), status=401)
    return JsonResponse(_model_list(principal))
