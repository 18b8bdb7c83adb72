"""The editor page: opening, the buttons that work without JavaScript, saving, the live
preview and drafts, as an editor sees them."""

import re

import pytest

from promptregistry import services
from promptregistry.models import Draft, PromptVersion
from tests.accounts.html import field_error, text, words
from tests.promptregistry.factories import (
    add_version,
    make_prompt,
    make_snippet,
    principal_for,
    restrict,
)
from workspaces.models import AuditEvent

MESSAGES = [
    {"role": "system", "content": "You answer questions about {{city}}."},
    {"role": "user", "content": "{{question}}"},
]


@pytest.fixture
def triage(acme, bob):
    return make_prompt(acme, "support/triage", messages=MESSAGES, by=bob)


@pytest.fixture
def welcome(acme, bob):
    return make_prompt(acme, "welcome", text="Hello {{name}}, welcome to {{city}}.", by=bob)


def edit_url(prompt) -> str:
    return f"/w/{prompt.workspace.slug}/p/{prompt.name}/-/edit/"


def preview_url(prompt) -> str:
    return f"/w/{prompt.workspace.slug}/p/{prompt.name}/-/preview/"


def draft_url(prompt) -> str:
    return f"/w/{prompt.workspace.slug}/p/{prompt.name}/-/draft/"


def chat_post(messages=MESSAGES, **extra) -> dict:
    """What the editor posts for a chat prompt: every block, the format and the save area."""
    data = {"template_format": "mustache", "base_number": "1", "commit_message": ""}
    for i, message in enumerate(messages):
        if message.get("type") == "placeholder":
            data[f"m-{i}-kind"] = "placeholder"
            data[f"m-{i}-name"] = message["name"]
        else:
            data[f"m-{i}-kind"] = "message"
            data[f"m-{i}-role"] = message["role"]
            data[f"m-{i}-content"] = message["content"]
    data.update(extra)
    return data


def saved(prompt) -> dict:
    """What a save writes: the prompt's versions, its latest number and the audit events of
    every version made (labels such as "support/triage v1")."""
    prompt.refresh_from_db()
    return {
        "versions": list(prompt.versions.order_by("number").values_list("number", flat=True)),
        "latest": prompt.latest_version_number,
        "events": list(
            AuditEvent.objects.filter(action="version.create")
            .order_by("id")
            .values_list("target_label", flat=True)
        ),
    }


ONLY_VERSION_1 = {"versions": [1], "latest": 1, "events": ["support/triage v1"]}


def textarea(response, name: str) -> str:
    """The text a textarea shows (the newline after the opening tag is not part of it)."""
    match = re.search(
        rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>\n?(.*?)</textarea>', text(response), re.S
    )
    assert match, f"No textarea {name!r} on the page."
    return match.group(1)


# --- Who may open it --------------------------------------------------------------------------


def test_an_editor_opens_the_editor_with_the_latest_version(bob_client, triage):
    response = bob_client.get(edit_url(triage))

    assert response.status_code == 200
    page = text(response)
    assert "Edit triage" in page
    assert textarea(response, "m-0-content") == "You answer questions about {{city}}."
    assert textarea(response, "m-1-content") == "{{question}}"
    assert '<mark class="highlight-variable">{{city}}</mark>' in page
    assert 'name="var-city"' in page and 'name="var-question"' in page
    assert 'name="base_number" value="1"' in page
    assert "Save version 2" in page


def test_a_viewer_may_not_open_the_editor(vera_client, vera, triage):
    changed = [{"role": "user", "content": "Vera's words"}]

    assert vera_client.get(edit_url(triage)).status_code == 403
    response = vera_client.post(edit_url(triage), chat_post(changed, op="save", commit_message="x"))
    assert response.status_code == 403
    assert vera_client.post(preview_url(triage), chat_post()).status_code == 403
    assert vera_client.post(draft_url(triage), chat_post(changed)).status_code == 403
    assert saved(triage) == ONLY_VERSION_1
    assert not Draft.objects.filter(user=vera).exists()


