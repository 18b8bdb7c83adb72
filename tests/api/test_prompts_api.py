"""The native prompt API: /api/v1/prompts (list, get, create, versions, labels, diff, render)."""

import json
from urllib.parse import quote

import pytest
from django.core.cache import cache

from promptregistry import services
from promptregistry.models import Folder, LabelMove, Prompt
from workspaces.models import AuditEvent
from workspaces.roles import Role

BASE = "/api/v1/prompts"


def url(name: str, suffix: str = "") -> str:
    return f"{BASE}/{quote(name, safe='')}{suffix}"


def post_json(client, path, data):
    return client.post(path, data, content_type="application/json")


def error_of(response) -> dict:
    return response.json()["error"]


@pytest.fixture
def triage(add_prompt):
    return add_prompt(
        "support/triage",
        {
            "messages": [
                {"role": "system", "content": "You triage {{product}} tickets."},
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "{{ticket}}"},
            ]
        },
        config={"temperature": 0.2},
        tags=("support",),
        message="First cut",
    )


# --- Authentication and isolation -------------------------------------------------------------


def test_it_refuses_a_request_without_a_key(client, triage):
    response = client.get(url("support/triage"))
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_a_signed_in_session_does_not_authenticate_the_api(alice_client, triage):
    assert alice_client.get(BASE).status_code == 401


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("get", "/versions", None),
        ("post", "/versions", {"content": {"messages": [{"role": "user", "content": "x"}]}}),
        ("get", "/diff", None),
        ("post", "/render", {"variables": {}}),
        ("post", "/labels/staging", {"version": 1}),
        ("get", "/labels/production/history", None),
        ("delete", "", None),
    ],
)
def test_another_workspaces_key_gets_404_on_every_endpoint(
    globex_api, triage, method, suffix, body
):
    path = url("support/triage", suffix)
    if body is None:
        response = getattr(globex_api, method)(path)
    else:
        response = post_json(globex_api, path, body)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    triage.refresh_from_db()
    assert triage.deleted_at is None
    assert list(triage.versions.values_list("number", flat=True)) == [1]
    assert list(triage.labels.values_list("name", "version__number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="globex owner").exists()


def test_another_workspaces_prompts_are_not_listed(globex_api, triage):
    assert globex_api.get(BASE).json()["items"] == []


# --- List --------------------------------------------------------------------------------------


def test_it_lists_prompts_with_their_labels_and_pages_by_cursor(api_client, add_prompt):
    for name in ("a", "b", "c", "d", "e"):
        add_prompt(f"group/{name}", f"Prompt {name}")
    client = api_client(Role.VIEWER)
    first = client.get(BASE, {"limit": 2}).json()
    assert [p["name"] for p in first["items"]] == ["group/a", "group/b"]
    assert first["items"][0]["labels"] == [
        {"name": "production", "version": 1, "split_version": None, "split_percent": 0}
    ]
    assert first["items"][0]["folder"] == "group"
    second = client.get(BASE, {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = client.get(BASE, {"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [p["name"] for p in second["items"] + third["items"]] == [
        "group/c",
        "group/d",
        "group/e",
    ]
    assert third["next_cursor"] is None


def test_the_list_filters_by_folder_tag_label_type_and_search(api_client, add_prompt):
    add_prompt("support/triage", "Sort the ticket", tags=("support",))
    add_prompt("support/deep/refund", "Refund policy", labels=("staging",))
    add_prompt("sales/pitch", {"messages": [{"role": "user", "content": "Pitch it"}]})
    client = api_client(Role.VIEWER)

    def names(**params):
        response = client.get(BASE, params)
        assert response.status_code == 200, response.content
        return [p["name"] for p in response.json()["items"]]

    assert names(folder="support") == ["support/deep/refund", "support/triage"]
    assert names(tag="support") == ["support/triage"]
    assert names(label="staging") == ["support/deep/refund"]
    assert names(type="chat") == ["sales/pitch"]
    assert names(search="REFUND") == ["support/deep/refund"]
    assert names(label="latest") == ["sales/pitch", "support/deep/refund", "support/triage"]


def test_the_list_costs_the_same_queries_for_few_and_many_prompts(
    api_client, add_prompt, assert_queries
):
    client = api_client(Role.VIEWER)
    client.get(BASE)  # the key's first use records last_used_at and caches the key
    add_prompt("one", "One", tags=("x",))
    with assert_queries(5) as few:
        client.get(BASE)
    for n in range(8):
        add_prompt(f"many/{n}", "Many", tags=("x", "y"), labels=("production", "staging"))
    with assert_queries(len(few.captured_queries)):
        assert len(client.get(BASE).json()["items"]) == 9


def test_restricted_prompts_vanish_from_the_list_for_keys_below_the_restriction(
    api_client, add_prompt
):
    add_prompt("open", "Open")
    secret = add_prompt("vault/secret", "Secret")
    Prompt.objects.filter(pk=secret.pk).update(view_role=Role.ADMIN)
    viewer_names = [p["name"] for p in api_client(Role.VIEWER).get(BASE).json()["items"]]
    admin_names = [p["name"] for p in api_client(Role.ADMIN).get(BASE).json()["items"]]
    assert viewer_names == ["open"]
    assert admin_names == ["open", "vault/secret"]


def test_it_refuses_a_cursor_it_never_gave_out(api_client):
    response = api_client().get(BASE, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid_request",
        "message": "This cursor is not one we gave out.",
        "field": "cursor",
    }


# --- Get ---------------------------------------------------------------------------------------


def test_it_serves_production_by_default_with_an_etag_and_the_version_header(api_client, triage):
    response = api_client(Role.VIEWER).get(url("support/triage"))
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "support/triage"
    assert body["version"] == 1
    assert body["label"] == "production"
    assert body["labels"] == ["latest", "production"]
    assert body["type"] == "chat"
    assert body["content"]["messages"][1] == {"type": "placeholder", "name": "history"}
    assert body["variables"] == ["product", "ticket"]
    assert body["placeholders"] == ["history"]
    assert body["config"] == {"temperature": 0.2}
    assert body["commit_message"] == "First cut"
    assert body["tags"] == ["support"]
    assert response["X-PromptOps-Version"] == "1"
    assert response["ETag"].startswith('"')


def test_it_serves_a_label_a_version_or_the_latest(api_client, add_prompt, add_version):
    prompt = add_prompt("greeting", "Hello v1")
    add_version(prompt, "Hello v2", labels=("staging",))
    add_version(prompt, "Hello v3")
    client = api_client(Role.VIEWER)

    def text(**params):
        response = client.get(url("greeting"), params)
        assert response.status_code == 200, response.content
        return response.json()["content"]["text"]

    assert text() == "Hello v1"
    assert text(label="staging") == "Hello v2"
    assert text(label="latest") == "Hello v3"
    assert text(version=2) == "Hello v2"


def test_names_with_slashes_resolve_encoded_or_plain(api_client, add_prompt):
    add_prompt("a/b/c", "Deep")
    client = api_client(Role.VIEWER)
    assert client.get(f"{BASE}/a%2Fb%2Fc").json()["content"]["text"] == "Deep"
    assert client.get(f"{BASE}/a/b/c").json()["content"]["text"] == "Deep"


def test_an_old_name_keeps_resolving_after_a_rename(api_client, admin_principal, add_prompt):
    prompt = add_prompt("old/name", "Still here")
    services.prompt_rename(principal=admin_principal, prompt=prompt, new_name="new/name")
    response = api_client(Role.VIEWER).get(url("old/name"))
    assert response.json()["name"] == "new/name"


def test_it_refuses_a_label_and_a_version_together(api_client, triage):
    response = api_client().get(url("support/triage"), {"label": "production", "version": 1})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request"


@pytest.mark.parametrize(
    "params",
    [{"label": "staging"}, {"version": 9}, {"label": "Not A Label!"}],
)
def test_a_missing_label_or_version_is_a_404(api_client, triage, params):
    response = api_client().get(url("support/triage"), params)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_prompt_without_production_is_a_404_by_default(api_client, add_prompt):
    add_prompt("draft", "Not released", labels=())
    assert api_client().get(url("draft")).status_code == 404
    assert api_client().get(url("draft"), {"label": "latest"}).status_code == 200


def test_a_restricted_prompt_or_folder_vanishes_for_keys_below_it(api_client, add_prompt):
    add_prompt("hr/salaries", "Confidential")
    Folder.objects.filter(path="hr").update(view_role=Role.EDITOR)
    assert api_client(Role.VIEWER).get(url("hr/salaries")).status_code == 404
    assert api_client(Role.EDITOR).get(url("hr/salaries")).status_code == 200


def test_snippets_resolve_unless_resolve_is_false(api_client, add_prompt):
    add_prompt("shared/tone", "Be kind.", kind=Prompt.Kind.SNIPPET)
    add_prompt("reply", "{{> shared/tone}} Answer {{question}}")
    client = api_client(Role.VIEWER)
    assert client.get(url("reply")).json()["content"]["text"] == "Be kind. Answer {{question}}"
    raw = client.get(url("reply"), {"resolve": "false"}).json()["content"]["text"]
    assert raw == "{{> shared/tone}} Answer {{question}}"


def test_if_none_match_with_the_current_etag_answers_304(api_client, triage):
    client = api_client(Role.VIEWER)
    first = client.get(url("support/triage"))
    again = client.get(url("support/triage"), headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["X-PromptOps-Version"] == "1"
    stale = client.get(url("support/triage"), headers={"if-none-match": '"something-else"'})
    assert stale.status_code == 200


def test_a_second_identical_get_runs_no_query(api_client, triage, assert_queries):
    client = api_client(Role.VIEWER)
    client.get(url("support/triage"))
    with assert_queries(0):  # the key and the served version both come from the cache
        response = client.get(url("support/triage"))
    assert response.status_code == 200


def test_a_label_move_is_served_on_the_very_next_get(
    api_client, add_prompt, add_version, django_capture_on_commit_callbacks
):
    prompt = add_prompt("greeting", "Hello v1")
    add_version(prompt, "Hello v2")
    admin = api_client(Role.ADMIN)
    assert admin.get(url("greeting")).json()["version"] == 1  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        moved = post_json(admin, url("greeting", "/labels/production"), {"version": 2})
    assert moved.status_code == 200, moved.content
    response = admin.get(url("greeting"))
    assert response.json()["version"] == 2
    assert response["X-PromptOps-Version"] == "2"


def test_a_new_version_is_served_as_latest_on_the_very_next_get(
    api_client, triage, django_capture_on_commit_callbacks
):
    editor = api_client(Role.EDITOR)
    assert editor.get(url("support/triage"), {"label": "latest"}).json()["version"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        created = post_json(
            editor,
            url("support/triage", "/versions"),
            {"content": {"messages": [{"role": "user", "content": "{{ticket}}"}]}},
        )
    assert created.status_code == 201
    assert editor.get(url("support/triage"), {"label": "latest"}).json()["version"] == 2


def test_a_split_label_keeps_one_session_on_one_arm(
    api_client, admin_principal, add_prompt, add_version
):
    prompt = add_prompt("ab", "Arm one")
    two = add_version(prompt, "Arm two")
    services.label_split(
        principal=admin_principal, prompt=prompt, name="production", version=two, percent=50
    )
    client = api_client(Role.VIEWER)
    versions = {
        client.get(url("ab"), {"session_id": "visitor-7"}).json()["version"] for _ in range(10)
    }
    assert len(versions) == 1
    seen = {client.get(url("ab"), {"session_id": f"s{n}"}).json()["version"] for n in range(40)}
    assert seen == {1, 2}


# --- Create a prompt ---------------------------------------------------------------------------


def test_an_editor_key_creates_a_prompt_with_its_first_version(api_client):
    response = post_json(
        api_client(Role.EDITOR),
        BASE,
        {
            "name": "support/welcome",
            "type": "text",
            "content": {"text": "Welcome, {{name}}!"},
            "tags": ["Onboarding"],
            "labels": ["staging"],
            "commit_message": "From the API",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1
    assert body["labels"] == ["latest", "staging"]
    assert body["variables"] == ["name"]
    assert body["tags"] == ["onboarding"]
    assert body["created_by"] == "API key editor key"
    assert Folder.objects.filter(path="support").exists()


def test_a_viewer_key_may_not_create_a_prompt(api_client):
    response = post_json(
        api_client(Role.VIEWER), BASE, {"name": "x", "type": "text", "content": {"text": "x"}}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert not Prompt.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "a|b", "type": "text", "content": {"text": "x"}}, "name"),
        ({"name": "ok", "type": "text", "content": {"words": "x"}}, "content"),
        ({"name": "ok", "type": "chat", "content": {"messages": []}}, "messages"),
        ({"name": "ok", "type": "text", "content": {"text": "{{#each}}"}}, "content"),
        (
            {"name": "ok", "type": "text", "content": {"text": "x"}, "config": {"temperature": 9}},
            "config",
        ),
        ({"name": "ok", "type": "text", "content": {"text": "x"}, "labels": ["Prod!"]}, "label"),
        ({"name": "ok", "type": "poem", "content": {"text": "x"}}, "type"),
        ({"type": "text", "content": {"text": "x"}}, "name"),
    ],
)
def test_bad_input_when_creating_is_a_400_naming_the_field(api_client, body, field):
    response = post_json(api_client(Role.EDITOR), BASE, body)
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "invalid_request"
    assert error_of(response)["field"] == field
    assert not Prompt.objects.exists()


def test_creating_a_name_that_exists_is_refused(api_client, triage):
    response = post_json(
        api_client(Role.EDITOR),
        BASE,
        {"name": "support/triage", "type": "text", "content": {"text": "x"}},
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == "name"
    assert list(Prompt.objects.values_list("pk", "type")) == [(triage.pk, Prompt.Type.CHAT)]
    assert list(triage.versions.values_list("number", flat=True)) == [1]
    assert not AuditEvent.objects.filter(actor_api_key__name="editor key").exists()


def test_an_editor_key_may_not_release_a_new_prompt_to_production(api_client):
    response = post_json(
        api_client(Role.EDITOR),
        BASE,
        {"name": "x", "type": "text", "content": {"text": "x"}, "labels": ["production"]},
    )
    assert response.status_code == 403
    assert not Prompt.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.create").exists()


# --- Versions ----------------------------------------------------------------------------------


def test_an_editor_key_saves_a_new_version(api_client, triage):
    response = post_json(
        api_client(Role.EDITOR),
        url("support/triage", "/versions"),
        {
            "content": {"messages": [{"role": "user", "content": "Hi {name}"}]},
            "template_format": "fstring",
            "commit_message": "Shorter",
            "base_version": 1,
            "labels": ["staging"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 2
    assert body["labels"] == ["latest", "staging"]
    assert body["template_format"] == "fstring"
    assert body["created_by"] == "API key editor key"


def test_saving_on_top_of_a_stale_version_is_a_409_conflict(api_client, triage, add_version):
    add_version(triage, {"messages": [{"role": "user", "content": "Someone else"}]})
    response = post_json(
        api_client(Role.EDITOR),
        url("support/triage", "/versions"),
        {"content": {"messages": [{"role": "user", "content": "Mine"}]}, "base_version": 1},
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert "Version 2" in error_of(response)["message"]
    assert list(triage.versions.values_list("number", flat=True)) == [2, 1]
    assert not AuditEvent.objects.filter(actor_api_key__name="editor key").exists()


def test_a_viewer_key_may_not_save_a_version(api_client, triage):
    response = post_json(
        api_client(Role.VIEWER),
        url("support/triage", "/versions"),
        {"content": {"messages": [{"role": "user", "content": "x"}]}},
    )
    assert response.status_code == 403
    triage.refresh_from_db()
    assert triage.latest_version_number == 1
    assert list(triage.versions.values_list("number", flat=True)) == [1]
    assert not AuditEvent.objects.filter(actor_api_key__name="viewer key").exists()


def test_a_version_with_a_broken_template_is_a_400(api_client, triage):
    response = post_json(
        api_client(Role.EDITOR),
        url("support/triage", "/versions"),
        {
            "content": {"messages": [{"role": "user", "content": "{% if %}"}]},
            "template_format": "jinja2",
        },
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == "content"
    triage.refresh_from_db()
    assert triage.latest_version_number == 1
    assert list(triage.versions.values_list("number", flat=True)) == [1]
    assert not AuditEvent.objects.filter(actor_api_key__name="editor key").exists()


def test_versions_are_listed_newest_first_with_their_labels(api_client, triage, add_version):
    for n in range(3):
        add_version(triage, {"messages": [{"role": "user", "content": f"v{n + 2}"}]})
    client = api_client(Role.VIEWER)
    first = client.get(url("support/triage", "/versions"), {"limit": 3}).json()
    assert [v["version"] for v in first["items"]] == [4, 3, 2]
    assert first["items"][0]["labels"] == ["latest"]
    rest = client.get(url("support/triage", "/versions"), {"cursor": first["next_cursor"]}).json()
    assert [(v["version"], v["labels"]) for v in rest["items"]] == [(1, ["production"])]
    assert rest["next_cursor"] is None


def test_the_diff_shows_word_level_changes_and_config(api_client, add_prompt, admin_principal):
    prompt = add_prompt("story", "Tell a short story", config={"temperature": 0.2})
    services.prompt_version_create(
        principal=admin_principal,
        prompt=prompt,
        version_content={"text": "Tell a long story"},
        config={"temperature": 0.7},
    )
    response = api_client(Role.VIEWER).get(url("story", "/diff"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from_version"], body["to_version"], body["has_changes"]) == (1, 2, True)
    assert body["config_changes"] == [
        {"path": "temperature", "kind": "changed", "old": 0.2, "new": 0.7}
    ]
    segments = body["messages"][0]["lines"][0]["segments"]
    assert {"op": "delete", "text": "short"} in segments
    assert {"op": "insert", "text": "long"} in segments
    same = api_client(Role.VIEWER).get(url("story", "/diff"), {"from": 2, "to": 2}).json()
    assert same["has_changes"] is False
    missing = api_client(Role.VIEWER).get(url("story", "/diff"), {"from": 7})
    assert missing.status_code == 404


# --- Labels ------------------------------------------------------------------------------------


def test_an_editor_key_moves_staging_and_the_move_is_in_the_history(
    api_client, triage, add_version
):
    add_version(triage, {"messages": [{"role": "user", "content": "v2"}]})
    editor = api_client(Role.EDITOR)
    response = post_json(editor, url("support/triage", "/labels/staging"), {"version": 2})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "name": "staging",
        "version": 2,
        "split_version": None,
        "split_percent": 0,
    }
    history = editor.get(url("support/triage", "/labels/staging/history")).json()
    assert history["label"] == "staging"
    assert [(m["action"], m["to_version"]) for m in history["items"]] == [("move", 2)]
    assert history["items"][0]["actor"].startswith("API key editor key")


def test_an_editor_key_may_not_move_production(api_client, triage, add_version):
    add_version(triage, {"messages": [{"role": "user", "content": "v2"}]})
    response = post_json(
        api_client(Role.EDITOR), url("support/triage", "/labels/production"), {"version": 2}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert "protected" in error_of(response)["message"]
    assert triage.labels.get(name="production").version.number == 1
    assert list(LabelMove.objects.values_list("label_name", "to_number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="editor key").exists()
    assert api_client(Role.VIEWER).get(url("support/triage")).json()["version"] == 1


def test_an_admin_key_moves_production_and_it_is_audited(api_client, triage, add_version):
    add_version(triage, {"messages": [{"role": "user", "content": "v2"}]})
    response = post_json(
        api_client(Role.ADMIN), url("support/triage", "/labels/production"), {"version": 2}
    )
    assert response.status_code == 200
    assert triage.labels.get(name="production").version.number == 2
    event = AuditEvent.objects.filter(action="label.move").latest("id")
    assert event.actor_label.startswith("API key admin key")
    assert event.data["after"]["version"] == 2
    assert LabelMove.objects.filter(label_name="production", to_number=2).exists()


@pytest.mark.parametrize(
    ("label", "body", "status"),
    [
        ("staging", {"version": 9}, 404),
        ("latest", {"version": 1}, 400),
        ("Bad Label", {"version": 1}, 400),
        ("staging", {"version": "one"}, 400),
        ("staging", {}, 400),
        ("staging", {"version": 10**20}, 400),
    ],
)
def test_bad_label_moves_are_refused_clearly(api_client, triage, label, body, status):
    response = post_json(api_client(Role.ADMIN), url("support/triage", f"/labels/{label}"), body)
    assert response.status_code == status, response.content
    assert "error" in response.json()
    assert list(triage.labels.values_list("name", "version__number")) == [("production", 1)]
    assert list(LabelMove.objects.values_list("label_name", "to_number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="admin key").exists()


# --- Delete ------------------------------------------------------------------------------------


def test_only_admin_keys_delete_and_the_prompt_is_then_gone(api_client, triage):
    assert api_client(Role.EDITOR).delete(url("support/triage")).status_code == 403
    triage.refresh_from_db()
    assert triage.deleted_at is None
    assert not AuditEvent.objects.filter(action="prompt.delete").exists()
    admin = api_client(Role.ADMIN)
    assert admin.delete(url("support/triage")).status_code == 204
    triage.refresh_from_db()
    assert triage.deleted_at is not None
    assert AuditEvent.objects.filter(action="prompt.delete").exists()
    cache.clear()
    assert admin.get(url("support/triage")).status_code == 404
    assert admin.get(BASE).json()["items"] == []


# --- Render ------------------------------------------------------------------------------------


def test_render_fills_a_chat_prompt_and_its_placeholders(api_client, triage):
    response = post_json(
        api_client(Role.VIEWER),
        url("support/triage", "/render"),
        {
            "variables": {"product": "Acme", "ticket": "It broke"},
            "placeholders": {"history": [{"role": "user", "content": "Earlier"}]},
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 1
    assert body["label"] == "production"
    assert body["text"] is None
    assert body["messages"] == [
        {"role": "system", "content": "You triage Acme tickets."},
        {"role": "user", "content": "Earlier"},
        {"role": "user", "content": "It broke"},
    ]


def test_render_handles_jinja2_fstring_and_snippets(api_client, add_prompt):
    add_prompt("shared/sign-off", "Best, {{ team }}", kind=Prompt.Kind.SNIPPET)
    add_prompt(
        "jinja",
        "{% for item in items %}- {{ item|upper }}\n{% endfor %}{{> shared/sign-off}}",
        template_format="jinja2",
    )
    add_prompt("fstring", "Hello {name}", template_format="fstring")
    client = api_client(Role.VIEWER)
    jinja = post_json(
        client, url("jinja", "/render"), {"variables": {"items": ["a", "b"], "team": "Ops"}}
    )
    assert jinja.json()["text"] == "- A\n- B\nBest, Ops"
    fstring = post_json(client, url("fstring", "/render"), {"variables": {"name": "Ada"}})
    assert fstring.json()["text"] == "Hello Ada"


def test_render_by_version_or_label(api_client, add_prompt, add_version):
    prompt = add_prompt("greeting", "Hi {{who}}")
    add_version(prompt, "Bye {{who}}", labels=("staging",))
    client = api_client(Role.VIEWER)
    by_label = post_json(
        client, url("greeting", "/render"), {"label": "staging", "variables": {"who": "Bo"}}
    )
    by_version = post_json(
        client, url("greeting", "/render"), {"version": 1, "variables": {"who": "Bo"}}
    )
    assert (by_label.json()["text"], by_label.json()["version"]) == ("Bye Bo", 2)
    assert by_label["X-PromptOps-Version"] == "2"
    assert (by_version.json()["text"], by_version.json()["label"]) == ("Hi Bo", None)


def test_render_names_the_missing_variables(api_client, triage):
    response = post_json(
        api_client(Role.VIEWER),
        url("support/triage", "/render"),
        {"variables": {"product": "Acme"}, "placeholders": {"history": []}},
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "missing_variables"
    assert error["field"] == "variables"
    assert error["missing"] == ["ticket"]
    assert '"ticket"' in error["message"]


def test_render_names_a_missing_placeholder(api_client, triage):
    response = post_json(
        api_client(Role.VIEWER),
        url("support/triage", "/render"),
        {"variables": {"product": "Acme", "ticket": "t"}},
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "placeholders"
    assert error_of(response)["missing"] == ["history"]


def test_a_jinja2_error_while_rendering_is_a_422_template_error(api_client, add_prompt):
    add_prompt("divide", "{{ 1 / zero }}", template_format="jinja2")
    response = post_json(
        api_client(Role.VIEWER), url("divide", "/render"), {"variables": {"zero": 0}}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "template_error"


# --- Never a 5xx -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"{BASE}/support%2Ftriage?version=abc", None),
        ("get", f"{BASE}/support%2Ftriage?version=99999999999999999999999", None),
        ("get", f"{BASE}/support%2Ftriage?version=-1", None),
        ("get", f"{BASE}/support%2Ftriage?label=%00", None),
        ("get", f"{BASE}/bad%00name", None),
        ("get", f"{BASE}/support%2Ftriage?label=" + "x" * 5000, None),
        ("get", f"{BASE}?limit=0", None),
        ("get", f"{BASE}?limit=100000", None),
        ("get", f"{BASE}?type=poem", None),
        ("get", f"{BASE}?search=%00", None),
        ("get", f"{BASE}?cursor=eyJhZnRlciI6IDF9", None),
        ("get", f"{BASE}/support%2Ftriage/diff?from=0", None),
        ("get", f"{BASE}/support%2Ftriage/versions?cursor=%%%", None),
        ("post", BASE, "not json"),
        ("post", BASE, []),
        ("post", BASE, {"name": "x\u0000y", "type": "text", "content": {"text": "x"}}),
        ("post", BASE, {"name": "x", "type": "text", "content": {"text": "a\u0000b"}}),
        ("post", BASE, {"name": "x" * 300, "type": "text", "content": {"text": "x"}}),
        ("post", BASE, {"name": "x", "type": "chat", "content": {"messages": [1, 2]}}),
        ("post", BASE, {"name": "x", "type": "text", "content": {"text": "x"}, "config": []}),
        ("post", f"{BASE}/support%2Ftriage/render", {"variables": []}),
        ("post", f"{BASE}/support%2Ftriage/render", {"version": 10**30}),
        ("post", f"{BASE}/support%2Ftriage/versions", {"content": "text"}),
        ("post", f"{BASE}/support%2Ftriage/versions", {"content": {}, "base_version": -5}),
        ("put", f"{BASE}/support%2Ftriage", {}),
    ],
)
def test_bad_input_never_causes_a_server_error(api_client, triage, method, path, body):
    client = api_client(Role.ADMIN)
    if body is None:
        response = getattr(client, method)(path)
    elif isinstance(body, str):
        response = getattr(client, method)(path, body, content_type="application/json")
    else:
        response = getattr(client, method)(path, body, content_type="application/json")
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert list(Prompt.objects.values_list("name", "deleted_at")) == [("support/triage", None)]
    assert list(triage.versions.values_list("number", flat=True)) == [1]
    assert list(triage.labels.values_list("name", "version__number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="admin key").exists()


# Found by the Schemathesis run (tests/api_clients/test_schemathesis.py): JSON a request may
# carry that the database can't store (unpaired surrogates, NaN and Infinity: 500 on saving) or
# the served-version cache can't pickle (900 levels deep: saved, then 500 on every read). Bodies
# are JSON text as a client sends it: Python's json module reads NaN, 1e400 and "\ud800" too.

SURROGATE = '"a\\ud800"'
DEEP = "[" * 900 + "]" * 900


def raw_json(value, **spelled: str) -> str:
    """JSON text of `value`, with each string "<key>" in it spelled as given."""
    text = json.dumps(value)
    for key, spelling in spelled.items():
        text = text.replace(f'"<{key}>"', spelling)
    return text


TEXT_PROMPT = {"name": "x", "type": "text", "content": {"text": "a"}}
VERSION = {"content": {"messages": [{"role": "user", "content": "<v>"}]}}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (BASE, raw_json({**TEXT_PROMPT, "content": {"text": "<v>"}}, v=SURROGATE), "surrogates"),
        (BASE, raw_json({**TEXT_PROMPT, "tags": ["<v>"]}, v=SURROGATE), "surrogates"),
        (BASE, raw_json({**TEXT_PROMPT, "description": "<v>"}, v=SURROGATE), "surrogates"),
        (BASE, raw_json({**TEXT_PROMPT, "config": {"t": "<v>"}}, v="NaN"), "finite"),
        (BASE, raw_json({**TEXT_PROMPT, "config": {"t": "<v>"}}, v="Infinity"), "finite"),
        (BASE, raw_json({**TEXT_PROMPT, "config": {"t": "<v>"}}, v="1e400"), "finite"),
        (BASE, raw_json({**TEXT_PROMPT, "config": {"t": "<v>"}}, v=DEEP), "deep"),
        (url("support/triage", "/versions"), raw_json(VERSION, v=SURROGATE), "surrogates"),
        (
            url("support/triage", "/versions"),
            raw_json({**VERSION, "config": {"t": "<c>"}}, v='"a"', c="-Infinity"),
            "finite",
        ),
        (
            url("support/triage", "/versions"),
            raw_json({**VERSION, "config": {"t": "<c>"}}, v='"a"', c=DEEP),
            "deep",
        ),
    ],
)
def test_json_the_database_cant_store_is_a_400_not_a_500(api_client, triage, path, body, message):
    response = api_client(Role.ADMIN).post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert error_of(response)["code"] == "invalid_request"
    assert message in error_of(response)["message"]
    assert Prompt.objects.count() == 1
    assert triage.versions.count() == 1


def test_json_nested_as_deep_as_a_config_needs_is_kept(api_client):
    config = {"tools": [{"parameters": {"properties": {"a": {"items": {"type": "string"}}}}}]}
    client = api_client(Role.ADMIN)
    assert post_json(client, BASE, {**TEXT_PROMPT, "config": config}).status_code == 201
    response = client.get(url("x"), {"label": "latest"})
    assert response.status_code == 200
    assert response.json()["config"] == config
