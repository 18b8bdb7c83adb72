"""The Langfuse-compatible prompt API at /api/public/ (shapes of the installed langfuse SDK)."""

from urllib.parse import quote

import pytest
from langfuse.api.core.pydantic_utilities import parse_obj_as
from langfuse.api.prompts.types import Prompt, PromptMetaListResponse

from promptregistry import services
from promptregistry.models import LabelMove, PromptVersion
from promptregistry.models import Prompt as PromptModel
from workspaces.models import AuditEvent
from workspaces.roles import Role

V2 = "/api/public/v2/prompts"


def url(name: str, suffix: str = "") -> str:
    return f"{V2}/{quote(name, safe='')}{suffix}"


def send(client, method, path, data):
    return getattr(client, method)(path, data, content_type="application/json")


@pytest.fixture
def movie_critic(add_prompt):
    return add_prompt(
        "movie-critic",
        "As a {{criticlevel}} movie critic, do you like {{movie}}?",
        config={"model": "local-demo", "temperature": 0.5},
        tags=("movies",),
        message="First cut",
    )


@pytest.fixture
def movie_chat(add_prompt):
    return add_prompt(
        "critics/chat",
        {
            "messages": [
                {"role": "system", "content": "You are a {{criticlevel}} movie critic"},
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "Do you like {{movie}}?"},
            ]
        },
    )


# --- GET /v2/prompts/{name} --------------------------------------------------------------------


def test_a_text_prompt_has_langfuses_shape(api_client, movie_critic):
    response = api_client(Role.VIEWER, basic=True).get(url("movie-critic"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "movie-critic"
    assert body["version"] == 1
    assert body["type"] == "text"
    assert body["prompt"] == "As a {{criticlevel}} movie critic, do you like {{movie}}?"
    assert body["config"] == {"model": "local-demo", "temperature": 0.5}
    assert body["labels"] == ["production", "latest"]  # as Langfuse lists them: latest last
    assert body["tags"] == ["movies"]
    assert body["commitMessage"] == "First cut"
    assert body["resolutionGraph"] is None
    assert body["isActive"] is True
    assert body["createdBy"] == "API"  # Langfuse's word for a version saved through a key
    assert {"id", "createdAt", "updatedAt", "projectId"} <= set(body)
    assert parse_obj_as(Prompt, body).prompt == body["prompt"]
    assert response["X-PromptOps-Version"] == "1"


def test_a_chat_prompt_carries_its_placeholders(api_client, movie_chat):
    body = api_client(Role.VIEWER, basic=True).get(url("critics/chat")).json()
    assert body["type"] == "chat"
    assert body["prompt"] == [
        {"role": "system", "content": "You are a {{criticlevel}} movie critic"},
        {"type": "placeholder", "name": "history"},
        {"role": "user", "content": "Do you like {{movie}}?"},
    ]
    parsed = parse_obj_as(Prompt, body)
    assert parsed.prompt[1].name == "history"


def test_it_serves_by_label_version_or_latest(api_client, movie_critic, add_version):
    add_version(movie_critic, "v2 {{movie}}", labels=("staging",))
    add_version(movie_critic, "v3 {{movie}}")
    client = api_client(Role.VIEWER, basic=True)

    def served(**params):
        body = client.get(url("movie-critic"), params).json()
        return body["version"], body["isActive"]

    assert served() == (1, True)
    assert served(label="staging") == (2, False)
    assert served(label="latest") == (3, False)
    assert served(version=2) == (2, False)


def test_a_version_and_a_label_together_are_a_400(api_client, movie_critic):
    response = api_client(basic=True).get(url("movie-critic"), {"version": 1, "label": "x"})
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequestError"


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nope", {}, "Prompt not found: 'nope' with label 'production'"),
        (
            "movie-critic",
            {"label": "staging"},
            "Prompt not found: 'movie-critic' with label 'staging'",
        ),
        ("movie-critic", {"version": 4}, "Prompt not found: 'movie-critic' with version 4"),
    ],
)
def test_a_missing_prompt_is_langfuses_404(api_client, movie_critic, name, params, message):
    response = api_client(basic=True).get(url(name), params)
    assert response.status_code == 404
    assert response.json() == {"message": message, "error": "LangfuseNotFoundError"}


