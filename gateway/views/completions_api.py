"""The native completions API at /api/v1/completions (django-ninja; mounted in config/api.py).

POST /api/v1/completions runs a completion (a stored prompt with variables, raw `prompt` text or
`messages`) and answers {"id", "model", "completion": {"text", "finish_reason"},
"token_usage": {"prompt", "completion", "total"}, "prompt": {...}}; with "stream": true, SSE
events {"completion": {"text": DELTA}} and a final one carrying finish_reason, token_usage and
id. When the model called tools (OpenAI-format `tools` in the body), "completion" also carries
"tool_calls": [{"id", "name", "arguments"}] (the final event, when streaming).
POST /api/v1/completions/{id}/feedback scores a logged completion.

Any role may run completions (running changes nothing stored but the call's own log row);
feedback needs Action.GIVE_FEEDBACK (editors and up).
"""

import time
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Router, Schema, Status

from promptregistry import content
from promptregistry.api.schemas import MAX_INT, ErrorOut
from workspaces import access
from workspaces.api_errors import ApiError
from workspaces.principal import Principal
from workspaces.roles import Action

from ..completion import CompletionCall, CompletionRequest, Delta, Finish, GatewayError, parsing
from ..completion.http import RecordedResponse, finish_wsgi, sse, stream_response
from ..models import Completion
from ..services.feedback import feedback_create

