"""History, one version with its comments, restore and diff pages."""

import pytest

from promptregistry import services
from promptregistry.models import Comment, PromptVersion
from tests.accounts.html import field_error, text, words
from tests.promptregistry.factories_history import (
    chat,
    chat_prompt,
    principal,
    text_prompt,
    version,
)
from workspaces.models import AuditEvent
from workspaces.roles import Role

P = "/w/acme/p/support/triage/-/"


@pytest.fixture
def prompt(bob):
    return chat_prompt(bob, versions=3)


def comment(user, prompt, number, body):
    return services.comment_create(
        principal=principal(user), version=version(prompt, number), body=body
    )


# --- History ----------------------------------------------------------------------------------


def test_history_lists_versions_newest_first_with_message_author_and_time(bob_client, prompt):
    response = bob_client.get(P + "history/")
    assert response.status_code == 200
    page = words(response)
    assert page.index("Version 3") < page.index("Version 2") < page.index("Version 1")
    assert "Change 3" in page and "First draft" in page
    assert "Bob Editor" in page
    assert "just now" in page
    # the exact time is in the title of the relative one
    assert 'title="' in text(response) and "<time datetime=" in text(response)


def test_history_shows_labels_split_arms_comments_and_restores(adam, bob, bob_client, prompt):
    services.label_move(
        principal=principal(adam), prompt=prompt, name="production", version=version(prompt, 1)
    )
    services.label_split(
        principal=principal(adam),
        prompt=prompt,
        name="production",
        version=version(prompt, 2),
        percent=10,
    )
    services.label_move(
        principal=principal(bob), prompt=prompt, name="staging", version=version(prompt, 3)
    )
    comment(bob, prompt, 2, "Looks good")
    comment(adam, prompt, 2, "Agreed")
    services.version_restore(principal=principal(bob), version=version(prompt, 1))

    page = words(bob_client.get(P + "history/"))

    assert "production · 90%" in page and "production · 10%" in page
    assert "staging" in page and "latest" in page
    assert "2 comments" in page
    assert "Restored from v1" in page and "Restored version 1" in page


def test_history_links_each_version_to_its_page_its_diff_and_restore(bob_client, prompt):
    html = text(bob_client.get(P + "history/"))
    assert f'href="{P}versions/2/"' in html
    assert f'href="{P}diff/?to=2">Diff with v1<' in html
    assert f'href="{P}diff/?to=1">Show first version<' in html
    assert f'href="{P}versions/2/restore/"' in html
    # compare any two: radios A and B belong to the form that opens the diff
    assert 'name="from" value="2" form="compare" checked' in html
    assert 'name="to" value="3" form="compare" checked' in html
    assert f'id="compare" method="get" action="{P}diff/"' in html


def test_history_offers_moving_a_label_back_in_one_click(bob_client, prompt):
    html = text(bob_client.get(P + "history/"))
    assert f'action="{P}labels/move/"' in html
    assert 'name="version" value="1"' in html
    assert "Move label here" in html
    # an editor is not offered the protected label here
    assert '<option value="production"' not in html


def test_viewers_read_the_history_without_write_actions(vera_client, prompt):
    response = vera_client.get(P + "history/")
    assert response.status_code == 200
    assert "Restore…" not in text(response) and "Move label here" not in text(response)


def test_history_of_another_workspace_is_not_found(charlie_client, prompt):
    assert charlie_client.get(P + "history/").status_code == 404


def test_history_of_a_restricted_prompt_vanishes_for_a_viewer(vera_client, prompt):
    prompt.view_role = Role.EDITOR
    prompt.save()
    assert vera_client.get(P + "history/").status_code == 404


def test_history_of_an_unknown_prompt_is_not_found(bob_client, bob):
    assert bob_client.get("/w/acme/p/nope/-/history/").status_code == 404


def test_history_before_the_first_version_explains_where_versions_come_from(bob, bob_client):
    services.prompt_create(principal=principal(bob), name="empty")
    response = bob_client.get("/w/acme/p/empty/-/history/")
    assert response.status_code == 200
    assert "No versions yet" in words(response)
    assert "Open the editor" in words(response)


def test_history_is_paginated(bob, bob_client):
    chat_prompt(bob, versions=25)
    first = words(bob_client.get(P + "history/"))
    second = words(bob_client.get(P + "history/?page=2"))
    assert "Version 25" in first and "Version 6 " in first and "Version 5 " not in first
    assert "Version 5 " in second and "Version 1 " in second
    assert "Page 2 of 2" in second


