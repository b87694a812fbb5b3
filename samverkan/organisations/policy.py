"""The authorisation policy: the one place that decides who may see and do what.

Everything a user (or an API key acting for an organisation) may do follows from their
memberships. Views and API handlers ask this module; querysets narrow themselves with
`visible_to(principal)`, which calls `scope_of` here. A membership or key counts only with a role
its organisation's kind can hold (`ROLES_BY_KIND`), and a key never acts with a role its creator
does not hold in that organisation (`api_key_roles`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from samverkan.organisations.models import OrganisationKind, Role

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

# Roles that must log in with a second factor.
SECOND_FACTOR_ROLES = frozenset({Role.ADMIN, Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR})
# Roles that may see who else is a member of their organisation.
MEMBER_MANAGERS = frozenset({Role.ADMIN, Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR})
# Roles that see a county's flow statistics exactly, for any period; everyone else sees whole weeks
# or months with rounded counts (docs/decisions/small-count-protection.md).
EXACT_COUNT_ROLES = frozenset({Role.ADMIN, Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR})

# Actions and the roles that may perform them within their county. Later apps add theirs here.
PERMISSIONS: dict[str, frozenset[str]] = {
    "audit.review": frozenset({Role.ADMIN, Role.REGION_COORDINATOR}),
    "organisations.view": frozenset(Role.values),
    "organisations.view_members": MEMBER_MANAGERS,
    "accounts.manage_api_keys": frozenset({Role.ADMIN, Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR}),
    "capacity.view": frozenset(Role.values),
    "capacity.report": frozenset({Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR, Role.UNIT_STAFF}),
    "capacity.follow_up": frozenset({Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR, Role.FORUM_SECRETARY}),
    "capacity.manage_schedule": frozenset({Role.REGION_COORDINATOR, Role.FORUM_SECRETARY}),
    "placements.view": frozenset(Role.values),
    "placements.request": frozenset({Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR, Role.UNIT_STAFF}),
    "placements.settlement": frozenset({Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR, Role.FORUM_SECRETARY}),
    "placements.confirm_escalation": frozenset({Role.REGION_COORDINATOR}),
    "flow.import": frozenset({Role.REGION_COORDINATOR}),
    "flow.episodes": frozenset({Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR}),
    "flow.statistics": frozenset(Role.values),
    "flow.exact_counts": EXACT_COUNT_ROLES,
}


@dataclass(frozen=True)
class Grant:
    """One membership reduced to what the policy needs."""

    organisation_id: int
    organisation_kind: str
    county_code: str
    municipality_code: str | None
    role: str
    unit_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """What a principal may reach: its grants, and whether it is a system administrator."""

    user_id: int | None
    grants: tuple[Grant, ...] = ()
    superuser: bool = False
    api_key_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.superuser or any(g.role == Role.ADMIN for g in self.grants)

    @property
    def county_codes(self) -> frozenset[str]:
        return frozenset(g.county_code for g in self.grants)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: str) -> bool:
        return self.is_admin or bool(self.roles.intersection(roles))

    def organisation_ids(self, roles: Iterable[str] | None = None) -> frozenset[int]:
        wanted = set(roles) if roles is not None else None
        return frozenset(g.organisation_id for g in self.grants if wanted is None or g.role in wanted)

    def counties_with_role(self, roles: Iterable[str]) -> frozenset[str]:
        wanted = set(roles)
        return frozenset(g.county_code for g in self.grants if g.role in wanted)


ANONYMOUS = Scope(user_id=None)


class SystemPrincipal:
    """Background work acting for the platform itself (reminders, imports run by a worker)."""

    is_authenticated = False
    _samverkan_scope = Scope(user_id=None, superuser=True)

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemPrincipal()


def role_fits(kind: str, role: str) -> bool:
    """Can an organisation of this kind hold this role?"""
    return role in ROLES_BY_KIND.get(kind, frozenset())


def require_role_fits(organisation, role: str) -> None:
    """Raise ValidationError (on `role`) unless `organisation`'s kind can hold `role`."""
    if not role_fits(organisation.kind, role):
        raise ValidationError(
            {
                "role": [
                    _("%(organisation)s is of the kind %(kind)s, which cannot hold the role %(role)s.")
                    % {
                        "organisation": organisation.name,
                        "kind": OrganisationKind(organisation.kind).label.lower(),
                        "role": Role(role).label.lower(),
                    }
                ]
            }
        )


def _grants(holdings) -> tuple[Grant, ...]:
    """Grants for (organisation, role, unit id) triples; a role the organisation's kind cannot hold gives none."""
    return tuple(
        Grant(
            organisation_id=organisation.id,
            organisation_kind=organisation.kind,
            county_code=organisation.county_id,
            municipality_code=organisation.municipality_id,
            role=role,
            unit_id=unit_id,
        )
        for organisation, role, unit_id in holdings
        if role_fits(organisation.kind, role)
    )


