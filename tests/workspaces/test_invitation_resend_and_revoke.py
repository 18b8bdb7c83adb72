import pytest
from django.core import mail

from tests.accounts.html import text
from tests.workspaces.invitations import INVITATIONS, invite, link_in
from workspaces.models import AuditEvent, Invitation


@pytest.fixture
def sent(adam_client, django_capture_on_commit_callbacks):
    """An invitation adam sent to new@example.com, and its link."""
    _, link = invite(adam_client, django_capture_on_commit_callbacks, "new@example.com")
    return Invitation.objects.get(), link


def resend(client, invitation, capture):
    with capture(execute=True):
        return client.post(f"/w/acme/invitations/{invitation.pk}/resend/", follow=True)


def revoke(client, invitation):
    return client.post(f"/w/acme/invitations/{invitation.pk}/revoke/", follow=True)


def test_resending_sends_a_new_link_and_kills_the_old_one(
    client, adam_client, sent, django_capture_on_commit_callbacks
):
    invitation, old_link = sent

    response = resend(adam_client, invitation, django_capture_on_commit_callbacks)

    assert "the old one no longer works" in text(response)
    assert len(mail.outbox) == 2
    new_link = link_in(mail.outbox[1])
    assert new_link != old_link
    assert client.get(old_link).status_code == 404
    assert client.get(new_link).status_code == 200
    assert AuditEvent.objects.filter(action="invitation.resend").count() == 1


def test_revoking_kills_the_link(client, adam_client, adam, sent):
    invitation, link = sent

    response = revoke(adam_client, invitation)

    assert "was revoked" in text(response)
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert client.get(link).status_code == 404
    event = AuditEvent.objects.get(action="invitation.revoke")
    assert event.actor_user == adam
    assert event.target_label == "new@example.com"


def test_a_revoked_invitation_can_not_be_resent(
    adam_client, sent, django_capture_on_commit_callbacks
):
    invitation, _ = sent
    revoke(adam_client, invitation)

    response = resend(adam_client, invitation, django_capture_on_commit_callbacks)

    assert "no longer open" in text(response)
    assert len(mail.outbox) == 1
    assert Invitation.objects.get().token_hash == invitation.token_hash
    assert not AuditEvent.objects.filter(action="invitation.resend").exists()


@pytest.mark.parametrize("persona", ["bob_client", "vera_client"])
def test_editors_and_viewers_get_403(request, persona, sent, django_capture_on_commit_callbacks):
    invitation, _ = sent
    client = request.getfixturevalue(persona)

    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(f"/w/acme/invitations/{invitation.pk}/resend/")
    revoked = client.post(f"/w/acme/invitations/{invitation.pk}/revoke/")

    assert resent.status_code == revoked.status_code == 403
    now = Invitation.objects.get()
    assert now.status == "pending"
    assert (now.token_hash, now.sent_at) == (invitation.token_hash, invitation.sent_at)
    assert len(mail.outbox) == 1
    assert not AuditEvent.objects.filter(
        action__in=["invitation.resend", "invitation.revoke"]
    ).exists()


def test_an_outsider_gets_404_even_through_their_own_workspace(charlie_client, sent):
    invitation, _ = sent

    for slug in ["acme", "globex"]:
        assert (
            charlie_client.post(f"/w/{slug}/invitations/{invitation.pk}/revoke/").status_code == 404
        )
        assert (
            charlie_client.post(f"/w/{slug}/invitations/{invitation.pk}/resend/").status_code == 404
        )
    now = Invitation.objects.get()
    assert now.status == "pending"
    assert (now.token_hash, now.sent_at) == (invitation.token_hash, invitation.sent_at)
    assert len(mail.outbox) == 1
    assert not AuditEvent.objects.filter(
        action__in=["invitation.resend", "invitation.revoke"]
    ).exists()


def test_the_list_offers_resend_and_revoke(adam_client, sent):
    invitation, _ = sent

    page = text(adam_client.get(INVITATIONS))

    assert f"/w/acme/invitations/{invitation.pk}/resend/" in page
    assert f"/w/acme/invitations/{invitation.pk}/revoke/" in page
