"""Operator probes: /healthz (the process answers) and /readyz (database and broker reachable)."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return f"database: {error.__class__.__name__}"
    return None


def _broker_ok() -> str | None:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            # One attempt: a retry would sleep 2 s first, longer than a probe waits.
            conn.ensure_connection(max_retries=0, timeout=2)
    except Exception as error:  # noqa: BLE001
        return f"broker: {error.__class__.__name__}"
    return None


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    problems = [p for p in (_database_ok(), _broker_ok()) if p]
    body = {
        "status": "ok" if not problems else "unavailable",
        "problems": problems,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }
    return JsonResponse(body, status=200 if not problems else 503)
