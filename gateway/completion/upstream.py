"""Calling a provider through its official SDK, as one stream of events whatever the provider
or mode: Delta(text)..., ToolCalls(calls) when the model called tools, then
Finish(reason, usage). Failures become UpstreamFailure, which says
whether a retry or a fallback may help and what the caller is told (the provider's own
message, with anything secret-looking removed).
"""

import asyncio
import contextlib
import email.utils
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import anthropic
import httpx2
import openai
from openai._httpx2 import request_exceptions as openai_request_exceptions
from openai._httpx2 import timeout_exceptions as openai_timeout_exceptions
from openai._streaming_cleanup import drain_response_async

from ..models import Provider
from ..redaction import redact_secrets
from .clients import RefusedAddress, client_for
from .plan import Target

ANTHROPIC_DEFAULT_MAX_TOKENS = 4096
# Anthropic's stop reasons in OpenAI's words.
ANTHROPIC_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
MAX_MESSAGE = 1000


@dataclass
class Delta:
    text: str


@dataclass
class ToolCalls:
    """The tools the model called, whole (a stream's fragments are joined first):
    [{"id", "name", "arguments"}], arguments being the JSON text the model wrote."""

    calls: list[dict]


@dataclass
class Finish:
    reason: str
    input_tokens: int | None
    output_tokens: int | None


class UpstreamFailure(Exception):
    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        retryable: bool = False,
        fallback_ok: bool = True,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable
        self.fallback_ok = fallback_ok
        self.retry_after = retry_after


def _timeout(target: Target) -> httpx2.Timeout:
    return httpx2.Timeout(target.total_timeout, connect=target.connect_timeout)


def _stream_timeout(target: Target) -> httpx2.Timeout:
    """A stream's reads have no timeout of their own: the service's deadline for the whole
    attempt (service.py, _next: total_timeout from before the request) bounds every read, and
    always ends first, while a read timeout costs a new timer for every chunk received."""
    return httpx2.Timeout(target.total_timeout, connect=target.connect_timeout, read=None)


async def events(target: Target, messages: list[dict], stream: bool) -> AsyncIterator:
    """The provider's answer as events. Closing the iterator closes the upstream response
    (the provider sees the connection go: that is how a cancelled call is cancelled there)."""
    client = client_for(target.provider, target.api_key)
    if target.kind == Provider.Kind.ANTHROPIC:
        source = _anthropic(client, target, messages, stream)
    else:
        source = _openai(client, target, messages, stream)
    try:
        async with contextlib.aclosing(source):  # closed now, not whenever it is collected
            async for event in source:
                yield event
    except (UpstreamFailure, GeneratorExit):
        raise
    except Exception as error:  # noqa: BLE001 - every provider failure is classified
        raise classify(error, target) from error


