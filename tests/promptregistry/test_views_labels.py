"""The release labels page: where labels point, moves, A/B tests, removal, the label history."""

import pytest

from promptregistry import services
from promptregistry.models import Label, LabelMove
from tests.accounts.html import field_error, text, words
from tests.promptregistry.factories_history import chat_prompt, principal, version
from workspaces.models import AuditEvent

P = "/w/acme/p/support/triage/-/"
LABELS = P + "labels/"
MOVE = P + "labels/move/"


@pytest.fixture
def prompt(bob):
    return chat_prompt(bob, versions=3)


def move(user, prompt, name, number):
    return services.label_move(
        principal=principal(user), prompt=prompt, name=name, version=version(prompt, number)
    )


def split(user, prompt, name, number, percent):
    return services.label_split(
        principal=principal(user),
        prompt=prompt,
        name=name,
        version=version(prompt, number),
        percent=percent,
    )


def label(prompt, name):
    return Label.objects.filter(prompt=prompt, name=name).select_related("version").first()


def labels_of(prompt) -> dict[str, tuple[int, int | None, int]]:
    """Each label of the prompt as (version, split version, percent to the split)."""
    return {
        each.name: (
            each.version.number,
            each.split_version.number if each.split_version else None,
            each.split_percent,
        )
        for each in prompt.labels.select_related("version", "split_version")
    }


def moves() -> list[tuple[str, str, int | None]]:
    """The label history, oldest first, as (action, label, version moved to)."""
    return list(LabelMove.objects.order_by("pk").values_list("action", "label_name", "to_number"))


def label_events() -> int:
    return AuditEvent.objects.filter(action__startswith="label.").count()


# --- The page ---------------------------------------------------------------------------------


def test_the_page_says_what_labels_are_for_and_where_each_points(adam, bob, bob_client, prompt):
    move(adam, prompt, "production", 2)
    move(bob, prompt, "staging", 3)
    response = bob_client.get(LABELS)
    assert response.status_code == 200
    page = words(response)
    assert "Release labels decide which version your apps get" in page
    assert "latest Automatic Version 3 Always the newest version" in page
    assert "Can't be moved by hand" in page
    assert "production Protected Version 2" in page
    assert "adam@example.com" in page and "just now" in page
    assert "staging Version 3 (newest) bob@example.com" in page


def test_editors_see_production_as_locked_and_admins_can_act_on_it(
    adam, adam_client, bob_client, prompt
):
    move(adam, prompt, "production", 2)
    assert "Only admins and owners can change “production”" in words(bob_client.get(LABELS))
    admin_page = text(adam_client.get(LABELS))
    assert "Only admins and owners can change" not in admin_page
    assert f'action="{P}labels/production/split/"' in admin_page


def test_an_unset_protected_label_is_listed_with_what_it_means(bob_client, prompt):
    page = words(bob_client.get(LABELS))
    assert "production Protected Not set" in page
    assert "Apps that name no label ask for production" in page


def test_a_split_shows_both_versions_and_promote_and_abort(adam, adam_client, prompt):
    move(adam, prompt, "production", 2)
    split(adam, prompt, "production", 3, 10)
    response = adam_client.get(LABELS)
    page = words(response)
    assert "A/B test" in page
    assert "Version 2 90% Version 3 10% (on test)" in page
    assert "Promote v3" in page and "Abort, keep v2" in page
    assert f"{P}diff/?from=2&to=3" in text(response)


def test_viewers_read_labels_without_any_form(adam, vera_client, prompt):
    move(adam, prompt, "production", 2)
    response = vera_client.get(LABELS)
    assert response.status_code == 200
    assert "<form" not in text(response).split('id="content"')[1]
    assert "production" in words(response)


def test_outsiders_do_not_find_the_labels(charlie_client, prompt):
    assert charlie_client.get(LABELS).status_code == 404


