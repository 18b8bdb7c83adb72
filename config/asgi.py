"""The web entry point (`make run` and production): one ASGI application, two ways in.

Django under ASGI runs a synchronous view through about twenty thread hops per request (the
request signals, two per `MiddlewareMixin` middleware, the view, the response close), which
made a sync view ~8x slower under uvicorn than under gunicorn (docs/architecture.md, "Serving
stack"). So each request is served the way its view was written:

- `async def` views (the gateway's and the playground's streaming routes) go to Django's own
  ASGI handler: streaming without pinning a thread. Those marked `@machine_api` (the
  OpenAI-compatible API, which authenticates by key and keeps no session) go to an ASGI handler
  whose middleware only sets the security headers, on the event loop: the session, CSRF, auth
  and messages middleware would each cost two thread hops per call and do nothing there;
- every other view goes to Django's WSGI handler, run whole on a small thread pool: one hop
  per request, the same middleware and code path as under gunicorn.

Which way a path goes is decided by resolving it once (cached per path).

The server's lifespan starts this process's completion recorder (gateway/completion/
recorder.py: rows written in batches) and writes what it holds at shutdown, and moves the
start-up objects out of the garbage collector's way (gc.freeze).
"""

import asyncio
import functools
import gc
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from asgiref.sync import iscoroutinefunction  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.core.exceptions import RequestAborted  # noqa: E402
from django.core.handlers.asgi import ASGIHandler, get_script_prefix  # noqa: E402
from django.core.handlers.exception import convert_exception_to_response  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import FileResponse  # noqa: E402
from django.urls import Resolver404, ResolverMatch, get_resolver, set_script_prefix  # noqa: E402

from config.machine_api import MACHINE_API_MIDDLEWARE, is_machine_api  # noqa: E402
from gateway.completion import recorder  # noqa: E402

STREAM_CHUNK = 2**16


def _path_info(scope: dict) -> str:
    root = scope.get("root_path", "")
    path = scope["path"]
    return path[len(root) :] if root and path.startswith(root) else path


SYNC, ASYNC, MACHINE_API = "sync", "async", "machine-api"


def _route(path_info: str) -> tuple[str, ResolverMatch | None]:
    """How the path is served, and what it resolves to (None: nothing, a 404)."""
    try:
        match = get_resolver().resolve(path_info)
    except Resolver404:
        return SYNC, None
    if not iscoroutinefunction(match.func):
        return SYNC, match
    return (MACHINE_API if is_machine_api(match.func) else ASYNC), match


_cached_route = functools.lru_cache(maxsize=4096)(_route)


def _route_of(path_info: str) -> tuple[str, ResolverMatch | None]:
    # Remembered per path, except very long ones: 4,096 of those would hold a lot of memory.
    if len(path_info) > 512:
        return _route(path_info)
    return _cached_route(path_info)


def _environ(scope: dict, body) -> dict:
    server_name, server_port = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    root = scope.get("root_path", "")
    environ = {
        "REQUEST_METHOD": scope["method"],
        # WSGI carries the path as latin-1 text of its UTF-8 bytes (PEP 3333).
        "SCRIPT_NAME": root.encode().decode("latin-1"),
        "PATH_INFO": _path_info(scope).encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server_name),
        "SERVER_PORT": str(server_port),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + name
        if key in environ:
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    return environ


class MachineApiHandler(ASGIHandler):
    """Django's ASGI handler for the machine API: MACHINE_API_MIDDLEWARE instead of
    settings.MIDDLEWARE (the security headers, set on the event loop), and no thread hops of
    its own. Django's handler sends request_started and closes the response on a thread; their
    receivers tidy database connections, which the event loop never holds (views do their
    database work through workspaces.async_db.in_thread), so here they run on the loop, and a
    warm call (gateway/completion/plan.py) starts no thread at all. Views served here must
    close their responses without I/O (gateway/completion/http.py: the row goes to the
    recorder)."""

    def resolve_request(self, request):
        # The match config/asgi.py remembered when it routed the path here: the URL patterns
        # are not walked a second time for every call.
        match = _route_of(request.path_info)[1]
        if match is None:
            return super().resolve_request(request)
        request.resolver_match = match
        return match

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response_async)
        for middleware in reversed(MACHINE_API_MIDDLEWARE):
            handler = convert_exception_to_response(middleware(handler))
        self._middleware_chain = handler

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, error_response = self.create_request(scope, body_file)
            if request is None:
                await self.send_response(error_response, send)
                error_response.close()
                return
            response = None
            try:
                async with asyncio.TaskGroup() as group:
                    # A client that goes away cancels the view (and with it the provider call).
                    watcher = group.create_task(self.listen_for_disconnect(receive))
                    response = await self.run_get_response(request)
                    await self.send_response(response, send)
                    watcher.cancel()
            except BaseExceptionGroup as group_error:
                _, others = group_error.split(RequestAborted)
                if others is not None:
                    single = others.exceptions[0] if len(others.exceptions) == 1 else others
                    raise single from None
            if response is None:
                signals.request_finished.send(sender=self.__class__)
            else:
                response.close()