@pytest.mark.parametrize("count", [3, 30])
def test_history_costs_the_same_queries_for_3_or_30_versions(
    adam, bob, bob_client, assert_queries, count
):
    prompt = chat_prompt(bob, versions=count)
    services.label_move(
        principal=principal(bob), prompt=prompt, name="staging", version=version(prompt, 2)
    )
    comment(bob, prompt, 2, "hi")
    with assert_queries(9):
        assert bob_client.get(P + "history/").status_code == 200


# --- One version ------------------------------------------------------------------------------


def test_a_version_shows_its_messages_with_variables_highlighted(bob_client, prompt):
    response = bob_client.get(P + "versions/2/")
    assert response.status_code == 200
    html = text(response)
    assert '<span class="preview-role">system</span>' in html
    assert '<mark class="highlight-variable">{{company}}</mark>' in html
    assert '<mark class="highlight-variable">{{question}}</mark>' in html
    assert "Keep replies under 120 words." in html
    assert "Change 2" in words(response) and "Bob Editor" in words(response)


def test_a_version_escapes_what_the_prompt_says(bob, bob_client, prompt):
    services.prompt_version_create(
        principal=principal(bob), prompt=prompt, version_content=chat("<script>alert(1)</script>")
    )
    html = bob_client.get(P + "versions/4/").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_version_shows_its_config_as_a_list_and_as_json(bob_client, prompt):
    response = bob_client.get(P + "versions/1/")
    page = words(response)
    assert "Model gpt-4o-mini" in page and "Temperature 0.7" in page
    assert '"temperature": 0.7' in text(response)


def test_a_text_version_and_placeholders_render(bob, bob_client, prompt):
    services.prompt_version_create(
        principal=principal(bob),
        prompt=prompt,
        version_content={
            "messages": [
                {"role": "system", "content": "Hi"},
                {"type": "placeholder", "name": "history"},
            ]
        },
    )
    assert "Placeholder · history" in words(bob_client.get(P + "versions/4/"))
    text_prompt(bob)
    html = text(bob_client.get("/w/acme/p/marketing/tagline/-/versions/2/"))
    assert '<mark class="highlight-variable">{product}</mark>' in html


def test_a_version_shows_labels_pointing_at_it_and_offers_moving_one_here(bob_client, prompt):
    html = text(bob_client.get(P + "versions/3/"))
    assert "latest" in html
    # protected labels are listed but locked for an editor, so they know why
    assert '<option value="production" disabled>production (locked: admins only)' in html
    assert '<option value="staging">staging (new)' in html


def test_a_missing_version_is_not_found(bob_client, prompt):
    assert bob_client.get(P + "versions/9/").status_code == 404


def test_a_version_of_another_workspace_is_not_found(charlie_client, prompt):
    assert charlie_client.get(P + "versions/1/").status_code == 404


def test_a_version_lists_its_comments_in_markdown(adam, bob, bob_client, prompt):
    comment(adam, prompt, 2, "Tested with **20 tickets**")
    response = bob_client.get(P + "versions/2/")
    assert "<strong>20 tickets</strong>" in text(response)
    assert "Adam Admin" in words(response)
    assert 'id="comments"' in text(response)


@pytest.mark.parametrize(
    ("body", "forbidden"),
    [
        ("<script>alert('x')</script>", "<script>alert"),
        ("[click me](javascript:alert(1))", 'href="javascript'),
        ('<img src=x onerror="alert(1)">', "<img src=x"),
        ("<b onmouseover=alert(1)>bold</b>", "<b onmouseover"),
    ],
)
def test_comment_markdown_cannot_inject_script(bob, bob_client, prompt, body, forbidden):
    comment(bob, prompt, 1, body)
    html = bob_client.get(P + "versions/1/").content.decode()
    assert forbidden not in html


# --- Comments ---------------------------------------------------------------------------------


def test_an_editor_comments_on_a_version(bob_client, prompt):
    response = bob_client.post(P + "versions/2/comments/", {"body": "Ready for **staging**"})
    created = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{P}versions/2/#comment-{created.pk}"
    assert created.version.number == 2 and created.body == "Ready for **staging**"
    assert AuditEvent.objects.filter(action="comment.create").exists()
    page = bob_client.get(P + "versions/2/")
    assert "Comment posted." in words(page)
    assert "<strong>staging</strong>" in text(page)


