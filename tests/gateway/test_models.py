from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from gateway.models import Provider, ProviderKeyUnreadable, ProviderModel, api_key_hint
from tests.factories import UserFactory

SECRET = "sk-proj-abcdefghijklmnop1234"


@pytest.fixture
def provider(acme) -> Provider:
    provider = Provider(workspace=acme, name="OpenAI", kind=Provider.Kind.OPENAI)
    provider.set_api_key(SECRET)
    provider.save()
    return provider


def test_a_provider_key_is_stored_encrypted_and_read_back(provider):
    stored = Provider.objects.values_list("encrypted_api_key", flat=True).get(pk=provider.pk)

    assert SECRET not in stored
    assert Provider.objects.get(pk=provider.pk).api_key() == SECRET
    assert provider.api_key_hint == "sk-…1234"
    assert SECRET not in repr(provider)


def test_a_key_hint_never_shows_more_than_the_last_four_characters():
    assert api_key_hint("") == ""
    assert api_key_hint("short") == "…"
    assert api_key_hint("abcdefgh") == "…efgh"


def test_clearing_the_key_leaves_no_ciphertext(provider):
    provider.set_api_key("")

    assert provider.encrypted_api_key == ""
    assert provider.api_key() == ""
    assert not provider.has_api_key


def test_a_key_encrypted_under_another_key_says_to_enter_it_again(provider, settings):
    settings.PROMPTOPS_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(ProviderKeyUnreadable, match="enter it again"):
        provider.api_key()


def test_keys_rotate_by_listing_the_new_key_first(provider, settings):
    old = settings.PROMPTOPS_ENCRYPTION_KEY
    settings.PROMPTOPS_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old}"

    assert provider.api_key() == SECRET


def test_cost_uses_prices_per_million_tokens(provider):
    model = ProviderModel(
        provider=provider,
        name="gpt-4o-mini",
        input_price_per_million=Decimal("0.15"),
        output_price_per_million=Decimal("0.6"),
    )

    assert model.cost(1000, 500) == Decimal("0.00045000")
    assert model.cost(None, 500) is None
    assert ProviderModel(provider=provider, name="x").cost(10, 10) is None


def test_the_admin_never_shows_a_provider_key(client_for, provider):
    operator = client_for(UserFactory(is_staff=True, is_superuser=True))

    pages = [
        operator.get(reverse("admin:gateway_provider_change", args=[provider.pk])),
        operator.get(reverse("admin:gateway_provider_changelist")),
    ]

    for page in pages:
        assert page.status_code == 200
        assert provider.encrypted_api_key not in page.content.decode()
        assert SECRET not in page.content.decode()
        assert "sk-…1234" in page.content.decode()
