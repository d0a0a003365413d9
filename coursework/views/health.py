"""/health/: 200 when every dependency answers, 503 naming the ones that do not."""
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from ..services import health


@never_cache
def health_view(request):
    report = health.check()
    healthy = all(state == "ok" for state in report.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": report}, status=200 if healthy else 503)
