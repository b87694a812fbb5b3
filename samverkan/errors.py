"""The site's error pages: a page in the site's layout, or under /api/ the API's JSON error (samverkan/api.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from samverkan import api


def _for_api(request: HttpRequest) -> bool:
    return request.path.startswith(api.PATH)


def error_400(request: HttpRequest, exception=None) -> HttpResponse:
    if _for_api(request):
        return api.error_response(request, 400)
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    if _for_api(request):
        return api.error_response(request, 404)
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _for_api(request):
        return api.error_response(request, 500)
    # Rendered without the request context: the error may come from a context processor.
    return render(None, "500.html", status=500)
