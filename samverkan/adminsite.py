"""The admin pages, opened to the policy's administrators (the admin role or a superuser)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SamverkanAdminSite(admin.AdminSite):
    site_header = _("Samverkan administration")
    site_title = "Samverkan"
    index_title = _("Users, organisations and reference data")

    def has_permission(self, request):
        from samverkan.organisations import policy

        return request.user.is_active and policy.scope_of(request.user).is_admin

    def login(self, request, extra_context=None):
        """The admin pages log in through Samverkan's own login, with its second factor."""
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
