from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.accounts.html import field_error, field_html, text
from tests.workspaces.invitations import INVITATIONS, invite, token_of
from workspaces.models import AuditEvent, Invitation, hash_token
from workspaces.roles import Role


def test_it_shows_the_form_and_open_invitations(adam_client, acme):
    response = adam_client.get(INVITATIONS)

    assert response.status_code == 200
    assert "Invite someone" in text(response)
    assert "No open invitations" in text(response)


def test_an_admin_invites_by_email(adam_client, adam, django_capture_on_commit_callbacks):
    response, link = invite(adam_client, django_capture_on_commit_callbacks, "New@Example.com")

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new@example.com"
    assert invitation.role == Role.EDITOR
    assert invitation.invited_by == adam
    assert invitation.status == "pending"
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    assert "Acme" in message.subject
    assert link == f"/invitations/{token_of(link)}/"
    assert "Invitation sent to new@example.com." in text(adam_client.get(INVITATIONS))
    event = AuditEvent.objects.get(action="invitation.create")
    assert event.actor_user == adam
    assert event.data == {"after": {"email": "new@example.com", "role": "editor"}}


def test_only_a_hash_of_the_link_token_is_stored(adam_client, django_capture_on_commit_callbacks):
    _, link = invite(adam_client, django_capture_on_commit_callbacks, "new@example.com")
    token = token_of(link)

    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(token)
    stored = Invitation.objects.values().get()
    assert not any(token in str(value) for value in stored.values())
    assert not AuditEvent.objects.filter(data__icontains=token).exists()
    assert token not in text(adam_client.get(INVITATIONS))


def test_the_link_expires_in_seven_days(adam_client, django_capture_on_commit_callbacks):
    invite(adam_client, django_capture_on_commit_callbacks, "new@example.com")

    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)


def test_an_admin_can_not_invite_an_owner(adam_client, django_capture_on_commit_callbacks):
    response, link = invite(
        adam_client, django_capture_on_commit_callbacks, "new@example.com", "owner"
    )

    assert response.status_code == 400
    assert "not one of the available choices" in field_error(response, "role")
    assert 'value="new@example.com"' in field_html(response, "email")
    assert link is None
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="invitation.create").exists()


def test_an_owner_can_invite_an_owner(alice_client, django_capture_on_commit_callbacks):
    response, link = invite(
        alice_client, django_capture_on_commit_callbacks, "co@example.com", "owner"
    )

    assert response.status_code == 302
    assert Invitation.objects.get().role == Role.OWNER
    assert link


def test_it_refuses_a_second_pending_invitation_by_the_field(
    adam_client, django_capture_on_commit_callbacks
):
    invite(adam_client, django_capture_on_commit_callbacks, "new@example.com")

    response, link = invite(adam_client, django_capture_on_commit_callbacks, "NEW@example.com")

    assert response.status_code == 400
    assert "already has a pending invitation" in field_error(response, "email")
    assert link is None
    first = Invitation.objects.get()
    assert (first.email, first.status, first.revoked_at) == ("new@example.com", "pending", None)
    assert AuditEvent.objects.filter(action="invitation.create").count() == 1
    assert len(mail.outbox) == 1


def test_an_expired_invitation_makes_way_for_a_new_one(
    adam_client, django_capture_on_commit_callbacks
):
    invite(adam_client, django_capture_on_commit_callbacks, "new@example.com")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response, link = invite(adam_client, django_capture_on_commit_callbacks, "new@example.com")

    assert response.status_code == 302
    assert link
    statuses = sorted(invitation.status for invitation in Invitation.objects.all())
    assert statuses == ["pending", "revoked"]


def test_it_refuses_to_invite_a_member_by_the_field(
    adam_client, bob, django_capture_on_commit_callbacks
):
    response, link = invite(adam_client, django_capture_on_commit_callbacks, "Bob@example.com")

    assert response.status_code == 400
    assert "already a member" in field_error(response, "email")
    assert link is None
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="invitation.create").exists()


def test_it_refuses_a_malformed_email(adam_client, django_capture_on_commit_callbacks):
    response, _ = invite(adam_client, django_capture_on_commit_callbacks, "not an email")

    assert response.status_code == 400
    assert field_error(response, "email") == "Enter a valid email address."
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="invitation.create").exists()
    assert mail.outbox == []


def test_the_all_tab_shows_accepted_and_revoked_invitations(adam_client, acme):
    for email, revoked in [("open@example.com", None), ("gone@example.com", timezone.now())]:
        invitation = Invitation(workspace=acme, email=email, revoked_at=revoked)
        invitation.new_token()
        invitation.save()

    open_tab = adam_client.get(INVITATIONS)
    all_tab = adam_client.get(INVITATIONS, {"show": "all"})

    assert "open@example.com" in text(open_tab)
    assert "gone@example.com" not in text(open_tab)
    assert "gone@example.com" in text(all_tab)
    assert "Revoked" in text(all_tab)


@pytest.mark.parametrize("persona", ["bob_client", "vera_client"])
def test_editors_and_viewers_get_403(request, persona, django_capture_on_commit_callbacks):
    client = request.getfixturevalue(persona)

    assert client.get(INVITATIONS).status_code == 403
    response, link = invite(client, django_capture_on_commit_callbacks, "new@example.com")
    assert response.status_code == 403
    assert link is None
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="invitation.create").exists()


def test_an_outsider_gets_404(charlie_client, acme, django_capture_on_commit_callbacks):
    assert charlie_client.get(INVITATIONS).status_code == 404
    response, _ = invite(charlie_client, django_capture_on_commit_callbacks, "new@example.com")
    assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="invitation.create").exists()
    assert mail.outbox == []


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_however_many_invitations(
    adam_client, adam, acme, assert_queries, count
):
    for n in range(count):
        invitation = Invitation(workspace=acme, email=f"p{n}@example.com", invited_by=adam)
        invitation.new_token()
        invitation.save()

    # session, user, membership, count, page of invitations with inviters, switcher
    with assert_queries(6):
        response = adam_client.get(INVITATIONS)

    assert response.status_code == 200
