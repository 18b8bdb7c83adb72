import pytest

from config.celery import app as celery_app


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_the_database_and_broker_reachable(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["problems"] == []


@pytest.mark.django_db
def test_readyz_reports_503_when_the_broker_is_unreachable(client, monkeypatch):
    # Port 9 (discard) is closed on test machines: the connection is refused at once.
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["problems"][0].startswith("broker:")


def test_health_probes_refuse_writes(client):
    assert client.post("/healthz").status_code == 405


def test_readyz_reports_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import OperationalError

    from config import health

    class DownConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", DownConnection())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert "database: OperationalError" in response.json()["problems"]
