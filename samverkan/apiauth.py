"""How API requests authenticate, who they act as, and how often they may ask."""

from __future__ import annotations

import datetime
import threading
from typing import ClassVar

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import BaseThrottle

from samverkan.accounts import ratelimits
from samverkan.accounts.services import api_key_authenticate
from samverkan.clientip import client_ip


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


class _RateLimit(BaseThrottle):
    """One of the API's rate limits, a django-ninja throttle: ninja asks every operation's throttles
    after authentication and answers 429 with Retry-After when one refuses. The requests are
    counted in the database (accounts.ratelimits), so every app process counts the same; the rate
    is the setting named by `setting`, (count, seconds), read at each request."""

    scope: ClassVar[str]
    setting: ClassVar[str]

    def __init__(self) -> None:
        self._last = threading.local()  # ninja asks wait() right after allow_request(), in the same thread

    def ident(self, request: HttpRequest) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: HttpRequest) -> bool:
        ident = self.ident(request)
        limit, seconds = getattr(settings, self.setting)
        self._last.wait = (
            None
            if ident is None
            else ratelimits.take(self.scope, ident, limit=limit, window=datetime.timedelta(seconds=seconds))
        )
        return self._last.wait is None

    def wait(self) -> float | None:
        return getattr(self._last, "wait", None)


class PerKey(_RateLimit):
    """Per API key, or per user for the browser's session: API_RATE_PER_KEY."""

    scope = "api.key"
    setting = "API_RATE_PER_KEY"

    def ident(self, request: HttpRequest) -> str | None:
        principal = getattr(request, "principal", None)
        return None if principal is None else f"{principal._meta.label_lower}:{principal.pk}"


class PerAddress(_RateLimit):
    """Per client address (samverkan/clientip.py), whoever asks: API_RATE_PER_IP."""

    scope = "api.address"
    setting = "API_RATE_PER_IP"

    def ident(self, request: HttpRequest) -> str | None:
        return client_ip(request)
