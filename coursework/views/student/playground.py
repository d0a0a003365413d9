"""The draw-a-digit playground: a page to draw on, and the endpoint it asks as the student draws."""
import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from ...services import playground as service

MAX_BODY = 200_000  # a 280 x 280 drawing is 78,400 bytes, about 105,000 in base64


@login_required
def playground(request):
    return render(request, "coursework/playground.html", {"network": service.reference_description()})


@login_required
@require_POST
def predict(request):
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": f"The drawing is larger than {MAX_BODY:,} bytes."}, status=413)
    try:
        asked = json.loads(request.body)
        if isinstance(asked, dict) and asked.get("sample"):
            return JsonResponse(service.test_digit())
        drawing = asked["drawing"]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": 'Send JSON with "drawing": a square of greyscale bytes in base64.'}, status=400)
    try:
        return JsonResponse(service.read_drawing(drawing))
    except service.DrawingRefused as refused:
        return JsonResponse({"error": str(refused)}, status=400)
