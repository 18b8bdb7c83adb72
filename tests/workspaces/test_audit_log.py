import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.accounts.html import field_error, text, words
from workspaces.models import AuditEvent, Membership
from workspaces.roles import Role

AUDIT = "/w/acme/audit/"


def event(workspace, action: str = "member.role_change", actor: str = "adam@example.com", **kw):
    return AuditEvent.objects.create(
        workspace=workspace, actor_label=actor, action=action, target_label="x", **kw
    )


def rows(response) -> int:
    return text(response).count("<tr>") - 1  # minus the header row


def listed(response) -> str:
    """The words of the events table only (the action filter lists every action too)."""
    body = text(response).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_it_lists_what_happened_with_actor_and_before_after(alice_client, alice, bob):
    membership = Membership.objects.get(user=bob)
    alice_client.post(f"/w/acme/members/{membership.pk}/role/", {"role": Role.ADMIN})

    response = alice_client.get(AUDIT)

    assert response.status_code == 200
    page = words(response)
    assert "alice@example.com member.role_change bob@example.com" in page
    assert "role: editor → admin" in page


def test_membership_invitation_and_key_changes_are_all_recorded(
    alice_client, adam_client, bob, django_capture_on_commit_callbacks
):
    bob_membership = Membership.objects.get(user=bob)
    alice_client.post(f"/w/acme/members/{bob_membership.pk}/role/", {"role": Role.VIEWER})
    with django_capture_on_commit_callbacks(execute=True):
        adam_client.post("/w/acme/invitations/", {"email": "new@example.com", "role": "editor"})
    adam_client.post("/w/acme/api-keys/", {"name": "ci", "role": "viewer"})
    alice_client.post(f"/w/acme/members/{bob_membership.pk}/remove/")

    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label"))

    assert actions == [
        ("member.role_change", "alice@example.com"),
        ("invitation.create", "adam@example.com"),
        ("api_key.create", "adam@example.com"),
        ("member.remove", "alice@example.com"),
    ]


def test_it_filters_by_actor(alice_client, acme):
    event(acme, actor="adam@example.com", action="api_key.create")
    event(acme, actor="alice@example.com", action="member.remove")

    response = alice_client.get(AUDIT, {"actor": "ADAM"})

    assert rows(response) == 1
    assert "api_key.create" in listed(response)
    assert "member.remove" not in listed(response)


def test_it_filters_by_action(alice_client, acme):
    event(acme, action="api_key.create")
    event(acme, action="member.remove")

    response = alice_client.get(AUDIT, {"action": "member.remove"})

    assert rows(response) == 1
    assert '<option value="member.remove" selected>' in text(response)


def test_it_filters_by_date(alice_client, acme):
    def at(day: int):
        return timezone.make_aware(datetime(2025, 3, day, 12))  # noqa: DTZ001

    for day, action in [(1, "first.thing"), (10, "middle.thing"), (20, "last.thing")]:
        event(acme, action=action, at=at(day))

    response = alice_client.get(AUDIT, {"since": "2025-03-05", "until": "2025-03-10"})

    assert rows(response) == 1
    assert "middle.thing" in listed(response)


def test_it_refuses_a_malformed_date_by_the_field(alice_client, acme):
    response = alice_client.get(AUDIT, {"since": "yesterday"})

    assert response.status_code == 400
    assert field_error(response, "since") == "Enter a valid date."


def test_it_explains_when_nothing_matches(alice_client, acme):
    event(acme)

    response = alice_client.get(AUDIT, {"actor": "nobody"})

    assert "No events match these filters" in text(response)


def test_it_is_paginated_newest_first(alice_client, acme):
    start = timezone.now() - timedelta(days=1)
    for n in range(60):
        event(acme, action=f"thing.{n:02d}", at=start + timedelta(minutes=n))

    first = alice_client.get(AUDIT)
    second = alice_client.get(AUDIT, {"page": 2})

    assert rows(first) == 50
    assert "Page 1 of 2" in text(first)
    assert listed(first).index("thing.59") < listed(first).index("thing.58")
    assert "thing.09" not in listed(first)
    assert rows(second) == 10
    assert "thing.00" in listed(second)
    assert "thing.59" not in listed(second)


def test_pagination_keeps_the_filters(alice_client, acme):
    for _ in range(55):
        event(acme, action="api_key.create")

    response = alice_client.get(AUDIT, {"action": "api_key.create"})

    assert "?action=api_key.create&amp;page=2" in response.content.decode()


def test_it_shows_only_this_workspaces_events(alice_client, acme, globex):
    event(globex, action="globex.secret")

    assert "globex.secret" not in text(alice_client.get(AUDIT))  # nor in the action filter


@pytest.mark.parametrize("count", [5, 60])
def test_it_runs_the_same_queries_however_many_events(alice_client, acme, assert_queries, count):
    for _ in range(count):
        event(acme)

    # session, user, membership, actions for the filter, count, page of events, switcher
    with assert_queries(7):
        response = alice_client.get(AUDIT)

    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["bob_client", "vera_client"])
def test_editors_and_viewers_get_403(request, persona):
    assert request.getfixturevalue(persona).get(AUDIT).status_code == 403


def test_an_outsider_gets_404(charlie_client, acme):
    assert charlie_client.get(AUDIT).status_code == 404
