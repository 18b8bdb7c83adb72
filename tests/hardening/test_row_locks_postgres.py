"""What rests on PostgreSQL row locks, tested with real concurrent transactions (issue 7,
item 9). Each test holds one transaction open in a thread at the point that matters, starts
the competing one in another, shows it waits, then lets the first commit.

Runs in .ci/run (DATABASE_URL points at PostgreSQL); skipped on SQLite, which has no row locks.
"""

import os
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from promptregistry import services
from promptregistry.models import PromptVersion
from tests.promptregistry.factories import make_prompt, principal_for
from workspaces import services as workspace_services
from workspaces.models import Invitation, Membership
from workspaces.roles import Role

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="row locks need PostgreSQL (DATABASE_URL)",
    ),
]

WAIT = 10  # seconds any step may take before the test gives up (never reached when it works)


class Step(threading.Thread):
    """Runs `work` in its own database connection and keeps its result or exception."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work = work
        self.result = self.error = None

    def run(self):
        try:
            self.result = self.work()
        except Exception as error:  # the test inspects it
            self.error = error
        finally:
            connection.close()


def hold_open(work, done: threading.Event, release: threading.Event) -> Step:
    """A transaction that runs `work`, says so, and commits only when released."""

    def run():
        with transaction.atomic():
            result = work()
            done.set()
            assert release.wait(WAIT)
        return result

    return Step(run)


def race(first, second) -> tuple[Step, Step]:
    """`first` runs and holds its transaction; `second` starts and must wait for it."""
    done, release = threading.Event(), threading.Event()
    holder = hold_open(first, done, release)
    holder.start()
    assert done.wait(WAIT)
    waiter = Step(second)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive(), "the second transaction did not wait for the first one's lock"
    release.set()
    holder.join(WAIT)
    waiter.join(WAIT)
    assert not holder.is_alive() and not waiter.is_alive()
    assert holder.error is None, holder.error
    return holder, waiter


@pytest.fixture
def triage(acme, alice):
    return make_prompt(acme, "support/triage", by=alice)


def save(acme, user, prompt, text: str, base_number: int | None):
    return lambda: services.prompt_version_create(
        principal=principal_for(acme, user),
        prompt=prompt,
        version_content={
            "messages": [{"role": "system", "content": text}, {"role": "user", "content": "x"}]
        },
        base_number=base_number,
    )


def test_two_editors_saving_on_the_same_version_at_once_get_one_save_and_one_conflict(
    acme, alice, bob, triage
):
    first, second = race(
        save(acme, alice, triage, "Alice's words", base_number=1),
        save(acme, bob, triage, "Bob's words", base_number=1),
    )

    assert first.result.number == 2
    assert isinstance(second.error, services.StaleVersionError)
    assert second.error.newer.number == 2
    versions = PromptVersion.objects.filter(prompt=triage).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].content["messages"][0]["content"] == "Alice's words"


def test_two_saves_without_a_base_version_at_once_are_numbered_one_after_the_other(
    acme, alice, bob, triage
):
    first, second = race(
        save(acme, alice, triage, "Alice's words", base_number=None),
        save(acme, bob, triage, "Bob's words", base_number=None),
    )

    assert second.error is None, second.error
    assert (first.result.number, second.result.number) == (2, 3)
    triage.refresh_from_db()
    assert triage.latest_version_number == 3


@pytest.fixture
def invitation(acme, alice):
    invitation = Invitation(
        workspace=acme, email="nina@example.com", role=Role.EDITOR, invited_by=alice
    )
    token = invitation.new_token()
    invitation.save()
    return invitation, token


@pytest.fixture
def nina(db):
    from tests.factories import UserFactory

    return UserFactory(email="nina@example.com", name="Nina")


def test_revoking_an_invitation_while_it_is_being_accepted_is_refused(
    acme, alice, invitation, nina
):
    pending, token = invitation
    stale_copy = Invitation.objects.get(pk=pending.pk)  # what the revoke page loaded

    accepted, revoked = race(
        lambda: workspace_services.invitation_accept(token=token, user=nina),
        lambda: workspace_services.invitation_revoke(
            principal=principal_for(acme, alice), invitation=stale_copy
        ),
    )

    assert isinstance(revoked.error, ValidationError)
    pending.refresh_from_db()
    assert pending.accepted_at is not None
    assert pending.revoked_at is None
    assert Membership.objects.filter(workspace=acme, user=nina, role=Role.EDITOR).exists()


def test_accepting_an_invitation_while_it_is_being_revoked_is_refused(
    acme, alice, invitation, nina
):
    pending, token = invitation

    revoked, accepted = race(
        lambda: workspace_services.invitation_revoke(
            principal=principal_for(acme, alice), invitation=Invitation.objects.get(pk=pending.pk)
        ),
        lambda: workspace_services.invitation_accept(token=token, user=nina),
    )

    assert isinstance(accepted.error, ValidationError)
    pending.refresh_from_db()
    assert pending.revoked_at is not None and pending.accepted_at is None
    assert not Membership.objects.filter(workspace=acme, user=nina).exists()


def test_resending_an_invitation_while_it_is_being_accepted_is_refused(
    acme, alice, invitation, nina
):
    pending, token = invitation
    stale_copy = Invitation.objects.get(pk=pending.pk)
    link_before = pending.token_hash

    accepted, resent = race(
        lambda: workspace_services.invitation_accept(token=token, user=nina),
        lambda: workspace_services.invitation_resend(
            principal=principal_for(acme, alice), invitation=stale_copy, site_url="http://x"
        ),
    )

    assert isinstance(resent.error, ValidationError)
    pending.refresh_from_db()
    assert pending.accepted_at is not None
    assert pending.token_hash == link_before  # no new link was sent for a used invitation
