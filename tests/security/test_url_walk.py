"""Every URL of the project refuses whoever must be refused (see url_walk.py for the rules).

A failure names the route and the request. "no URL sample" or "classify" means the walk
doesn't know the new URL yet: declare it in tests/security/url_samples.py.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from tests.factories import api_key_for
from workspaces.models import ApiKey, Invitation, Membership, Workspace

from . import url_samples
from .url_walk import ADMIN, API, HTML, Walker, WatchedRows, walk_routes, watched_models

ROUTES = walk_routes()
ROGUE_URLCONF = "tests.security.rogue_urls"


@pytest.fixture
def world(acme, globex, alice, adam, bob, vera, charlie):
    return url_samples.build_world(
        acme=acme, globex=globex, alice=alice, bob=bob, vera=vera, charlie=charlie
    )


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_route_refuses_anonymous_outsiders_and_viewers(route, world):
    findings = [str(finding) for finding in Walker(world).check(route)]
    more = [f"... and {len(findings) - 30} more"] if len(findings) > 30 else []
    assert not findings, "\n".join(findings[:30] + more)


def test_the_walk_reaches_pages_api_and_admin():
    by_id = {route.id: route for route in ROUTES}
    assert by_id["workspaces:member-role"].kind == HTML
    assert by_id["workspaces:member-role"].kwarg_names == ("slug", "membership_id")
    assert by_id["accounts:password-reset-confirm"].kind == HTML
    assert by_id["api-v1:me"].kind == API
    assert by_id["api-v1:openapi-json"].kind == API
    assert by_id["admin:index"].kind == ADMIN
    assert by_id["admin:workspaces_membership_change"].kind == ADMIN


def test_declarations_name_routes_that_exist():
    ids = {route.id for route in ROUTES}
    for table in ("PUBLIC", "USER_LEVEL", "VIEWER_WRITES", "API_BODIES", "MAY_ANSWER_503"):
        stale = set(getattr(url_samples, table)) - ids
        assert not stale, f"url_samples.{table} names routes that no longer exist: {stale}"


def test_what_refused_requests_may_write_names_fields_that_exist():
    from django.apps import apps

    for name in url_samples.WRITTEN_WHEN_REFUSED:
        app_label, model_name, *field = name.split(".")
        model = apps.get_model(app_label, model_name)  # LookupError for a stale name
        if field:
            model._meta.get_field(*field)  # FieldDoesNotExist for a stale name


def test_the_walk_watches_the_projects_tables_and_grants():
    labels = {model._meta.label for model in watched_models()}
    assert {"accounts.User", "workspaces.AuditEvent", "promptregistry.Prompt"} <= labels
    assert {"promptregistry.Prompt_tags", "guardian.UserObjectPermission"} <= labels
    assert "sessions.Session" not in labels
    assert "auth.Permission" not in labels


def test_watched_rows_see_new_changed_and_deleted_rows(world):
    rows = WatchedRows()
    acme = world.acme
    start = rows.read()
    assert rows.read() == start

    Workspace.objects.filter(pk=acme.workspace.pk).update(name="Acme Renamed")
    Membership.objects.filter(pk=acme.editor_membership.pk).update(role="admin")
    Invitation.objects.filter(pk=acme.invitation.pk).delete()
    api_key, _ = api_key_for(acme.workspace, name="new key")

    assert rows.changes(start, rows.read()) == (
        "workspaces.Workspace: 1 changed (name); "
        "workspaces.Membership: 1 changed (role); "
        "workspaces.Invitation: 1 deleted; "
        "workspaces.ApiKey: 1 new"
    )


def test_watched_rows_leave_out_what_refused_requests_may_write(world):
    rows = WatchedRows()
    start = rows.read()

    ApiKey.objects.filter(pk=world.acme.api_key.pk).update(last_used_at=timezone.now())

    assert rows.read() == start


def test_viewer_writes_are_not_public():
    # A public route skips every check; listing it as a viewer write too would be a mistake.
    assert not set(url_samples.VIEWER_WRITES) & set(url_samples.PUBLIC)


def test_api_answers_access_refusals_in_its_error_shape():
    from config.api import api

    request = RequestFactory().get("/api/v1/me")
    for exception, status, code in (
        (Http404("No such prompt."), 404, "not_found"),
        (PermissionDenied("Your role (viewer) may not do this here."), 403, "forbidden"),
    ):
        response = api.on_exception(request, exception)
        assert response.status_code == status
        assert json.loads(response.content)["error"]["code"] == code


class TestTheWalkHasTeeth:
    """Deliberate mistakes on a temporary URLconf: the walk must report each of them."""

    @pytest.fixture
    def rogue(self, settings, world):
        settings.ROOT_URLCONF = ROGUE_URLCONF
        walker = Walker(world, urlconf=ROGUE_URLCONF)
        routes = {route.id: route for route in walk_routes(ROGUE_URLCONF)}

        def check(route_id):
            return walker.check(routes[route_id])

        return check

    def test_the_rogue_urlconf_still_holds_the_project(self):
        ids = {route.id for route in walk_routes(ROGUE_URLCONF)}
        assert {route.id for route in ROUTES} <= ids

    def test_it_reports_a_view_without_its_access_call(self, rogue):
        findings = rogue("rogue-peek")
        outsider = [f for f in findings if f.check == "outsider"]
        assert outsider, findings
        assert {f.got.split()[0] for f in outsider} == {"200"}
        assert {f.htmx for f in outsider} == {False, True}

    def test_it_reports_a_view_without_login(self, rogue):
        findings = rogue("rogue-export")
        assert any(f.check == "anonymous" and f.method == "GET" for f in findings), findings

    def test_it_reports_a_write_open_to_viewers(self, rogue):
        findings = rogue("rogue-rename")
        assert {f.check for f in findings} == {"viewer"}, findings
        assert {(f.method, f.got.split()[0]) for f in findings} == {("POST", "302")}

    def test_it_reports_a_refused_write_that_wrote_before_refusing(self, rogue):
        findings = rogue("rogue-archive")
        assert {(f.check, f.method, f.htmx) for f in findings} == {
            ("viewer", "POST", False),
            ("viewer", "POST", True),
        }, findings
        assert {f.expected for f in findings} == {"nothing written"}
        assert {f.got for f in findings} == {
            "403 and wrote workspaces.Workspace: 1 changed (name); workspaces.AuditEvent: 1 new"
        }

    def test_it_reports_an_object_of_another_workspace_under_your_own_slug(self, rogue):
        findings = rogue("rogue-promote")
        assert {f.check for f in findings} == {"outsider-own-slug"}, findings
        assert all(f.url.startswith("/w/globex/") for f in findings)
        assert "302 and wrote workspaces.Membership: 1 changed (role)" in {f.got for f in findings}

    def test_it_reports_a_kwarg_without_sample(self, rogue):
        (finding,) = rogue("rogue-gizmo")
        assert finding.check == "sample"
        assert "gizmo_id" in finding.got

    def test_it_reports_an_undeclared_page_outside_workspaces(self, rogue):
        (finding,) = rogue("rogue-dashboard")
        assert finding.check == "classify"

    def test_it_reports_a_server_error(self, rogue):
        findings = rogue("rogue-crash")
        assert findings and all(f.server_error for f in findings)
        assert {f.check for f in findings} == {"viewer", "owner"}

    def test_it_reports_an_api_endpoint_without_auth(self, rogue):
        findings = rogue("rogue-api:api_workspaces")
        assert any(f.check == "api-anonymous" and f.got.startswith("200") for f in findings)
        assert any(f.check == "api-session" for f in findings), findings