async def _openai(client, target: Target, messages: list[dict], stream: bool):
    params = dict(target.params)
    upstream = target.model.upstream_name
    if not stream:
        # As for streams: the SDK makes the request and raises its status errors; the answer
        # is read as plain JSON rather than built into the SDK's pydantic objects.
        raw = await client.chat.completions.with_raw_response.create(
            model=upstream, messages=messages, timeout=_timeout(target), **params
        )
        response = json.loads(raw.content)
        if not isinstance(response, dict):
            raise ValueError("An answer that is not a JSON object.")
        choices = response.get("choices") or []
        choice = choices[0] if isinstance(choices[0] if choices else None, dict) else {}
        message = choice.get("message") or {}
        if text := message.get("content") or "":
            yield Delta(text)
        calls = [
            {
                "id": call.get("id") or "",
                "name": call["function"].get("name") or "",
                "arguments": call["function"].get("arguments") or "",
            }
            for call in message.get("tool_calls") or ()
            if isinstance(call, dict) and isinstance(call.get("function"), dict)
        ]
        if calls:
            yield ToolCalls(calls)
        usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
        yield Finish(
            choice.get("finish_reason") or "stop",
            usage.get("prompt_tokens"),
            usage.get("completion_tokens"),
        )
        return
    stream = await client.chat.completions.create(
        model=upstream,
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        timeout=_stream_timeout(target),
        **params,
    )
    # The SDK made the request (headers, status errors); the body's events are read here as
    # plain JSON rather than as the SDK's pydantic chunk objects, which cost more per chunk
    # than the rest of the gateway's streaming path together (B3, bench/README.md).
    reason, input_tokens, output_tokens = None, None, None
    calls: dict[int, dict] = {}  # a call's fragments, by its index
    try:
        async with contextlib.aclosing(_sse_data(stream.response)) as events:
            async for data in events:
                chunk = json.loads(data)
                if not isinstance(chunk, dict):
                    raise ValueError("A stream chunk that is not a JSON object.")
                if chunk.get("error"):
                    raise _stream_error(chunk["error"], stream.response)
                usage = chunk.get("usage")
                if isinstance(usage, dict):
                    input_tokens = usage.get("prompt_tokens")
                    output_tokens = usage.get("completion_tokens")
                for choice in chunk.get("choices") or ():
                    if choice.get("index", 0) != 0:
                        continue
                    delta = choice.get("delta") or {}
                    if content := delta.get("content"):
                        yield Delta(content)
                    for fragment in delta.get("tool_calls") or ():
                        call = calls.setdefault(
                            fragment.get("index", 0), {"id": "", "name": "", "arguments": ""}
                        )
                        call["id"] = fragment.get("id") or call["id"]
                        function = fragment.get("function")
                        if function is not None:
                            call["name"] = function.get("name") or call["name"]
                            call["arguments"] += function.get("arguments") or ""
                    if choice.get("finish_reason"):
                        reason = choice["finish_reason"]
    finally:
        await stream.close()
    if reason is None:
        raise UpstreamFailure(
            status=502,
            code="stream_incomplete",
            message="The provider's stream ended before the answer was finished.",
        )
    if calls:
        yield ToolCalls([calls[index] for index in sorted(calls)])
    yield Finish(reason, input_tokens, output_tokens)


_LINE_END = re.compile(rb"\r\n|\r|\n")


async def _sse_data(response: httpx2.Response) -> AsyncIterator[bytes]:
    """The data of each server-sent event until [DONE], read as the SDK's decoder reads them
    (CR, LF or CRLF line ends; several data lines joined by newlines; comments and other
    fields ignored; an event the body ends in the middle of is dropped), with its mapping of
    transport errors, so classify() sees what it saw when the SDK read the stream."""
    pending, data = b"", []
    try:
        async for raw in response.aiter_bytes():
            buffer = pending + raw if pending else raw
            # A CR at the end may be half of a CRLF: it waits for the next bytes.
            end = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)
            start = 0
            for line_end in _LINE_END.finditer(buffer, 0, end):
                line = buffer[start : line_end.start()]
                start = line_end.end()
                if not line:  # an empty line ends the event
                    if data:
                        event = data[0] if len(data) == 1 else b"\n".join(data)
                        data = []
                        if event.startswith(b"[DONE]"):
                            if response.http_version == "HTTP/1.1":  # as the SDK: reusable
                                await drain_response_async(response)
                            return
                        yield event
                    continue
                name, _, value = line.partition(b":")
                if name == b"data":
                    data.append(value[1:] if value.startswith(b" ") else value)
            pending = buffer[start:]
        if pending == b"\r" and data:  # the CR held back was the last event's end after all
            event = b"\n".join(data)
            if not event.startswith(b"[DONE]"):
                yield event
    except openai_timeout_exceptions() as error:
        raise openai.APITimeoutError(request=response.request) from error
    except openai_request_exceptions() as error:
        raise openai.APIConnectionError(request=response.request) from error


def _stream_error(error, response: httpx2.Response) -> openai.APIError:
    """An error event in the stream, raised as the SDK raises it."""
    message = error.get("message") if isinstance(error, dict) else None
    if not message or not isinstance(message, str):
        message = "An error occurred during streaming"
    return openai.APIError(message, response.request, body=error)


