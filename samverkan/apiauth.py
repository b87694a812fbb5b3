"""How API requests authenticate, and who they act as."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from samverkan.accounts.services import api_key_authenticate


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`; the request then acts as the key (see policy.principal_of)."""

    openapi_description = "An organisation's API key, created with manage.py create_api_key."

    def authenticate(self, request, token):
        key = api_key_authenticate(token)
        if key is not None:
            request.principal = key
        return key


class VerifiedSessionAuth(SessionAuth):
    """The browser's session (the second-factor middleware has already vetted it)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            request.principal = user
        return user
