"""The machine API's own way through the web server (config/asgi.py).

An async view marked `@machine_api` authenticates every call by API key and keeps no session,
so the session, CSRF, login and messages middleware have nothing to do for it; under ASGI each
of them would still cost two thread hops per call. config/asgi.py serves such views through a
handler whose middleware is MACHINE_API_MIDDLEWARE: the same security headers as every other
page, set on the event loop. (Django's test client still runs the full MIDDLEWARE.)
"""

from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware


def machine_api(view):
    """Mark an async view as machine API (key-authenticated, sessionless)."""
    view.machine_api = True
    return view


def is_machine_api(view) -> bool:
    return getattr(view, "machine_api", False) is True


class InlineSecurityMiddleware(SecurityMiddleware):
    """SecurityMiddleware without thread hops: its methods only read settings and headers."""

    async def __acall__(self, request):
        response = self.process_request(request)
        if response is None:
            response = await self.get_response(request)
        return self.process_response(request, response)


class InlineXFrameOptionsMiddleware(XFrameOptionsMiddleware):
    """XFrameOptionsMiddleware without thread hops: it only sets a header."""

    async def __acall__(self, request):
        response = await self.get_response(request)
        return self.process_response(request, response)


MACHINE_API_MIDDLEWARE = [InlineSecurityMiddleware, InlineXFrameOptionsMiddleware]
