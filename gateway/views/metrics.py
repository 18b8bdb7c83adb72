"""GET /metrics for Prometheus (gateway/metrics.py collects the numbers)."""

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..metrics import render_metrics


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Bearer-token protected; 404 while PROMPTOPS_METRICS_TOKEN is unset."""
    token = settings.PROMPTOPS_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set PROMPTOPS_METRICS_TOKEN.")
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
