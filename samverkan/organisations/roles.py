"""The roles a membership or API key gives, and the kinds of organisation that can hold them.

Plain choices without models, so that the policy (which every app imports) depends on nothing
but this module (docs/architecture.md, "Layers")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A membership gives a user one role in one organisation (docs/architecture.md, "Authorisation")."""

    ADMIN = "admin", _("Administrator")
    REGION_COORDINATOR = "region_coordinator", _("Region coordinator")
    MUNICIPAL_COORDINATOR = "municipal_coordinator", _("Municipal coordinator")
    UNIT_STAFF = "unit_staff", _("Unit staff")
    FORUM_SECRETARY = "forum_secretary", _("Forum secretary")
    VIEWER = "viewer", _("Viewer")


class OrganisationKind(models.TextChoices):
    REGION = "region", _("Region")
    MUNICIPALITY = "municipality", _("Municipality")
    PROVIDER = "provider", _("Private provider")


# Which roles an organisation of each kind can hold: a municipality holds no region role, a
# region no municipal one, a private provider neither. A grant whose role does not fit its
# organisation's kind gives no rights, whatever the database holds.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.REGION: frozenset(
        {Role.ADMIN, Role.REGION_COORDINATOR, Role.UNIT_STAFF, Role.FORUM_SECRETARY, Role.VIEWER}
    ),
    OrganisationKind.MUNICIPALITY: frozenset(
        {Role.MUNICIPAL_COORDINATOR, Role.UNIT_STAFF, Role.FORUM_SECRETARY, Role.VIEWER}
    ),
    OrganisationKind.PROVIDER: frozenset({Role.UNIT_STAFF, Role.VIEWER}),
}

# The roles an API key can act with (a system acts as a coordinator of its organisation).
KEY_ROLES = frozenset({Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR})


def role_fits(kind: str, role: str) -> bool:
    """Can an organisation of this kind hold this role?"""
    return role in ROLES_BY_KIND.get(kind, frozenset())