def test_names_in_folders_arrive_url_encoded(api_client, add_prompt):
    add_prompt("a/b/name", "In a folder")
    assert api_client(basic=True).get(f"{V2}/a%2Fb%2Fname").json()["prompt"] == "In a folder"


def test_fstring_prompts_are_served_as_mustache(api_client, add_prompt):
    add_prompt("fs", "Hi {name}, {{literal}} braces", template_format="fstring")
    assert api_client(basic=True).get(url("fs")).json()["prompt"] == "Hi {{name}}, {literal} braces"


def test_jinja2_prompts_are_refused_with_a_pointer_to_the_render_endpoint(api_client, add_prompt):
    add_prompt("jinja", "{% for x in xs %}{{ x }}{% endfor %}", template_format="jinja2")
    response = api_client(basic=True).get(url("jinja"))
    assert response.status_code == 422
    assert "/api/v1/prompts/jinja/render" in response.json()["message"]


def test_snippets_are_resolved_unless_resolve_is_false(api_client, add_prompt):
    add_prompt("tone", "Be brief.", kind=PromptModel.Kind.SNIPPET)
    add_prompt("answer", "@@@langfusePrompt:name=tone|label=production@@@ {{q}}")
    client = api_client(basic=True)
    assert client.get(url("answer")).json()["prompt"] == "Be brief. {{q}}"
    raw = client.get(url("answer"), {"resolve": "false"}).json()["prompt"]
    assert raw == "@@@langfusePrompt:name=tone|label=production@@@ {{q}}"


def test_a_split_label_picks_a_version_per_request(
    api_client, admin_principal, add_prompt, add_version
):
    prompt = add_prompt("ab", "A")
    b = add_version(prompt, "B")
    services.label_split(
        principal=admin_principal, prompt=prompt, name="production", version=b, percent=50
    )
    client = api_client(basic=True)
    seen = {client.get(url("ab")).json()["version"] for _ in range(60)}
    assert seen == {1, 2}


def test_a_restricted_prompt_is_not_found_for_keys_below_it(api_client, movie_critic):
    PromptModel.objects.filter(pk=movie_critic.pk).update(view_role=Role.EDITOR)
    assert api_client(Role.VIEWER, basic=True).get(url("movie-critic")).status_code == 404
    assert api_client(Role.EDITOR, basic=True).get(url("movie-critic")).status_code == 200


def test_a_prompt_whose_name_ends_in_versions_n_is_still_served(api_client, add_prompt):
    add_prompt("odd/versions/2", "Odd name")
    client = api_client(Role.ADMIN, basic=True)
    assert client.get(url("odd/versions/2")).json()["prompt"] == "Odd name"
    assert client.delete(url("odd/versions/2")).status_code == 204


def test_a_second_get_is_served_from_the_cache(api_client, movie_critic, assert_queries):
    client = api_client(basic=True)
    client.get(url("movie-critic"))
    with assert_queries(0):  # the key and the served version both come from the cache
        assert client.get(url("movie-critic")).status_code == 200


def test_if_none_match_answers_304(api_client, movie_critic):
    client = api_client(basic=True)
    etag = client.get(url("movie-critic"))["ETag"]
    assert client.get(url("movie-critic"), headers={"if-none-match": etag}).status_code == 304


# --- Authentication and isolation --------------------------------------------------------------


def test_a_bad_key_is_a_401_in_langfuses_shape(client, movie_critic):
    response = client.get(url("movie-critic"), headers={"authorization": "Basic Zm9vOmJhcg=="})
    assert response.status_code == 401
    assert response.json()["error"] == "UnauthorizedError"


def test_a_key_pair_must_match(api_client, acme, movie_critic):
    from tests.api.conftest import basic_client
    from tests.factories import api_key_for

    _, secret = api_key_for(acme, Role.VIEWER, name="one")
    other, _ = api_key_for(acme, Role.VIEWER, name="two")
    assert basic_client(other.public_key, secret).get(url("movie-critic")).status_code == 401


