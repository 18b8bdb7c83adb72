"""A key whose creator's account is deleted only reads (issue 7, item 4).

`created_by` is SET_NULL, and the creator's cap used to apply only while it was set: deleting
the account gave the key its full role back. Operator keys (manage.py create_api_key) have no
creator by design and keep theirs.
"""

import json

from django.core.management import call_command

from promptregistry.models import Prompt
from workspaces import services
from workspaces.models import ApiKey
from workspaces.principal import Principal
from workspaces.roles import Role

CREATE = {"name": "from-ci", "type": "text", "content": {"text": "hi"}}


def post(client, secret: str, path: str, body: dict):
    return client.post(
        path,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def test_a_key_whose_creator_account_is_deleted_can_only_read(client, acme, adam):
    creator = Principal(workspace=acme, role=Role.ADMIN, user=adam)
    api_key, secret = services.api_key_create(principal=creator, name="deploy", role=Role.EDITOR)
    assert post(client, secret, "/api/v1/prompts", {**CREATE, "name": "before"}).status_code == 201

    adam.delete()

    api_key.refresh_from_db()
    assert api_key.created_by is None and not api_key.issued_by_operator
    refused = post(client, secret, "/api/v1/prompts", CREATE)
    assert refused.status_code == 403
    assert not Prompt.objects.filter(name="from-ci").exists()
    read = client.get("/api/v1/prompts", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert read.status_code == 200
    assert [p["name"] for p in read.json()["items"]] == ["before"]


def test_an_operator_key_keeps_its_role(client, acme, capsys):
    call_command("create_api_key", workspace="acme", name="ops", role=Role.EDITOR)
    secret = capsys.readouterr().out.split()[1]

    assert ApiKey.objects.get(name="ops").issued_by_operator
    assert post(client, secret, "/api/v1/prompts", CREATE).status_code == 201
    assert Prompt.objects.filter(name="from-ci").exists()