def test_someone_from_another_workspace_gets_not_found(charlie_client, charlie, triage):
    changed = [{"role": "user", "content": "Charlie's words"}]

    assert charlie_client.get(edit_url(triage)).status_code == 404
    assert charlie_client.post(preview_url(triage), chat_post()).status_code == 404
    save = chat_post(changed, op="save", commit_message="x")
    assert charlie_client.post(edit_url(triage), save).status_code == 404
    assert charlie_client.post(draft_url(triage), chat_post(changed)).status_code == 404
    assert saved(triage) == ONLY_VERSION_1
    assert not Draft.objects.filter(user=charlie).exists()


def test_an_editor_can_not_open_a_prompt_restricted_to_admins(bob_client, triage):
    restrict(triage, view_role="", edit_role="admin")

    assert bob_client.get(edit_url(triage)).status_code == 403


# --- Saving -----------------------------------------------------------------------------------


def test_saving_creates_the_next_version_and_goes_to_the_prompt(bob_client, bob, triage):
    changed = [MESSAGES[0], {"role": "user", "content": "Please answer: {{question}}"}]

    response = bob_client.post(
        edit_url(triage), chat_post(changed, op="save", commit_message="Say please")
    )

    assert response.status_code == 302
    assert response.url == "/w/acme/p/support/triage/"
    version = PromptVersion.objects.get(prompt=triage, number=2)
    assert version.content == {"messages": changed}
    assert version.commit_message == "Say please"
    assert version.author == bob


def test_saving_says_which_version_it_made(bob_client, triage):
    changed = [MESSAGES[0], {"role": "user", "content": "{{question}} Thanks!"}]
    response = bob_client.post(
        edit_url(triage), chat_post(changed, op="save", commit_message="Nicer")
    )

    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Saved version 2."]


def test_saving_discards_the_draft(bob_client, bob, triage):
    bob_client.post(draft_url(triage), chat_post([{"role": "user", "content": "Draft text"}]))
    assert Draft.objects.filter(prompt=triage, user=bob).exists()

    bob_client.post(edit_url(triage), chat_post(op="save", commit_message="Saved"))

    assert not Draft.objects.filter(prompt=triage, user=bob).exists()


def test_saving_keeps_config_from_the_fields_and_the_json_box(bob_client, triage):
    response = bob_client.post(
        edit_url(triage),
        chat_post(
            op="save",
            commit_message="Tune",
            model="gpt-4o-mini",
            temperature="0.2",
            max_tokens="300",
            stop="END\n###",
            response_format="json_object",
            config='{"seed": 7}',
        ),
    )

    assert response.status_code == 302
    version = PromptVersion.objects.get(prompt=triage, number=2)
    assert version.config == {
        "seed": 7,
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 300,
        "stop": ["END", "###"],
        "response_format": {"type": "json_object"},
    }


def test_a_text_prompt_saves_its_text_with_plain_line_breaks(bob_client, welcome):
    response = bob_client.post(
        edit_url(welcome),
        {
            "template_format": "mustache",
            "base_number": "1",
            "text": "Hi {{name}}!\r\nBye.",
            "op": "save",
            "commit_message": "Shorter",
        },
    )

    assert response.status_code == 302
    assert welcome.versions.get(number=2).content == {"text": "Hi {{name}}!\nBye."}


def test_saving_needs_a_message_and_keeps_what_was_typed(bob_client, triage):
    typed = [{"role": "system", "content": "Brand new words about {{city}}"}]

    response = bob_client.post(edit_url(triage), chat_post(typed, op="save"))

    assert response.status_code == 400
    assert "Describe your change in a few words" in field_error(response, "commit_message")
    assert textarea(response, "m-0-content") == "Brand new words about {{city}}"
    assert saved(triage) == ONLY_VERSION_1


def test_bad_config_json_is_shown_next_to_the_config_box_and_nothing_is_lost(bob_client, triage):
    typed = [{"role": "system", "content": "Typed {{city}} text"}]

    response = bob_client.post(
        edit_url(triage),
        chat_post(
            typed,
            op="save",
            commit_message="Tune",
            model="gpt-4o",
            config='{"seed": 7,,}',
        ),
    )

    assert response.status_code == 400
    assert "This isn't valid JSON" in field_error(response, "config")
    assert "line 1" in field_error(response, "config")
    assert textarea(response, "m-0-content") == "Typed {{city}} text"
    assert textarea(response, "config") == '{"seed": 7,,}'
    assert 'value="gpt-4o"' in text(response)
    assert 'value="Tune"' in text(response)
    assert saved(triage) == ONLY_VERSION_1


