"""API key authentication for every machine route (native, Langfuse-compatible, OpenAI-compatible).

Accepted: HTTP Basic `pk-...:sk-...` (what Langfuse's SDK sends), `Authorization: Bearer sk-...`,
or `x-api-key: sk-...`. Sessions never authenticate the API.
"""

import base64
import binascii
import hmac
from datetime import timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone

from .async_db import in_thread, running_on_event_loop
from .models import ApiKey, Membership, hash_token
from .principal import Principal
from .process_cache import ProcessCache

# last_used_at is a hint for humans; writing it on every request would serialise traffic.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# A key that authenticated is remembered by each web process this long (by its secret's hash),
# so the API's hot path makes one indexed lookup per key every few seconds instead of one per
# request, and no round trip to Redis. Revoking or deleting a key, changing or removing its
# creator's membership and deleting its creator drop the entry at once in the process that
# made the change (forget_keys, connected in apps.py); other processes, and changes made behind
# the ORM's back (queryset.update, raw SQL), see it within these seconds.
AUTH_CACHE_SECONDS = 3
_authenticated = ProcessCache(max_entries=10_000)


def _credentials(request: HttpRequest) -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        public, _, secret = decoded.partition(":")
        return public or None, secret or None
    if scheme.lower() == "bearer" and value:
        return None, value.strip()
    api_key_header = request.headers.get("x-api-key", "").strip()
    return None, api_key_header or None


def _key_and_role(secret_hash: str) -> tuple[ApiKey, str] | None:
    """The active key with this secret hash and what it may do today (None: no such key)."""
    creator_role = Membership.objects.filter(
        workspace=OuterRef("workspace"), user=OuterRef("created_by")
    ).values("role")[:1]
    api_key = (
        ApiKey.objects.select_related("workspace")
        .annotate(creator_role=Subquery(creator_role))
        .filter(secret_hash=secret_hash, revoked_at__isnull=True)
        .first()
    )
    if api_key is None:
        return None
    # A key never does more than the person who made it may do today: demoting (or removing)
    # its creator narrows the key at once; a key whose creator is gone only reads.
    return api_key, api_key.effective_role(api_key.creator_role)


def principal_from_request(request: HttpRequest) -> Principal | None:
    public, secret = _credentials(request)
    if not secret:
        return None
    secret_hash = hash_token(secret)
    found = _authenticated.get(secret_hash)
    if found is None:
        # Unknown secrets are not remembered: guessing must not fill the cache.
        found = _key_and_role(secret_hash)
        if found is None:
            return None
        _authenticated.set(secret_hash, found, AUTH_CACHE_SECONDS)
    api_key, role = found
    now = timezone.now()
    if _last_use_due(api_key, now):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
        _authenticated.set(secret_hash, (api_key, role), AUTH_CACHE_SECONDS)
    return _principal(found, public)


async def aprincipal_from_request(request: HttpRequest) -> Principal | None:
    """principal_from_request() for async views: a key this process remembers, whose last use
    is recent enough, costs neither a thread nor a query; anything else is looked up on a
    thread."""
    public, secret = _credentials(request)
    if not secret:
        return None
    found = _authenticated.get(hash_token(secret))
    if found is None or _last_use_due(found[0], timezone.now()):
        return await in_thread(principal_from_request, request)
    return _principal(found, public)


def _last_use_due(api_key: ApiKey, now) -> bool:
    return api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION


def _principal(found: tuple[ApiKey, str], public: str | None) -> Principal | None:
    api_key, role = found
    if public is not None and not hmac.compare_digest(public, api_key.public_key):
        return None
    return Principal(workspace=api_key.workspace, role=role, api_key=api_key)


def forget_keys(secret_hashes) -> None:
    """Drop remembered keys now and again after commit (a request running meanwhile may have
    cached the old row, e.g. the role before a membership change committed)."""
    keys = list(secret_hashes)
    if not keys:
        return
    _authenticated.delete_many(keys)
    transaction.on_commit(lambda: _authenticated.delete_many(keys))


def forget_key_on_change(sender, instance: ApiKey, **kwargs) -> None:
    """post_save/post_delete of ApiKey: revoked, renamed or deleted."""
    forget_keys([instance.secret_hash])


def forget_creator_keys_on_membership_change(sender, instance: Membership, **kwargs) -> None:
    """post_save/post_delete of Membership: the creator's role caps their keys."""
    forget_keys(
        ApiKey.objects.filter(
            workspace_id=instance.workspace_id, created_by_id=instance.user_id
        ).values_list("secret_hash", flat=True)
    )


def forget_creator_keys_on_user_delete(sender, instance, **kwargs) -> None:
    """pre_delete of a user: their keys only read once the account is gone."""
    forget_keys(
        ApiKey.objects.filter(created_by_id=instance.pk).values_list("secret_hash", flat=True)
    )


class ApiKeyAuth:
    """django-ninja auth callable: request.auth becomes the acting Principal.

    Async operations (the completions API) get a coroutine, which ninja awaits: the key is
    then checked as aprincipal_from_request() checks it, without a thread holding a database
    connection for a stream's whole length. Synchronous operations get the principal."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    is_async = True  # ninja: "await what I return when it is a coroutine"

    def __call__(self, request: HttpRequest):
        if running_on_event_loop():
            return self._acall(request)
        return self._remember(request, principal_from_request(request))

    async def _acall(self, request: HttpRequest) -> Principal | None:
        return self._remember(request, await aprincipal_from_request(request))

    @staticmethod
    def _remember(request: HttpRequest, principal: Principal | None) -> Principal | None:
        if principal is not None:
            request.principal = principal
        return principal