def test_an_empty_comment_is_refused_next_to_the_field(bob_client, prompt):
    response = bob_client.post(P + "versions/2/comments/", {"body": "   "})
    assert response.status_code == 400
    assert field_error(response, "body") == "Write something before posting."
    assert not Comment.objects.exists()
    assert not AuditEvent.objects.filter(action="comment.create").exists()


def test_a_too_long_comment_is_refused_and_kept(bob_client, prompt):
    body = "word " * 2001 + "END"
    response = bob_client.post(P + "versions/2/comments/", {"body": body})
    assert response.status_code == 400
    assert "at most 10000 characters" in field_error(response, "body")
    assert "END</textarea>" in text(response)
    assert not Comment.objects.exists()
    assert not AuditEvent.objects.filter(action="comment.create").exists()


def test_viewers_can_not_comment(vera_client, prompt):
    response = vera_client.post(P + "versions/2/comments/", {"body": "hi"})
    assert response.status_code == 403
    assert not Comment.objects.exists()
    assert not AuditEvent.objects.filter(action="comment.create").exists()
    assert "Post comment" not in text(vera_client.get(P + "versions/2/"))


def test_outsiders_can_not_comment(charlie_client, prompt):
    assert charlie_client.post(P + "versions/2/comments/", {"body": "hi"}).status_code == 404
    assert not Comment.objects.exists()
    assert not AuditEvent.objects.filter(action="comment.create").exists()


def test_comment_counts_show_in_the_history(bob, bob_client, prompt):
    comment(bob, prompt, 3, "one")
    assert "1 comment" in words(bob_client.get(P + "history/"))


def test_an_author_edits_their_comment(bob, bob_client, prompt):
    note = comment(bob, prompt, 2, "Frist")
    form = bob_client.get(P + f"comments/{note.pk}/edit/")
    assert form.status_code == 200 and "Frist</textarea>" in text(form)

    response = bob_client.post(P + f"comments/{note.pk}/edit/", {"body": "First"})

    assert response.status_code == 302
    assert response["Location"] == f"{P}versions/2/#comment-{note.pk}"
    note.refresh_from_db()
    assert note.body == "First" and note.edited_at is not None
    assert "edited" in words(bob_client.get(P + "versions/2/"))