def test_another_workspaces_key_sees_nothing_of_acme(globex_api, movie_critic):
    assert globex_api.get(url("movie-critic")).status_code == 404
    assert globex_api.get(V2).json()["data"] == []
    assert (
        send(
            globex_api, "patch", url("movie-critic", "/versions/1"), {"newLabels": ["x"]}
        ).status_code
        == 404
    )
    assert globex_api.delete(url("movie-critic")).status_code == 404
    assert globex_api.get("/api/public/prompts", {"name": "movie-critic"}).status_code == 404
    movie_critic.refresh_from_db()
    assert movie_critic.deleted_at is None
    assert list(movie_critic.labels.values_list("name", "version__number")) == [("production", 1)]
    assert not LabelMove.objects.filter(label_name="x").exists()
    assert not AuditEvent.objects.filter(actor_api_key__name="globex owner").exists()


# --- GET /v2/prompts ---------------------------------------------------------------------------


def test_the_list_has_langfuses_meta_shape(api_client, movie_critic, movie_chat, add_version):
    add_version(movie_critic, "v2", labels=("staging",))
    response = api_client(basic=True).get(V2)
    assert response.status_code == 200
    body = response.json()
    parsed = parse_obj_as(PromptMetaListResponse, body)
    assert parsed.meta.total_items == 2
    assert (
        body["pagination"]
        == body["meta"]
        == {
            "page": 1,
            "limit": 10,
            "totalItems": 2,
            "totalPages": 1,
        }
    )
    critic = next(p for p in body["data"] if p["name"] == "movie-critic")
    assert critic["versions"] == [1, 2]
    assert critic["labels"] == ["latest", "production", "staging"]
    assert critic["tags"] == ["movies"]
    assert critic["type"] == "text"
    assert critic["lastConfig"] == {}
    assert "lastUpdatedAt" in critic


def test_the_list_filters_by_name_label_tag_and_pages(api_client, add_prompt, movie_critic):
    for n in range(3):
        add_prompt(f"extra/{n}", "x", labels=("staging",))
    client = api_client(basic=True)

    def names(**params):
        return [p["name"] for p in client.get(V2, params).json()["data"]]

    assert names(name="movie-critic") == ["movie-critic"]
    assert names(tag="movies") == ["movie-critic"]
    assert names(label="staging") == ["extra/0", "extra/1", "extra/2"]
    page_two = client.get(V2, {"limit": 2, "page": 2}).json()
    assert [p["name"] for p in page_two["data"]] == ["extra/2", "movie-critic"]
    assert page_two["meta"]["totalPages"] == 2
    assert names(fromUpdatedAt="2999-01-01T00:00:00Z") == []
    assert len(names(toUpdatedAt="2999-01-01T00:00:00Z")) == 4


def test_the_list_costs_the_same_queries_for_few_and_many(api_client, add_prompt, assert_queries):
    client = api_client(basic=True)
    client.get(V2)  # caches the key
    add_prompt("one", "x", tags=("t",))
    with assert_queries(8) as few:
        client.get(V2)
    for n in range(6):
        add_prompt(f"many/{n}", "x", tags=("t", "u"), labels=("production", "staging"))
    with assert_queries(len(few.captured_queries)):
        assert client.get(V2).json()["meta"]["totalItems"] == 7


# --- POST /v2/prompts --------------------------------------------------------------------------


