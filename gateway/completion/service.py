"""The one completion service: every model call in the product goes through CompletionCall.

    call = CompletionCall(request)
    await call.start()               # plan, then call providers until the first text (stream)
                                     # or the whole answer; GatewayError if nothing came
    async for event in call.events():  # Delta(text)... [ToolCalls(calls)] Finish(reason, tokens)
        ...
    call.record()                    # exactly once, after the response was sent

start() renders the prompt and resolves the model (plan.aplan: from memory on a warm process,
else on a thread), then tries the model and its fallbacks: each with retries on rate limits,
server errors and lost connections (exponential backoff, Retry-After honoured), each attempt
within the model's total timeout.
Fallbacks are only tried before the first text reaches the caller. If the caller goes away
(the task is cancelled, or the event iterator is closed), the upstream response is closed
(the provider sees the connection drop) and the row says "cancelled".

Views record the row when Django closes the response (after its last byte; recorder.py writes
it within a moment, in a batch); callers without a response (evaluations) use complete(), which
writes it before returning.
"""

import asyncio
import logging
import random
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.utils import timezone

from workspaces.async_db import in_thread

from ..models import Completion, GatewaySettings
from ..redaction import stored_content
from . import recorder, upstream
from .errors import GatewayError
from .plan import Plan, Target, aplan
from .request import CompletionRequest
from .upstream import Delta, Finish, ToolCalls, UpstreamFailure

logger = logging.getLogger(__name__)

MAX_RETRY_WAIT = 30.0  # a Retry-After longer than this is passed on to the caller instead
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
_WORDS = re.compile(r"\w+|[^\w\s]")


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after
    return min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt) * random.uniform(0.75, 1.25)  # noqa: S311


def estimate_tokens(text: str) -> int:
    """A rough count (words and punctuation), used only when the provider reports none."""
    return len(_WORDS.findall(text or ""))


def _ms(since: float) -> int:
    return max(0, round((time.monotonic() - since) * 1000))