def test_a_config_value_out_of_range_is_shown_next_to_the_config_box(bob_client, triage):
    response = bob_client.post(
        edit_url(triage),
        chat_post(op="save", commit_message="Hot", config='{"temperature": 9}'),
    )

    assert response.status_code == 400
    assert "temperature must be a number from 0 to 2" in field_error(response, "config")
    assert saved(triage) == ONLY_VERSION_1


def test_a_template_error_is_shown_on_its_message(bob_client, triage):
    typed = [MESSAGES[0], {"role": "user", "content": "Hello {{first name}}"}]

    response = bob_client.post(edit_url(triage), chat_post(typed, op="save", commit_message="x"))

    assert response.status_code == 400
    page = text(response)
    block = page.split('id="m-1-block"')[1].split("</section>")[0]
    assert "errorlist" in block
    assert "Not saved yet" in page
    assert textarea(response, "m-1-content") == "Hello {{first name}}"
    assert saved(triage) == ONLY_VERSION_1


def test_a_bad_placeholder_name_is_shown_on_its_block(bob_client, triage):
    typed = [*MESSAGES, {"type": "placeholder", "name": "chat history"}]

    response = bob_client.post(edit_url(triage), chat_post(typed, op="save", commit_message="x"))

    assert response.status_code == 400
    block = text(response).split('id="m-2-block"')[1].split("</section>")[0]
    assert "Name the chat history with letters, digits and “_”" in block
    assert saved(triage) == ONLY_VERSION_1


def test_a_missing_snippet_is_refused_on_its_message(bob_client, triage):
    typed = [{"role": "system", "content": "{{> nowhere}}"}]

    response = bob_client.post(edit_url(triage), chat_post(typed, op="save", commit_message="x"))

    assert response.status_code == 400
    block = text(response).split('id="m-0-block"')[1].split("</section>")[0]
    assert 'Snippet "nowhere"' in block
    assert saved(triage) == ONLY_VERSION_1


def test_a_save_that_lost_its_base_version_is_refused_with_a_reason(bob_client, triage):
    data = chat_post(op="save", commit_message="x")
    del data["base_number"]

    response = bob_client.post(edit_url(triage), data)

    assert response.status_code == 400
    assert "The editor lost track of the version it started from" in text(response)
    assert saved(triage) == ONLY_VERSION_1


# --- Two people at once ----------------------------------------------------------------------


@pytest.fixture
def alice_saved_version_2(triage, alice):
    return add_version(
        triage,
        messages=[MESSAGES[0], {"role": "user", "content": "Question: {{question}}"}],
        by=alice,
        message="Label the question",
    )


def test_a_stale_save_is_refused_with_a_diff_and_the_typed_text_kept(
    bob_client, triage, alice_saved_version_2
):
    mine = [MESSAGES[0], {"role": "user", "content": "My own words: {{question}}"}]

    response = bob_client.post(edit_url(triage), chat_post(mine, op="save", commit_message="Mine"))

    assert response.status_code == 409
    page = text(response)
    assert "Version 2 was saved by Alice Owner" in page
    assert "Label the question" in page
    assert 'class="diff-side"' in page
    assert "<del>Question</del>" in page or "<del>Question:</del>" in page
    assert "<ins>My own words</ins>" in page or "<ins>My</ins>" in page
    assert textarea(response, "m-1-content") == "My own words: {{question}}"
    assert 'value="Mine"' in page
    assert "Save anyway as version 3" in page
    assert 'name="newer_number" value="2"' in page
    assert saved(triage) == {
        "versions": [1, 2],
        "latest": 2,
        "events": ["support/triage v1", "support/triage v2"],
    }


def test_save_anyway_saves_on_top_of_the_newer_version(bob_client, triage, alice_saved_version_2):
    mine = [MESSAGES[0], {"role": "user", "content": "My own words: {{question}}"}]

    response = bob_client.post(
        edit_url(triage),
        chat_post(mine, op="save-over", commit_message="Mine", newer_number="2"),
    )

    assert response.status_code == 302
    assert triage.versions.get(number=3).content == {"messages": mine}


