"""Writing providers: create, update, delete, and "test connection" (a real tiny call).

An admin's business (Action.MANAGE_PROVIDERS). The API key is write-only: it is encrypted here
(Provider.set_api_key), never returned, never put in an audit event or a log line (the audit
data says only whether it changed). Base URLs are checked by url_safety.check_base_url.
"""

import asyncio
import time
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from workspaces import access, audit
from workspaces.principal import Principal
from workspaces.roles import Action

from ..models import Provider
from ..url_safety import check_base_url

TEST_TIMEOUT_SECONDS = 10.0
AUDITED_FIELDS = (
    "name",
    "kind",
    "base_url",
    "connect_timeout_seconds",
    "total_timeout_seconds",
    "max_retries",
)


def _snapshot(provider: Provider) -> dict:
    return {field: getattr(provider, field) for field in AUDITED_FIELDS}


def _clean_and_save(provider: Provider) -> None:
    if provider.base_url:
        try:
            provider.base_url = check_base_url(provider.base_url)
        except ValidationError as error:
            raise ValidationError({"base_url": error.messages}) from error
    provider.full_clean()
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError as error:
        raise ValidationError({"name": "A provider with this name already exists."}) from error


@transaction.atomic
def provider_create(
    *,
    principal: Principal,
    name: str,
    kind: str,
    base_url: str = "",
    api_key: str = "",
    connect_timeout_seconds: float | None = None,
    total_timeout_seconds: float | None = None,
    max_retries: int | None = None,
) -> Provider:
    access.require(principal, Action.MANAGE_PROVIDERS)
    provider = Provider(
        workspace=principal.workspace,
        name=name.strip(),
        kind=kind,
        base_url=(base_url or "").strip(),
        created_by=principal.user,
    )
    for field, value in (
        ("connect_timeout_seconds", connect_timeout_seconds),
        ("total_timeout_seconds", total_timeout_seconds),
        ("max_retries", max_retries),
    ):
        if value is not None:
            setattr(provider, field, value)
    provider.set_api_key(api_key)
    _clean_and_save(provider)
    audit.record(
        principal=principal,
        action="provider.create",
        target=provider,
        data={"after": {**_snapshot(provider), "api_key_set": provider.has_api_key}},
    )
    return provider


# A sentinel for "leave the key as it is" (the form's key field left empty).
KEEP = object()


@transaction.atomic
def provider_update(
    *, principal: Principal, provider: Provider, api_key=KEEP, **changes
) -> Provider:
    """Change the fields given (AUDITED_FIELDS); api_key: a new key, "" to remove it, or KEEP."""
    access.require(principal, Action.MANAGE_PROVIDERS)
    unknown = set(changes) - set(AUDITED_FIELDS)
    if unknown:
        raise TypeError(f"provider_update() got unknown fields: {sorted(unknown)}")
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    before = _snapshot(provider)
    for field, value in changes.items():
        setattr(provider, field, value.strip() if isinstance(value, str) else value)
    key_changed = api_key is not KEEP
    if key_changed:
        provider.set_api_key(api_key)
    provider.updated_at = timezone.now()
    _clean_and_save(provider)
    after = _snapshot(provider)
    if before != after or key_changed:
        audit.record(
            principal=principal,
            action="provider.update",
            target=provider,
            data={
                "before": {k: v for k, v in before.items() if after[k] != v},
                "after": {k: v for k, v in after.items() if before[k] != v},
                "api_key_changed": key_changed,
            },
        )
    return provider


@transaction.atomic
def provider_delete(*, principal: Principal, provider: Provider) -> None:
    """Its models and their aliases go with it; logged completions keep their names."""
    access.require(principal, Action.MANAGE_PROVIDERS)
    audit.record(
        principal=principal,
        action="provider.delete",
        target=provider,
        data={"before": _snapshot(provider)},
    )
    provider.delete()


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    message: str
    latency_ms: int


def provider_test_connection(*, principal: Principal, provider: Provider) -> ConnectionTest:
    """A real, tiny call with a short timeout: lists the provider's models (costs nothing),
    or, for a provider that can't list them, asks its first model for one token. The message
    never holds the key."""
    access.require(principal, Action.MANAGE_PROVIDERS)
    return async_to_sync(_test)(provider)


async def _test(provider: Provider) -> ConnectionTest:
    from ..completion import clients, upstream
    from ..completion.plan import Target
    from ..models import ProviderModel

    started = time.monotonic()
    try:
        api_key = provider.api_key()
    except Exception as error:  # noqa: BLE001 - the key can't be decrypted: say so
        return ConnectionTest(False, str(error), 0)
    if not api_key and provider.kind != Provider.Kind.OPENAI_COMPATIBLE:
        return ConnectionTest(False, "No API key is set.", 0)
    http_client = clients.new_http_client()
    client = clients.make_client(provider, api_key or "no-key", http_client)
    target = Target(
        model=ProviderModel(provider=provider, name="test", upstream_name="test"),
        provider=provider,
        api_key=api_key,
        params={},
        connect_timeout=min(provider.connect_timeout_seconds, TEST_TIMEOUT_SECONDS),
        total_timeout=TEST_TIMEOUT_SECONDS,
        max_retries=0,
    )
    try:
        async with asyncio.timeout(TEST_TIMEOUT_SECONDS):
            page = await client.models.list(timeout=TEST_TIMEOUT_SECONDS)
            names = [model.id for model in page.data][:5]
        elapsed = round((time.monotonic() - started) * 1000)
        listed = f" Models include: {', '.join(names)}." if names else ""
        return ConnectionTest(True, f"Connected in {elapsed} ms.{listed}", elapsed)
    except Exception as error:  # noqa: BLE001 - every failure is reported, classified
        failure = upstream.classify(error, target)
        elapsed = round((time.monotonic() - started) * 1000)
        message = failure.message
        if failure.code == "provider_model_not_found":
            message = (
                "The server answered 404 for its model list: check the base URL (for "
                "OpenAI-compatible servers it usually ends in /v1)."
            )
        return ConnectionTest(False, message, elapsed)
    finally:
        await http_client.aclose()