def _storable(text: str) -> str:
    """Text the database can store: no NUL, no unpaired surrogates."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


@dataclass
class CompletionResult:
    id: uuid.UUID
    text: str
    finish_reason: str
    input_tokens: int | None
    output_tokens: int | None
    model: str
    tool_calls: list[dict]  # [{"id", "name", "arguments"}]; empty when none was called


class CompletionCall:
    def __init__(self, request: CompletionRequest, *, started: float | None = None):
        self.request = request
        self.public_id = uuid.uuid4()
        self.created_at = timezone.now()
        self.started = started if started is not None else time.monotonic()
        self.plan: Plan | None = None
        self.target: Target | None = None
        self.retries = 0
        self.fallback_model = ""
        self.parts: list[str] = []
        self.tool_calls: list[dict] = []
        self.finish: Finish | None = None
        self.status = ""
        self.error_code = ""
        self.error_message = ""
        self.queue_ms: int | None = None
        self.ttft_ms: int | None = None
        self.latency_ms: int | None = None
        self._source = None
        self._pending: list = []
        self._deadline = 0.0
        self._expired = False  # the deadline passed while streaming (events())
        self._reader: asyncio.Task | None = None  # the task reading the stream just now
        self._written = False

    # -- running ---------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            self.plan = await aplan(self.request)
            await self._open()
        except GatewayError as error:
            self._failed(error.code, error.message)
            raise
        except asyncio.CancelledError:
            # The caller went away before any response existed (waiting for the first token):
            # no response will be closed, so the row is written here.
            self._cancelled()
            await self.arecord()
            raise

    async def _open(self) -> None:
        failure: UpstreamFailure | None = None
        for index, target in enumerate(self.plan.targets):
            attempt = 0
            while True:
                source = upstream.events(target, self.plan.messages, self.request.stream)
                if self.queue_ms is None:
                    self.queue_ms = _ms(self.started)
                try:
                    self._pending = await self._prime(source, target)
                except UpstreamFailure as error:
                    await source.aclose()
                    failure = error
                    self.parts, self.ttft_ms, self.finish = [], None, None
                    self.tool_calls = []
                    wait = backoff_seconds(attempt, error.retry_after)
                    if error.retryable and attempt < target.max_retries and wait <= MAX_RETRY_WAIT:
                        attempt += 1
                        self.retries += 1
                        await asyncio.sleep(wait)
                        continue
                    break
                except BaseException:
                    await source.aclose()
                    raise
                self.target, self._source = target, source
                if index:
                    self.fallback_model = target.model.name
                if not self.request.stream:  # the whole answer is in: done with the provider
                    await source.aclose()
                    self._source = None
                    self.latency_ms = _ms(self.started)
                return
            self.target = target
            if not failure.fallback_ok:
                break
        raise GatewayError(
            failure.status, failure.code, failure.message, retry_after=failure.retry_after
        )

    async def _prime(self, source, target: Target) -> list:
        """Read until the first text (stream) or the end (not streaming)."""
        self._deadline = asyncio.get_running_loop().time() + target.total_timeout
        read = []
        while True:
            event = await self._next(source, target)
            if event is None:
                raise UpstreamFailure(
                    status=502, code="provider_error", message="The provider sent no answer."
                )
            self._note(event)
            read.append(event)
            if isinstance(event, Finish) or (self.request.stream and isinstance(event, Delta)):
                return read

    async def _next(self, source, target: Target):
        try:
            async with asyncio.timeout_at(self._deadline):
                return await anext(source, None)
        except TimeoutError as error:
            raise self._timed_out(target) from error

    @staticmethod
    def _timed_out(target: Target) -> UpstreamFailure:
        return UpstreamFailure(
            status=504,
            code="timeout",
            message=f"The provider “{target.provider.name}” did not finish within "
            f"{target.total_timeout:g} s.",
        )

    def _note(self, event) -> None:
        if isinstance(event, Delta):
            if self.ttft_ms is None:
                self.ttft_ms = _ms(self.started)
            self.parts.append(event.text)
        elif isinstance(event, ToolCalls):
            if self.ttft_ms is None:
                self.ttft_ms = _ms(self.started)
            self.tool_calls.extend(event.calls)
        elif isinstance(event, Finish):
            self.finish = event
            self.status = Completion.Status.OK
            if self.ttft_ms is None:
                self.ttft_ms = _ms(self.started)

    async def events(self) -> AsyncIterator:
        """The answer's events (after start()). Raises GatewayError when the provider fails
        mid-stream; the row records it either way."""
        watchdog = None
        try:
            for event in self._pending:
                yield event
            self._pending = []
            if self.finish is None:
                # The rest of the stream, within the attempt's deadline: one timer for the
                # whole stream rather than an asyncio.timeout (a new timer) for every chunk.
                watchdog = asyncio.get_running_loop().call_at(self._deadline, self._expire)
            while self.finish is None:
                event = await self._read_by_deadline()
                if event is None:
                    break
                self._note(event)
                yield event
        except UpstreamFailure as failure:
            code, message = failure.code, failure.message
            if code == "provider_unreachable":  # it was reached: the answer broke off
                code = "stream_interrupted"
                message = (
                    f"The connection to the provider “{self.target.provider.name}” broke off "
                    "mid-answer."
                )
            self._failed(code, message)
            raise GatewayError(failure.status, code, message) from failure
        except (asyncio.CancelledError, GeneratorExit):
            self._cancelled()
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if self._source is not None:
                await self._source.aclose()
            self.latency_ms = _ms(self.started)

    def _expire(self) -> None:
        """The deadline passed: a read under way is cancelled (and reported as the timeout),
        the next one fails at once."""
        self._expired = True
        if self._reader is not None:
            self._reader.cancel()

    async def _read_by_deadline(self):
        """_next() for the stream after its first text: the same timeout failure, with the
        deadline kept by the watchdog events() set (asyncio.timeout's bookkeeping: a cancel
        of our own becomes the timeout, one from elsewhere, the caller going away, stays a
        cancel)."""
        if self._expired:
            raise self._timed_out(self.target)
        task = asyncio.current_task()
        cancelling = task.cancelling()
        self._reader = task
        try:
            return await anext(self._source, None)
        except asyncio.CancelledError:
            if self._expired and task.uncancel() <= cancelling:
                raise self._timed_out(self.target) from None
            raise
        finally:
            self._reader = None

    def _failed(self, code: str, message: str) -> None:
        if not self.status:
            self.status = Completion.Status.ERROR
            self.error_code, self.error_message = code, message

    def _cancelled(self) -> None:
        if not self.status:
            self.status = Completion.Status.CANCELLED
            self.error_code = "client_disconnected"
            self.error_message = "The caller went away before the answer was finished."

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def result(self) -> CompletionResult:
        finish = self.finish or Finish("stop", None, None)
        input_tokens, output_tokens, _ = self.tokens()
        return CompletionResult(
            id=self.public_id,
            text=self.text,
            finish_reason=finish.reason,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=self.plan.requested_model if self.plan else self.request.model,
            tool_calls=list(self.tool_calls),
        )

    def tokens(self) -> tuple[int | None, int | None, bool]:
        """(input, output, estimated): the provider's counts, else counted here."""
        finish = self.finish
        if finish is not None and finish.input_tokens is not None:
            return finish.input_tokens, finish.output_tokens or 0, False
        if self.target is None or (not self.parts and self.status != Completion.Status.OK):
            return None, None, False
        messages = self.plan.messages if self.plan else []
        input_text = " ".join(str(m.get("content", "")) for m in messages)
        return estimate_tokens(input_text), estimate_tokens(self.text), True

    # -- the row ---------------------------------------------------------------------------

    def write_row(self) -> Completion | None:
        """Write the call's one row (idempotent; never raises: the answer was already sent)."""
        if self._written:
            return None
        self._written = True
        try:
            row = self._row()
            row.save(force_insert=True)
            return row
        except Exception:
            logger.exception("Could not record completion %s", self.public_id)
            return None

    def record(self) -> None:
        """The row of a call whose response was sent: handed to this process's recorder, which
        builds and writes rows in batches on its thread (recorder.py), or written at once when
        none runs. No I/O here (the event loop may call it). Idempotent; never raises."""
        if self._written:
            return
        self._written = True
        recorder.submit(self._row)

    async def awrite_row(self) -> Completion | None:
        return await in_thread(self.write_row)

    async def arecord(self) -> None:
        """record() from the event loop: to the recorder when it runs, else written on a
        thread (never on the loop)."""
        if recorder.started():
            self.record()
        else:
            await self.awrite_row()

    def _row(self) -> Completion:
        request, plan, target = self.request, self.plan, self.target
        if self.latency_ms is None:
            self.latency_ms = _ms(self.started)
        if not self.status:  # never started, or stopped before its answer began
            self._cancelled()
        store = (
            plan.store_content
            if plan
            else GatewaySettings.for_workspace(request.principal.workspace).store_content
        )
        messages = plan.messages if plan else request.messages
        variables, messages, output, tool_calls = stored_content(
            store,
            variables=request.variables,
            input_messages=messages,
            output_text=self.text,
            tool_calls=self.tool_calls,
        )
        input_tokens, output_tokens, estimated = self.tokens()
        served = plan.served if plan else None
        model = target.model if target else None
        return Completion(
            public_id=self.public_id,
            workspace=request.principal.workspace,
            created_at=self.created_at,
            source=request.source,
            api_key=request.principal.api_key,
            user=request.principal.user,
            prompt_id=served.prompt_id if served else None,
            prompt_name=served.name if served else request.prompt_name[:255],
            prompt_version=served.number if served else None,
            prompt_label=plan.served_label if plan else (request.prompt_label or "")[:36],
            ab_split=plan.ab_split if plan else False,
            provider=target.provider if target else None,
            provider_name=target.provider.name if target else "",
            model=model,
            model_name=model.name if model else "",
            requested_model=(plan.requested_model if plan else request.model)[:200],
            fallback_model=self.fallback_model,
            params=plan.params if plan else request.params,
            variables=variables,
            input_messages=messages,
            output_text=_storable(output),
            tool_calls=tool_calls,
            content_stored=store,
            finish_reason=self.finish.reason[:40] if self.finish else "",
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            tokens_estimated=estimated,
            cost=model.cost(input_tokens, output_tokens) if model else None,
            queue_ms=self.queue_ms,
            ttft_ms=self.ttft_ms,
            latency_ms=self.latency_ms,
            status=self.status,
            error_type=self.error_code[:60],
            error_message=_storable(self.error_message),
            retries=self.retries,
            stream=request.stream,
            metadata=request.metadata,
            user_ref=request.user_ref[:255],
            session_id=request.session_id[:255],
            trace_id=request.trace_id[:255],
            tags=request.tags,
        )


async def complete(request: CompletionRequest) -> CompletionResult:
    """A whole (non-streamed) call for callers without an HTTP response: the row is written
    before this returns. Raises GatewayError."""
    request.stream = False
    call = CompletionCall(request)
    try:
        await call.start()
        async for _event in call.events():
            pass
        return call.result()
    finally:
        await call.awrite_row()


def complete_sync(request: CompletionRequest) -> CompletionResult:
    """complete() for synchronous callers (Celery tasks), on the process's long-lived event loop
    (background_loop.py), so its provider clients and connections serve every call of the
    process. Raises GatewayError."""
    from .background_loop import call

    return call(complete, request)