def test_editing_a_comment_inline_with_htmx_swaps_only_the_comment(bob, bob_client, prompt):
    note = comment(bob, prompt, 2, "Frist")
    url = P + f"comments/{note.pk}/edit/"

    form = bob_client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert "<html" not in text(form) and f'hx-post="{url}"' in text(form)

    saved = bob_client.post(url, {"body": "First *draft*"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert "<html" not in text(saved)
    assert f'id="comment-{note.pk}"' in text(saved) and "<em>draft</em>" in text(saved)


def test_a_bad_edit_keeps_what_was_typed(bob, bob_client, prompt):
    note = comment(bob, prompt, 2, "Frist")
    url = P + f"comments/{note.pk}/edit/"
    body = "x" * 10_001
    plain = bob_client.post(url, {"body": body})
    assert plain.status_code == 400 and body in text(plain)
    htmx = bob_client.post(url, {"body": "  "}, headers={"HX-Request": "true"})
    assert htmx.status_code == 422 and "<html" not in text(htmx)
    assert "Write something before posting." in text(htmx)
    note.refresh_from_db()
    assert note.body == "Frist"
    assert note.edited_at is None


def test_nobody_edits_or_deletes_someone_elses_comment(adam, adam_client, bob, prompt):
    note = comment(bob, prompt, 2, "mine")
    assert adam_client.get(P + f"comments/{note.pk}/edit/").status_code == 403
    assert adam_client.post(P + f"comments/{note.pk}/edit/", {"body": "x"}).status_code == 403
    assert adam_client.post(P + f"comments/{note.pk}/delete/").status_code == 403
    note.refresh_from_db()
    assert note.body == "mine"
    assert note.edited_at is None
    assert not AuditEvent.objects.filter(action="comment.delete").exists()


def test_only_the_author_sees_edit_and_delete(adam, adam_client, bob, bob_client, prompt):
    note = comment(bob, prompt, 2, "mine")
    assert P + f"comments/{note.pk}/edit/" in text(bob_client.get(P + "versions/2/"))
    assert P + f"comments/{note.pk}/edit/" not in text(adam_client.get(P + "versions/2/"))


def test_deleting_a_comment_asks_first(bob, bob_client, prompt):
    note = comment(bob, prompt, 2, "Delete **me**")
    confirm = bob_client.get(P + f"comments/{note.pk}/delete/")
    assert confirm.status_code == 200
    assert "Delete this comment?" in words(confirm)
    assert "<strong>me</strong>" in text(confirm)
    assert Comment.objects.filter(pk=note.pk).exists()

    response = bob_client.post(P + f"comments/{note.pk}/delete/")

    assert response.status_code == 302 and response["Location"] == f"{P}versions/2/#comments"
    assert not Comment.objects.filter(pk=note.pk).exists()
    assert AuditEvent.objects.filter(action="comment.delete").exists()


def test_viewers_and_outsiders_can_not_touch_comments(bob, vera_client, charlie_client, prompt):
    note = comment(bob, prompt, 2, "mine")
    assert vera_client.post(P + f"comments/{note.pk}/delete/").status_code == 403
    assert vera_client.get(P + f"comments/{note.pk}/edit/").status_code == 403
    assert charlie_client.post(P + f"comments/{note.pk}/delete/").status_code == 404
    assert list(Comment.objects.values_list("pk", "body")) == [(note.pk, "mine")]
    assert not AuditEvent.objects.filter(action="comment.delete").exists()


def test_a_comment_of_another_prompt_is_not_found(bob, bob_client, prompt):
    other = chat_prompt(bob, name="other", versions=1)
    note = comment(bob, other, 1, "elsewhere")
    assert bob_client.get(P + f"comments/{note.pk}/edit/").status_code == 404


# --- Restore ----------------------------------------------------------------------------------


def test_restore_asks_first_and_says_what_changes(bob_client, prompt):
    response = bob_client.get(P + "versions/1/restore/")
    assert response.status_code == 200
    page = words(response)
    assert "Restore version 1?" in page
    assert "new version 4" in page
    assert f"{P}diff/?from=3&to=1" in text(response)
    assert PromptVersion.objects.filter(prompt=prompt).count() == 3


def test_restoring_saves_a_new_version_with_the_old_content(bob, bob_client, prompt):
    response = bob_client.post(P + "versions/1/restore/")

    assert response.status_code == 302 and response["Location"] == f"{P}versions/4/"
    restored = version(prompt, 4)
    original = version(prompt, 1)
    assert restored.content == original.content and restored.config == original.config
    assert restored.commit_message == "Restored version 1"
    assert restored.restored_from == 1 and restored.author == bob
    event = AuditEvent.objects.get(action="version.create", data__after__number=4)
    assert event.data["after"]["restored_from"] == 1
    page = bob_client.get(response["Location"])
    assert "Version 4 saved with the content of version 1" in words(page)
    assert "Restored from version 1" in words(page)


def test_viewers_can_not_restore(vera_client, prompt):
    assert vera_client.get(P + "versions/1/restore/").status_code == 403
    assert vera_client.post(P + "versions/1/restore/").status_code == 403
    assert PromptVersion.objects.filter(prompt=prompt).count() == 3
    prompt.refresh_from_db()
    assert prompt.latest_version_number == 3
    assert AuditEvent.objects.filter(action="version.create").count() == 3  # the fixture's


def test_outsiders_can_not_restore(charlie_client, prompt):
    assert charlie_client.post(P + "versions/1/restore/").status_code == 404
    assert PromptVersion.objects.filter(prompt=prompt).count() == 3
    prompt.refresh_from_db()
    assert prompt.latest_version_number == 3
    assert AuditEvent.objects.filter(action="version.create").count() == 3  # the fixture's


def test_restoring_a_missing_version_is_not_found(bob_client, prompt):
    assert bob_client.post(P + "versions/42/restore/").status_code == 404
    assert PromptVersion.objects.filter(prompt=prompt).count() == 3
    prompt.refresh_from_db()
    assert prompt.latest_version_number == 3
    assert AuditEvent.objects.filter(action="version.create").count() == 3  # the fixture's


# --- Diff -------------------------------------------------------------------------------------


def test_the_diff_defaults_to_the_newest_version_against_its_parent(bob_client, prompt):
    response = bob_client.get(P + "diff/")
    assert response.status_code == 200
    assert "Version 2 → version 3" in words(response)


def test_a_chat_diff_shows_words_removed_and_added_side_by_side(bob_client, prompt):
    response = bob_client.get(P + "diff/?from=1&to=2")
    html = text(response)
    assert 'class="diff-side"' in html
    assert "<del>short</del>" in html
    assert "<ins>under 120 words</ins>" in html
    page = words(response)
    assert "1. System Changed +3 −1" in page
    assert "2. User Unchanged" in page


def test_a_chat_diff_inline_shows_both_in_one_column(bob_client, prompt):
    response = bob_client.get(P + "diff/?from=1&to=2&mode=inline")
    html = text(response)
    assert 'class="diff-inline"' in html and 'class="diff-side"' not in html
    assert "<del>short</del><ins>under 120 words</ins>" in html
    assert 'aria-current="page">Inline<' in html


def test_the_diff_summarises_words_messages_and_settings(bob_client, prompt):
    response = bob_client.get(P + "diff/?from=1&to=2")
    page = words(response)
    assert "Summary: +3 −1 words" in page
    assert "1 changed" in page
    assert "2 settings changed" in page
    # config changes table
    assert '<del class="diff-word mono">"gpt-4o-mini"</del>' in text(response)
    assert '<ins class="diff-word mono">"gpt-4o"</ins>' in text(response)


def test_a_text_diff_shows_ins_and_del(bob, bob_client):
    text_prompt(bob)
    response = bob_client.get("/w/acme/p/marketing/tagline/-/diff/")
    assert response.status_code == 200
    assert "Write a<ins> short, upbeat</ins> tagline for {product}." in text(response)
    assert "Text Changed" in words(response)


def test_a_diff_shows_role_changes_placeholders_and_template_format(bob, bob_client, prompt):
    services.prompt_version_create(
        principal=principal(bob),
        prompt=prompt,
        version_content={
            "messages": [
                {"role": "user", "content": version(prompt, 3).messages[0]["content"]},
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "{question}"},
            ]
        },
        template_format="fstring",
    )
    page = words(bob_client.get(P + "diff/?from=3&to=4"))
    assert "System → User" in page and "Role changed" in page
    assert "Placeholder “history” Added" in page
    assert "The template format changed from mustache to fstring" in page


def test_long_unchanged_runs_fold_away(bob, bob_client, prompt):
    long = "\n".join(f"Rule {n}." for n in range(1, 21))
    for tail in ("", "\nNew rule."):
        services.prompt_version_create(
            principal=principal(bob), prompt=prompt, version_content=chat(long + tail)
        )
    html = text(bob_client.get(P + "diff/?from=4&to=5"))
    assert "<details><summary" in html
    assert "17 unchanged lines" in html


def test_version_1_is_compared_with_nothing(bob_client, prompt):
    response = bob_client.get(P + "diff/?to=1")
    assert response.status_code == 200
    assert "Version 1, the first version" in words(response)
    assert 'class="diff-insert"' in text(response)


def test_identical_versions_say_so(bob_client, prompt):
    response = bob_client.get(P + "diff/?from=2&to=2")
    assert "Identical" in words(response)


@pytest.mark.parametrize("query", ["?to=99", "?from=99&to=2", "?from=5"])
def test_unknown_version_numbers_are_not_found(bob_client, prompt, query):
    assert bob_client.get(P + "diff/" + query).status_code == 404


@pytest.mark.parametrize(
    "query", ["?from=abc&to=2", "?to=x", "?from=0", "?to=-1", "?mode=sideways", "?from=1.5"]
)
def test_nonsense_in_the_address_falls_back_to_the_newest_change(bob_client, prompt, query):
    response = bob_client.get(P + "diff/" + query)
    assert response.status_code == 200
    assert "weren't understood" in words(response)
    assert "Version 2 → version 3" in words(response)


def test_a_diff_before_any_version_explains_itself(bob, bob_client):
    services.prompt_create(principal=principal(bob), name="empty")
    response = bob_client.get("/w/acme/p/empty/-/diff/")
    assert response.status_code == 200
    assert "Nothing to compare yet" in words(response)


def test_viewers_read_diffs_and_outsiders_do_not(vera_client, charlie_client, prompt):
    assert vera_client.get(P + "diff/?from=1&to=2").status_code == 200
    assert charlie_client.get(P + "diff/?from=1&to=2").status_code == 404


def test_the_diff_pickers_keep_the_chosen_versions(bob_client, prompt):
    html = text(bob_client.get(P + "diff/?from=1&to=3&mode=inline"))
    assert '<option value="1" selected>v1 · First draft' in html
    assert '<option value="3" selected>v3 · Change 3 (newest)' in html
    assert 'name="mode" value="inline"' in html
