"""For operators: /health/ (readiness: 200 when every dependency answers, 503 naming the ones
that do not), /health/live/ (liveness) and /metrics (Prometheus's text format)."""
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache

from ..services import health, metrics


@never_cache
def health_view(request):
    """Readiness: 200 when every dependency a request needs answers, 503 naming those that do
    not. The workers, MNIST and the media disk's room are reported beside the checks and
    never fail it (services/health.py)."""
    report = health.check()
    healthy = all(state == "ok" for state in report.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": report, **health.notes()},
                        status=200 if healthy else 503)


@never_cache
def live_view(request):
    """Liveness: this process answers requests (nothing else is asked, so a database outage
    does not get every web process restarted)."""
    return JsonResponse({"status": "ok"})


def _may_scrape(request) -> bool:
    """With METRICS_TOKEN set, the scraper sends it as a bearer token; without, only this host
    may ask (the figures say how busy the course is, which is nobody else's business)."""
    if settings.METRICS_TOKEN:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), settings.METRICS_TOKEN.encode())
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@never_cache
def metrics_view(request):
    if not _may_scrape(request):
        return HttpResponseForbidden("Set METRICS_TOKEN and send it as a bearer token, or ask from this host.",
                                     content_type="text/plain")
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)
