"""The models page: providers (write-only keys, test connection), models with prices, aliases."""

from decimal import Decimal

import pytest

from gateway.models import ModelAlias, Provider, ProviderModel
from tests.accounts.html import field_error, text, words
from tests.gateway.factories_completions import make_model, make_provider
from workspaces.models import AuditEvent

PROVIDERS = "/w/acme/providers/"
SECRET = "sk-proj-verysecretkey-7f3a9c2e1b"


def provider_url(provider, action: str) -> str:
    return f"/w/acme/providers/{provider.pk}/{action}/"


# Reading ----------------------------------------------------------------------------------------


def test_an_outsider_gets_404_everywhere(charlie_client, acme):
    provider = make_provider(acme)
    model = make_model(provider)

    for url in (
        PROVIDERS,
        PROVIDERS + "new/",
        provider_url(provider, "edit"),
        provider_url(provider, "models/new"),
        f"/w/acme/models/{model.pk}/edit/",
    ):
        assert charlie_client.get(url).status_code == 404, url
    assert charlie_client.post(provider_url(provider, "test")).status_code == 404


def test_a_provider_of_another_workspace_is_404_under_your_own_slug(charlie_client, acme, globex):
    provider = make_provider(acme)

    assert charlie_client.get(f"/w/globex/providers/{provider.pk}/edit/").status_code == 404
    assert charlie_client.post(f"/w/globex/providers/{provider.pk}/delete/").status_code == 404
    assert Provider.objects.filter(pk=provider.pk).exists()


def test_members_read_providers_models_and_prices_but_never_the_key(vera_client, acme):
    provider = make_provider(acme, api_key=SECRET)
    make_model(
        provider,
        input_price_per_million=Decimal("0.15"),
        output_price_per_million=Decimal("0.6"),
        price_source="genai-prices",
        context_window=128000,
    )
    ModelAlias.objects.create(workspace=acme, name="fast", model=provider.models.get())

    response = vera_client.get(PROVIDERS)
    page = words(response)

    assert response.status_code == 200
    assert "sk-…2e1b" in page  # the hint: no more than the last four characters
    assert SECRET not in text(response) and provider.encrypted_api_key not in text(response)
    assert "gpt-4o-mini" in page and "$0.15" in page and "$0.6" in page
    assert "from genai-prices" in page and "128k" in page
    assert "fast" in page
    assert "Test connection" not in page and "Add provider" not in page


@pytest.mark.parametrize("count", [1, 6, 30])
def test_the_page_costs_the_same_queries_however_many_providers(
    alice_client, acme, assert_queries, count
):
    for n in range(count):
        provider = make_provider(acme, name=f"Provider {n}")
        for m in range(3):
            model = make_model(provider, name=f"model-{n}-{m}")
            ModelAlias.objects.create(workspace=acme, name=f"alias-{n}-{m}", model=model)

    with assert_queries(10):
        response = alice_client.get(PROVIDERS)

    assert text(response).count('id="model-') == min(count, 25) * 3
    if count > 25:
        assert "Page 1 of 2" in words(response)


# Providers ---------------------------------------------------------------------------------------


def test_an_admin_adds_a_provider_and_the_key_is_stored_encrypted(adam_client, acme):
    response = adam_client.post(
        PROVIDERS + "new/",
        {
            "name": "OpenAI",
            "kind": "openai",
            "base_url": "",
            "api_key": SECRET,
            "connect_timeout_seconds": "5",
            "total_timeout_seconds": "60",
            "max_retries": "2",
        },
    )

    assert response.status_code == 302
    provider = Provider.objects.get()
    assert provider.api_key() == SECRET and SECRET not in provider.encrypted_api_key
    assert provider.api_key_hint == "sk-…2e1b"
    assert SECRET not in str(AuditEvent.objects.get(action="provider.create").data)


def test_the_edit_form_never_sends_the_key_and_keeps_it_when_left_empty(adam_client, acme):
    provider = make_provider(acme, api_key=SECRET)

    form = adam_client.get(provider_url(provider, "edit"))
    saved = adam_client.post(
        provider_url(provider, "edit"),
        {
            "name": "OpenAI prod",
            "kind": "openai",
            "api_key": "",
            "connect_timeout_seconds": "10",
            "total_timeout_seconds": "120",
            "max_retries": "2",
        },
    )

    assert SECRET not in text(form) and provider.encrypted_api_key not in text(form)
    assert "Saved: sk-…2e1b" in words(form)
    assert 'type="password"' in text(form) and 'name="api_key" value' not in text(form)
    assert saved.status_code == 302
    provider.refresh_from_db()
    assert provider.name == "OpenAI prod" and provider.api_key() == SECRET