def test_a_refused_save_keeps_a_draft(bob_client, bob, triage, alice_saved_version_2):
    mine = [{"role": "user", "content": "Kept even if the tab closes"}]

    bob_client.post(edit_url(triage), chat_post(mine, op="save", commit_message="Mine"))

    draft = Draft.objects.get(prompt=triage, user=bob)
    assert draft.base_number == 1
    assert draft.data["blocks"][0]["content"] == "Kept even if the tab closes"


# --- Buttons without JavaScript ---------------------------------------------------------------


def test_add_message_shows_a_new_empty_message_without_saving(bob_client, triage):
    response = bob_client.post(edit_url(triage), chat_post(op="add-message"))

    assert response.status_code == 200
    assert textarea(response, "m-2-content") == ""
    assert re.search(r'<option value="assistant" selected>Assistant</option>', text(response))
    assert textarea(response, "m-0-content") == MESSAGES[0]["content"]
    assert saved(triage) == ONLY_VERSION_1


def test_a_button_without_javascript_keeps_a_draft_too(bob_client, bob, triage):
    bob_client.post(edit_url(triage), chat_post(op="add-message"))

    draft = Draft.objects.get(prompt=triage, user=bob)
    assert len(draft.data["blocks"]) == 3


def test_move_up_reorders_the_messages(bob_client, triage):
    response = bob_client.post(edit_url(triage), chat_post(op="up-1"))

    assert textarea(response, "m-0-content") == "{{question}}"
    assert textarea(response, "m-1-content") == MESSAGES[0]["content"]


def test_remove_takes_the_message_away(bob_client, triage):
    response = bob_client.post(edit_url(triage), chat_post(op="remove-0"))

    assert textarea(response, "m-0-content") == "{{question}}"
    assert 'name="m-1-content"' not in text(response)


def test_add_chat_history_adds_a_named_placeholder(bob_client, triage):
    response = bob_client.post(
        edit_url(triage), chat_post(op="add-placeholder", placeholder_name="earlier")
    )

    page = text(response)
    assert 'name="m-2-kind" value="placeholder"' in page
    assert re.search(r'name="m-2-name" value="earlier"', page)
    assert 'name="ph-earlier"' in page


def test_insert_snippet_appends_the_reference_to_the_chosen_message(bob_client, acme, triage):
    make_snippet(acme, "tone", "Be warm.")

    response = bob_client.post(
        edit_url(triage), chat_post(op="insert-snippet", snippet="tone", snippet_target="0")
    )

    assert textarea(response, "m-0-content") == MESSAGES[0]["content"] + "\n{{> tone}}"
    assert '<mark class="highlight-snippet">{{> tone}}</mark>' in text(response)


def test_the_snippet_picker_lists_visible_snippets_only(bob_client, acme, triage):
    make_snippet(acme, "tone", "Be warm.")
    hidden = make_snippet(acme, "secret-tone", "Be cold.")
    restrict(hidden, view_role="admin")

    page = text(bob_client.get(edit_url(triage)))

    assert '<option value="tone"' in page
    assert "secret-tone" not in page


# --- Live preview -----------------------------------------------------------------------------


def htmx_preview(client, prompt, data):
    return client.post(preview_url(prompt), data, HTTP_HX_REQUEST="true")


def test_the_preview_renders_the_sample_values(bob_client, triage):
    response = htmx_preview(
        bob_client, triage, chat_post(**{"var-city": "Paris", "var-question": "Is it sunny?"})
    )

    assert response.status_code == 200
    assert "<html" not in text(response)
    assert "You answer questions about Paris." in words(response)
    assert '<mark class="highlight-variable">Paris</mark>' in text(response)
    assert "Is it sunny?" in words(response)


def test_the_preview_names_a_missing_variable(bob_client, triage):
    response = htmx_preview(bob_client, triage, chat_post(**{"var-city": "Paris"}))

    assert response.status_code == 200
    assert "Waiting for sample values" in words(response)
    assert "Type a value for question under Variables" in words(response)
    # The rest of the prompt still shows, with the gap marked.
    assert "You answer questions about Paris." in words(response)
    assert (
        '<mark class="preview-missing-value" title="No sample value yet">question</mark>'
        in text(response)
    )


def test_the_preview_resolves_snippets(bob_client, acme, triage):
    make_snippet(acme, "tone", "Always be warm in {{city}}.")
    typed = [{"role": "system", "content": "Hi. {{> tone}}"}]

    response = htmx_preview(bob_client, triage, chat_post(typed, **{"var-city": "Oslo"}))

    assert "Hi. Always be warm in Oslo." in words(response)


