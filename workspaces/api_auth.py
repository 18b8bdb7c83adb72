"""API key authentication for every machine route (native, Langfuse-compatible, OpenAI-compatible).

Accepted: HTTP Basic `pk-...:sk-...` (what Langfuse's SDK sends), `Authorization: Bearer sk-...`,
or `x-api-key: sk-...`. Sessions never authenticate the API.
"""

import base64
import binascii
from datetime import timedelta

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiKey, Membership, hash_token
from .principal import Principal

# last_used_at is a hint for humans; writing it on every request would serialise traffic.
LAST_USED_RESOLUTION = timedelta(minutes=1)


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


def principal_from_request(request: HttpRequest) -> Principal | None:
    public, secret = _credentials(request)
    if not secret:
        return None
    creator_role = Membership.objects.filter(
        workspace=OuterRef("workspace"), user=OuterRef("created_by")
    ).values("role")[:1]
    api_key = (
        ApiKey.objects.select_related("workspace")
        .annotate(creator_role=Subquery(creator_role))
        .filter(secret_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if api_key is None or (public is not None and public != api_key.public_key):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    # A key never does more than the person who made it may do today: demoting (or removing)
    # its creator narrows the key at once; a key whose creator is gone only reads.
    role = api_key.effective_role(api_key.creator_role)
    return Principal(workspace=api_key.workspace, role=role, api_key=api_key)


class ApiKeyAuth:
    """django-ninja auth callable: request.auth becomes the acting Principal."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Principal | None:
        principal = principal_from_request(request)
        if principal is not None:
            request.principal = principal
        return principal
