from __future__ import annotations

from django.contrib.auth import logout
from django.shortcuts import redirect

from samverkan.organisations import policy


class RequireSecondFactorMiddleware:
    """A session whose user needs a second factor but has not given one is ended.

    The login view only logs such users in after the code, so this catches a role that was
    granted during a session (the user must then log in again with the second factor)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and policy.requires_second_factor(user):
            logout(request)
            return redirect("accounts:login")
        return self.get_response(request)