def test_the_label_history_lists_every_change(adam, adam_client, bob, prompt):
    move(adam, prompt, "production", 1)
    move(adam, prompt, "production", 3)
    move(adam, prompt, "production", 2)
    split(adam, prompt, "production", 3, 25)
    services.label_abort_split(principal=principal(adam), prompt=prompt, name="production")
    move(bob, prompt, "canary", 3)
    services.label_remove(principal=principal(bob), prompt=prompt, name="canary")

    page = words(adam_client.get(LABELS)).split("Label history")[1]

    assert "Set to v1" in page
    assert "Moved from v3 to v2 Rollback" in page
    assert "A/B test started: 25% to v3, the rest v2" in page
    assert "A/B test aborted: all traffic back to v2" in page
    assert "Removed (was v3)" in page
    assert page.index("Removed (was v3)") < page.index("Set to v1")  # newest first


@pytest.mark.parametrize("moves", [3, 30])
def test_the_labels_page_costs_the_same_queries_for_3_or_30_moves(
    bob, bob_client, prompt, assert_queries, moves
):
    for n in range(moves):
        move(bob, prompt, f"label-{n % 5}", n % 3 + 1)
    with assert_queries(10):
        assert bob_client.get(LABELS).status_code == 200


def test_the_label_history_is_paginated(bob, bob_client, prompt):
    for n in range(25):
        move(bob, prompt, "staging", n % 3 + 1)
    assert "Page 1 of 2" in words(bob_client.get(LABELS))
    assert "Page 2 of 2" in words(bob_client.get(LABELS + "?page=2"))


# --- Moving -----------------------------------------------------------------------------------


def test_an_editor_sets_staging(bob_client, prompt):
    response = bob_client.post(MOVE, {"label": "staging", "version": "2"})
    assert response.status_code == 302 and response["Location"] == LABELS
    assert label(prompt, "staging").version.number == 2
    assert "“staging” now points at version 2" in words(bob_client.get(LABELS))
    assert AuditEvent.objects.filter(action="label.move").count() == 1


def test_a_new_label_name_is_tidied_up(bob_client, prompt):
    bob_client.post(MOVE, {"label": "  Canary ", "version": "1"})
    assert label(prompt, "canary").version.number == 1


def test_an_editor_moving_production_is_refused_and_told_why(adam, bob_client, prompt):
    move(adam, prompt, "production", 1)
    response = bob_client.post(MOVE, {"label": "production", "version": "3"})
    assert response.status_code == 403
    page = words(response)
    assert "The label wasn't moved." in page
    assert "“production” is a protected label: only admins and owners can move it." in page
    assert "only admins and owners can move it" in field_error(response, "label")
    assert 'value="production"' in text(response)  # what was typed is kept
    assert labels_of(prompt) == {"production": (1, None, 0)}
    assert moves() == [("move", "production", 1)]
    assert label_events() == 1


def test_an_admin_moves_production(adam_client, prompt):
    response = adam_client.post(MOVE, {"label": "production", "version": "3"})
    assert response.status_code == 302
    assert label(prompt, "production").version.number == 3


def test_rolling_back_is_moving_the_label_to_an_older_version(adam, adam_client, prompt):
    move(adam, prompt, "production", 3)
    adam_client.post(MOVE, {"label": "production", "version": "1", "next": P + "history/"})
    assert label(prompt, "production").version.number == 1
    assert LabelMove.objects.filter(from_number=3, to_number=1).exists()


def test_latest_can_not_be_moved(bob_client, prompt):
    response = bob_client.post(MOVE, {"label": "latest", "version": "1"})
    assert response.status_code == 400
    assert "“latest” always means the newest version" in field_error(response, "label")
    assert not Label.objects.exists()
    assert moves() == []
    assert label_events() == 0


@pytest.mark.parametrize("name", ["Not valid!", "a" * 37, "", "stag ing"])
def test_bad_label_names_are_refused_next_to_the_field(bob_client, prompt, name):
    response = bob_client.post(MOVE, {"label": name, "version": "2"})
    assert response.status_code == 400
    assert field_error(response, "label")
    assert not Label.objects.exists()
    assert moves() == []
    assert label_events() == 0