def test_the_preview_shows_a_syntax_error_with_its_line(bob_client, triage):
    typed = [{"role": "user", "content": "ok\n{% if x %}never closed"}]

    response = htmx_preview(bob_client, triage, chat_post(typed, template_format="jinja2"))

    assert response.status_code == 200
    page = words(response)
    assert "Message 1 can't be rendered" in page
    assert "Line 2" in page


def test_a_jinja_sandbox_escape_shows_an_error_not_a_crash(bob_client, triage):
    typed = [{"role": "user", "content": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}]

    response = htmx_preview(bob_client, triage, chat_post(typed, template_format="jinja2"))

    assert response.status_code == 200
    page = words(response)
    assert "Message 1 can't be rendered" in page
    assert "Not allowed in templates" in page


def known_names(client, prompt) -> str:
    """Which rows the variables panel shows, as the editor page posts it back."""
    page = text(client.get(edit_url(prompt)))
    return re.search(r'name="known_names" value="([^"]*)"', page).group(1)


def test_the_preview_refreshes_highlights_and_the_variables_panel_when_names_change(
    bob_client, triage
):
    typed = [{"role": "user", "content": "Weather in {{town}}"}]
    names = known_names(bob_client, triage)

    response = htmx_preview(bob_client, triage, chat_post(typed, known_names=names))

    page = text(response)
    assert 'id="m-0-mirror" aria-hidden="true" hx-swap-oob="true"' in page
    assert '<mark class="highlight-variable">{{town}}</mark>' in page
    assert 'id="editor-variables"' in page
    assert 'name="var-town"' in page


def test_the_preview_leaves_the_variables_panel_alone_while_names_stay(bob_client, triage):
    names = known_names(bob_client, triage)

    response = htmx_preview(bob_client, triage, chat_post(known_names=names, **{"var-city": "Pa"}))

    assert 'id="editor-variables"' not in text(response)
    assert "1 of 2 filled" in text(response)  # only the count is refreshed


def test_the_preview_renders_a_sample_chat_history(bob_client, triage):
    typed = [*MESSAGES, {"type": "placeholder", "name": "history"}]
    history = '[{"role": "user", "content": "Earlier question"}]'

    response = htmx_preview(
        bob_client,
        triage,
        chat_post(typed, **{"var-city": "Rome", "var-question": "Q", "ph-history": history}),
    )

    assert "Earlier question" in text(response)
    assert "from history" in text(response)


def test_a_sample_chat_history_that_is_not_json_gets_a_clear_error(bob_client, triage):
    typed = [*MESSAGES, {"type": "placeholder", "name": "history"}]

    response = htmx_preview(bob_client, triage, chat_post(typed, **{"ph-history": "[{oops"}))

    assert 'id="ph-history-error"' in text(response)
    assert "This isn't valid JSON" in text(response)


def test_the_preview_without_htmx_shows_the_whole_editor(bob_client, triage):
    response = bob_client.post(preview_url(triage), chat_post(**{"var-city": "Lima"}))

    assert response.status_code == 200
    assert "<html" in text(response)
    assert 'value="Lima"' in text(response)


# --- Drafts -----------------------------------------------------------------------------------


