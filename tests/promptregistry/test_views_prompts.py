"""The prompt list, creating a prompt, its page, settings, deletion, access, aliases, snippets."""

import html
import re

import pytest
from django.contrib.contenttypes.models import ContentType

from promptregistry import services
from promptregistry.models import Folder, Prompt, PromptAlias, PromptVersion, Tag
from tests.accounts.html import field_error, text, words
from tests.promptregistry.factories import (
    add_version,
    make_folder,
    make_prompt,
    make_snippet,
    principal_for,
    restrict,
)
from workspaces.models import AuditEvent
from workspaces.roles import Role

LIST = "/w/acme/prompts/"
NEW = "/w/acme/prompts/new/"
SNIPPETS = "/w/acme/snippets/"


def page_url(name: str, action: str = "") -> str:
    return f"/w/acme/p/{name}/" + (f"-/{action}/" if action else "")


# The list --------------------------------------------------------------------------------------


def test_an_empty_workspace_explains_prompts_and_offers_the_first_actions(bob_client):
    response = bob_client.get(LIST)

    assert response.status_code == 200
    assert "No prompts yet" in words(response)
    assert 'href="/w/acme/prompts/new/"' in text(response)
    assert 'href="/w/acme/folders/new/"' in text(response)


def test_a_viewer_sees_the_empty_state_without_create_buttons(vera_client):
    response = vera_client.get(LIST)

    assert "No prompts yet" in words(response)
    assert 'href="/w/acme/prompts/new/"' not in text(response)


def test_the_list_shows_folders_first_then_the_prompts_of_the_top_level(bob_client, acme, bob):
    make_prompt(acme, "support/triage", by=bob)
    make_prompt(acme, "greeting", text="Hello {{name}}", by=bob, tags=["onboarding"])

    page = words(bob_client.get(LIST))

    assert page.index("support") < page.index("greeting")
    assert "1 prompt" in page  # inside support
    assert "triage" not in page  # one level at a time
    assert "onboarding" in page


def test_each_row_shows_type_labels_with_versions_latest_version_author_and_comments(
    bob_client, acme, bob, alice
):
    prompt = make_prompt(acme, "triage", by=bob, labels=["production"])
    version = add_version(prompt, by=bob, labels=["staging"])
    services.comment_create(
        principal=principal_for(acme, alice), version=version, body="Looks good"
    )

    page = words(bob_client.get(LIST))

    assert "Chat" in page
    assert "production v1" in page
    assert "staging v2" in page
    assert "v2" in page
    assert "Bob Editor" in page
    assert "triage Chat" in page


def test_a_label_splitting_traffic_shows_both_versions_and_their_shares(
    bob_client, acme, bob, alice
):
    prompt = make_prompt(acme, "triage", by=bob, labels=["production"])
    add_version(prompt, by=bob)
    services.label_split(
        principal=principal_for(acme, alice),
        prompt=prompt,
        name="production",
        version=prompt.versions.get(number=2),
        percent=10,
    )

    page = words(bob_client.get(LIST))

    assert "production v1 90% · v2 10%" in page


def test_search_finds_prompts_by_the_content_of_their_newest_version_in_any_folder(
    vera_client, acme, bob
):
    make_prompt(acme, "support/triage", by=bob)
    make_prompt(
        acme, "sales/pitch", by=bob, messages=[{"role": "system", "content": "Sell PINEAPPLES"}]
    )

    page = text(vera_client.get(LIST, {"q": "pineapple"}))

    assert 'href="/w/acme/p/sales/pitch/"' in page
    assert "triage" not in page


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"tag": "billing"}, "refunds", "greeting"),
        ({"label": "production"}, "greeting", "refunds"),
        ({"type": "text"}, "greeting", "refunds"),
        ({"type": "snippet"}, "tone", "greeting"),
        ({"folder": "support"}, "refunds", "greeting"),
    ],
)
def test_the_list_filters_by_tag_label_kind_and_folder(
    vera_client, acme, bob, params, shown, hidden
):
    make_prompt(acme, "support/refunds", by=bob, tags=["billing"])
    make_prompt(acme, "greeting", text="Hello", by=bob, labels=["production"])
    make_snippet(acme, "tone", by=bob)

    page = words(vera_client.get(LIST, params))

    assert shown in page
    assert hidden not in page


def test_the_list_filters_by_author(vera_client, acme, bob, alice):
    make_prompt(acme, "by-bob", by=bob)
    make_prompt(acme, "by-alice", by=alice)

    page = words(vera_client.get(LIST, {"author": str(alice.pk)}))

    assert "by-alice" in page
    assert "by-bob" not in page


