"""Sending invitations in tests: the email leaves on commit, so run the on-commit callbacks."""

import re

from django.core import mail

INVITATIONS = "/w/acme/invitations/"


def link_in(message) -> str:
    match = re.search(r"http://testserver(/invitations/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def invite(client, capture, email: str, role: str = "editor", slug: str = "acme"):
    """Post the invitation form; returns (response, link or None)."""
    sent_before = len(mail.outbox)
    with capture(execute=True):
        response = client.post(f"/w/{slug}/invitations/", {"email": email, "role": role})
    new = mail.outbox[sent_before:]
    return response, (link_in(new[-1]) if new else None)
