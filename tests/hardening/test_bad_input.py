"""Bad input gets a clear answer, never a 500, and nothing is written (issue 7, item 8)."""

import json

import pytest
from django.test import Client

from promptregistry.models import Draft, PromptVersion
from tests.factories import api_key_for
from tests.promptregistry.factories import make_prompt
from workspaces.roles import Role

HUGE = "99999999999999999999"


@pytest.fixture
def welcome(acme, bob):
    return make_prompt(acme, "welcome", text="Hello {{name}}.", by=bob, labels=["production"])


def editor_post(**extra) -> dict:
    data = {"template_format": "mustache", "text": "Hi {{name}}.", "commit_message": ""}
    return {**data, "base_number": "1", **extra}


@pytest.mark.parametrize("field", ["base_number", "newer_number"])
def test_a_huge_version_number_in_a_save_is_refused_without_a_500(bob_client, welcome, field):
    data = editor_post(**{field: HUGE, "op": "save-over" if field == "newer_number" else "save"})

    response = bob_client.post("/w/acme/p/welcome/-/edit/", data)

    assert response.status_code == 400
    assert "Reload the page" in response.content.decode()
    assert PromptVersion.objects.filter(prompt=welcome).count() == 1


def test_a_huge_version_number_in_a_draft_is_not_a_500(bob_client, welcome):
    response = bob_client.post(
        "/w/acme/p/welcome/-/draft/", editor_post(base_number=HUGE), HTTP_HX_REQUEST="true"
    )

    assert response.status_code < 500
    draft = Draft.objects.filter(prompt=welcome).first()
    assert draft is None or draft.base_number <= 1


@pytest.fixture
def editor_key(acme):
    return api_key_for(acme, Role.EDITOR)[1]


@pytest.mark.parametrize(
    "path", ["/api/v1/prompts", "/api/public/v2/prompts", "/api/v1/prompts/welcome/render"]
)
def test_an_api_body_over_the_upload_limit_gets_the_json_error_shape(
    settings, welcome, editor_key, path
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"name": "big", "type": "text", "content": {"text": "x" * 20_000}})
    client = Client(raise_request_exception=False)

    response = client.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {editor_key}"
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    error = payload.get("error") or {}
    message = error.get("message") if isinstance(error, dict) else payload.get("message")
    assert "too large" in (message or "").lower()
    assert PromptVersion.objects.count() == 1


@pytest.mark.parametrize("body", ["null", "[]", '"a string"', "42", "[1, 2]"])
def test_render_refuses_a_body_that_is_not_an_object(client, welcome, editor_key, body):
    response = client.post(
        "/api/v1/prompts/welcome/render",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {editor_key}",
    )

    assert response.status_code in (400, 422), response.content
    assert response.json()["error"]["code"] == "invalid_request"