def _anthropic_request(target: Target, messages: list[dict]) -> dict:
    params = dict(target.params)
    max_tokens = params.pop("max_tokens", None) or params.pop("max_completion_tokens", None)
    params.pop("max_completion_tokens", None)
    stop = params.pop("stop", None)
    if stop:
        params["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    system = "\n\n".join(
        str(m.get("content", "")) for m in messages if m.get("role") in ("system", "developer")
    )
    turns = [
        {"role": m.get("role"), "content": m.get("content", "")}
        for m in messages
        if m.get("role") not in ("system", "developer")
    ]
    if system:
        params["system"] = system
    params.update(_anthropic_tools(params))
    return {
        "model": target.model.upstream_name,
        "messages": turns,
        "max_tokens": max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
        **params,
    }


def _anthropic_tools(params: dict) -> dict:
    """Pops the OpenAI-format tool parameters from params; returns Anthropic's."""
    tools = params.pop("tools", None) or []
    choice = params.pop("tool_choice", None)
    parallel = params.pop("parallel_tool_calls", None)
    if not tools or choice == "none":
        return {}
    converted = []
    for tool in tools:
        function = tool.get("function", {})
        entry = {
            "name": function.get("name", ""),
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
        if function.get("description"):
            entry["description"] = function["description"]
        converted.append(entry)
    anthropic_choice: dict = {"type": "auto"}
    if choice == "required":
        anthropic_choice = {"type": "any"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        anthropic_choice = {"type": "tool", "name": choice["function"].get("name", "")}
    if parallel is False:
        anthropic_choice["disable_parallel_tool_use"] = True
    if choice is None and parallel is None:
        return {"tools": converted}
    return {"tools": converted, "tool_choice": anthropic_choice}


async def _anthropic(client, target: Target, messages: list[dict], stream: bool):
    request = _anthropic_request(target, messages)
    if not stream:
        message = await client.messages.create(**request, timeout=_timeout(target))
        text = "".join(
            block.text for block in message.content if getattr(block, "type", "") == "text"
        )
        if text:
            yield Delta(text)
        calls = [
            {"id": block.id, "name": block.name, "arguments": json.dumps(block.input)}
            for block in message.content
            if getattr(block, "type", "") == "tool_use"
        ]
        if calls:
            yield ToolCalls(calls)
        yield Finish(
            ANTHROPIC_FINISH.get(message.stop_reason or "", message.stop_reason or "stop"),
            message.usage.input_tokens if message.usage else None,
            message.usage.output_tokens if message.usage else None,
        )
        return
    response = await client.messages.create(**request, stream=True, timeout=_stream_timeout(target))
    reason, input_tokens, output_tokens, stopped = None, None, None, False
    calls: dict[int, dict] = {}  # tool_use blocks by their index; input arrives as JSON text
    try:
        async for event in response:
            kind = event.type
            delta_kind = getattr(getattr(event, "delta", None), "type", "")
            if kind == "message_start":
                usage = event.message.usage
                input_tokens = usage.input_tokens if usage else None
            elif kind == "content_block_start" and event.content_block.type == "tool_use":
                block = event.content_block
                calls[event.index] = {"id": block.id, "name": block.name, "arguments": ""}
            elif kind == "content_block_delta" and delta_kind == "input_json_delta":
                if event.index in calls:
                    calls[event.index]["arguments"] += event.delta.partial_json or ""
            elif kind == "content_block_delta" and delta_kind == "text_delta":
                if event.delta.text:
                    yield Delta(event.delta.text)
            elif kind == "message_delta":
                reason = event.delta.stop_reason
                if event.usage is not None:
                    output_tokens = event.usage.output_tokens
            elif kind == "message_stop":
                stopped = True
    finally:
        await response.close()
    if not stopped:
        raise UpstreamFailure(
            status=502,
            code="stream_incomplete",
            message="The provider's stream ended before the answer was finished.",
        )
    if calls:
        # A call without input streams no fragment: its arguments are the empty object.
        yield ToolCalls(
            [{**call, "arguments": call["arguments"] or "{}"} for _, call in sorted(calls.items())]
        )
    yield Finish(ANTHROPIC_FINISH.get(reason or "", reason or "stop"), input_tokens, output_tokens)


def retry_after_seconds(headers) -> float | None:
    """Retry-After (seconds or an HTTP date) or retry-after-ms, as seconds."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def provider_message(error: Exception, target: Target) -> str:
    """What the provider said, without its secrets (nor our key)."""
    body = getattr(error, "body", None)
    message = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
        if message is None and isinstance(inner, str):
            message = inner
    if not message:
        message = getattr(error, "message", None) or str(error) or type(error).__name__
    message = str(message)
    if target.api_key and len(target.api_key) >= 4:
        message = message.replace(target.api_key, "[secret]")
    return redact_secrets(message)[:MAX_MESSAGE]


def _refused(error: BaseException) -> RefusedAddress | None:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, RefusedAddress):
            return error
        for attribute in ("os_error",):
            nested = getattr(error, attribute, None)
            if isinstance(nested, RefusedAddress):
                return nested
        error = error.__cause__ or error.__context__
    return None


def _causes(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _connection_refused(error: BaseException) -> bool:
    """The SDKs' aiohttp transport reports a refused connection as a connect *timeout*."""
    return any(
        isinstance(cause, aiohttp.ClientConnectorError)
        and not isinstance(cause, asyncio.TimeoutError)
        for cause in _causes(error)
    )


def classify(error: Exception, target: Target) -> UpstreamFailure:
    name = f"“{target.provider.name}”"
    refused = _refused(error)
    if refused is not None:
        return UpstreamFailure(
            status=400, code="provider_url_refused", message=str(refused), fallback_ok=True
        )
    if _connection_refused(error):
        return UpstreamFailure(
            status=502,
            code="provider_unreachable",
            message=f"The provider {name} could not be reached.",
            retryable=True,
        )
    if isinstance(error, openai.APITimeoutError | anthropic.APITimeoutError | TimeoutError):
        return UpstreamFailure(
            status=504,
            code="timeout",
            message=f"The provider {name} did not answer in time.",
        )
    if isinstance(error, openai.APIStatusError | anthropic.APIStatusError):
        status = error.status_code
        said = provider_message(error, target)
        if status == 429:
            return UpstreamFailure(
                status=429,
                code="rate_limit_exceeded",
                message=f"The provider {name} is rate limiting: {said}",
                retryable=True,
                retry_after=retry_after_seconds(error.response.headers),
            )
        if status >= 500 or status == 408:
            return UpstreamFailure(
                status=502,
                code="provider_error",
                message=f"The provider {name} failed ({status}): {said}",
                retryable=True,
                retry_after=retry_after_seconds(error.response.headers),
            )
        if status in (401, 403):
            return UpstreamFailure(
                status=502,
                code="provider_auth_failed",
                message=f"The provider {name} refused its API key ({status}): an admin can "
                f"check it on the Providers page. The provider said: {said}",
            )
        if status == 404:
            return UpstreamFailure(
                status=502,
                code="provider_model_not_found",
                message=f"The provider {name} doesn't know model "
                f"“{target.model.upstream_name}”: {said}",
            )
        return UpstreamFailure(
            status=400,
            code="provider_rejected_request",
            message=f"The provider {name} refused the request ({status}): {said}",
            fallback_ok=False,
        )
    if isinstance(error, openai.APIConnectionError | anthropic.APIConnectionError):
        return UpstreamFailure(
            status=502,
            code="provider_unreachable",
            message=f"The provider {name} could not be reached.",
            retryable=True,
        )
    if isinstance(error, httpx2.TimeoutException):
        return UpstreamFailure(
            status=504, code="timeout", message=f"The provider {name} stopped answering in time."
        )
    if isinstance(error, httpx2.HTTPError | OSError):
        return UpstreamFailure(
            status=502,
            code="stream_interrupted",
            message=f"The connection to the provider {name} broke off mid-answer.",
        )
    if isinstance(error, json.JSONDecodeError | ValueError | openai.APIError | anthropic.APIError):
        return UpstreamFailure(
            status=502,
            code="provider_malformed_response",
            message=f"The provider {name} sent an answer that could not be read.",
        )
    return UpstreamFailure(
        status=502,
        code="provider_error",
        message=f"The call to the provider {name} failed ({type(error).__name__}).",
    )
