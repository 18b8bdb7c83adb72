"""A small, real HTTP server that speaks enough of the OpenAI and Anthropic APIs.

It serves two purposes:

* the test-suite points the official SDKs (and the gateway) at it instead of the real
  providers, and scripts failures with :meth:`FakeLLMServer.fail_next`;
* ``manage.py demo_model_server`` runs it as the "Local demo model", so the product works
  offline. It is a deterministic echo, not a language model.

Endpoints: ``POST /v1/chat/completions`` (OpenAI, with ``stream``), ``POST /v1/messages``
(Anthropic, with ``stream``), ``GET /v1/models`` and ``GET /health``.

Token counting is deliberately naive: one token per whitespace-separated word. Prompt tokens
are the words of every message (and the Anthropic ``system`` parameter); completion tokens
are the words of the reply. ``max_tokens`` / ``max_completion_tokens`` truncate the reply to
that many words.

Faults are scripted two ways. In-process tests queue them with
``server.fail_next("429", times=2, retry_after=1)``. Other processes (Celery workers, the
browser) cannot reach the queue, so a request for a model named ``fake-<kind>`` (for example
``fake-slow`` or ``fake-slow-2.5`` for a 2.5 s delay) triggers the same fault. Queued faults
win over model-name faults, and both apply only to the generation endpoints.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

logger = logging.getLogger(__name__)

Provider = Literal["openai", "anthropic"]

FAULT_KINDS = ("slow", "429", "500", "malformed", "cut", "hang")
DEFAULT_DELAY = 1.0
DEFAULT_RETRY_AFTER = 1
REPLY_QUOTE_LIMIT = 200

DEMO_MODELS = (
    "local-demo",
    "fake-slow",
    "fake-429",
    "fake-500",
    "fake-malformed",
    "fake-cut",
    "fake-hang",
)

# Words plus their trailing whitespace, so that joining the pieces gives the text back exactly.
_WORD_PIECES = re.compile(r"\S+\s*")


# --------------------------------------------------------------------------------------------
# Data recorded and scripted by tests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it. Header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was empty or not JSON


@dataclass(frozen=True)
class Fault:
    """A scripted failure. ``delay`` and ``chunk_delay`` are seconds."""

    kind: str
    delay: float = DEFAULT_DELAY
    chunk_delay: float | None = None  # defaults to ``delay`` between stream chunks
    retry_after: int = DEFAULT_RETRY_AFTER

    @property
    def stream_chunk_delay(self) -> float:
        return self.delay if self.chunk_delay is None else self.chunk_delay


def make_fault(kind: str, **opts: Any) -> Fault:
    """Validate a fault kind and its options; raises ValueError on anything unknown."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
    unknown = set(opts) - {"delay", "chunk_delay", "retry_after"}
    if unknown:
        raise ValueError(f"unknown fault options: {sorted(unknown)}")
    return Fault(kind=kind, **opts)


def fault_from_model(model: str) -> Fault | None:
    """``fake-<kind>`` or ``fake-<kind>-<number>`` (delay for slow, Retry-After for 429)."""
    match = re.fullmatch(r"fake-(slow|429|500|malformed|cut|hang)(?:-(\d+(?:\.\d+)?))?", model)
    if match is None:
        return None
    kind, number = match.group(1), match.group(2)
    if number is None:
        return Fault(kind=kind)
    if kind == "429":
        return Fault(kind=kind, retry_after=max(0, round(float(number))))
    return Fault(kind=kind, delay=float(number))


# --------------------------------------------------------------------------------------------
# The deterministic "model"
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    truncated: bool  # cut by max_tokens

    @property
    def pieces(self) -> list[str]:
        """The reply split into word chunks for streaming."""
        return _WORD_PIECES.findall(self.text)


def count_tokens(text: str) -> int:
    """One token per whitespace-separated word."""
    return len(text.split())


