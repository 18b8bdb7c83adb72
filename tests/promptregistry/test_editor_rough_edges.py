"""Issue #8, the editor's rough edges: saving nothing new, templates that can't render,
unclosed tags, and input past the size limits, as an editor meets them."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from promptregistry import services
from promptregistry.models import Label, PromptVersion
from tests.accounts.html import field_error, text, words
from tests.factories import api_key_for
from tests.promptregistry.factories import make_prompt, principal_for
from workspaces.roles import Role

MESSAGES = [
    {"role": "system", "content": "You answer questions about {{city}}."},
    {"role": "user", "content": "{{question}}"},
]


@pytest.fixture
def triage(acme, bob):
    return make_prompt(acme, "support/triage", messages=MESSAGES, by=bob)


def edit_url(prompt) -> str:
    return f"/w/{prompt.workspace.slug}/p/{prompt.name}/-/edit/"


def preview_url(prompt) -> str:
    return f"/w/{prompt.workspace.slug}/p/{prompt.name}/-/preview/"


def chat_post(messages=MESSAGES, fmt="mustache", **extra) -> dict:
    data = {"template_format": fmt, "base_number": "1", "commit_message": "Change"}
    for i, message in enumerate(messages):
        data[f"m-{i}-kind"] = "message"
        data[f"m-{i}-role"] = message["role"]
        data[f"m-{i}-content"] = message["content"]
    data.update(extra)
    return data


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def versions(prompt) -> int:
    return PromptVersion.objects.filter(prompt=prompt).count()


def jinja_version(prompt, content: str, by=None) -> PromptVersion:
    return services.prompt_version_create(
        principal=principal_for(prompt.workspace, by),
        prompt=prompt,
        version_content={"messages": [{"role": "user", "content": content}]},
        template_format="jinja2",
    )


# --- Saving with nothing changed ------------------------------------------------------------


def test_saving_with_nothing_changed_is_refused_and_says_so(bob_client, triage):
    response = bob_client.post(edit_url(triage), chat_post(op="save"))

    assert response.status_code == 400
    assert "Nothing changed since version 1" in words(response)
    assert "You answer questions about {{city}}." in text(response)  # still in the editor
    assert versions(triage) == 1


def test_changing_only_the_model_settings_is_a_change(bob_client, triage):
    response = bob_client.post(edit_url(triage), chat_post(op="save", temperature="0.2"))

    assert response.status_code == 302
    assert versions(triage) == 2


def test_the_native_api_refuses_an_unchanged_version_with_a_json_error(acme, triage, client):
    _, secret = api_key_for(acme, Role.EDITOR)

    response = client.post(
        "/api/v1/prompts/support%2Ftriage/versions",
        {"content": {"messages": MESSAGES}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert "Nothing changed since version 1" in response.json()["error"]["message"]
    assert versions(triage) == 1


def test_the_langfuse_path_keeps_langfuses_behaviour_and_saves_a_copy(acme, triage):
    # Langfuse's POST /api/public/v2/prompts makes a new version even when nothing changed.
    version = services.prompt_version_create(
        principal=principal_for(acme), prompt=triage, version_content={"messages": MESSAGES}
    )

    assert version.number == 2


# --- Templates that can't render ------------------------------------------------------------


def test_a_version_the_sandbox_refuses_is_saved_with_a_warning(bob_client, triage):
    post = chat_post([{"role": "user", "content": "{{ city.__class__ }}"}], fmt="jinja2", op="save")

    response = bob_client.post(edit_url(triage), post | {"var-city": "Paris"})

    assert response.status_code == 302
    assert versions(triage) == 2
    said = shown_messages(response)
    assert said[0] == "Saved version 2."
    assert "Version 2 can't be rendered with your sample values: Message 1:" in said[1]
    assert "__class__" in said[1]


def test_a_render_error_that_comes_from_the_sample_values_is_reported(bob_client, triage):
    post = chat_post([{"role": "user", "content": "{{ city.name }}"}], fmt="jinja2", op="save")

    response = bob_client.post(edit_url(triage), post | {"var-city": "Paris"})

    assert response.status_code == 302
    assert "has no attribute 'name'" in shown_messages(response)[1]


def test_a_template_that_renders_saves_without_a_warning(bob_client, triage):
    post = chat_post([{"role": "user", "content": "{% for c in cities %}{{ c.name }}{% endfor %}"}])
    post |= {"template_format": "jinja2", "op": "save"}  # no sample value: nothing to judge

    response = bob_client.post(edit_url(triage), post)

    assert response.status_code == 302
    assert shown_messages(response) == ["Saved version 2."]


def test_production_can_not_point_at_a_version_that_can_not_render(adam, adam_client, triage):
    broken = jinja_version(triage, "{{ city.__class__ }}")

    response = adam_client.post(
        "/w/acme/p/support/triage/-/labels/move/", {"label": "production", "version": "2"}
    )

    assert response.status_code == 400
    assert "Version 2 can't be rendered" in field_error(response, "version")
    assert not Label.objects.filter(prompt=triage, name="production").exists()
    with pytest.raises(ValidationError):
        services.label_split(
            principal=principal_for(triage.workspace, adam),
            prompt=triage,
            name="production",
            version=broken,
            percent=10,
        )


def test_an_unprotected_label_may_still_point_at_it(bob, triage):
    broken = jinja_version(triage, "{{ city.__class__ }}")

    label = services.label_move(
        principal=principal_for(triage.workspace, bob),
        prompt=triage,
        name="staging",
        version=broken,
    )

    assert label.version == broken


def test_the_api_refuses_a_version_that_would_move_production_and_saves_nothing(acme, triage):
    _, secret = api_key_for(acme, Role.ADMIN)

    response = Client().post(
        "/api/v1/prompts/support%2Ftriage/versions",
        {
            "content": {"messages": [{"role": "user", "content": "{{ city.__class__ }}"}]},
            "template_format": "jinja2",
            "labels": ["production"],
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    assert response.status_code == 400
    assert "can't be rendered" in response.json()["error"]["message"]
    assert versions(triage) == 1


# --- Unclosed tags ----------------------------------------------------------------------------


def test_the_preview_warns_about_an_unclosed_mustache_tag(bob_client, triage):
    post = chat_post([{"role": "user", "content": "Hello {{name"}])

    response = bob_client.post(preview_url(triage), post, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "“{{name” is never closed" in text(response)
    assert 'class="editor-warning"' in text(response)


def test_saving_an_unclosed_tag_keeps_it_as_written_and_warns(bob_client, triage):
    post = chat_post([{"role": "user", "content": "Hello {{name"}], op="save")

    response = bob_client.post(edit_url(triage), post)

    assert response.status_code == 302
    assert triage.versions.get(number=2).content["messages"][0]["content"] == "Hello {{name"
    assert "Message 1: “{{name” is never closed" in shown_messages(response)[1]


def test_the_editor_page_shows_the_warning_next_to_the_block(bob_client, triage):
    post = chat_post([MESSAGES[0], {"role": "user", "content": "Hi {{name}"}], op="preview")

    response = bob_client.post(edit_url(triage), post)

    assert '<p class="editor-warning">“{{name}” is never closed' in text(response)


@pytest.mark.parametrize(
    ("fmt", "content", "said"),
    [
        ("fstring", "Hello {name", "Single '{' in template"),
        ("jinja2", "{% if vip %}Hello", "The innermost block that needs to be closed is 'if'"),
        ("jinja2", "Hello {{ name", "expected 'end of print statement'"),
    ],
)
def test_unclosed_tags_in_other_formats_are_errors_that_stop_the_save(
    bob_client, triage, fmt, content, said
):
    post = chat_post([{"role": "user", "content": content}], fmt=fmt, op="save")

    response = bob_client.post(edit_url(triage), post)

    assert response.status_code == 400
    assert said in text(response)
    assert versions(triage) == 1


# --- Size limits --------------------------------------------------------------------------------


def test_the_limits_are_shown_next_to_the_messages(bob_client, triage):
    response = bob_client.get(edit_url(triage))

    page = words(response)
    assert "Up to 200 messages of 200,000 characters each; the editor sends at most 2.5" in page
    assert 'data-max-bytes="2621440"' in text(response)


def test_a_message_past_the_limit_is_refused_next_to_it_and_kept(bob_client, triage):
    long = "x" * 200_001
    post = chat_post([MESSAGES[0], {"role": "user", "content": long}], op="save")

    response = bob_client.post(edit_url(triage), post)

    assert response.status_code == 400
    assert "This message is 200,001 characters long; it may hold at most 200,000" in text(response)
    assert long in text(response)  # what was typed is still in the editor
    assert versions(triage) == 1


def test_a_long_prompt_is_on_the_editor_page_once_not_three_times(acme, bob_client, triage):
    long = "Tell me about {{city}}. " * 6_000  # 144,000 characters
    services.prompt_version_create(
        principal=principal_for(acme),
        prompt=triage,
        version_content={"messages": [{"role": "user", "content": long}]},
    )

    response = bob_client.get(edit_url(triage))

    assert response.status_code == 200
    assert len(long) < len(response.content) < len(long) + 120_000
    assert "more characters, not shown in the preview" in text(response) or (
        "Waiting for sample values" in text(response)
    )


def test_the_preview_of_a_long_prompt_shows_its_beginning(bob_client, triage):
    long = "word " * 10_000
    post = chat_post([{"role": "user", "content": long}])

    response = bob_client.post(preview_url(triage), post, HTTP_HX_REQUEST="true")

    assert "… 30,000 more characters, not shown in the preview" in text(response)


def test_a_post_past_the_upload_limit_gets_a_page_that_says_what_happened(
    bob_client, triage, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    post = chat_post([{"role": "user", "content": "y" * 6_000}], op="save")

    response = bob_client.post(edit_url(triage), post)

    assert response.status_code == 400
    page = words(response)
    assert "This couldn't be sent" in page
    assert "Nothing was saved" in page
    assert "css/app/tokens.css" in text(response)
    assert versions(triage) == 1
