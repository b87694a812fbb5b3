"""The navigation: which entries a user sees follows from the policy, never from the template."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samverkan.accounts.models import Notification
from samverkan.organisations import policy


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        ("portal:home", _("Home")),
        ("capacity:overview", _("Capacity")),
        ("placements:list", _("Place requests")),
        ("flow:statistics", _("Patient flow")),
        ("forecasting:index", _("Forecasts")),
        ("resources:overview", _("Resources")),
        ("meetings:index", _("Forums")),
        ("organisations:list", _("Organisations")),
    ]
    if policy.can(user, "followup.liability_totals"):
        items.append(("followup:liability", _("Follow-up")))
    if policy.can(user, "audit.review"):
        items.append(("review:review", _("Audit log")))
    if policy.can(user, "accounts.manage_api_keys"):
        items.append(("accounts:api_keys", _("API keys")))
    path = request.path
    nav = []
    for name, label in items:
        url = reverse(name)
        current = path == url if url == "/" else path.startswith(url)
        nav.append({"url": url, "label": label, "current": current})
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {
        "nav_items": nav,
        "show_admin_link": policy.can(user, "organisations.use_admin_site"),
        "unread_notifications": unread,
    }
