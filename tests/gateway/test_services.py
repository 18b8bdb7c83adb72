"""Provider, model and alias services: access, validation, audit, prices, test connection."""

import socket
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gateway.models import ModelAlias, Provider, ProviderModel
from gateway.services import catalog, providers
from tests.promptregistry.factories import principal_for
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db
SECRET = "sk-proj-service-test-secret-9876"


@pytest.fixture
def owner(acme):
    return principal_for(acme)


@pytest.fixture
def openai_provider(owner):
    return providers.provider_create(
        principal=owner, name="OpenAI", kind=Provider.Kind.OPENAI, api_key=SECRET
    )


def fake_dns(monkeypatch, addresses: dict[str, str]) -> None:
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in addresses:
            raise socket.gaierror("unknown")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addresses[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_creating_a_provider_encrypts_the_key_and_audits_without_it(owner, openai_provider):
    event = AuditEvent.objects.get(action="provider.create")

    assert openai_provider.api_key() == SECRET and openai_provider.api_key_hint == "sk-…9876"
    assert SECRET not in str(event.data) and event.data["after"]["api_key_set"] is True


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_admins_manage_providers(acme, bob, vera, role):
    user = bob if role == "editor" else vera

    with pytest.raises(PermissionDenied):
        providers.provider_create(
            principal=principal_for(acme, user), name="X", kind=Provider.Kind.OPENAI
        )

    assert not Provider.objects.exists() and not AuditEvent.objects.exists()


def test_updating_keeps_the_key_unless_a_new_one_is_given(owner, openai_provider):
    providers.provider_update(principal=owner, provider=openai_provider, name="OpenAI prod")
    kept = Provider.objects.get()
    providers.provider_update(principal=owner, provider=kept, api_key="sk-new-key-000011112222")
    changed = Provider.objects.get()

    assert kept.name == "OpenAI prod" and kept.api_key() == SECRET
    assert changed.api_key() == "sk-new-key-000011112222"
    events = AuditEvent.objects.filter(action="provider.update").order_by("id")
    assert [e.data["api_key_changed"] for e in events] == [False, True]
    assert all("sk-new" not in str(e.data) for e in events)


def test_names_are_unique_per_workspace(owner, openai_provider):
    with pytest.raises(ValidationError, match="already exists"):
        providers.provider_create(principal=owner, name="OpenAI", kind=Provider.Kind.OPENAI)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://models.example.com", "http:// or https://"),
        ("http://user:pw@models.example.com/v1", "own field"),
        ("http://127.0.0.1:11434/v1", "private, loopback"),
        ("http://169.254.169.254/latest", "private, loopback"),
        ("http://[::1]:8000/v1", "private, loopback"),
        ("http://intranet.example.com/v1", "private, loopback"),  # resolves to 10.0.0.5
        ("http://nowhere.example.com/v1", "can't be resolved"),
    ],
)
def test_private_and_odd_base_urls_are_refused_unless_allowed(
    owner, settings, monkeypatch, url, problem
):
    settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS = False
    fake_dns(monkeypatch, {"intranet.example.com": "10.0.0.5", "api.example.com": "93.184.216.34"})

    with pytest.raises(ValidationError, match=problem):
        providers.provider_create(
            principal=owner, name="X", kind=Provider.Kind.OPENAI_COMPATIBLE, base_url=url
        )

    assert not Provider.objects.exists()


def test_a_public_base_url_is_accepted_and_normalised(owner, settings, monkeypatch):
    settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS = False
    fake_dns(monkeypatch, {"api.example.com": "93.184.216.34"})

    provider = providers.provider_create(
        principal=owner,
        name="X",
        kind=Provider.Kind.OPENAI_COMPATIBLE,
        base_url="https://api.example.com/v1/",
    )

    assert provider.base_url == "https://api.example.com/v1"


def test_private_base_urls_are_allowed_when_the_operator_says_so(owner, settings):
    settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS = True

    provider = providers.provider_create(
        principal=owner,
        name="Ollama",
        kind=Provider.Kind.OPENAI_COMPATIBLE,
        base_url="http://127.0.0.1:11434/v1",
    )

    assert provider.base_url == "http://127.0.0.1:11434/v1"


def test_an_openai_compatible_provider_needs_a_base_url(owner):
    with pytest.raises(ValidationError, match="base URL"):
        providers.provider_create(principal=owner, name="X", kind=Provider.Kind.OPENAI_COMPATIBLE)


def test_a_known_model_gets_its_prices_from_genai_prices(owner, openai_provider):
    model = catalog.model_create(principal=owner, provider=openai_provider, name="gpt-4o-mini")

    assert (model.input_price_per_million, model.output_price_per_million) == (
        Decimal("0.15"),
        Decimal("0.6"),
    )
    assert model.price_source == "genai-prices" and model.context_window == 128000
    assert model.upstream_name == "gpt-4o-mini"


