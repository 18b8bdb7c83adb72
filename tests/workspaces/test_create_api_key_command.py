import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from workspaces.models import ApiKey, AuditEvent, hash_token


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def test_it_prints_both_keys_on_one_line_and_the_key_works(client, acme):
    output = run("--workspace", "acme", "--name", "ci", "--role", "viewer")

    assert re.fullmatch(r"pk-[0-9a-f]{32} sk-[A-Za-z0-9_-]{20,}\n", output)
    public, secret = output.split()
    api_key = ApiKey.objects.get()
    assert (api_key.public_key, api_key.secret_hash) == (public, hash_token(secret))
    assert api_key.role == "viewer"
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json() == {
        "workspace": "acme",
        "workspace_name": "Acme",
        "role": "viewer",
        "key_name": "ci",
    }


def test_it_defaults_to_the_editor_role(acme):
    run("--workspace", "acme", "--name", "ci")

    assert ApiKey.objects.get().role == "editor"


def test_it_is_audited_as_the_system(acme):
    run("--workspace", "acme", "--name", "ci")

    event = AuditEvent.objects.get(action="api_key.create")
    assert event.actor_user is None
    assert event.actor_label == "system"


def test_it_refuses_an_unknown_workspace(db):
    with pytest.raises(CommandError, match="No workspace with the slug 'nowhere'"):
        run("--workspace", "nowhere", "--name", "ci")

    assert not ApiKey.objects.exists()


def test_it_refuses_an_unknown_role(acme):
    with pytest.raises(CommandError):
        run("--workspace", "acme", "--name", "ci", "--role", "root")