def test_creating_a_prompt_returns_it_with_latest(api_client):
    response = send(
        api_client(Role.EDITOR, basic=True),
        "post",
        V2,
        {
            "name": "folder/new",
            "prompt": "Hello {{name}}",
            "labels": ["staging"],
            "tags": ["greeting"],
            "config": {"temperature": 0.1},
            "commitMessage": "From the SDK",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["version"], body["type"]) == ("folder/new", 1, "text")
    assert body["labels"] == ["staging", "latest"]
    assert body["tags"] == ["greeting"]
    assert body["commitMessage"] == "From the SDK"
    assert parse_obj_as(Prompt, body).config == {"temperature": 0.1}


def test_creating_again_adds_a_version_and_replaces_tags(api_client, movie_critic):
    response = send(
        api_client(Role.EDITOR, basic=True),
        "post",
        V2,
        {"name": "movie-critic", "type": "text", "prompt": "v2", "tags": ["films"]},
    )
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2
    assert response.json()["tags"] == ["films"]
    assert response.json()["labels"] == ["latest"]


def test_a_chat_prompt_with_a_placeholder_is_created(api_client):
    response = send(
        api_client(Role.EDITOR, basic=True),
        "post",
        V2,
        {
            "name": "chatty",
            "type": "chat",
            "prompt": [
                {"role": "system", "content": "Be {{tone}}"},
                {"type": "placeholder", "name": "history"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["prompt"][1] == {"type": "placeholder", "name": "history"}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"name": "movie-critic", "type": "chat", "prompt": [{"role": "user", "content": "x"}]},
            400,
            "InvalidRequestError",
        ),
        ({"name": "x", "prompt": "x", "labels": ["Production"]}, 400, "InvalidRequestError"),
        ({"name": "x", "prompt": "x", "labels": ["a" * 37]}, 400, "InvalidRequestError"),
        ({"name": "a|b", "prompt": "x"}, 400, None),
        ({"name": "x" * 256, "prompt": "x"}, 400, None),
        ({"name": "x", "prompt": "x", "commitMessage": "m" * 501}, 400, None),
        (
            {"name": "x", "type": "text", "prompt": [{"role": "user", "content": "x"}]},
            400,
            "InvalidRequestError",
        ),
        (
            {
                "name": "x",
                "type": "chat",
                "prompt": [
                    {"role": "user", "content": "{{a}}"},
                    {"type": "placeholder", "name": "a"},
                ],
            },
            400,
            "InvalidRequestError",
        ),
        ({"name": "x", "prompt": "x", "config": [1]}, 400, "InvalidRequestError"),
        ({"name": "x", "prompt": "x", "labels": ["production"]}, 403, "ForbiddenError"),
        ({"prompt": "x"}, 400, None),
    ],
)
def test_creating_with_bad_input_is_refused_as_langfuse_does(
    api_client, movie_critic, body, status, error
):
    response = send(api_client(Role.EDITOR, basic=True), "post", V2, body)
    assert response.status_code == status, response.content
    assert "message" in response.json()
    if error:
        assert response.json()["error"] == error
    assert PromptModel.objects.count() == 1
    assert movie_critic.versions.count() == 1


def test_a_viewer_key_may_not_create(api_client):
    response = send(api_client(Role.VIEWER, basic=True), "post", V2, {"name": "x", "prompt": "x"})
    assert response.status_code == 403
    assert not PromptModel.objects.exists()
    assert not PromptVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="prompt.create").exists()


# --- PATCH /v2/prompts/{name}/versions/{version} -----------------------------------------------


