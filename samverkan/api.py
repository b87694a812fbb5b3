"""The API at /api/v1/: session auth for the browser, bearer API keys for systems.

Each app adds its router here; handlers are thin and call the app's selectors and services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from samverkan.apiauth import ApiKeyAuth, VerifiedSessionAuth
from samverkan.capacity.api import router as capacity_router
from samverkan.flow.api import router as flow_router
from samverkan.organisations.api import router as organisations_router
from samverkan.placements.api import router as placements_router

api = NinjaAPI(
    title="Samverkan API",
    version="1",
    description="Care transitions between a region and its municipalities. All figures and rules as in the web interface.",
    urls_namespace="api",
    auth=[ApiKeyAuth(), VerifiedSessionAuth()],
)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": "You may not do this with your role."}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found, or not visible to you."}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(
        request,
        {"detail": "Log in, or send an API key as 'Authorization: Bearer <key>'."},
        status=401,
    )


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return api.create_response(request, {"detail": exc.messages}, status=422)


api.add_router("", organisations_router)
api.add_router("", capacity_router)
api.add_router("", placements_router)
api.add_router("", flow_router)
