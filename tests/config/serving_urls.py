"""A test-only URLconf for the web server tests: the project's URLs plus an async streaming
view, a slow sync view and an echo, so the tests can prove what the server does with each."""

import asyncio
import time

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns


async def ticks(request: HttpRequest) -> StreamingHttpResponse:
    gap = float(request.GET.get("gap", "2"))

    async def events():
        yield b"data: first\n\n"
        await asyncio.sleep(gap)
        yield b"data: second\n\n"

    return StreamingHttpResponse(events(), content_type="text/event-stream")


def slow(request: HttpRequest) -> HttpResponse:
    time.sleep(float(request.GET.get("seconds", "2")))
    return HttpResponse("done")


@csrf_exempt
def echo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.body, content_type="application/octet-stream")


def echo_path(request: HttpRequest, rest: str) -> HttpResponse:
    return HttpResponse(f"{request.path}|{rest}|{request.GET.get('q', '')}")


def remote(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"{request.META['REMOTE_ADDR']} {request.scheme}")


urlpatterns = [
    *project_urlpatterns,
    path("test/ticks", ticks),
    path("test/slow", slow),
    path("test/echo", echo),
    path("test/remote", remote),
    path("test/path/<str:rest>", echo_path),
]