class DjangoApplication:
    """Routes each HTTP request to Django's ASGI handler (async views), the machine API's
    handler, or Django's WSGI handler."""

    def __init__(self) -> None:
        self.asgi_handler = ASGIHandler()
        self.machine_api_handler = MachineApiHandler()
        self.wsgi_handler = WSGIHandler()
        # A database or provider wait in one sync view doesn't hold up the others (Python runs
        # one thread at a time, so more threads don't add CPU: processes do).
        self.executor = ThreadPoolExecutor(
            settings.PROMPTOPS_WEB_THREADS, thread_name_prefix="django-sync"
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        kind = _route_of(_path_info(scope))[0] if scope["type"] == "http" else ASYNC
        if kind == SYNC:
            await self._serve_sync(scope, receive, send)
        elif kind == MACHINE_API:
            await self.machine_api_handler(scope, receive, send)
        else:
            await self.asgi_handler(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                recorder.start()
                # The objects of start-up (Django, the URL patterns, the SDKs: ~260,000) live
                # as long as the process: kept out of the collector, a full collection no
                # longer walks them while a thousand streams wait (bench B3's longest pauses).
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.executor.shutdown(wait=False, cancel_futures=True)
                await asyncio.get_running_loop().run_in_executor(None, recorder.stop)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _serve_sync(self, scope, receive, send) -> None:
        body = await self._read_body(receive)
        if body is None:
            return  # the client went away before sending its request
        environ = _environ(scope, body)
        if "CONTENT_LENGTH" not in environ:  # a chunked upload: WSGI reads CONTENT_LENGTH bytes
            environ["CONTENT_LENGTH"] = str(body.seek(0, os.SEEK_END))
            body.seek(0)
        loop = asyncio.get_running_loop()
        try:
            status, headers, content, response = await loop.run_in_executor(
                self.executor, self._respond, environ
            )
            await send({"type": "http.response.start", "status": status, "headers": headers})
            if response is None:
                await send({"type": "http.response.body", "body": content})
            else:
                await self._stream(loop, response, send)
        finally:
            body.close()

    async def _read_body(self, receive):
        body = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by the caller
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
        )
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                return None
            body.write(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body.seek(0)
        return body

    def _respond(self, environ: dict):
        """On a pool thread: the whole Django request; the body too unless it streams."""
        started = []

        def start_response(status, response_headers, exc_info=None):
            started[:] = [status, response_headers]

        response = self.wsgi_handler(environ, start_response)
        status, response_headers = started
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response_headers]
        if getattr(response, "streaming", False):
            if isinstance(response, FileResponse):
                response.block_size = STREAM_CHUNK
            return int(status[:3]), headers, b"", response
        try:
            content = b"".join(response)
        finally:
            response.close()  # request_finished: database connections are tidied here
        return int(status[:3]), headers, content, None

    async def _stream(self, loop, response, send) -> None:
        """A synchronous streaming response (static files, downloads): chunks read on the pool."""
        chunks = iter(response)
        try:
            while True:
                chunk = await loop.run_in_executor(self.executor, next, chunks, None)
                if chunk is None:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await loop.run_in_executor(self.executor, response.close)


def with_proxy_headers(app, trusted: list[str]):
    """Behind a reverse proxy (FORWARDED_ALLOW_IPS), the client address and scheme come from
    its X-Forwarded-For/-Proto headers; anyone else's such headers are ignored."""
    if not trusted:
        return app
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    wrapped = wrap_asgi_with_proxy_headers(app, trusted_hosts=trusted)

    async def application(scope, receive, send) -> None:  # a coroutine: plainly ASGI 3
        await wrapped(scope, receive, send)

    return application


application = with_proxy_headers(DjangoApplication(), settings.FORWARDED_ALLOW_IPS)