def test_an_unknown_version_is_refused_and_the_label_kept(bob, bob_client, prompt):
    move(bob, prompt, "staging", 2)
    response = bob_client.post(MOVE, {"label": "staging", "version": "42"})
    assert response.status_code == 400
    assert "Select a valid choice" in field_error(response, "version")
    assert 'value="staging"' in text(response)
    assert labels_of(prompt) == {"staging": (2, None, 0)}
    assert moves() == [("move", "staging", 2)]
    assert label_events() == 1


def test_after_moving_it_goes_back_where_the_move_came_from(bob_client, prompt):
    response = bob_client.post(
        MOVE, {"label": "staging", "version": "1", "next": P + "versions/1/"}
    )
    assert response["Location"] == P + "versions/1/"


def test_it_never_redirects_off_site(bob_client, prompt):
    for target in ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]:
        response = bob_client.post(MOVE, {"label": "staging", "version": "1", "next": target})
        assert response["Location"] == LABELS


def test_viewers_can_not_move_labels(vera_client, prompt):
    assert vera_client.post(MOVE, {"label": "staging", "version": "1"}).status_code == 403
    assert not Label.objects.exists()
    assert moves() == []
    assert label_events() == 0


def test_outsiders_can_not_move_labels(charlie_client, prompt):
    assert charlie_client.post(MOVE, {"label": "staging", "version": "1"}).status_code == 404
    assert not Label.objects.exists()
    assert moves() == []
    assert label_events() == 0


def test_moving_needs_a_post(bob_client, prompt):
    assert bob_client.get(MOVE).status_code == 405


# --- A/B tests --------------------------------------------------------------------------------


def test_an_editor_starts_an_ab_test_on_staging(bob, bob_client, prompt):
    move(bob, prompt, "staging", 2)
    response = bob_client.post(P + "labels/staging/split/", {"version": "3", "percent": "20"})
    assert response.status_code == 302
    staging = label(prompt, "staging")
    assert (staging.version.number, staging.split_version.number, staging.split_percent) == (
        2,
        3,
        20,
    )
    assert "A/B test started: 20% of “staging” traffic" in words(bob_client.get(LABELS))


@pytest.mark.parametrize("percent", ["0", "100", "-3", "half", ""])
def test_a_split_outside_1_to_99_is_refused_and_kept(bob, bob_client, prompt, percent):
    move(bob, prompt, "staging", 2)
    response = bob_client.post(P + "labels/staging/split/", {"version": "3", "percent": percent})
    assert response.status_code == 400
    assert field_error(response, "percent")
    assert 'id="split-staging-version"' in text(response)
    assert labels_of(prompt) == {"staging": (2, None, 0)}
    assert moves() == [("move", "staging", 2)]
    assert label_events() == 1


def test_splitting_with_the_same_version_is_refused(bob, bob_client, prompt):
    move(bob, prompt, "staging", 2)
    response = bob_client.post(P + "labels/staging/split/", {"version": "2", "percent": "10"})
    assert response.status_code == 400
    assert "Choose another version of this prompt to test." in words(response)
    assert '<details class="disclosure" open>' in text(response)
    assert labels_of(prompt) == {"staging": (2, None, 0)}
    assert moves() == [("move", "staging", 2)]
    assert label_events() == 1


def test_an_editor_can_not_split_production(adam, bob_client, prompt):
    move(adam, prompt, "production", 2)
    response = bob_client.post(P + "labels/production/split/", {"version": "3", "percent": "10"})
    assert response.status_code == 403
    assert "protected label" in words(response)
    assert labels_of(prompt) == {"production": (2, None, 0)}
    assert moves() == [("move", "production", 2)]
    assert label_events() == 1


def test_an_admin_promotes_the_tested_version(adam, adam_client, prompt):
    move(adam, prompt, "production", 2)
    split(adam, prompt, "production", 3, 10)
    response = adam_client.post(P + "labels/production/promote/")
    assert response.status_code == 302
    production = label(prompt, "production")
    assert production.version.number == 3 and not production.has_split
    assert "all “production” traffic now gets version 3" in words(adam_client.get(LABELS))


