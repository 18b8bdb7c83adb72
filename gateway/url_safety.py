"""Which base URLs a provider may have: the server must not be made to probe its own network.

http(s) only, no credentials in the URL, and every address the host resolves to must be a
public one, unless the operator allows private providers (PROMPTOPS_ALLOW_PRIVATE_PROVIDERS: on
in the embedded default and the tests, where the local demo model runs on 127.0.0.1). Checked
when a provider is saved and again before each call (addresses may change after saving).
"""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_URL_LENGTH = 500


def is_refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Private, loopback, link-local, reserved, multicast or unspecified (IPv4-mapped too)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def host_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (a literal address resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(f"The host “{host}” can't be resolved.") from exc
    return sorted({info[4][0] for info in infos})


def check_base_url(url: str, *, resolve: bool = True) -> str:
    """The URL, normalised (no trailing slash); ValidationError saying what is wrong."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"Use a URL of at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError("This is not a valid URL.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Use an http:// or https:// URL, e.g. https://api.example.com/v1.")
    if parts.username or parts.password:
        raise ValidationError("Put the API key in its own field, not in the URL.")
    if parts.query or parts.fragment:
        raise ValidationError("A base URL has no query string or fragment.")
    if resolve and not settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS:
        check_host_is_public(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def literal_address_refused(url: str) -> bool:
    """A URL whose host is a literal refused address (connections to literal addresses skip
    the resolver, so the call path checks them here); names are checked when resolved."""
    if settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS:
        return False
    try:
        address = ipaddress.ip_address((urlsplit(url).hostname or "").split("%", 1)[0])
    except ValueError:
        return False
    return is_refused_address(address)


def check_host_is_public(host: str, port: int) -> None:
    try:
        addresses = [str(ipaddress.ip_address(host.split("%", 1)[0]))]  # a literal address
    except ValueError:
        addresses = host_addresses(host, port)
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if is_refused_address(address):
            raise ValidationError(
                f"“{host}” is a private, loopback, link-local or reserved address ({address}): "
                "this server doesn't call those unless its operator allows private providers."
            )