router = Router(tags=["completions"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class CompletionIn(Schema):
    model: str = Field(
        "", max_length=200, description="A model or alias of the workspace; empty: the prompt's"
    )
    prompt: str | None = Field(None, description="Raw prompt text, sent as one user message")
    messages: list[dict[str, Any]] | None = Field(
        None, description="Raw chat messages, or what fills a chat prompt's placeholders"
    )
    prompt_name: str | None = Field(None, max_length=255, description="A stored prompt")
    prompt_label: str | None = Field(None, max_length=36, description="Default: production")
    prompt_version: int | None = Field(None, ge=1, le=MAX_INT)
    variables: dict[str, Any] = Field(default_factory=dict)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = Field(None, ge=1, le=MAX_INT)
    top_p: float | None = None
    stop: str | list[str] | None = None
    tools: list[dict[str, Any]] | None = Field(
        None, description='OpenAI-format tools: [{"type": "function", "function": {...}}]'
    )
    tool_choice: str | dict[str, Any] | None = Field(
        None, description='"auto", "none", "required" or {"type": "function", ...}'
    )
    parallel_tool_calls: bool | None = None
    fallbacks: list[str] | None = Field(None, description="Models tried when the model fails")
    user: str | None = Field(None, max_length=255, description="Your end user's id, for the log")
    session_id: str | None = Field(None, max_length=255)
    trace_id: str | None = Field(None, max_length=255)
    tags: list[str] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ToolCallOut(Schema):
    id: str
    name: str
    arguments: str = Field(..., description="The arguments as the JSON text the model wrote")


class CompletionText(Schema):
    text: str
    finish_reason: str
    tool_calls: list[ToolCallOut] | None = Field(None, description="Present when tools were called")


class TokenUsage(Schema):
    prompt: int
    completion: int
    total: int


class PromptServed(Schema):
    name: str
    version: int
    label: str | None


class CompletionOut(Schema):
    id: str
    model: str
    completion: CompletionText
    token_usage: TokenUsage
    prompt: PromptServed | None


class FeedbackIn(Schema):
    score: float = Field(..., ge=-1, le=1, description="-1..1 (thumbs: -1 or 1; 0..1 fits too)")
    comment: str = Field("", max_length=10_000)


class FeedbackOut(Schema):
    id: int
    completion_id: str
    score: float
    comment: str


def _request(principal: Principal, payload: CompletionIn) -> CompletionRequest:
    body = payload.dict()
    problem = content.json_problem(body)
    if problem:
        raise parsing.invalid(problem)
    messages = parsing.messages(body)
    if payload.prompt is not None and not payload.prompt_name:
        messages = [{"role": "user", "content": payload.prompt}]
    return CompletionRequest(
        principal=principal,
        source=Completion.Source.API,
        model=payload.model,
        messages=messages,
        prompt_name=payload.prompt_name or "",
        prompt_label=payload.prompt_label,
        prompt_version=payload.prompt_version,
        variables=payload.variables,
        params=parsing.params(body),
        fallbacks=payload.fallbacks,
        stream=payload.stream,
        user_ref=payload.user or "",
        session_id=payload.session_id or "",
        trace_id=payload.trace_id or "",
        tags=parsing.tags(payload.tags),
        metadata=payload.metadata,
    )


def native_error(error: GatewayError, call: CompletionCall | None = None) -> RecordedResponse:
    response = RecordedResponse(error.native_body(), call=call, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(max(1, round(error.retry_after)))
    return response


def _token_usage(call: CompletionCall) -> dict:
    input_tokens, output_tokens, _ = call.tokens()
    input_tokens, output_tokens = input_tokens or 0, output_tokens or 0
    return {
        "prompt": input_tokens,
        "completion": output_tokens,
        "total": input_tokens + output_tokens,
    }


def _prompt(call: CompletionCall) -> dict | None:
    served = call.plan.served if call.plan else None
    if served is None:
        return None
    return {"name": served.name, "version": served.number, "label": served.served_label}


@router.post(
    "",
    response={200: CompletionOut, 429: ErrorOut, 502: ErrorOut, 504: ErrorOut, **ERRORS},
    summary="Run a completion",
    operation_id="completion_create",
    url_name="completion_create",
)
async def completion_create(request, payload: CompletionIn):
    started = time.monotonic()
    try:
        completion_request = _request(request.auth, payload)
    except GatewayError as error:
        return native_error(error)
    call = CompletionCall(completion_request, started=started)
    try:
        await call.start()
    except GatewayError as error:
        await finish_wsgi(request)
        return native_error(error, call)
    if not payload.stream:
        await finish_wsgi(request)
        result = call.result()
        completion = {"text": result.text, "finish_reason": result.finish_reason}
        if result.tool_calls:
            completion["tool_calls"] = result.tool_calls
        body = {
            "id": str(call.public_id),
            "model": result.model,
            "completion": completion,
            "token_usage": _token_usage(call),
            "prompt": _prompt(call),
        }
        return RecordedResponse(body, call=call)
    return await stream_response(request, _events(call), call)


async def _events(call: CompletionCall):
    try:
        async for event in call.events():
            if isinstance(event, Delta):
                yield sse({"completion": {"text": event.text}})
            elif isinstance(event, Finish):
                completion = {"text": "", "finish_reason": event.reason}
                if call.tool_calls:
                    completion["tool_calls"] = call.tool_calls
                yield sse(
                    {
                        "id": str(call.public_id),
                        "model": call.plan.requested_model,
                        "completion": completion,
                        "token_usage": _token_usage(call),
                        "prompt": _prompt(call),
                    }
                )
    except GatewayError as error:
        yield sse(error.native_body())


def completion_for(principal: Principal, completion_id: str) -> Completion:
    """A completion of the key's workspace by its id (the UUID, or OpenAI's chatcmpl-<hex>)."""
    try:
        public_id = uuid.UUID(completion_id.removeprefix("chatcmpl-"))
    except ValueError as error:
        raise Http404("No such completion.") from error
    return access.object_for(
        principal, Completion.objects.all(), Action.GIVE_FEEDBACK, public_id=public_id
    )


@router.post(
    "/{completion_id}/feedback",
    response={201: FeedbackOut, **ERRORS},
    summary="Score a logged completion",
    operation_id="completion_feedback",
    url_name="completion_feedback",
)
def completion_feedback(request, completion_id: str, payload: FeedbackIn):
    principal: Principal = request.auth
    completion = completion_for(principal, completion_id)
    try:
        feedback = feedback_create(
            principal=principal,
            completion=completion,
            score=payload.score,
            comment=payload.comment,
        )
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ApiError(400, "invalid_request", messages[0], field) from error
    return Status(
        201,
        FeedbackOut(
            id=feedback.pk,
            completion_id=str(completion.public_id),
            score=feedback.score,
            comment=feedback.comment,
        ),
    )
