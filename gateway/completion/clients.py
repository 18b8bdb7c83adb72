"""Provider clients: one official SDK client per provider per process (and event loop), all
sharing one aiohttp connection pool, so connections are reused across calls.

The SDKs run on aiohttp (`DefaultAioHttpClient`'s transport): with many calls in flight it kept
up where httpx's own transport saturated the CPU (docs/architecture.md, "How the gateway works").
Every connection's addresses go through GuardedResolver, so a provider host that resolves to a
private address is refused at connect time too (the check when the URL was saved can be
outlived by DNS), redirects included, unless the operator allows private providers.
"""

import asyncio
import hashlib
import ipaddress
import weakref
from typing import Any

import aiohttp
import anthropic
import httpx2
import openai
from aiohttp.resolver import ThreadedResolver
from django.conf import settings

# The SDK's own aiohttp transport for httpx2, given our session (resolver, timeouts).
from openai._vendor.httpx_aiohttp.transport import AiohttpTransport

from ..models import Provider
from ..url_safety import is_refused_address

_per_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = (
    weakref.WeakKeyDictionary()
)


class RefusedAddress(OSError):
    pass


class GuardedResolver(ThreadedResolver):
    async def resolve(self, host: str, port: int = 0, family: Any = 0) -> list:
        results = await super().resolve(host, port, family)
        if settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS:
            return results
        allowed = [r for r in results if not is_refused_address(ipaddress.ip_address(r["host"]))]
        if not allowed:
            raise RefusedAddress(
                f"“{host}” resolves to a private, loopback, link-local or reserved address: "
                "this server doesn't call those unless its operator allows private providers."
            )
        return allowed


def _session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(), limit=0, keepalive_timeout=30, ttl_dns_cache=60
    )
    # Timeouts are set per request (connect, read) and by the service's deadline.
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=None), trust_env=False
    )


def _http_client() -> httpx2.AsyncClient:
    return openai.DefaultAioHttpClient(
        transport=AiohttpTransport(client=_session), follow_redirects=False
    )


def _loop_state() -> dict:
    loop = asyncio.get_running_loop()
    state = _per_loop.get(loop)
    if state is None:
        state = {"http": _http_client(), "clients": {}}
        _per_loop[loop] = state
    return state


def client_for(provider: Provider, api_key: str):
    """The SDK client of this provider (created once per process and event loop)."""
    state = _loop_state()
    key_hash = hashlib.sha256(api_key.encode()).hexdigest()
    key = (provider.pk, provider.kind, provider.base_url, key_hash)
    client = state["clients"].get(key)
    if client is None:
        # A changed key or URL makes a new client: forget the provider's old ones.
        for old in [k for k in state["clients"] if k[0] == provider.pk]:
            del state["clients"][old]
        client = make_client(provider, api_key, state["http"])
        state["clients"][key] = client
    return client


def make_client(provider: Provider, api_key: str, http_client: httpx2.AsyncClient):
    base_url = provider.base_url or None
    if provider.kind == Provider.Kind.ANTHROPIC:
        return anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, max_retries=0, http_client=http_client
        )
    # The service retries itself (counting retries and honouring Retry-After): the SDK doesn't.
    return openai.AsyncOpenAI(
        api_key=api_key, base_url=base_url, max_retries=0, http_client=http_client
    )


def new_http_client() -> httpx2.AsyncClient:
    """A client of its own, for one-off calls outside a long-lived loop (test connection)."""
    return _http_client()


async def close_loop_clients() -> None:
    """Close this loop's clients: for loops that end with the request (WSGI, asyncio.run)."""
    state = _per_loop.pop(asyncio.get_running_loop(), None)
    if state is not None:
        await state["http"].aclose()