def test_new_labels_move_onto_the_version(api_client, movie_critic, add_version):
    add_version(movie_critic, "v2", labels=("staging",))
    add_version(movie_critic, "v3")
    response = send(
        api_client(Role.EDITOR, basic=True),
        "patch",
        url("movie-critic", "/versions/3"),
        {"newLabels": ["staging", "qa"]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["labels"] == ["staging", "qa", "latest"]
    labels = {label.name: label.version.number for label in movie_critic.labels.all()}
    assert labels == {"production": 1, "staging": 3, "qa": 3}


def test_latest_cant_be_set_by_hand(api_client, movie_critic):
    response = send(
        api_client(Role.ADMIN, basic=True),
        "patch",
        url("movie-critic", "/versions/1"),
        {"newLabels": ["latest"]},
    )
    assert response.status_code == 400
    assert list(movie_critic.labels.values_list("name", "version__number")) == [("production", 1)]
    assert list(LabelMove.objects.values_list("label_name", "to_number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="admin key").exists()


def test_production_stays_protected_for_editor_keys(api_client, movie_critic, add_version):
    add_version(movie_critic, "v2")
    editor = send(
        api_client(Role.EDITOR, basic=True),
        "patch",
        url("movie-critic", "/versions/2"),
        {"newLabels": ["qa", "production"]},
    )
    assert editor.status_code == 403
    assert editor.json()["error"] == "ForbiddenError"
    assert not movie_critic.labels.filter(name="qa").exists()  # all or nothing
    assert movie_critic.labels.get(name="production").version.number == 1
    assert list(LabelMove.objects.values_list("label_name", "to_number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="editor key").exists()
    admin = send(
        api_client(Role.ADMIN, basic=True),
        "patch",
        url("movie-critic", "/versions/2"),
        {"newLabels": ["production"]},
    )
    assert admin.status_code == 200
    assert admin.json()["isActive"] is True


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/versions/9", {"newLabels": ["qa"]}, 404),
        ("/versions/1", {"newLabels": ["Bad Label"]}, 400),
        ("/versions/1", {"labels": ["qa"]}, 400),
        ("/versions/1", {"newLabels": "qa"}, 400),
        ("/versions/99999999999999999999", {"newLabels": ["qa"]}, 404),
    ],
)
def test_bad_label_updates_are_refused(api_client, movie_critic, path, body, status):
    response = send(api_client(Role.ADMIN, basic=True), "patch", url("movie-critic", path), body)
    assert response.status_code == status, response.content
    assert list(movie_critic.labels.values_list("name", "version__number")) == [("production", 1)]
    assert list(LabelMove.objects.values_list("label_name", "to_number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="admin key").exists()


# --- DELETE /v2/prompts/{name} -----------------------------------------------------------------


def test_only_admin_keys_delete_a_prompt_and_it_is_audited(api_client, movie_critic):
    assert api_client(Role.EDITOR, basic=True).delete(url("movie-critic")).status_code == 403
    movie_critic.refresh_from_db()
    assert movie_critic.deleted_at is None
    assert not AuditEvent.objects.filter(action="prompt.delete").exists()
    response = api_client(Role.ADMIN, basic=True).delete(url("movie-critic"))
    assert response.status_code == 204
    movie_critic.refresh_from_db()
    assert movie_critic.deleted_at is not None
    assert AuditEvent.objects.filter(action="prompt.delete").exists()


@pytest.mark.parametrize("params", ["?version=1", "?label=production"])
def test_a_version_production_points_at_is_never_deleted(api_client, movie_critic, params):
    response = api_client(Role.ADMIN, basic=True).delete(url("movie-critic") + params)
    assert response.status_code == 400
    assert "protected label “production”" in response.json()["message"]
    movie_critic.refresh_from_db()
    assert movie_critic.deleted_at is None
    assert list(movie_critic.versions.values_list("number", flat=True)) == [1]
    assert list(movie_critic.labels.values_list("name", "version__number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="admin key").exists()


def test_deleting_a_missing_prompt_is_a_404(api_client, movie_critic):
    assert api_client(Role.ADMIN, basic=True).delete(url("nope")).status_code == 404
    movie_critic.refresh_from_db()
    assert movie_critic.deleted_at is None
    assert not AuditEvent.objects.filter(action="prompt.delete").exists()


# --- Legacy /api/public/prompts ----------------------------------------------------------------


def test_the_legacy_get_serves_production_with_is_active(api_client, movie_critic, add_version):
    add_version(movie_critic, "v2")
    client = api_client(basic=True)
    active = client.get("/api/public/prompts", {"name": "movie-critic"}).json()
    assert (active["version"], active["isActive"]) == (1, True)
    second = client.get("/api/public/prompts", {"name": "movie-critic", "version": 2}).json()
    assert (second["version"], second["isActive"]) == (2, False)


def test_the_legacy_create_with_is_active_releases_to_production(api_client):
    response = send(
        api_client(Role.ADMIN, basic=True),
        "post",
        "/api/public/prompts",
        {"name": "legacy", "prompt": "Old SDK", "isActive": True},
    )
    assert response.status_code == 201, response.content
    assert response.json()["isActive"] is True
    assert response.json()["labels"] == ["production", "latest"]


# --- Never a 5xx -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"{V2}/movie-critic?version=abc", None),
        ("get", f"{V2}/movie-critic?version=0", None),
        ("get", f"{V2}/movie-critic?version=123456789012345678901234567890", None),
        ("get", f"{V2}/movie-critic?label=%00", None),
        ("get", f"{V2}/movie%00critic", None),
        ("get", f"{V2}/movie-critic?resolve=maybe", None),
        ("get", f"{V2}?page=0", None),
        ("get", f"{V2}?limit=101", None),
        ("get", f"{V2}?fromUpdatedAt=yesterday", None),
        ("get", f"{V2}?name=%00", None),
        ("get", "/api/public/prompts", None),
        ("post", V2, "not json"),
        ("post", V2, []),
        ("post", V2, {"name": "x", "prompt": 5}),
        ("post", V2, {"name": "x", "prompt": "a\u0000b"}),
        ("post", V2, {"name": "x", "type": "chat", "prompt": [{"role": "wizard", "content": "x"}]}),
        ("post", V2, {"name": "x", "type": "chat", "prompt": [{"nonsense": True}]}),
        ("post", V2, {"name": "x", "type": "chat", "prompt": []}),
        ("patch", f"{V2}/movie-critic/versions/abc", {"newLabels": ["qa"]}),
        ("patch", f"{V2}/movie-critic/versions/1", "not json"),
        ("delete", f"{V2}/movie-critic?version=abc", None),
        ("put", f"{V2}/movie-critic", {}),
    ],
)
def test_bad_input_never_causes_a_server_error(api_client, movie_critic, method, path, body):
    client = api_client(Role.ADMIN, basic=True)
    if body is None:
        response = getattr(client, method)(path)
    else:
        response = getattr(client, method)(path, body, content_type="application/json")
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert list(PromptModel.objects.values_list("name", "deleted_at")) == [("movie-critic", None)]
    assert list(movie_critic.versions.values_list("number", flat=True)) == [1]
    assert list(movie_critic.labels.values_list("name", "version__number")) == [("production", 1)]
    assert not AuditEvent.objects.filter(actor_api_key__name="admin key").exists()


# Found by the Schemathesis run (tests/api_clients/test_schemathesis.py): JSON text a client
# may send that the database can't store (500 on saving) or that is nested deeper than the
# recursion limit allows (500 in the NUL check).

DEEP = "[" * 900 + "]" * 900


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"name": "x", "prompt": "a\\ud800"}', "surrogates"),
        ('{"name": "x", "prompt": "a", "tags": ["\\udfff"]}', "surrogates"),
        ('{"name": "x", "prompt": [{"role": "user", "content": "\\ud800"}]}', "surrogates"),
        ('{"name": "x", "prompt": "a", "config": {"t": NaN}}', "finite"),
        ('{"name": "x", "prompt": "a", "config": {"a": ' + DEEP + "}}", "deep"),
    ],
)
@pytest.mark.parametrize("path", [V2, "/api/public/prompts"])
def test_json_the_database_cant_store_is_a_400_not_a_500(api_client, path, body, message):
    body = body.replace("{", '{"isActive": false, ', 1)
    response = api_client(Role.ADMIN, basic=True).post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] == "InvalidRequestError"
    assert message in response.json()["message"]
    assert not PromptModel.objects.exists()


@pytest.mark.parametrize(
    "params",
    [
        {"fromUpdatedAt": "9999-12-31T23:59:59-01:00"},
        {"toUpdatedAt": "0001-01-01T00:00:00+01:00"},
    ],
)
def test_an_updated_at_bound_utc_cant_hold_is_a_400(api_client, movie_critic, params):
    response = api_client(Role.VIEWER, basic=True).get(V2, params)
    assert response.status_code == 400, response.content[:300]
    assert "out of range" in response.json()["message"]


def test_updated_at_bounds_at_the_ends_of_the_calendar_still_filter(api_client, movie_critic):
    client = api_client(Role.VIEWER, basic=True)
    everything = {"fromUpdatedAt": "0001-01-01T00:00:00", "toUpdatedAt": "9999-12-31T23:59:59Z"}
    assert [p["name"] for p in client.get(V2, everything).json()["data"]] == ["movie-critic"]
    nothing = {"fromUpdatedAt": "9999-12-31T23:59:59+01:00"}
    assert client.get(V2, nothing).json()["data"] == []