def test_an_admin_aborts_the_test(adam, adam_client, prompt):
    move(adam, prompt, "production", 2)
    split(adam, prompt, "production", 3, 10)
    adam_client.post(P + "labels/production/abort/")
    production = label(prompt, "production")
    assert production.version.number == 2 and not production.has_split


def test_promoting_without_a_test_says_so(adam, adam_client, prompt):
    move(adam, prompt, "production", 2)
    response = adam_client.post(P + "labels/production/promote/", follow=True)
    assert "isn't splitting traffic" in words(response)
    assert labels_of(prompt) == {"production": (2, None, 0)}
    assert moves() == [("move", "production", 2)]


def test_editors_can_not_end_a_test_on_production(adam, bob_client, prompt):
    move(adam, prompt, "production", 2)
    split(adam, prompt, "production", 3, 10)
    assert bob_client.post(P + "labels/production/promote/").status_code == 403
    assert bob_client.post(P + "labels/production/abort/").status_code == 403
    assert labels_of(prompt) == {"production": (2, 3, 10)}
    assert moves() == [("move", "production", 2), ("split", "production", 2)]
    assert label_events() == 2


def test_viewers_can_not_split_promote_abort_or_remove(bob, vera_client, prompt):
    move(bob, prompt, "staging", 2)
    split(bob, prompt, "staging", 3, 10)  # so that each of the four would change something
    for action in ("split", "promote", "abort", "remove"):
        response = vera_client.post(
            P + f"labels/staging/{action}/", {"version": "1", "percent": "5"}
        )
        assert response.status_code == 403
    assert labels_of(prompt) == {"staging": (2, 3, 10)}
    assert moves() == [("move", "staging", 2), ("split", "staging", 2)]
    assert label_events() == 2


# --- Removing ---------------------------------------------------------------------------------


def test_an_editor_removes_a_custom_label(bob, bob_client, prompt):
    move(bob, prompt, "canary", 2)
    response = bob_client.post(P + "labels/canary/remove/")
    assert response.status_code == 302
    assert label(prompt, "canary") is None
    assert "The label “canary” is removed." in words(bob_client.get(LABELS))


def test_an_editor_can_not_remove_production(adam, bob_client, prompt):
    move(adam, prompt, "production", 2)
    assert bob_client.post(P + "labels/production/remove/").status_code == 403
    assert labels_of(prompt) == {"production": (2, None, 0)}
    assert moves() == [("move", "production", 2)]
    assert label_events() == 1


def test_outsiders_can_not_remove_labels(bob, charlie_client, prompt):
    move(bob, prompt, "canary", 2)
    assert charlie_client.post(P + "labels/canary/remove/").status_code == 404
    assert labels_of(prompt) == {"canary": (2, None, 0)}
    assert moves() == [("move", "canary", 2)]
    assert label_events() == 1


@pytest.mark.parametrize("action", ["split", "promote", "abort", "remove"])
def test_outsiders_can_not_change_a_label_in_any_way(adam, charlie_client, prompt, action):
    move(adam, prompt, "staging", 2)
    split(adam, prompt, "staging", 3, 10)
    response = charlie_client.post(
        P + f"labels/staging/{action}/", {"version": "1", "percent": "5"}
    )
    assert response.status_code == 404
    assert labels_of(prompt) == {"staging": (2, 3, 10)}
    assert moves() == [("move", "staging", 2), ("split", "staging", 2)]
    assert label_events() == 2


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("latest", "“latest” always follows the newest version."),
        ("nothing-here", "Set “nothing-here” on a version before splitting it."),
    ],
)
def test_splitting_a_label_that_is_not_set_says_why(bob_client, prompt, name, reason):
    response = bob_client.post(P + f"labels/{name}/split/", {"version": "3", "percent": "10"})
    assert response.status_code == 400
    assert f"The label wasn't moved. {reason}" in words(response)
    assert labels_of(prompt) == {}
    assert moves() == []
    assert label_events() == 0


def test_the_split_help_promises_no_completion_log(adam_client, prompt):
    page = adam_client.get(LABELS).content.decode()

    assert "every fetch answers with the version number it served" in page
    assert "completion" not in page
