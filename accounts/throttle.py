"""Sign-in throttling, per account and per client address, in the shared cache.

Redis in production so every web process sees the same counters.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(email: str, ip: str | None) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    keys = [f"signin-fail:acct:{digest}"]
    if ip:
        keys.append(f"signin-fail:ip:{ip}")
    return keys


def is_blocked(email: str, ip: str | None) -> bool:
    counts = cache.get_many(_keys(email, ip))
    return any(count >= settings.SIGN_IN_MAX_FAILURES for count in counts.values())


def record_failure(email: str, ip: str | None) -> None:
    for key in _keys(email, ip):
        if cache.add(key, 1, timeout=settings.SIGN_IN_WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=settings.SIGN_IN_WINDOW_SECONDS)


def clear(email: str) -> None:
    cache.delete(_keys(email, None)[0])


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")