def test_a_saved_key_can_be_removed(adam_client, acme):
    provider = make_provider(acme, api_key=SECRET)

    adam_client.post(
        provider_url(provider, "edit"),
        {
            "name": "OpenAI",
            "kind": "openai",
            "remove_api_key": "on",
            "connect_timeout_seconds": "10",
            "total_timeout_seconds": "120",
            "max_retries": "2",
        },
    )

    provider.refresh_from_db()
    assert not provider.has_api_key and provider.api_key_hint == ""


def test_a_compatible_server_needs_a_base_url_and_the_form_says_so(adam_client, acme):
    response = adam_client.post(
        PROVIDERS + "new/",
        {
            "name": "vLLM",
            "kind": "openai_compatible",
            "base_url": "",
            "connect_timeout_seconds": "10",
            "total_timeout_seconds": "120",
            "max_retries": "2",
        },
    )

    assert response.status_code == 400
    assert "needs its base URL" in field_error(response, "base_url")
    assert not Provider.objects.exists()


def test_a_private_base_url_is_refused_unless_the_operator_allows_it(adam_client, acme, settings):
    settings.PROMPTOPS_ALLOW_PRIVATE_PROVIDERS = False

    response = adam_client.post(
        PROVIDERS + "new/",
        {
            "name": "Metadata",
            "kind": "openai_compatible",
            "base_url": "http://169.254.169.254/v1",
            "connect_timeout_seconds": "10",
            "total_timeout_seconds": "120",
            "max_retries": "2",
        },
    )

    assert response.status_code == 400
    assert field_error(response, "base_url")
    assert not Provider.objects.exists()


def test_a_viewer_and_an_editor_get_403_on_every_write(vera_client, bob_client, acme):
    provider = make_provider(acme, api_key=SECRET)
    model = make_model(provider)

    for client in (vera_client, bob_client):
        assert client.get(PROVIDERS + "new/").status_code == 403
        assert client.post(PROVIDERS + "new/", {"name": "x", "kind": "openai"}).status_code == 403
        assert client.post(provider_url(provider, "edit"), {"name": "x"}).status_code == 403
        assert client.post(provider_url(provider, "test")).status_code == 403
        assert client.post(provider_url(provider, "delete")).status_code == 403
        assert client.post(f"/w/acme/models/{model.pk}/delete/").status_code == 403
    provider.refresh_from_db()
    assert provider.name == "OpenAI" and ProviderModel.objects.count() == 1