def content_text(content: Any) -> str:
    """Text of a message ``content``: a string or a list of parts (only text parts count)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return " ".join(texts)
    return ""


def demo_reply(user_text: str) -> str:
    """The reply for a user message: the same input always gives the same output."""
    quoted = " ".join(user_text.split())
    if len(quoted) > REPLY_QUOTE_LIMIT:
        quoted = quoted[:REPLY_QUOTE_LIMIT] + "..."
    words = count_tokens(user_text)
    unit = "word" if words == 1 else "words"
    return f'Local demo model reply to: "{quoted}" ({words} {unit}).'


def build_answer(messages: list[Any], system_text: str, max_tokens: int | None) -> Answer:
    texts = [system_text] + [
        content_text(m.get("content")) for m in messages if isinstance(m, dict)
    ]
    user_texts = [
        content_text(m.get("content"))
        for m in messages
        if isinstance(m, dict) and m.get("role") == "user"
    ]
    reply = demo_reply(user_texts[-1] if user_texts else "")
    pieces = _WORD_PIECES.findall(reply)
    truncated = max_tokens is not None and 0 <= max_tokens < len(pieces)
    if truncated:
        reply = "".join(pieces[:max_tokens]).rstrip()
    return Answer(
        text=reply,
        prompt_tokens=sum(count_tokens(t) for t in texts),
        completion_tokens=count_tokens(reply),
        truncated=truncated,
    )


# --------------------------------------------------------------------------------------------
# Provider wire formats
# --------------------------------------------------------------------------------------------


def openai_error(message: str, error_type: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def anthropic_error(message: str, error_type: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def provider_error(provider: Provider, status: int, message: str) -> dict[str, Any]:
    """An error body shaped like the provider's for the given HTTP status."""
    openai_kinds = {
        400: ("invalid_request_error", None),
        401: ("invalid_request_error", "invalid_api_key"),
        404: ("invalid_request_error", "unknown_url"),
        429: ("requests", "rate_limit_exceeded"),
        500: ("server_error", None),
    }
    anthropic_kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        404: "not_found_error",
        429: "rate_limit_error",
        500: "api_error",
    }
    if provider == "anthropic":
        return anthropic_error(message, anthropic_kinds.get(status, "api_error"))
    error_type, code = openai_kinds.get(status, ("server_error", None))
    return openai_error(message, error_type, code)


def openai_completion(model: str, answer: Answer) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text, "refusal": None},
                "logprobs": None,
                "finish_reason": "length" if answer.truncated else "stop",
            }
        ],
        "usage": openai_usage(answer),
    }


def openai_usage(answer: Answer) -> dict[str, int]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.prompt_tokens + answer.completion_tokens,
    }


def openai_chunks(model: str, answer: Answer, include_usage: bool) -> Iterator[dict[str, Any]]:
    """The chat.completion.chunk objects of a stream, in order (without ``[DONE]``)."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
    }
    # With include_usage OpenAI sends "usage": null on every chunk but the last.
    extra: dict[str, Any] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**base, "choices": [choice], **extra}

    yield chunk({"role": "assistant", "content": ""})
    for piece in answer.pieces:
        yield chunk({"content": piece})
    yield chunk({}, "length" if answer.truncated else "stop")
    if include_usage:
        yield {**base, "choices": [], "usage": openai_usage(answer)}


def anthropic_message(model: str, answer: Answer) -> dict[str, Any]:
    return {
        "id": f"msg_{uuid.uuid4().hex}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": answer.text}],
        "stop_reason": "max_tokens" if answer.truncated else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": answer.prompt_tokens, "output_tokens": answer.completion_tokens},
    }


def anthropic_events(model: str, answer: Answer) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs of an Anthropic message stream, in order."""
    start = anthropic_message(model, answer)
    start.update(content=[], stop_reason=None)
    start["usage"] = {"input_tokens": answer.prompt_tokens, "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    yield (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    yield "ping", {"type": "ping"}
    for piece in answer.pieces:
        delta = {"type": "text_delta", "text": piece}
        yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": "max_tokens" if answer.truncated else "end_turn",
                "stop_sequence": None,
            },
            "usage": {
                "input_tokens": answer.prompt_tokens,
                "output_tokens": answer.completion_tokens,
            },
        },
    )
    yield "message_stop", {"type": "message_stop"}


def openai_models() -> dict[str, Any]:
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "promptops-local-demo"}
        for name in DEMO_MODELS
    ]
    return {"object": "list", "data": data}


