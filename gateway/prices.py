"""Prices per million tokens, from the genai-prices data bundled with the package.

Only the bundled snapshot is read: nothing is fetched at run time (genai-prices can update its
data over the network; that is never used here). Prices pre-fill a model when it is created;
the workspace may edit them, and ProviderModel.cost() uses whatever is stored.
"""

import functools
from dataclasses import dataclass
from decimal import Decimal

# Our provider kinds -> genai-prices provider ids (an OpenAI-compatible server may serve any
# model, so it is matched by the model name alone).
PROVIDER_IDS = {"openai": "openai", "anthropic": "anthropic", "openai_compatible": None}


@dataclass(frozen=True)
class ModelPrice:
    input_per_million: Decimal
    output_per_million: Decimal
    context_window: int | None
    display_name: str


def _base(price) -> Decimal | None:
    """A flat price, or the first tier's of a tiered one (long-context tiers cost more)."""
    if price is None:
        return None
    return Decimal(str(getattr(price, "base", price)))


@functools.lru_cache(maxsize=512)
def price_for(kind: str, upstream_name: str) -> ModelPrice | None:
    """genai-prices' price for this model, or None when it doesn't know it."""
    if not upstream_name:
        return None
    from genai_prices import data_snapshot  # ~0.4 s to load: only when a model is saved

    snapshot = data_snapshot.get_snapshot()
    try:
        _provider, model = snapshot.find_provider_model(
            upstream_name, None, PROVIDER_IDS.get(kind), None
        )
    except LookupError:
        return None
    prices = model.get_prices(_now())
    input_price = _base(getattr(prices, "input_mtok", None))
    output_price = _base(getattr(prices, "output_mtok", None))
    if input_price is None or output_price is None:
        return None
    return ModelPrice(
        input_per_million=input_price,
        output_per_million=output_price,
        context_window=model.context_window,
        display_name=model.name or "",
    )


def _now():
    from django.utils import timezone

    return timezone.now()