def scope_of(principal) -> Scope:
    """The scope of a user, an API key, or anonymous (None). Cached on the principal."""
    if principal is None:
        return ANONYMOUS
    cached = getattr(principal, "_samverkan_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(principal)
    with contextlib.suppress(AttributeError):
        principal._samverkan_scope = scope
    return scope


def _compute_scope(principal) -> Scope:
    from samverkan.accounts.models import ApiKey
    from samverkan.organisations.models import Membership

    if isinstance(principal, ApiKey):
        if not principal.is_usable:
            return ANONYMOUS
        grants = _grants([(principal.organisation, principal.role, None)])
        return Scope(user_id=None, grants=grants, api_key_id=principal.id)
    if not getattr(principal, "is_authenticated", False) or not principal.is_active:
        return ANONYMOUS
    memberships = Membership.objects.filter(user_id=principal.pk, organisation__is_active=True).select_related(
        "organisation"
    )
    grants = _grants((m.organisation, m.role, m.unit_id) for m in memberships)
    return Scope(user_id=principal.pk, grants=grants, superuser=principal.is_superuser)


def forget_scope(principal) -> None:
    """Drop the cached scope, e.g. after memberships changed."""
    if hasattr(principal, "_samverkan_scope"):
        del principal._samverkan_scope


def requires_second_factor(user) -> bool:
    scope = scope_of(user)
    return scope.superuser or bool(scope.roles & SECOND_FACTOR_ROLES)


def can(principal, action: str, *, county_code: str | None = None, organisation_id: int | None = None) -> bool:
    """May the principal perform `action`, optionally within one county or organisation?"""
    scope = scope_of(principal)
    if scope.is_admin:
        return True
    allowed = PERMISSIONS[action]
    for grant in scope.grants:
        if grant.role not in allowed:
            continue
        if county_code is not None and grant.county_code != county_code:
            continue
        if organisation_id is not None and grant.organisation_id != organisation_id:
            continue
        return True
    return False


def require(principal, action: str, **where) -> None:
    """Raise PermissionDenied unless `can(principal, action, **where)`."""
    if not can(principal, action, **where):
        raise PermissionDenied(action)


def county_in_scope(principal, wanted: str | None) -> str:
    """The county a page is about: `wanted` if the principal may see it (PermissionDenied if not),
    else the principal's first county (an administrator without memberships: the first of all)."""
    scope = scope_of(principal)
    if wanted:
        if not (scope.is_admin or wanted in scope.county_codes):
            raise PermissionDenied(f"county {wanted}")
        return wanted
    if scope.county_codes:
        return sorted(scope.county_codes)[0]
    if scope.is_admin:
        from samverkan.organisations.models import County

        first = County.objects.order_by("code").values_list("code", flat=True).first()
        if first:
            return first
    raise PermissionDenied("no county")


def can_see_organisation(principal, organisation) -> bool:
    scope = scope_of(principal)
    return scope.is_admin or organisation.county_id in scope.county_codes


def can_report_for_unit(principal, unit) -> bool:
    """Unit staff report for their unit; coordinators for their own organisation's units."""
    scope = scope_of(principal)
    if scope.is_admin:
        return True
    for grant in scope.grants:
        if grant.role == Role.UNIT_STAFF and grant.unit_id == unit.id:
            return True
        if (
            grant.role in {Role.MUNICIPAL_COORDINATOR, Role.REGION_COORDINATOR}
            and grant.organisation_id == unit.organisation_id
        ):
            return True
    return False


def gives_the_places(principal, *, unit_ids: Iterable[int], organisation_ids: Iterable[int]) -> bool:
    """Is the principal on the side that gives the places of a placement once an offer is accepted:
    staff of one of the accepted offers' units, or a municipal coordinator of an organisation that
    owns one (or an administrator)? Together with the requesting side, only they mark the patients'
    arrival and the end of the stay; the county's other municipalities are bystanders."""
    scope = scope_of(principal)
    if scope.is_admin:
        return True
    units, organisations = set(unit_ids), set(organisation_ids)
    return any(
        (grant.role == Role.UNIT_STAFF and grant.unit_id in units)
        or (grant.role == Role.MUNICIPAL_COORDINATOR and grant.organisation_id in organisations)
        for grant in scope.grants
    )


def reportable_unit_ids(principal) -> frozenset[int] | None:
    """Units the principal may report for as a filter: None means every unit (an administrator)."""
    from samverkan.organisations.models import Unit

    scope = scope_of(principal)
    if scope.is_admin:
        return None
    organisations = scope.organisation_ids({Role.MUNICIPAL_COORDINATOR, Role.REGION_COORDINATOR})
    units = {g.unit_id for g in scope.grants if g.role == Role.UNIT_STAFF and g.unit_id}
    if organisations:
        units |= set(Unit.objects.filter(organisation_id__in=organisations).values_list("pk", flat=True))
    return frozenset(units)


def api_key_roles(principal, organisation) -> frozenset[str]:
    """The roles a key for `organisation` made by `principal` may act with: key roles that the
    organisation's kind can hold and, unless the principal is an administrator (or the system),
    that the principal holds in that very organisation with the right to manage its keys. So no
    key carries more rights than its creator."""
    from samverkan.accounts.models import ApiKeyRole

    fitting = ROLES_BY_KIND.get(organisation.kind, frozenset()) & frozenset(ApiKeyRole.values)
    scope = scope_of(principal)
    if scope.is_admin:
        return fitting
    managing = PERMISSIONS["accounts.manage_api_keys"]
    return fitting & {g.role for g in scope.grants if g.organisation_id == organisation.id and g.role in managing}


def require_api_key_role(principal, organisation, role: str) -> None:
    """Raise ValidationError (on `role`) unless `principal` may make a key for `organisation` acting as `role`."""
    from samverkan.accounts.models import ApiKeyRole

    if role not in ApiKeyRole.values:
        raise ValidationError({"role": [_("A key acts as region or municipal coordinator.")]})
    require_role_fits(organisation, role)
    if role not in api_key_roles(principal, organisation):
        raise ValidationError(
            {
                "role": [
                    _("A key for %(organisation)s can act only with a role you hold there yourself.")
                    % {"organisation": organisation.name}
                ]
            }
        )