def test_test_connection_calls_the_provider_and_answers_in_place(adam_client, acme, fake_llm):
    provider = make_provider(
        acme, name="Local", kind="openai_compatible", base_url=fake_llm.openai_base_url
    )

    response = adam_client.post(provider_url(provider, "test"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in text(response)
    assert "Connected in" in words(response)
    assert any(r.path.endswith("/models") for r in fake_llm.requests)


def test_a_failing_connection_says_why_without_the_key(adam_client, acme):
    provider = make_provider(
        acme,
        name="Down",
        kind="openai_compatible",
        base_url="http://127.0.0.1:9/v1",
        api_key=SECRET,
    )

    response = adam_client.post(provider_url(provider, "test"), headers={"HX-Request": "true"})

    assert "✕" in words(response)
    assert SECRET not in text(response)


def test_deleting_a_provider_takes_its_models_along(adam_client, acme):
    provider = make_provider(acme)
    make_model(provider)

    response = adam_client.post(provider_url(provider, "delete"))

    assert response.status_code == 302
    assert not Provider.objects.exists() and not ProviderModel.objects.exists()


# Models ------------------------------------------------------------------------------------------


def test_adding_a_model_shows_genai_prices_before_saving(adam_client, acme):
    provider = make_provider(acme)

    response = adam_client.get(provider_url(provider, "models/new"), {"name": "gpt-4o-mini"})

    assert response.status_code == 200
    assert "genai-prices knows this model" in words(response)
    assert 'name="input_price_per_million" value="0.15' in text(response)


def test_an_htmx_name_change_returns_the_form_with_prices(adam_client, acme):
    provider = make_provider(acme)

    response = adam_client.get(
        provider_url(provider, "models/new"),
        {"name": "gpt-4o-mini"},
        headers={"HX-Request": "true"},
    )

    assert "<html" not in text(response)
    assert 'id="model-form"' in text(response)


def test_a_model_saved_without_prices_takes_genai_prices(adam_client, acme):
    provider = make_provider(acme)

    response = adam_client.post(provider_url(provider, "models/new"), {"name": "gpt-4o-mini"})

    assert response.status_code == 302
    model = ProviderModel.objects.get()
    assert model.input_price_per_million == Decimal("0.15")
    assert model.price_source == "genai-prices"


def test_prices_entered_by_hand_are_kept(adam_client, acme):
    provider = make_provider(acme)

    adam_client.post(
        provider_url(provider, "models/new"),
        {
            "name": "gpt-4o-mini",
            "input_price_per_million": "0.1",
            "output_price_per_million": "0.4",
        },
    )

    model = ProviderModel.objects.get()
    assert (model.input_price_per_million, model.price_source) == (Decimal("0.1"), "manual")


def test_an_unknown_model_says_it_has_no_price(adam_client, acme):
    provider = make_provider(acme, kind="openai_compatible", base_url="http://127.0.0.1:8001/v1")

    looked_up = adam_client.get(provider_url(provider, "models/new"), {"name": "llama3:8b"})
    adam_client.post(provider_url(provider, "models/new"), {"name": "llama3:8b"})

    assert "doesn't know this model" in words(looked_up)
    assert ProviderModel.objects.get().input_price_per_million is None


def test_bad_model_input_is_shown_next_to_the_field(adam_client, acme):
    provider = make_provider(acme)
    make_model(provider, name="gpt-4o")

    taken = adam_client.post(provider_url(provider, "models/new"), {"name": "gpt-4o"})
    bad_json = adam_client.post(
        provider_url(provider, "models/new"), {"name": "x", "default_params": "[1]"}
    )
    negative = adam_client.post(
        provider_url(provider, "models/new"), {"name": "y", "input_price_per_million": "-1"}
    )

    assert taken.status_code == 400 and "already exists" in field_error(taken, "name")
    assert "JSON object" in field_error(bad_json, "default_params")
    assert field_error(negative, "input_price_per_million")
    assert ProviderModel.objects.count() == 1


def test_editing_a_models_prices_marks_them_as_entered_by_hand(adam_client, acme):
    provider = make_provider(acme)
    model = make_model(
        provider,
        input_price_per_million=Decimal("0.15"),
        output_price_per_million=Decimal("0.6"),
        price_source="genai-prices",
    )

    response = adam_client.post(
        f"/w/acme/models/{model.pk}/edit/",
        {
            "name": "gpt-4o-mini",
            "upstream_name": "gpt-4o-mini",
            "input_price_per_million": "0.12",
            "output_price_per_million": "0.6",
        },
    )

    assert response.status_code == 302
    model.refresh_from_db()
    assert (model.input_price_per_million, model.price_source) == (Decimal("0.12"), "manual")


# Aliases -----------------------------------------------------------------------------------------


def test_an_admin_adds_edits_and_removes_an_alias(adam_client, acme):
    provider = make_provider(acme)
    small, big = make_model(provider, "gpt-4o-mini"), make_model(provider, "gpt-4o")

    created = adam_client.post("/w/acme/aliases/new/", {"name": "fast", "model": small.pk})
    alias = ModelAlias.objects.get()
    edited = adam_client.post(
        f"/w/acme/aliases/{alias.pk}/edit/", {"model": big.pk, "fallbacks": "gpt-4o-mini"}
    )
    alias.refresh_from_db()
    assert (alias.model, alias.fallbacks) == (big, ["gpt-4o-mini"])
    removed = adam_client.post(f"/w/acme/aliases/{alias.pk}/delete/")

    assert [r.status_code for r in (created, edited, removed)] == [302, 302, 302]
    assert not ModelAlias.objects.exists()


def test_an_alias_may_not_take_a_models_name(adam_client, acme):
    provider = make_provider(acme)
    model = make_model(provider, "gpt-4o-mini")

    response = adam_client.post("/w/acme/aliases/new/", {"name": "gpt-4o-mini", "model": model.pk})

    assert response.status_code == 400
    assert not ModelAlias.objects.exists()


def test_a_viewer_gets_403_on_alias_writes(vera_client, acme):
    provider = make_provider(acme)
    alias = ModelAlias.objects.create(workspace=acme, name="fast", model=make_model(provider))

    assert vera_client.post("/w/acme/aliases/new/", {"name": "x"}).status_code == 403
    assert vera_client.post(f"/w/acme/aliases/{alias.pk}/delete/").status_code == 403
    assert ModelAlias.objects.count() == 1


def test_without_htmx_test_connection_reports_on_the_page(adam_client, acme, fake_llm):
    provider = make_provider(
        acme, name="Local", kind="openai_compatible", base_url=fake_llm.openai_base_url
    )

    response = adam_client.post(provider_url(provider, "test"), follow=True)

    assert response.redirect_chain[-1][0] == f"/w/acme/providers/#provider-{provider.pk}"
    assert "Local: Connected in" in words(response)