def test_a_draft_is_saved_and_restored_when_the_editor_opens_again(bob_client, bob, triage):
    typed = [{"role": "system", "content": "Half-written {{city}}"}]

    response = bob_client.post(draft_url(triage), chat_post(typed), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<html" not in text(response)
    assert "Draft saved" in text(response)
    draft = Draft.objects.get(prompt=triage, user=bob)
    assert draft.base_number == 1

    page = bob_client.get(edit_url(triage))
    assert "Restored your unsaved changes from" in text(page)
    assert textarea(page, "m-0-content") == "Half-written {{city}}"
    assert 'data-dirty="true"' in text(page)


def test_a_draft_equal_to_the_saved_version_is_not_kept(bob_client, bob, triage):
    response = bob_client.post(draft_url(triage), chat_post(), HTTP_HX_REQUEST="true")

    assert "No unsaved changes" in text(response)
    assert not Draft.objects.filter(prompt=triage, user=bob).exists()


def test_drafts_belong_to_one_person(bob_client, alice_client, triage):
    typed = [{"role": "system", "content": "Bob's idea"}]
    bob_client.post(draft_url(triage), chat_post(typed), HTTP_HX_REQUEST="true")

    page = alice_client.get(edit_url(triage))

    assert "Restored your unsaved changes" not in text(page)
    assert textarea(page, "m-0-content") == MESSAGES[0]["content"]


def test_discarding_a_draft_starts_again_from_the_latest_version(bob_client, bob, triage):
    bob_client.post(draft_url(triage), chat_post([{"role": "user", "content": "Scrap"}]))

    response = bob_client.post(draft_url(triage) + "discard/")

    assert response.status_code == 302
    assert response.url == edit_url(triage)
    assert not Draft.objects.filter(prompt=triage, user=bob).exists()
    page = bob_client.get(response.url)
    assert "Discarded your unsaved changes." in text(page)
    assert textarea(page, "m-0-content") == MESSAGES[0]["content"]


def test_a_draft_older_than_the_latest_version_says_so(bob_client, alice, triage):
    bob_client.post(draft_url(triage), chat_post([{"role": "user", "content": "Old base"}]))
    add_version(triage, by=alice, message="Newer")

    page = words(bob_client.get(edit_url(triage)))

    assert "Version 2 was saved after your draft started from version 1." in page


def test_keep_as_draft_without_javascript_returns_to_the_editor(bob_client, bob, triage):
    response = bob_client.post(draft_url(triage), chat_post([{"role": "user", "content": "X"}]))

    assert response.status_code == 302
    assert response.url == edit_url(triage)
    assert Draft.objects.filter(prompt=triage, user=bob).exists()


def test_a_viewer_can_not_discard_drafts(vera_client, vera, bob_client, bob, triage):
    # Vera typed hers while she was an editor; Bob's is his own. Neither may go.
    Draft.objects.create(prompt=triage, user=vera, base_number=1, data={"text": "Vera's"})
    bob_client.post(draft_url(triage), chat_post([{"role": "user", "content": "Bob's"}]))
    before = list(Draft.objects.order_by("pk").values_list("user", "base_number", "data"))
    assert len(before) == 2

    assert vera_client.post(draft_url(triage) + "discard/").status_code == 403
    assert list(Draft.objects.order_by("pk").values_list("user", "base_number", "data")) == before


def test_the_principal_helper_matches_the_service(acme, bob, triage):
    # Drafts written through the service read back in the editor.
    services.draft_save(
        principal=principal_for(acme, bob),
        prompt=triage,
        data={"blocks": [{"kind": "message", "role": "user", "content": "From the service"}]},
        base_number=1,
    )
    assert Draft.objects.get(prompt=triage).data["blocks"][0]["content"] == "From the service"


def test_a_draft_too_large_to_keep_says_so(bob_client, bob, triage):
    huge = [{"role": "user", "content": "x" * 600_000}]

    response = bob_client.post(draft_url(triage), chat_post(huge), HTTP_HX_REQUEST="true")

    assert "too long to keep as a draft" in text(response)
    assert not Draft.objects.filter(prompt=triage, user=bob).exists()


# --- Text prompts and snippets ----------------------------------------------------------------


def test_a_text_prompt_has_one_big_textarea_and_its_own_preview(bob_client, welcome):
    page = bob_client.get(edit_url(welcome))

    assert textarea(page, "text") == "Hello {{name}}, welcome to {{city}}."
    assert 'name="m-0-content"' not in text(page)

    response = htmx_preview(
        bob_client,
        welcome,
        {"template_format": "mustache", "text": "Hi {{name}}", "var-name": "Ana"},
    )
    assert "Hi Ana" in words(response)
    assert 'id="text-mirror" aria-hidden="true" hx-swap-oob="true"' in text(response)


def test_a_snippet_is_edited_like_a_text_prompt(bob_client, acme):
    snippet = make_snippet(acme, "tone", "Be warm.")

    response = bob_client.post(
        edit_url(snippet),
        {"template_format": "mustache", "base_number": "1", "text": "Be warm and brief.",
         "op": "save", "commit_message": "Brief"},
    )  # fmt: skip

    assert response.status_code == 302
    assert snippet.versions.get(number=2).content == {"text": "Be warm and brief."}
