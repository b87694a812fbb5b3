"""The admin pages, opened to the policy's administrators (the admin role or a superuser)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from samverkan.organisations import policy


class SamverkanAdminSite(admin.AdminSite):
    site_header = _("Samverkan administration")
    site_title = "Samverkan"
    index_title = _("Users, organisations and reference data")

    def has_permission(self, request):
        return request.user.is_active and policy.can(request.user, "organisations.use_admin_site")

    def login(self, request, extra_context=None):
        """The admin pages log in through Samverkan's own login, with its second factor."""
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = reverse("admin:index")
        if request.user.is_authenticated:
            if not self.has_permission(request):
                raise PermissionDenied
            return redirect(target)
        return redirect_to_login(target, reverse("accounts:login"))