def test_the_list_sorts_by_name_or_by_last_update(vera_client, acme, bob):
    make_prompt(acme, "zebra", by=bob)
    make_prompt(acme, "apple", by=bob)
    add_version(Prompt.objects.get(name="zebra"), by=bob)

    by_name = words(vera_client.get(LIST))
    newest_first = words(vera_client.get(LIST, {"sort": "-updated"}))
    reversed_names = words(vera_client.get(LIST, {"sort": "-name"}))

    assert by_name.index("apple") < by_name.index("zebra")
    assert newest_first.index("zebra") < newest_first.index("apple")
    assert reversed_names.index("zebra") < reversed_names.index("apple")


def test_filters_with_unknown_values_are_ignored_not_an_error(vera_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    response = vera_client.get(LIST, {"tag": "nope", "author": "x", "sort": "bogus", "page": "9"})

    assert response.status_code == 200
    assert "triage" in words(response)


def test_nothing_matching_says_so_and_offers_to_clear_the_filters(vera_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    page = words(vera_client.get(LIST, {"q": "no such words"}))

    assert "Nothing matches" in page
    assert "Clear filters" in page


def page_link(response, rel: str) -> str | None:
    """The href of the page's "Next →" (rel="next") or "← Previous" (rel="prev") link."""
    found = re.search(rf'<a href="([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def shown_names(response) -> list[str]:
    return re.findall(r'href="/w/acme/p/([^"]+)/"', text(response))


def test_next_shows_the_next_prompts_and_previous_the_ones_before_keeping_the_filters(
    vera_client, acme, bob
):
    for n in range(60):
        make_prompt(acme, f"p{n:02}", text="x", by=bob, tags=["many"] if n < 55 else [])

    first = vera_client.get(LIST, {"tag": "many"})
    second = vera_client.get(page_link(first, "next"))
    third = vera_client.get(page_link(second, "next"))
    back = vera_client.get(page_link(third, "prev"))

    assert shown_names(first) == [f"p{n:02}" for n in range(25)]
    assert shown_names(second) == [f"p{n:02}" for n in range(25, 50)]
    assert shown_names(third) == [f"p{n:02}" for n in range(50, 55)]  # the tag still applies
    assert shown_names(back) == shown_names(second)
    assert "tag=many" in page_link(second, "next")
    assert "1–25 of 55" in words(first)
    assert "26–50 of 55" in words(second)
    assert "51–55 of 55" in words(third)
    assert page_link(first, "prev") is None
    assert page_link(third, "next") is None
    assert page_link(second, "prev") == "/w/acme/prompts/?tag=many"  # the start, without cursor


@pytest.mark.parametrize("sort", ["name", "-name", "updated", "-updated"])
def test_paging_through_every_sort_shows_each_prompt_once_in_order(vera_client, acme, bob, sort):
    for n in range(30):
        make_prompt(acme, f"p{n:02}", by=bob)
    # ties in update time are ordered by name: three prompts saved in the same instant
    same = Prompt.objects.get(name="p05").updated_at
    Prompt.objects.filter(name__in=["p01", "p17", "p29"]).update(updated_at=same)
    expected = [
        p.name for p in Prompt.objects.order_by(*SORT_ORDERS[sort]) if p.name.startswith("p")
    ]

    first = vera_client.get(LIST, {"sort": sort})
    second = vera_client.get(page_link(first, "next"))

    assert shown_names(first) + shown_names(second) == expected
    assert shown_names(vera_client.get(page_link(second, "prev"))) == expected[:25]


SORT_ORDERS = {
    "name": ["name"],
    "-name": ["-name"],
    "updated": ["updated_at", "name"],
    "-updated": ["-updated_at", "-name"],
}


def test_a_link_to_a_position_keeps_showing_the_prompts_after_it_when_others_come_and_go(
    vera_client, acme, bob, alice
):
    for n in range(30):
        make_prompt(acme, f"p{n:02}", by=bob)
    second_page = page_link(vera_client.get(LIST), "next")

    make_prompt(acme, "a-new-one", by=bob)  # sorts first: numbered pages would shift by one
    services.prompt_delete(
        principal=principal_for(acme, alice), prompt=Prompt.objects.get(name="p24")
    )

    assert shown_names(vera_client.get(second_page))[:2] == ["p25", "p26"]


def test_an_old_numbered_page_link_leads_to_the_same_place_in_the_list(vera_client, acme, bob):
    for n in range(30):
        make_prompt(acme, f"p{n:02}", by=bob)

    response = vera_client.get(LIST, {"sort": "-name", "page": "2"}, follow=True)

    assert response.redirect_chain
    assert shown_names(response) == [f"p{n:02}" for n in range(4, -1, -1)]


def test_a_cursor_past_the_end_or_mangled_says_so_or_starts_over(vera_client, acme, bob):
    for n in range(3):
        make_prompt(acme, f"p{n:02}", by=bob)

    past_the_end = words(vera_client.get(LIST, {"after": "zzz"}))
    mangled = vera_client.get(LIST, {"sort": "-updated", "after": "not a time|p01"})

    assert "No prompts after this point" in past_the_end
    assert "Back to the start" in past_the_end
    assert mangled.status_code == 200
    assert shown_names(mangled) == ["p02", "p01", "p00"]


def test_next_in_htmx_swaps_only_the_results_with_its_link_in_the_address_bar(
    vera_client, acme, bob
):
    for n in range(30):
        make_prompt(acme, f"p{n:02}", by=bob)
    first = vera_client.get(LIST)

    response = vera_client.get(page_link(first, "next"), headers={"HX-Request": "true"})

    assert "<html" not in text(response)
    assert shown_names(response) == [f"p{n:02}" for n in range(25, 30)]
    assert f'hx-get="{html.escape(page_link(first, "next"))}"' in first.content.decode()
    assert 'hx-push-url="true"' in first.content.decode()


def test_folders_head_the_first_page_only(vera_client, acme, bob):
    make_folder(acme, "support", by=bob)
    for n in range(30):
        make_prompt(acme, f"p{n:02}", by=bob)
    first = vera_client.get(LIST)

    assert "support Folder · 0 prompts" in words(first)
    assert "Folder ·" not in words(vera_client.get(page_link(first, "next")))


@pytest.mark.parametrize("prompts", [3, 25])
def test_the_list_costs_the_same_queries_however_many_prompts(
    vera_client, acme, bob, assert_queries, prompts
):
    make_folder(acme, "support", by=bob)
    for n in range(prompts):
        prompt = make_prompt(acme, f"p{n:02}", by=bob, tags=["a", "b"], labels=["staging"])
        add_version(prompt, by=bob)

    with assert_queries(14):
        response = vera_client.get(LIST)

    assert response.status_code == 200
    assert words(response).count("staging v1") == prompts


@pytest.mark.parametrize("params", [{}, {"sort": "-updated"}, {"tag": "a", "q": "customers"}])
def test_a_deep_page_costs_the_queries_of_the_first(vera_client, acme, bob, assert_queries, params):
    make_folder(acme, "support", by=bob)  # the first page also shows the level's folders
    for n in range(80):
        make_prompt(acme, f"p{n:02}", by=bob, tags=["a", "b"], labels=["staging"])
    first = vera_client.get(LIST, params)
    third = page_link(vera_client.get(page_link(first, "next")), "next")

    with assert_queries(14):
        response = vera_client.get(third)

    assert "51–75 of 80" in words(response)
    assert words(response).count("staging v1") == 25


@pytest.mark.parametrize("prompts", [3, 25])
def test_searching_costs_the_same_queries_however_many_prompts_match(
    vera_client, acme, bob, assert_queries, prompts
):
    for n in range(prompts):
        make_prompt(acme, f"folder{n % 3}/p{n:02}", by=bob, tags=["a"])

    with assert_queries(14):
        response = vera_client.get(LIST, {"q": "customers", "tag": "a"})

    assert response.content.decode().count('href="/w/acme/p/folder') == prompts


def test_an_htmx_filter_returns_only_the_results_region(vera_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    response = vera_client.get(LIST, {"q": "triage"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in text(response)
    assert 'id="results"' in text(response)
    assert "triage" in words(response)
    assert "HX-Request" in response["Vary"]


def test_going_back_in_history_gets_the_whole_page(vera_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    response = vera_client.get(
        LIST, {"q": "triage"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in text(response)


@pytest.mark.parametrize("prompts", [3, 25])
def test_restrictions_and_grants_do_not_make_the_list_cost_more_per_prompt(
    vera_client, acme, alice, vera, assert_queries, prompts
):
    for n in range(prompts):
        make_prompt(acme, f"open/p{n:02}", by=alice)
        make_prompt(acme, f"granted/p{n:02}", by=alice)
        make_prompt(acme, f"closed/p{n:02}", by=alice)
        restrict(make_prompt(acme, f"hidden-{n:02}", by=alice), view_role=Role.ADMIN)
    admin = principal_for(acme, alice)
    for path, viewers in (("granted", [vera]), ("closed", [])):
        services.access_update(
            principal=admin,
            obj=Folder.objects.get(path=path),
            view_role=Role.ADMIN,
            edit_role="",
            viewers=viewers,
        )

    # guardian looks up content types once per process: warm that cache so the count is exact
    ContentType.objects.get_for_models(Folder, Prompt)

    with assert_queries(18):
        response = vera_client.get(LIST, {"q": "customers"})

    html = response.content.decode()
    assert html.count('href="/w/acme/p/granted/') == min(prompts, 25)
    assert "closed/" not in html and "hidden-" not in html


def test_an_outsider_gets_404_for_the_list(charlie_client, acme):
    assert charlie_client.get(LIST).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, acme):
    response = client.get(LIST)

    assert response.status_code == 302
    assert "/sign-in" in response.url or "login" in response.url


# Restricted objects vanish ---------------------------------------------------------------------


@pytest.fixture
def secret_plan(acme, alice, bob):
    """A folder only admins may see, holding one prompt; and an ordinary prompt next to it."""
    folder = make_folder(acme, "secret", by=alice)
    make_prompt(acme, "secret/plan", by=alice, tags=["roadmap"])
    make_prompt(acme, "public", by=bob, tags=["roadmap"])
    restrict(folder, view_role=Role.ADMIN)
    return folder


def test_a_folder_restricted_to_admins_vanishes_for_editors_and_viewers(
    bob_client, vera_client, adam_client, secret_plan
):
    for client in (bob_client, vera_client):
        top = words(client.get(LIST))
        found = words(client.get(LIST, {"q": "plan"}))
        tagged = words(client.get(LIST, {"tag": "roadmap"}))
        assert "secret" not in top
        assert "secret/plan" not in found and "Nothing matches" in found
        assert "public" in tagged and "plan" not in tagged
        assert client.get("/w/acme/folders/secret/").status_code == 404
        assert client.get(page_url("secret/plan")).status_code == 404

    assert "secret" in words(adam_client.get(LIST))


def test_a_restricted_folder_does_not_count_in_its_parents_count(vera_client, acme, alice):
    make_prompt(acme, "team/open", by=alice)
    make_prompt(acme, "team/hidden/plan", by=alice)
    restrict(make_folder(acme, "team/hidden"), view_role=Role.ADMIN)

    page = words(vera_client.get(LIST))

    assert "1 prompt" in page
    assert "1 folder" not in page


def test_a_grant_by_name_lets_one_viewer_into_a_restricted_folder(
    vera_client, bob_client, acme, alice, vera, secret_plan
):
    services.access_update(
        principal=principal_for(acme, alice),
        obj=secret_plan,
        view_role=Role.ADMIN,
        edit_role="",
        viewers=[vera],
    )

    assert "secret" in words(vera_client.get(LIST))
    assert "plan" in words(vera_client.get(LIST, {"q": "plan"}))
    assert vera_client.get(page_url("secret/plan")).status_code == 200
    assert "secret" not in words(bob_client.get(LIST))


def test_a_restricted_prompt_vanishes_from_the_snippet_usage_counts(vera_client, acme, alice, bob):
    make_snippet(acme, "tone", by=bob)
    make_prompt(acme, "open", by=bob, messages=[{"role": "system", "content": "{{> tone}}"}])
    hidden = make_prompt(
        acme, "hidden", by=alice, messages=[{"role": "system", "content": "{{> tone}}"}]
    )
    restrict(hidden, view_role=Role.ADMIN)

    page = words(vera_client.get(SNIPPETS))

    assert "1 prompt" in page
    assert "hidden" not in page


# Creating a prompt -----------------------------------------------------------------------------


def chat_form(**overrides) -> dict:
    return {
        "name": "triage",
        "folder": "",
        "kind": "prompt",
        "type": "chat",
        "description": "Sorts tickets",
        "tags": "support, Billing",
        "system_message": "You sort tickets for {{product}}.",
        "user_message": "{{ticket}}",
        "text": "",
        "template_format": "mustache",
        **overrides,
    }


def test_an_editor_creates_a_chat_prompt_with_version_1_and_lands_on_its_page(bob_client, acme):
    response = bob_client.post(NEW, chat_form(folder="", name="support/triage"))

    prompt = Prompt.objects.get(name="support/triage")
    assert response.status_code == 302
    assert response.url == page_url("support/triage")
    assert prompt.latest_version_number == 1
    assert prompt.folder.path == "support"
    assert sorted(t.name for t in prompt.tags.all()) == ["billing", "support"]
    assert prompt.versions.get().content == {
        "messages": [
            {"role": "system", "content": "You sort tickets for {{product}}."},
            {"role": "user", "content": "{{ticket}}"},
        ]
    }


def test_creating_inside_a_chosen_folder_prefixes_the_name(bob_client, acme, bob):
    make_folder(acme, "support/billing", by=bob)

    bob_client.post(NEW, chat_form(folder="support/billing", name="refunds"))

    assert Prompt.objects.filter(name="support/billing/refunds").exists()


def test_the_folder_of_the_link_is_preselected(bob_client, acme, bob):
    make_folder(acme, "support", by=bob)

    response = bob_client.get(NEW, {"folder": "support"})

    assert '<option value="support" selected>' in text(response)


def test_the_new_snippet_link_preselects_the_snippet_kind(bob_client, acme):
    response = bob_client.get(NEW, {"kind": "snippet"})

    assert 'value="snippet" required id="id_kind_1" checked>' in text(response)


def test_a_text_prompt_and_a_snippet_take_the_text_box(bob_client, acme):
    bob_client.post(
        NEW, chat_form(name="greeting", type="text", text="Hello {name}", template_format="fstring")
    )
    bob_client.post(NEW, chat_form(name="tone", kind="snippet", text="Be warm."))

    greeting = Prompt.objects.get(name="greeting")
    tone = Prompt.objects.get(name="tone")
    assert greeting.versions.get().content == {"text": "Hello {name}"}
    assert greeting.versions.get().template_format == "fstring"
    assert tone.kind == "snippet" and tone.type == "text"


def test_a_taken_name_is_refused_next_to_the_name_and_everything_typed_is_kept(
    bob_client, acme, bob
):
    make_prompt(acme, "triage", by=bob)

    response = bob_client.post(NEW, chat_form(system_message="Kept <words>"))

    assert response.status_code == 400
    assert "already exists" in field_error(response, "name")
    assert "Kept &lt;words&gt;" in response.content.decode()
    assert 'value="support, Billing"' in text(response)
    assert list(Prompt.objects.values_list("name", "description")) == [("triage", "")]
    assert PromptVersion.objects.count() == 1
    assert not Tag.objects.exists()
    assert AuditEvent.objects.filter(action="prompt.create").count() == 1  # make_prompt's


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"system_message": "", "user_message": " "}, "system_message", "Write a system message"),
        ({"type": "text", "text": ""}, "text", "Write the text"),
        ({"name": "bad|name"}, "name", "cannot contain '|'"),
        ({"name": ""}, "name", "required"),
        ({"system_message": "Hi {{#name}}"}, "system_message", "not supported"),
        ({"type": "text", "text": "{a", "template_format": "fstring"}, "text", "Single"),
        ({"template_format": "cobol"}, "template_format", "valid choice"),
    ],
)
def test_bad_input_is_explained_by_the_field(bob_client, acme, overrides, field, message):
    response = bob_client.post(NEW, chat_form(**overrides))

    assert response.status_code == 400
    assert field_error(response, field)
    assert message in field_error(response, field)
    assert not Prompt.objects.exists()
    assert not Tag.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.create").exists()


def test_a_prompt_can_not_be_created_inside_a_folder_restricted_for_editing(
    bob_client, acme, alice
):
    folder = make_folder(acme, "locked", by=alice)
    restrict(folder, view_role="", edit_role=Role.ADMIN)

    response = bob_client.post(NEW, chat_form(folder="locked"))

    assert response.status_code == 400
    assert "restricted" in field_error(response, "folder")
    assert not Prompt.objects.exists()
    assert list(Folder.objects.values_list("path", flat=True)) == ["locked"]
    assert not Tag.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.create").exists()


def test_a_viewer_can_not_create_prompts(vera_client, acme):
    assert vera_client.get(NEW).status_code == 403
    assert vera_client.post(NEW, chat_form()).status_code == 403
    assert not Prompt.objects.exists()
    assert not Tag.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.create").exists()


def test_an_outsider_gets_404_for_the_create_page(charlie_client, acme):
    assert charlie_client.post(NEW, chat_form()).status_code == 404
    assert not Prompt.objects.exists()
    assert not Tag.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.create").exists()


# The prompt page -------------------------------------------------------------------------------


def test_the_prompt_page_shows_messages_by_role_with_variables_and_snippets_marked(
    vera_client, acme, bob
):
    make_snippet(acme, "tone", by=bob)
    make_prompt(
        acme,
        "support/triage",
        by=bob,
        description="Sorts tickets",
        tags=["support"],
        labels=["production"],
        messages=[
            {"role": "system", "content": "Help {{company}} <script>x</script> {{> tone}}"},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{question}}"},
        ],
    )

    response = vera_client.get(page_url("support/triage"))
    html = response.content.decode()

    assert response.status_code == 200
    assert '<mark class="highlight-variable">{{company}}</mark>' in html
    assert '<mark class="highlight-snippet">{{&gt; tone}}</mark>' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    page = words(response)
    assert "System" in page and "User" in page and "Message placeholder" in page
    assert "Sorts tickets" in page
    assert "company" in page and "question" in page and "history" in page


def test_the_prompt_page_has_breadcrumbs_labels_tabs_and_how_to_fetch_it(vera_client, acme, bob):
    make_prompt(acme, "support/billing/refunds", by=bob, labels=["production"])

    html = text(vera_client.get(page_url("support/billing/refunds")))

    assert 'href="/w/acme/folders/support/"' in html
    assert 'href="/w/acme/folders/support/billing/"' in html
    assert 'href="/w/acme/p/support/billing/refunds/-/history/"' in html
    assert 'href="/w/acme/p/support/billing/refunds/-/labels/"' in html
    assert 'href="/w/acme/p/support/billing/refunds/-/edit/"' not in html  # a viewer
    assert 'langfuse.get_prompt("support/billing/refunds", label="production", type="chat")' in html
    assert "/api/public/v2/prompts/support%2Fbilling%2Frefunds?label=production" in html


def test_a_snippet_page_lists_the_prompts_using_it(vera_client, acme, bob):
    make_snippet(acme, "tone", by=bob)
    make_prompt(acme, "a/uses", by=bob, messages=[{"role": "system", "content": "{{> tone}}"}])
    make_prompt(acme, "ignores", by=bob)

    page = words(vera_client.get(page_url("tone")))

    assert "Used by" in page
    assert "a/uses" in page
    assert "ignores" not in page


def test_an_old_name_leads_to_the_prompt_under_its_new_name(vera_client, acme, bob):
    prompt = make_prompt(acme, "old-name", by=bob)
    services.prompt_rename(principal=principal_for(acme, bob), prompt=prompt, new_name="new-name")

    response = vera_client.get(page_url("old-name"), follow=True)

    assert response.redirect_chain[-1][0] == page_url("new-name")
    assert "Old names" in words(response)
    assert "old-name" in words(response)


def test_a_missing_or_deleted_prompt_is_404(vera_client, acme, alice):
    prompt = make_prompt(acme, "gone", by=alice)
    services.prompt_delete(principal=principal_for(acme, alice), prompt=prompt)

    assert vera_client.get(page_url("gone")).status_code == 404
    assert vera_client.get(page_url("never")).status_code == 404


def test_an_outsider_gets_404_for_a_prompt_page(charlie_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    assert charlie_client.get(page_url("triage")).status_code == 404


# Aliases ---------------------------------------------------------------------------------------


@pytest.fixture
def renamed(acme, bob):
    prompt = make_prompt(acme, "old-name", by=bob)
    services.prompt_rename(principal=principal_for(acme, bob), prompt=prompt, new_name="new-name")
    return prompt


def test_an_editor_removes_an_old_name_and_it_stops_resolving(bob_client, renamed):
    alias = renamed.aliases.get()

    response = bob_client.post(page_url("new-name", f"aliases/{alias.pk}/delete"))

    assert response.status_code == 302
    assert not PromptAlias.objects.exists()
    assert bob_client.get(page_url("old-name")).status_code == 404
    assert AuditEvent.objects.filter(action="prompt.alias_delete").exists()


def test_a_viewer_can_not_remove_an_old_name(vera_client, renamed):
    alias = renamed.aliases.get()

    response = vera_client.post(page_url("new-name", f"aliases/{alias.pk}/delete"))

    assert response.status_code == 403
    assert list(PromptAlias.objects.values_list("name", "prompt")) == [("old-name", renamed.pk)]
    assert not AuditEvent.objects.filter(action="prompt.alias_delete").exists()


def test_removing_another_prompts_alias_is_404(bob_client, acme, bob, renamed):
    make_prompt(acme, "other", by=bob)
    alias = renamed.aliases.get()

    assert bob_client.post(page_url("other", f"aliases/{alias.pk}/delete")).status_code == 404
    assert list(PromptAlias.objects.values_list("name", "prompt")) == [("old-name", renamed.pk)]
    assert not AuditEvent.objects.filter(action="prompt.alias_delete").exists()


def test_an_outsider_can_not_remove_an_old_name(charlie_client, renamed):
    alias = renamed.aliases.get()

    assert (
        charlie_client.post(page_url("new-name", f"aliases/{alias.pk}/delete")).status_code == 404
    )
    assert list(PromptAlias.objects.values_list("name", "prompt")) == [("old-name", renamed.pk)]
    assert not AuditEvent.objects.filter(action="prompt.alias_delete").exists()


# Settings: rename, move, details ---------------------------------------------------------------


def test_the_settings_page_warns_that_apps_fetch_by_name_before_renaming(bob_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    page = words(bob_client.get(page_url("triage", "settings")))

    assert "Apps fetch this prompt by its name" in page
    assert "keeps working as an old name" in page


def test_renaming_moves_the_prompt_and_the_old_name_keeps_resolving(bob_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    response = bob_client.post(
        page_url("triage", "settings"), {"section": "name", "name": "support/triage"}
    )

    prompt = Prompt.objects.get()
    assert response.status_code == 302
    assert response.url == page_url("support/triage")
    assert prompt.name == "support/triage" and prompt.folder.path == "support"
    assert list(prompt.aliases.values_list("name", flat=True)) == ["triage"]


def test_renaming_onto_a_taken_name_keeps_the_typed_name_and_explains(bob_client, acme, bob):
    make_prompt(acme, "triage", by=bob)
    make_prompt(acme, "taken", by=bob)

    response = bob_client.post(page_url("triage", "settings"), {"section": "name", "name": "taken"})

    assert response.status_code == 400
    assert "already exists" in field_error(response, "name")
    assert 'value="taken"' in text(response)
    assert sorted(Prompt.objects.values_list("name", flat=True)) == ["taken", "triage"]
    assert not PromptAlias.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.rename").exists()


def test_moving_into_a_folder_closed_for_editing_is_refused(bob_client, acme, bob, alice):
    make_prompt(acme, "triage", by=bob)
    restrict(make_folder(acme, "locked", by=alice), view_role="", edit_role=Role.ADMIN)

    response = bob_client.post(
        page_url("triage", "settings"), {"section": "name", "name": "locked/triage"}
    )

    assert response.status_code == 400
    assert "restricted" in field_error(response, "name")
    assert list(Prompt.objects.values_list("name", "folder")) == [("triage", None)]
    assert list(Folder.objects.values_list("path", flat=True)) == ["locked"]
    assert not PromptAlias.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.rename").exists()


def test_the_description_and_tags_are_saved(bob_client, acme, bob):
    prompt = make_prompt(acme, "triage", by=bob, tags=["old"])

    response = bob_client.post(
        page_url("triage", "settings"),
        {"section": "details", "description": "New words", "tags": "a, b"},
    )

    prompt.refresh_from_db()
    assert response.status_code == 302
    assert prompt.description == "New words"
    assert sorted(t.name for t in prompt.tags.all()) == ["a", "b"]


def test_a_too_long_tag_is_explained_next_to_the_tags(bob_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    response = bob_client.post(
        page_url("triage", "settings"),
        {"section": "details", "description": "Kept", "tags": "x" * 51},
    )

    assert response.status_code == 400
    assert "50 characters" in field_error(response, "tags")
    assert "Kept" in text(response)
    prompt = Prompt.objects.get()
    assert prompt.description == ""
    assert not prompt.tags.exists()
    assert not Tag.objects.exists()


def test_a_viewer_gets_403_on_settings(vera_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    assert vera_client.get(page_url("triage", "settings")).status_code == 403
    response = vera_client.post(page_url("triage", "settings"), {"section": "name", "name": "x"})
    assert response.status_code == 403
    assert Prompt.objects.get().name == "triage"


def test_an_outsider_gets_404_on_settings(charlie_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    assert charlie_client.get(page_url("triage", "settings")).status_code == 404


# Delete ----------------------------------------------------------------------------------------


def test_an_admin_confirms_then_deletes_a_prompt_softly(adam_client, acme, bob):
    make_prompt(acme, "support/triage", by=bob)

    confirm = adam_client.get(page_url("support/triage", "delete"))
    response = adam_client.post(page_url("support/triage", "delete"))

    assert "get “not found”" in words(confirm)
    assert response.status_code == 302
    assert response.url == "/w/acme/folders/support/"
    assert Prompt.objects.get().deleted_at is not None
    folder_page = adam_client.get("/w/acme/folders/support/").content.decode()
    assert 'href="/w/acme/p/support/triage/"' not in folder_page


def test_deleting_a_used_snippet_warns_which_prompts_include_it(adam_client, acme, bob):
    make_snippet(acme, "tone", by=bob)
    make_prompt(acme, "uses", by=bob, messages=[{"role": "system", "content": "{{> tone}}"}])

    page = words(adam_client.get(page_url("tone", "delete")))

    assert "1 prompt includes it" in page
    assert "uses" in page


def test_an_editor_can_not_delete_a_prompt(bob_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    assert bob_client.get(page_url("triage", "delete")).status_code == 403
    assert bob_client.post(page_url("triage", "delete")).status_code == 403
    assert Prompt.objects.get().deleted_at is None
    assert not AuditEvent.objects.filter(action="prompt.delete").exists()


def test_an_outsider_gets_404_on_delete(charlie_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    assert charlie_client.post(page_url("triage", "delete")).status_code == 404
    assert Prompt.objects.get().deleted_at is None
    assert not AuditEvent.objects.filter(action="prompt.delete").exists()


# Access ----------------------------------------------------------------------------------------


def test_an_admin_restricts_a_prompt_and_lets_one_viewer_in(
    adam_client, vera_client, bob_client, acme, bob, vera
):
    make_prompt(acme, "triage", by=bob)

    response = adam_client.post(
        page_url("triage", "access"),
        {"view_role": "admin", "edit_role": "", "viewers": [str(vera.pk)]},
    )

    prompt = Prompt.objects.get()
    assert response.status_code == 302
    assert prompt.view_role == "admin"
    assert vera_client.get(page_url("triage")).status_code == 200
    assert bob_client.get(page_url("triage")).status_code == 404
    assert "triage" not in words(bob_client.get(LIST))
    event = AuditEvent.objects.get(action="prompt.access")
    assert event.data["after"]["viewers"] == ["vera@example.com"]


def test_the_access_page_explains_restrictions_inherited_from_folders(adam_client, acme, bob):
    make_prompt(acme, "secret/triage", by=bob)
    restrict(make_folder(acme, "secret"), view_role=Role.EDITOR)

    page = words(adam_client.get(page_url("secret/triage", "access")))

    assert "Already restricted by its folder" in page
    assert "secret" in page


def test_a_viewer_can_not_be_granted_editing(adam_client, acme, bob, vera):
    make_prompt(acme, "triage", by=bob)

    response = adam_client.post(
        page_url("triage", "access"), {"view_role": "", "editors": [str(vera.pk)]}
    )

    assert response.status_code == 400
    assert "valid choice" in field_error(response, "editors")
    prompt = Prompt.objects.get()
    assert (prompt.view_role, prompt.edit_role) == ("", "")
    assert services.grants_for(prompt) == ([], [])
    assert not AuditEvent.objects.filter(action="prompt.access").exists()


def test_an_editor_can_not_open_the_access_page(bob_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    assert bob_client.get(page_url("triage", "access")).status_code == 403
    assert bob_client.post(page_url("triage", "access"), {"view_role": "admin"}).status_code == 403
    assert Prompt.objects.get().view_role == ""
    assert not AuditEvent.objects.filter(action="prompt.access").exists()


def test_an_outsider_gets_404_on_access(charlie_client, acme, bob):
    make_prompt(acme, "triage", by=bob)

    assert charlie_client.get(page_url("triage", "access")).status_code == 404


# Snippets --------------------------------------------------------------------------------------


def test_the_snippet_list_explains_the_reference_syntax_with_a_copyable_example(vera_client, acme):
    response = vera_client.get(SNIPPETS)
    page = text(response)

    assert response.status_code == 200
    assert "{{> tone-of-voice}}" in page
    assert 'data-copy-target="#snippet-example"' in page
    assert "@@@langfusePrompt:name=tone-of-voice|label=production@@@" in page
    assert "No snippets yet" in words(response)


def test_the_snippet_list_shows_where_each_snippet_is_used(vera_client, acme, bob):
    make_snippet(acme, "tone", by=bob)
    make_snippet(acme, "unused", by=bob)
    make_prompt(acme, "a", by=bob, messages=[{"role": "system", "content": "{{> tone}}"}])
    make_prompt(
        acme,
        "b",
        by=bob,
        messages=[{"role": "system", "content": "@@@langfusePrompt:name=tone|version=1@@@"}],
    )

    page = words(vera_client.get(SNIPPETS))

    assert "2 prompts" in page
    assert "Not used yet" in page


@pytest.mark.parametrize("snippets", [2, 12])
def test_the_snippet_list_costs_the_same_queries_however_many_snippets(
    vera_client, acme, bob, assert_queries, snippets
):
    for n in range(snippets):
        make_snippet(acme, f"s{n}", by=bob, labels=["production"])
        make_prompt(
            acme, f"p{n}", by=bob, messages=[{"role": "user", "content": f"{{{{> s{n}}}}}"}]
        )

    # session, user, membership, restricted prompts and folders, count, page, tags, labels,
    # the newest versions of every visible prompt (usage), switcher
    with assert_queries(11):
        response = vera_client.get(SNIPPETS)

    assert words(response).count("1 prompt") == snippets


def test_an_outsider_gets_404_for_the_snippet_list(charlie_client, acme):
    assert charlie_client.get(SNIPPETS).status_code == 404