def test_an_unknown_model_has_no_price_until_one_is_entered(owner, openai_provider):
    model = catalog.model_create(
        principal=owner, provider=openai_provider, name="mine", upstream_name="ft:gpt-x:acme"
    )
    updated = catalog.model_update(
        principal=owner, model=model, input_price_per_million=Decimal("1.5")
    )

    assert model.input_price_per_million is None and model.price_source == ""
    assert updated.input_price_per_million == Decimal("1.5") and updated.price_source == "manual"
    assert AuditEvent.objects.filter(action="model.update").get().data["after"] == {
        "input_price_per_million": "1.5",
        "price_source": "manual",
    }


def test_aliases_and_models_never_share_a_name(owner, openai_provider):
    model = catalog.model_create(principal=owner, provider=openai_provider, name="gpt-4o-mini")
    catalog.alias_create(principal=owner, name="fast", model=model)

    with pytest.raises(ValidationError, match="alias called “fast”"):
        catalog.model_create(principal=owner, provider=openai_provider, name="fast")
    with pytest.raises(ValidationError, match="model called “gpt-4o-mini”"):
        catalog.alias_create(principal=owner, name="gpt-4o-mini", model=model)
    with pytest.raises(ValidationError, match="no model or alias"):
        catalog.alias_create(principal=owner, name="smart", model=model, fallbacks=["nope"])


def test_deleting_a_provider_takes_its_models_and_aliases(owner, openai_provider):
    model = catalog.model_create(principal=owner, provider=openai_provider, name="gpt-4o-mini")
    catalog.alias_create(principal=owner, name="fast", model=model)

    providers.provider_delete(principal=owner, provider=openai_provider)

    assert not ProviderModel.objects.exists() and not ModelAlias.objects.exists()
    assert AuditEvent.objects.filter(action="provider.delete").exists()


def test_another_workspaces_provider_cant_get_models_here(owner, globex):
    theirs = providers.provider_create(
        principal=principal_for(globex), name="Theirs", kind=Provider.Kind.OPENAI
    )

    with pytest.raises(ValidationError):
        catalog.model_create(principal=owner, provider=theirs, name="x")


def test_test_connection_makes_a_real_call(owner, fake_llm):
    provider = providers.provider_create(
        principal=owner,
        name="Local",
        kind=Provider.Kind.OPENAI_COMPATIBLE,
        base_url=fake_llm.openai_base_url,
    )

    result = providers.provider_test_connection(principal=owner, provider=provider)

    assert result.ok and "local-demo" in result.message
    assert fake_llm.requests[-1].path == "/v1/models"


def test_test_connection_reports_a_refused_key_without_the_key(owner, fake_llm):
    provider = providers.provider_create(
        principal=owner,
        name="Claude",
        kind=Provider.Kind.ANTHROPIC,
        base_url=fake_llm.base_url,
        api_key="sk-ant-wrong-key-123456789",
    )
    fake_llm.api_key = "sk-ant-right"
    try:
        result = providers.provider_test_connection(principal=owner, provider=provider)
    finally:
        fake_llm.api_key = None

    assert not result.ok and "refused its API key" in result.message
    assert "sk-ant-wrong-key-123456789" not in result.message


def test_test_connection_reports_a_wrong_path_and_an_unreachable_server(owner, fake_llm):
    wrong_path = providers.provider_create(
        principal=owner,
        name="A",
        kind=Provider.Kind.OPENAI_COMPATIBLE,
        base_url=fake_llm.base_url + "/nope",
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    unreachable = providers.provider_create(
        principal=owner,
        name="B",
        kind=Provider.Kind.OPENAI_COMPATIBLE,
        base_url=f"http://127.0.0.1:{closed_port}/v1",
    )

    path_result = providers.provider_test_connection(principal=owner, provider=wrong_path)
    down_result = providers.provider_test_connection(principal=owner, provider=unreachable)

    assert not path_result.ok and "check the base URL" in path_result.message
    assert not down_result.ok and "could not be reached" in down_result.message


def test_a_host_resolving_to_a_private_address_is_refused_at_call_time(owner, settings, fake_llm):
    provider = providers.provider_create(
        principal=owner,
        name="Sneaky",
        kind=Provider.Kind.OPENAI_COMPATIBLE,
        base_url=f"http://localhost:{fake_llm.port}/v1",
    )
    settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS = False  # e.g. DNS changed after saving

    result = providers.provider_test_connection(principal=owner, provider=provider)

    assert not result.ok and "private" in result.message
    assert fake_llm.requests == []
