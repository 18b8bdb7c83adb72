import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.accounts.html import field_error, text, words
from workspaces import audit
from workspaces.models import AuditEvent, Membership
from workspaces.roles import Role

AUDIT = "/w/acme/audit/"


def event(workspace, action: str = "member.role_change", actor: str = "adam@example.com", **kw):
    kw.setdefault("target_label", "x")
    return AuditEvent.objects.create(workspace=workspace, actor_label=actor, action=action, **kw)


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
    assert "alice@example.com changed the role of bob@example.com" in page
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
    assert "created the API key x" in listed(response)
    assert "removed x" not in listed(response)


def test_it_filters_by_action(alice_client, acme):
    event(acme, action="api_key.create")
    event(acme, action="member.remove")

    response = alice_client.get(AUDIT, {"action": "member.remove"})

    assert rows(response) == 1
    assert '<option value="member.remove" selected>Removed … from the workspace</option>' in text(
        response
    )


def test_it_filters_by_date(alice_client, acme):
    def at(day: int):
        return timezone.make_aware(datetime(2025, 3, day, 12))  # noqa: DTZ001

    for day, action in [(1, "first.thing"), (10, "middle.thing"), (20, "last.thing")]:
        event(acme, action=action, at=at(day))

    response = alice_client.get(AUDIT, {"since": "2025-03-05", "until": "2025-03-10"})

    assert rows(response) == 1
    assert "middle: thing" in listed(response)


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
    assert listed(first).index("thing: 59") < listed(first).index("thing: 58")
    assert "thing: 09" not in listed(first)
    assert rows(second) == 10
    assert "thing: 00" in listed(second)
    assert "thing: 59" not in listed(second)


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


def test_it_says_what_happened_in_words_not_codes(alice_client, acme):
    event(acme, action="label.move", target_label="support-bot@production",
          data={"before": {"version": 2}, "after": {"version": 3}})  # fmt: skip
    event(acme, action="api_key.revoke", target_label="ci (sk-abc…)")

    page = listed(alice_client.get(AUDIT))

    assert "pointed “production” of support-bot at version 3" in page
    assert "revoked the API key ci (sk-abc…)" in page
    assert "label.move" not in page
    assert "api_key.revoke" not in page


def recorded_actions() -> set[str]:
    """Every action code a service records, read from the source: literal codes on an
    `action=` line, plus the codes built from a variable, each listed here by hand."""
    root = Path(__file__).resolve().parents[2]
    found: set[str] = set()
    for app in ("accounts", "workspaces", "promptregistry", "gateway"):
        for path in (root / app).rglob("*.py"):
            source = path.read_text()
            if "audit.record(" not in source and "_relocate(" not in source:
                continue
            for line in source.splitlines():
                if "action=" not in line:
                    continue
                assert 'action=f"' not in line or line.strip() in BUILT, (path, line)
                found.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', line))
    return found | {f"label.{a}" for a in LABEL_ACTIONS} | {"folder.access", "prompt.access"}


# Codes built with f-strings: label.<LabelMove action> and <folder|prompt>.access.
BUILT = {'action=f"label.{action}",', 'action=f"{kind}.access",'}
LABEL_ACTIONS = ("move", "split", "promote", "abort", "remove")


def test_every_recorded_action_has_a_sentence():
    actions = recorded_actions()

    assert {"label.move", "member.role_change", "version.create"} <= actions
    assert sorted(actions - set(audit.SENTENCES)) == []


def test_label_actions_are_the_ones_label_history_records():
    from promptregistry.services import labels

    source = Path(labels.__file__).read_text()
    calls = re.findall(r"_history\(principal[^)]*\)", source)
    used = {word for call in calls for word in re.findall(r'"([a-z_]+)"', call)}
    assert used == set(LABEL_ACTIONS)


def test_versions_and_comments_read_as_version_n_of_the_prompt(alice_client, acme):
    event(acme, action="version.create", target_label="support/triage v3",
          data={"after": {"number": 3, "message": "Shorter", "restored_from": None}})  # fmt: skip
    event(acme, action="comment.create", target_label="support/triage v2")

    page = listed(alice_client.get(AUDIT))

    assert "saved version 3 of support/triage" in page
    assert "commented on version 2 of support/triage" in page
    assert "restored from" not in page  # a setting that stayed unset says nothing
