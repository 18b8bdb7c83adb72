"""Log storage settings: what the request log keeps and for how long."""

from gateway.models import GatewaySettings
from tests.accounts.html import field_error, text, words
from workspaces.models import AuditEvent

URL = "/w/acme/settings/logs/"


def test_an_outsider_gets_404(charlie_client, acme):
    assert charlie_client.get(URL).status_code == 404
    assert charlie_client.post(URL, {"store_content": "none"}).status_code == 404


def test_a_viewer_reads_the_settings_and_gets_403_changing_them(vera_client, acme):
    page = vera_client.get(URL)
    response = vera_client.post(URL, {"store_content": "none", "retention_days": "1"})

    assert page.status_code == 200
    assert "In full" in words(page) and "Until the workspace is deleted" in words(page)
    assert "<form" not in text(page).split('id="content"')[1]
    assert response.status_code == 403
    assert not GatewaySettings.objects.exists()
    assert not AuditEvent.objects.filter(action="gateway_settings.update").exists()


def test_an_admin_sets_redaction_and_a_retention_period(adam_client, acme):
    response = adam_client.post(URL, {"store_content": "redacted", "retention_days": "30"})

    assert response.status_code == 302
    settings = GatewaySettings.objects.get(workspace=acme)
    assert (settings.store_content, settings.retention_days) == ("redacted", 30)
    event = AuditEvent.objects.get(action="gateway_settings.update")
    assert event.data["after"] == {"store_content": "redacted", "retention_days": 30}
    assert "changed what the request log keeps" in words(adam_client.get("/w/acme/audit/"))


def test_an_empty_retention_keeps_calls(adam_client, acme):
    adam_client.post(URL, {"store_content": "full", "retention_days": ""})

    assert GatewaySettings.objects.get().retention_days is None


def test_bad_input_is_shown_and_nothing_changes(adam_client, acme):
    response = adam_client.post(URL, {"store_content": "everything", "retention_days": "0"})

    assert response.status_code == 400
    assert field_error(response, "store_content") and field_error(response, "retention_days")
    assert not GatewaySettings.objects.exists()