def anthropic_models() -> dict[str, Any]:
    data = [
        {
            "type": "model",
            "id": name,
            "display_name": f"Local demo model ({name})",
            "created_at": "2025-01-01T00:00:00Z",
        }
        for name in DEMO_MODELS
    ]
    return {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _ClientGone(Exception):
    """The client closed the connection; nothing left to answer."""


@dataclass
class _ParsedRequest:
    provider: Provider
    model: str
    stream: bool
    answer: Answer
    include_usage: bool = False
    fault: Fault | None = field(default=None)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so that streams can use chunked encoding, which lets the SDKs tell a complete
    # stream from one that was cut.
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "PromptOpsLocalDemo/1.0"

    def setup(self) -> None:
        super().setup()
        self.server.owner.track(self.connection)

    def finish(self) -> None:
        self.server.owner.untrack(self.connection)
        with contextlib.suppress(OSError):  # the peer is gone; nothing to flush to
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("fake_llm %s - " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    # -- dispatch -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        path = self.path.split("?", 1)[0]
        raw = self._read_body()
        body = _parse_json(raw)
        owner = self.server.owner
        owner.record(RecordedRequest(self.command, path, _lower_headers(self), body))
        try:
            self._route(path, raw, body)
        except _ClientGone:
            self.close_connection = True

    def _route(self, path: str, raw: bytes, body: Any) -> None:
        route = (self.command, path)
        if route == ("GET", "/health"):
            self._send_json(200, {"status": "ok", "server": "PromptOps local demo model"})
        elif route == ("GET", "/v1/models"):
            # The same path serves both SDKs; only Anthropic's sends anthropic-version.
            provider: Provider = "anthropic" if "anthropic-version" in self.headers else "openai"
            if self._authorised(provider):
                payload = anthropic_models() if provider == "anthropic" else openai_models()
                self._send_json(200, payload)
        elif route == ("POST", "/v1/chat/completions"):
            self._generate("openai", raw, body)
        elif route == ("POST", "/v1/messages"):
            self._generate("anthropic", raw, body)
        else:
            message = f"Unknown request URL: {self.command} {path}."
            self._send_json(404, provider_error("openai", 404, message))

    def _authorised(self, provider: Provider) -> bool:
        """Answer 401 and return False when the server has a key and the request lacks it."""
        if self.server.owner.key_accepted(self.headers):
            return True
        message = "Incorrect API key provided to the local demo model."
        self._send_json(401, provider_error(provider, 401, message))
        return False

    def _generate(self, provider: Provider, raw: bytes, body: Any) -> None:
        if not self._authorised(provider):
            return
        if not isinstance(body, dict):
            problem = "empty body" if not raw.strip() else "body is not a JSON object"
            self._send_json(400, provider_error(provider, 400, f"Invalid request: {problem}."))
            return
        problem = _validate(provider, body)
        if problem:
            self._send_json(400, provider_error(provider, 400, problem))
            return
        request = _parse_generation(provider, body)
        request.fault = self.server.owner.take_fault() or fault_from_model(request.model)
        self._answer(request)

    def _answer(self, request: _ParsedRequest) -> None:
        fault = request.fault
        if fault is not None and fault.kind == "hang":
            self._hang()
            return
        if fault is not None and fault.kind == "slow":
            self._sleep(fault.delay)
        if fault is not None and fault.kind in ("429", "500"):
            self._send_status_fault(request.provider, fault)
        elif request.stream:
            self._stream(request)
        else:
            self._send_complete(request)

    # -- responses ----------------------------------------------------------------------------

    def _send_status_fault(self, provider: Provider, fault: Fault) -> None:
        if fault.kind == "429":
            message = "Rate limit reached for the local demo model (scripted fault)."
            headers = {"Retry-After": str(fault.retry_after)}
            self._send_json(429, provider_error(provider, 429, message), headers)
        else:
            message = "The local demo model had an internal error (scripted fault)."
            self._send_json(500, provider_error(provider, 500, message))

    def _send_complete(self, request: _ParsedRequest) -> None:
        if request.provider == "openai":
            payload = openai_completion(request.model, request.answer)
        else:
            payload = anthropic_message(request.model, request.answer)
        data = json.dumps(payload).encode()
        kind = request.fault.kind if request.fault else None
        if kind == "malformed":
            # Valid HTTP, invalid JSON: the body stops in the middle of an object.
            data = data[: len(data) // 2]
        if kind == "cut":
            # Promise the whole body, send half of it, then drop the connection.
            self._send_head(200, "application/json", {"Content-Length": str(len(data))})
            self._write(data[: len(data) // 2])
            self._drop_connection()
            return
        self._send_head(200, "application/json", {"Content-Length": str(len(data))})
        self._write(data)

    def _stream(self, request: _ParsedRequest) -> None:
        fault = request.fault
        chunk_delay = fault.stream_chunk_delay if fault and fault.kind == "slow" else 0.0
        events = list(_sse_events(request))
        if fault is not None and fault.kind == "malformed":
            # Keep the opening event so the client is mid-stream when the garbage arrives.
            events = events[:1] + [_malformed_event(request.provider)] + events[-1:]
        cut = fault is not None and fault.kind == "cut"
        if cut:
            events = events[:4]
        self._send_head(200, "text/event-stream", {"Transfer-Encoding": "chunked"})
        for index, event in enumerate(events):
            if index and chunk_delay:
                self._sleep(chunk_delay)
            self._write_chunk(event)
        if cut:
            # No terminating chunk, no [DONE] / message_stop: the SDK sees a broken body.
            self._drop_connection()
            return
        self._write(b"0\r\n\r\n")

    def _hang(self) -> None:
        """Never answer; return when the server stops or the client gives up."""
        owner = self.server.owner
        while not owner.stopping.wait(0.05):
            if _peer_closed(self.connection):
                break
        self.close_connection = True

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        extra = {"Content-Length": str(len(data)), **(headers or {})}
        self._send_head(status, "application/json", extra)
        self._write(data)

    def _send_head(self, status: int, content_type: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
        except OSError as exc:
            raise _ClientGone from exc

    # -- low level ----------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:
            raise _ClientGone from exc

    def _write_chunk(self, data: bytes) -> None:
        self._write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _sleep(self, seconds: float) -> None:
        # Wake up early when the server stops, so stop() never waits for a slow answer.
        if self.server.owner.stopping.wait(seconds):
            raise _ClientGone

    def _drop_connection(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # already closed by the peer
            self.connection.shutdown(socket.SHUT_RDWR)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # hung handlers must never keep the process alive
    owner: FakeLLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that disconnect mid-answer are expected (timeouts, cut streams).
        logger.debug("fake_llm: error while handling %s", client_address, exc_info=True)


def _lower_headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {name.lower(): value for name, value in handler.headers.items()}


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _validate(provider: Provider, body: dict[str, Any]) -> str | None:
    """Return a message for the first missing/invalid required field, like the real APIs."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("messages"), list):
        return "messages: Field required"
    if provider == "anthropic" and not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    return None


def _parse_generation(provider: Provider, body: dict[str, Any]) -> _ParsedRequest:
    if provider == "openai":
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        system_text = ""
        stream_options = body.get("stream_options") or {}
        include_usage = bool(stream_options.get("include_usage"))
    else:
        max_tokens = body.get("max_tokens")
        system_text = content_text(body.get("system"))
        include_usage = False
    answer = build_answer(
        body["messages"], system_text, max_tokens if isinstance(max_tokens, int) else None
    )
    return _ParsedRequest(
        provider=provider,
        model=body["model"],
        stream=bool(body.get("stream")),
        answer=answer,
        include_usage=include_usage,
    )


def _sse_events(request: _ParsedRequest) -> Iterator[bytes]:
    if request.provider == "openai":
        for chunk in openai_chunks(request.model, request.answer, request.include_usage):
            yield f"data: {json.dumps(chunk)}\n\n".encode()
        yield b"data: [DONE]\n\n"
    else:
        for name, data in anthropic_events(request.model, request.answer):
            yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _malformed_event(provider: Provider) -> bytes:
    if provider == "openai":
        return b'data: {"id": "chatcmpl-malformed", "choices": [{"delta": \n\n'
    return b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": \n\n'


def _peer_closed(sock: socket.socket) -> bool:
    """True when the client has closed its side (a readable socket with nothing to read)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


class FakeLLMServer:
    """A fake OpenAI/Anthropic server on a background thread.

    >>> with FakeLLMServer() as server:
    ...     client = openai.OpenAI(base_url=server.openai_base_url, api_key="x")
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None):
        self.host = host
        self.port = port
        self.api_key = api_key
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        """Bind and serve on a daemon thread; returns self. ``port=0`` picks a free port."""
        if self._httpd is not None:
            raise RuntimeError("FakeLLMServer is already running")
        self.stopping.clear()
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.owner = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-llm-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes hung and slow handlers and closes open connections."""
        httpd = self._httpd
        if httpd is None:
            return
        self.stopping.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # the handler already closed it
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:8001`` (the Anthropic SDK's base_url)."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """``base_url + "/v1"`` (the OpenAI SDK's base_url)."""
        return self.base_url + "/v1"

    # -- recording and scripting --------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget recorded requests."""
        with self._lock:
            self._requests.clear()

    def reset(self) -> None:
        """Forget recorded requests and pending faults (used between tests)."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()

    def fail_next(self, kind: str, times: int = 1, **opts: Any) -> None:
        """Make the next ``times`` generation requests fail with ``kind``.

        Kinds: slow (delay=, chunk_delay=), 429 (retry_after=), 500, malformed, cut, hang.
        """
        fault = make_fault(kind, **opts)
        with self._lock:
            self._faults.extend([fault] * times)

    def take_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def key_accepted(self, headers: Any) -> bool:
        """Any key passes unless the server was given one; either auth header may carry it."""
        if self.api_key is None:
            return True
        bearer = headers.get("Authorization", "")
        presented = {headers.get("x-api-key", "")}
        if bearer.startswith("Bearer "):
            presented.add(bearer.removeprefix("Bearer "))
        return self.api_key in presented

    def track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
