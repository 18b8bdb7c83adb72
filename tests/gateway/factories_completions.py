"""Completion rows as the completion service writes them, for the log, analytics and metrics
tests (the service itself is tested in its own modules)."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from gateway.models import Completion, Feedback, Provider, ProviderModel


def make_provider(workspace, name: str = "OpenAI", kind: str = Provider.Kind.OPENAI, **fields):
    secret = fields.pop("api_key", "sk-test-provider-key-0000")
    provider = Provider(workspace=workspace, name=name, kind=kind, **fields)
    provider.set_api_key(secret)
    provider.save()
    return provider


def make_model(provider, name: str = "gpt-4o-mini", **fields) -> ProviderModel:
    fields.setdefault("upstream_name", name)
    return ProviderModel.objects.create(
        workspace=provider.workspace, provider=provider, name=name, **fields
    )


def make_completion(
    workspace,
    *,
    at: datetime | None = None,
    ago: timedelta | None = None,
    **fields,
) -> Completion:
    """An OK chat completion of the support/triage prompt, unless told otherwise."""
    created_at = at or (timezone.now() - (ago or timedelta(minutes=5)))
    values = {
        "source": Completion.Source.API,
        "status": Completion.Status.OK,
        "prompt_name": "support/triage",
        "prompt_version": 3,
        "prompt_label": "production",
        "provider_name": "OpenAI",
        "model_name": "gpt-4o-mini",
        "requested_model": "gpt-4o-mini",
        "input_messages": [
            {"role": "system", "content": "You sort support tickets into billing, bug, how-to."},
            {"role": "user", "content": "My invoice is wrong"},
        ],
        "variables": {"ticket": "My invoice is wrong"},
        "output_text": "billing",
        "finish_reason": "stop",
        "input_tokens": 42,
        "output_tokens": 3,
        "cost": Decimal("0.00000810"),
        "queue_ms": 4,
        "ttft_ms": 180,
        "latency_ms": 420,
        "stream": True,
    }
    values |= fields
    return Completion.objects.create(workspace=workspace, created_at=created_at, **values)


def make_feedback(completion: Completion, score: float, **fields) -> Feedback:
    return Feedback.objects.create(
        workspace_id=completion.workspace_id, completion=completion, score=score, **fields
    )
