"""A small, real HTTP server that speaks enough of the OpenAI and Anthropic APIs.

It serves two purposes:

* the test-suite points the official SDKs (and the gateway) at it instead of the real
  providers, and scripts failures with :meth:`FakeLLMServer.fail_next`;
* ``manage.py demo_model_server`` runs it as the "Local demo model", so the product works
  offline. It is a deterministic echo, not a language model.

Endpoints: ``POST /v1/chat/completions`` (OpenAI, with ``stream``), ``POST /v1/messages``
(Anthropic, with ``stream``), ``GET /v1/models`` and ``GET /health``.

Replies and token counts come from :mod:`~gateway.fake_llm.demo_model`, failures from
:mod:`~gateway.fake_llm.faults`; :mod:`~gateway.fake_llm.openai_format` and
:mod:`~gateway.fake_llm.anthropic_format` shape them for the wire. Their names that lived
in this module before it was split stay importable from here (the ``x as x`` imports).
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gateway.fake_llm.anthropic_format import anthropic_error as anthropic_error
from gateway.fake_llm.anthropic_format import anthropic_events as anthropic_events
from gateway.fake_llm.anthropic_format import anthropic_message, anthropic_models
from gateway.fake_llm.demo_model import DEMO_MODELS as DEMO_MODELS
from gateway.fake_llm.demo_model import REPLY_QUOTE_LIMIT as REPLY_QUOTE_LIMIT
from gateway.fake_llm.demo_model import Answer as Answer
from gateway.fake_llm.demo_model import build_answer as build_answer
from gateway.fake_llm.demo_model import content_text as content_text
from gateway.fake_llm.demo_model import count_tokens as count_tokens
from gateway.fake_llm.demo_model import demo_reply as demo_reply
from gateway.fake_llm.faults import DEFAULT_DELAY as DEFAULT_DELAY
from gateway.fake_llm.faults import DEFAULT_RETRY_AFTER as DEFAULT_RETRY_AFTER
from gateway.fake_llm.faults import FAULT_KINDS as FAULT_KINDS
from gateway.fake_llm.faults import Fault, fault_from_model, make_fault
from gateway.fake_llm.generation import (
    Provider,
    _malformed_event,
    _parse_generation,
    _ParsedRequest,
    _sse_events,
    _validate,
    provider_error,
)
from gateway.fake_llm.openai_format import openai_chunks as openai_chunks
from gateway.fake_llm.openai_format import openai_completion, openai_models
from gateway.fake_llm.openai_format import openai_error as openai_error
from gateway.fake_llm.openai_format import openai_usage as openai_usage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it. Header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was empty or not JSON


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _ClientGone(Exception):
    """The client closed the connection; nothing left to answer."""


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
        recorded = RecordedRequest(self.command, path, _lower_headers(self), body)
        owner.record(recorded)
        try:
            self._route(path, raw, body)
        except _ClientGone:
            self.close_connection = True
            if not owner.stopping.is_set():  # the client went away mid-answer: a cancel
                owner.record_cancelled(recorded)

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
                raise _ClientGone
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
    request_queue_size = 128  # many clients connecting at once (benchmarks) are not refused
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
        self._cancelled: list[RecordedRequest] = []
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

    @property
    def cancelled(self) -> list[RecordedRequest]:
        """Generation requests whose client went away before the answer was complete (a
        hung or slow answer, a stream in progress), oldest first."""
        with self._lock:
            return list(self._cancelled)

    def record_cancelled(self, request: RecordedRequest) -> None:
        with self._lock:
            self._cancelled.append(request)

    def clear(self) -> None:
        """Forget recorded requests."""
        with self._lock:
            self._requests.clear()

    def reset(self) -> None:
        """Forget recorded requests and pending faults (used between tests)."""
        with self._lock:
            self._requests.clear()
            self._cancelled.clear()
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
