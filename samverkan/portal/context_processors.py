"""The navigation: which entries a user sees follows from the policy, never from the template.

Entries are grouped under a few headings (HTML `details` disclosures: opened and closed with the
keyboard, no script), so that the header stays on one line at 1 366 px."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from samverkan.accounts.models import Notification
from samverkan.organisations import policy


@dataclass
class NavItem:
    label: str
    url: str = ""
    current: bool = False
    children: list[NavItem] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return bool(self.children)


def _entries(user) -> list[tuple[str, list[tuple[str, str | Promise]]]]:
    """(label, [(url name, label), …]): a group with more than one entry becomes a disclosure."""
    flow: list[tuple[str, str | Promise]] = [
        ("flow:statistics", _("Patient flow")),
        ("forecasting:index", _("Forecasts")),
    ]
    if policy.can(user, "followup.liability_totals"):
        flow.append(("followup:liability", _("Follow-up")))
    more: list[tuple[str, str | Promise]] = [("organisations:list", _("Organisations"))]
    if policy.can(user, "audit.review"):
        more.append(("review:review", _("Audit log")))
    if policy.can(user, "accounts.manage_api_keys"):
        more.append(("accounts:api_keys", _("API keys")))
    if policy.can(user, "organisations.use_admin_site"):
        more.append(("admin:index", _("Administration")))
    return [
        (str(_("Home")), [("portal:home", _("Home"))]),
        (
            str(_("Places")),
            [
                ("capacity:overview", _("Capacity")),
                ("placements:list", _("Place requests")),
                ("resources:overview", _("Resources")),
            ],
        ),
        (str(_("Patient flow")), flow),
        (str(_("Situation report")), [("situation:home", _("Situation report"))]),
        (str(_("Forums")), [("meetings:index", _("Forums"))]),
        (str(_("More")), more),
    ]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path

    def item(name: str, label: str | Promise) -> NavItem:
        url = reverse(name)
        return NavItem(str(label), url, path == url if url == "/" else path.startswith(url))

    nav = []
    for heading, entries in _entries(user):
        links = [item(name, label) for name, label in entries]
        if len(links) == 1:
            nav.append(links[0])
        else:
            nav.append(NavItem(heading, current=any(link.current for link in links), children=links))
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {"nav_items": nav, "unread_notifications": unread}
