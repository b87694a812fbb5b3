"""The authorisation policy: the one module that decides who may see and do what.

How it works (docs/architecture.md, "Authorisation", says it at more length):

- A principal (a person, a system's API key, or the platform itself) has *grants*: one per
  membership, each an organisation, a role in it and, for unit staff, a unit.
- `RULES` says, per action, which roles may take it and how far each role reaches, by naming
  *relations*: "county" (rows of the grant's county), "organisation" (of the grant's own
  organisation), "unit", "municipality", "self", or a relation of the model the action concerns
  (a place request's requesting organisation, an episode's home municipality, …).
- `RELATIONS` says, per model, how its rows connect to a grant: which field holds the county,
  the organisation, the unit or the municipality the grant is compared with.

From these two tables alone:

- `can(principal, action, target)` decides for one object (or, with `Place`, for a county or an
  organisation when there is no object yet);
- `restrict(queryset, principal, action)`, which every model's `visible_to(principal, action)`
  calls, narrows a list to the rows the principal may reach;
- `visible_to(principal, action).get_or_404(pk=...)` finds the one row a page or API route is
  about, or raises Http404 when it does not exist or may not be seen (no view does this itself).

Administrators and the system may do everything. Nothing outside this module looks at roles or
grants to decide access; views, selectors and services ask it.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from samverkan.organisations.roles import KEY_ROLES, OrganisationKind, Role, role_fits

# The principals, re-exported (samverkan/principals.py: below every app, so that audit names them too).
from samverkan.principals import SYSTEM as SYSTEM
from samverkan.principals import ActingKey as ActingKey
from samverkan.principals import Asker as Asker
from samverkan.principals import MembershipLike as MembershipLike
from samverkan.principals import OrganisationLike as OrganisationLike
from samverkan.principals import Person as Person
from samverkan.principals import Principal as Principal
from samverkan.principals import SystemPrincipal as SystemPrincipal

# Grants and scopes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One membership (or an API key) reduced to what the policy needs."""

    organisation_id: int
    organisation_kind: str
    county_code: str
    municipality_code: str | None
    role: str
    unit_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """A principal's grants, and whether it is a system administrator (or the system)."""

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


ANONYMOUS = Scope(user_id=None)
SYSTEM_SCOPE = Scope(user_id=None, superuser=True)


def _grant(organisation: OrganisationLike, role: str, unit_id: int | None) -> Grant | None:
    """The grant of a role in an organisation; None when the organisation's kind cannot hold the role."""
    if not role_fits(organisation.kind, role):
        return None
    return Grant(
        organisation_id=organisation.pk,
        organisation_kind=organisation.kind,
        county_code=organisation.county_id,
        municipality_code=organisation.municipality_id,
        role=role,
        unit_id=unit_id,
    )


def _compute_scope(principal: Asker) -> Scope:
    if isinstance(principal, SystemPrincipal):
        return SYSTEM_SCOPE
    if isinstance(principal, ActingKey):
        if not principal.is_usable:
            return ANONYMOUS
        grant = _grant(principal.organisation, principal.role, None)
        return Scope(user_id=None, grants=(grant,) if grant else (), api_key_id=principal.pk)
    if not isinstance(principal, Person) or not principal.is_authenticated or not principal.is_active:
        return ANONYMOUS
    memberships: Iterable[MembershipLike] = principal.memberships.filter(organisation__is_active=True).select_related(
        "organisation"
    )
    grants = tuple(g for m in memberships if (g := _grant(m.organisation, m.role, m.unit_id)))
    return Scope(user_id=principal.pk, grants=grants, superuser=principal.is_superuser)


def principal_of(request: HttpRequest) -> Asker:
    """Who a request acts as: the API key or user the API's authentication found, else the session's user."""
    found: Asker = getattr(request, "principal", None) or getattr(request, "user", None)
    return found


def actor_of(request: HttpRequest) -> Principal:
    """Who a request acts as, for a service's `by`: the API key or the logged-in user. Nobody may
    write without one (PermissionDenied; the login and API authentication come first anyway)."""
    found = principal_of(request)
    if found is None or isinstance(found, AnonymousUser):
        raise PermissionDenied
    return found


def scope_of(principal: Asker) -> Scope:
    """The scope of a principal (ANONYMOUS for None and anonymous visitors), cached on it."""
    if principal is None:
        return ANONYMOUS
    cached: Scope | None = getattr(principal, "_samverkan_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(principal)
    with contextlib.suppress(AttributeError):
        principal._samverkan_scope = scope  # type: ignore[union-attr]
    return scope


def forget_scope(principal: Asker) -> None:
    """Drop the cached scope, e.g. after memberships changed."""
    if hasattr(principal, "_samverkan_scope"):
        del principal._samverkan_scope  # type: ignore[union-attr]


# Relations: how a row connects to a grant ------------------------------------------------------


class Reach(enum.Enum):
    """The grant's value a row is compared with."""

    COUNTY = "county"
    ORGANISATION = "organisation"
    MUNICIPALITY = "municipality"
    UNIT = "unit"
    USER = "user"


@dataclass(frozen=True)
class Relation:
    """A row is reached by a grant when the row's `lookup` equals the grant's `reach` value, the
    row matches every (lookup, value) in `when`, and, if `not_own` names the lookup of the row's
    organisation, that organisation is not the grant's own. `many`: the lookup crosses a
    many-valued relation (a forum's member organisations), so it is asked of the database."""

    reach: Reach
    lookup: str
    when: tuple[tuple[str, object], ...] = ()
    not_own: str | None = None
    many: bool = False

    def grant_value(self, grant: Grant, scope: Scope) -> object:
        return {
            Reach.COUNTY: grant.county_code,
            Reach.ORGANISATION: grant.organisation_id,
            Reach.MUNICIPALITY: grant.municipality_code,
            Reach.UNIT: grant.unit_id,
            Reach.USER: scope.user_id,
        }[self.reach]

    def reaches(self, target: object, grant: Grant, scope: Scope) -> bool:
        if isinstance(target, Place):
            return target.overlaps(self.reach, grant)
        if self.many and isinstance(target, models.Model):
            condition = self.q(grant, scope)
            return condition is not None and type(target)._base_manager.filter(condition, pk=target.pk).exists()
        mine = self.grant_value(grant, scope)
        if mine is None or _value(target, self.lookup) != mine:
            return False
        if any(_value(target, lookup) != wanted for lookup, wanted in self.when):
            return False
        return self.not_own is None or _value(target, self.not_own) != grant.organisation_id

    def q(self, grant: Grant, scope: Scope) -> Q | None:
        mine = self.grant_value(grant, scope)
        if mine is None:
            return None
        condition = Q(**{self.lookup: mine}, **dict(self.when))
        if self.not_own is not None:
            condition &= ~Q(**{self.not_own: grant.organisation_id})
        return condition


def _value(target: object, lookup: str) -> object:
    """Follow a Django lookup path (`unit__organisation_id`) on an object; None if a step is None."""
    value = target
    for step in lookup.split("__"):
        if value is None:
            return None
        value = getattr(value, step)
    return value


@dataclass(frozen=True)
class Place:
    """Where an action would happen when there is no object to ask about: a county, and within
    it perhaps an organisation, a unit or a municipality (None: anywhere). A grant reaches a place
    when the part of the county it reaches and the place overlap, so `can(p, action, place)`
    answers "may they take the action somewhere here?"; the rows are then narrowed by
    `restrict`. Relations' `when` and `not_own` conditions concern rows and are not checked."""

    county: str | None = None
    organisation: int | None = None
    municipality: str | None = None
    unit: int | None = None

    @classmethod
    def of_organisation(cls, organisation: OrganisationLike) -> Place:
        return cls(county=organisation.county_id, organisation=organisation.pk)

    def overlaps(self, reach: Reach, grant: Grant) -> bool:
        if self.county is not None and self.county != grant.county_code:
            return False
        if reach is Reach.COUNTY:
            return True
        if reach is Reach.MUNICIPALITY:
            return self.municipality is None or self.municipality == grant.municipality_code
        if reach is Reach.UNIT and self.unit is not None:
            return self.unit == grant.unit_id
        if reach in (Reach.ORGANISATION, Reach.UNIT):
            return self.organisation is None or self.organisation == grant.organisation_id
        return False  # Reach.USER: a place is about organisations, not people


# The relations of an action that concerns no model (asked only about places).
PLACE_RELATIONS: dict[str, Relation] = {reach.value: Relation(reach, reach.value) for reach in Reach}

# Per model ("app_label.ModelName"): how its rows connect to a grant.
RELATIONS: dict[str, dict[str, Relation]] = {
    "organisations.Organisation": {
        "county": Relation(Reach.COUNTY, "county_id"),
        "organisation": Relation(Reach.ORGANISATION, "pk"),
    },
    "organisations.Unit": {
        "county": Relation(Reach.COUNTY, "organisation__county_id"),
        "organisation": Relation(Reach.ORGANISATION, "organisation_id"),
        "unit": Relation(Reach.UNIT, "pk"),
    },
    "organisations.Membership": {
        "organisation": Relation(Reach.ORGANISATION, "organisation_id"),
        "self": Relation(Reach.USER, "user_id"),
    },
    "accounts.ApiKey": {
        "organisation": Relation(Reach.ORGANISATION, "organisation_id"),
    },
    "audit.AuditEvent": {
        "county": Relation(Reach.COUNTY, "organisation__county_id"),
    },
    "audit.AccessLogEntry": {
        "county": Relation(Reach.COUNTY, "organisation__county_id"),
    },
    "capacity.CapacityReport": {
        "county": Relation(Reach.COUNTY, "unit__organisation__county_id"),
    },
    "capacity.PlannedChange": {
        "county": Relation(Reach.COUNTY, "unit__organisation__county_id"),
        "organisation": Relation(Reach.ORGANISATION, "unit__organisation_id"),
        "unit": Relation(Reach.UNIT, "unit_id"),
    },
    "flow.Episode": {
        "county": Relation(Reach.COUNTY, "source__county_id"),
        "residents": Relation(Reach.MUNICIPALITY, "home_municipality_id"),
    },
    "flow.ImportRun": {
        "county": Relation(Reach.COUNTY, "source__county_id"),
    },
    "flow.ColumnLayout": {
        "county": Relation(Reach.COUNTY, "source__county_id"),
    },
    "placements.PlaceRequest": {
        "county": Relation(Reach.COUNTY, "county_id"),
        # The requesting side: coordinators of the asking organisation, staff of the asking ward.
        "requester": Relation(Reach.ORGANISATION, "from_organisation_id"),
        "requesting_unit": Relation(Reach.UNIT, "from_unit_id"),
        # The receiving side: those the request is addressed to (a unit, a municipality, or every
        # other organisation of the county).
        "addressed_unit": Relation(Reach.UNIT, "to_unit_id"),
        "addressed_unit_owner": Relation(Reach.ORGANISATION, "to_unit__organisation_id"),
        "addressed_municipality": Relation(Reach.ORGANISATION, "to_municipality_id"),
        "addressed_county": Relation(
            Reach.COUNTY, "county_id", when=(("to_county", True),), not_own="from_organisation_id"
        ),
    },
    "placements.PlaceOffer": {
        "county": Relation(Reach.COUNTY, "request__county_id"),
        # The side giving the places: an accepted offer's unit and its organisation.
        "accepted_unit": Relation(Reach.UNIT, "unit_id", when=(("status", "accepted"),)),
        "accepted_unit_owner": Relation(Reach.ORGANISATION, "unit__organisation_id", when=(("status", "accepted"),)),
    },
    "placements.Reservation": {
        "county": Relation(Reach.COUNTY, "request__county_id"),
        "requester": Relation(Reach.ORGANISATION, "request__from_organisation_id"),
        "provider": Relation(Reach.ORGANISATION, "unit__organisation_id"),
    },
    # resources: the equipment pool and its loans
    "resources.EquipmentType": {
        "county": Relation(Reach.COUNTY, "county_id"),
    },
    "resources.EquipmentItem": {
        "county": Relation(Reach.COUNTY, "owner__county_id"),
        "owner": Relation(Reach.ORGANISATION, "owner_id"),
    },
    "resources.LoanRequest": {
        "county": Relation(Reach.COUNTY, "county_id"),
        "borrower": Relation(Reach.ORGANISATION, "borrower_id"),
        "borrowing_unit": Relation(Reach.UNIT, "unit_id"),
        "lender": Relation(Reach.ORGANISATION, "lender_id"),
    },
    "resources.Loan": {
        "county": Relation(Reach.COUNTY, "request__county_id"),
        "borrower": Relation(Reach.ORGANISATION, "request__borrower_id"),
        "borrowing_unit": Relation(Reach.UNIT, "unit_id"),
        "lender": Relation(Reach.ORGANISATION, "request__lender_id"),
    },
    "resources.SupplyItem": {
        "county": Relation(Reach.COUNTY, "county_id"),
    },
    "resources.SupplyContact": {
        "county": Relation(Reach.COUNTY, "county_id"),
    },
    "resources.StockReport": {
        "county": Relation(Reach.COUNTY, "supply_id"),
        # Every member's, when the county shares stock in detail (SupplySettings.share_details).
        "county_shared": Relation(Reach.COUNTY, "supply_id", when=(("supply__share_details", True),)),
        "reporter": Relation(Reach.ORGANISATION, "organisation_id"),
        "reporting_unit": Relation(Reach.UNIT, "unit_id"),
    },
    "resources.StaffRequest": {
        "county": Relation(Reach.COUNTY, "county_id"),
        "requester": Relation(Reach.ORGANISATION, "requester_id"),
        "requesting_unit": Relation(Reach.UNIT, "unit_id"),
    },
    # situation: epidemiology figures and situation reports, per county
    "situation.Indicator": {
        "county": Relation(Reach.COUNTY, "county_id"),
    },
    "situation.EpidemiologyFigure": {
        "county": Relation(Reach.COUNTY, "indicator__county_id"),
    },
    "situation.SituationReport": {
        "county": Relation(Reach.COUNTY, "county_id"),
        "published": Relation(Reach.COUNTY, "county_id", when=(("status", "published"),)),
    },
    "situation.Subscription": {
        "county": Relation(Reach.COUNTY, "county_id"),
    },
    "situation.ReportDelivery": {
        "county": Relation(Reach.COUNTY, "report__county_id"),
    },
    # followup
    "followup.Agreement": {"county": Relation(Reach.COUNTY, "county_id")},
    "followup.DayRate": {"county": Relation(Reach.COUNTY, "county_id")},
    "followup.IndicatorTarget": {"county": Relation(Reach.COUNTY, "county_id")},
    "followup.Statement": {
        "county": Relation(Reach.COUNTY, "county_id"),
        "municipality": Relation(Reach.MUNICIPALITY, "municipality_id"),
    },
    "followup.StatementLine": {
        "county": Relation(Reach.COUNTY, "statement__county_id"),
        "municipality": Relation(Reach.MUNICIPALITY, "statement__municipality_id"),
    },
    "followup.Dispute": {
        "county": Relation(Reach.COUNTY, "county_id"),
        "municipality": Relation(Reach.MUNICIPALITY, "municipality_id"),
    },
    # forecasting
    "forecasting.ForecastRun": {"county": Relation(Reach.COUNTY, "county_id")},
    "forecasting.Scenario": {"county": Relation(Reach.COUNTY, "county_id")},
}

# meetings: a forum's rows reach its member organisations' people and the people who sit in it
# (both many-valued); published minutes reach the county; chair and checker sign.
_FORUM_PATHS = {
    "meetings.Forum": "",
    "meetings.Meeting": "forum__",
    "meetings.AgendaItem": "meeting__forum__",
    "meetings.Decision": "meeting__forum__",
    "meetings.Assignment": "forum__",
    "meetings.MinutesVersion": "meeting__forum__",
    "meetings.SharedCost": "forum__",
    "meetings.FundingRound": "forum__",
    "meetings.FundingApplication": "round__forum__",
}
_MEETING_PATHS = {
    "meetings.Meeting": "",
    "meetings.AgendaItem": "meeting__",
    "meetings.Decision": "meeting__",
    "meetings.Assignment": "meeting__",
    "meetings.MinutesVersion": "meeting__",
}
for _label, _forum in _FORUM_PATHS.items():
    _meeting = _MEETING_PATHS.get(_label)
    RELATIONS[_label] = {
        "county": Relation(Reach.COUNTY, f"{_forum}county_id"),
        "member": Relation(Reach.ORGANISATION, f"{_forum}members__organisation_id", many=True),
        "person": Relation(Reach.USER, f"{_forum}people__user_id", many=True),
        # A forum itself (its name and members) is known to the whole county; its meetings'
        # minutes once they are published.
        "published": Relation(
            Reach.COUNTY,
            f"{_forum}county_id",
            when=((f"{_meeting}is_published", True),) if _meeting is not None else (),
        ),
    }
    if _meeting is not None:
        RELATIONS[_label]["chair"] = Relation(Reach.USER, f"{_meeting}chair_id")
        RELATIONS[_label]["checker"] = Relation(Reach.USER, f"{_meeting}checker_id")
RELATIONS["meetings.Tracker"] = {"county": Relation(Reach.COUNTY, "county_id")}
RELATIONS["meetings.Assignment"]["owner_person"] = Relation(Reach.USER, "owner_person_id")
RELATIONS["meetings.Assignment"]["owner_organisation"] = Relation(Reach.ORGANISATION, "owner_organisation_id")


# The rule table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may take an action: per role, the names of the relations through which a grant reaches
    a target. `on`: the models whose rows the action concerns (each has those relations in
    RELATIONS); with none, the relations are those of a `Place`. Every rule can also be asked
    about a `Place` (may they do it in this county, for this organisation?): a relation then
    compares the place's field of the same reach."""

    on: tuple[str, ...] = ()
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def relation(self, name: str, target: object) -> Relation:
        label = _target_label(target)
        return RELATIONS[label][name] if label else (RELATIONS[self.on[0]] if self.on else PLACE_RELATIONS)[name]


R = Role
ALL_ROLES = tuple(Role)
COORDINATORS = (R.REGION_COORDINATOR, R.MUNICIPAL_COORDINATOR)


def _each(roles: Iterable[str], *relations: str) -> dict[str, tuple[str, ...]]:
    return dict.fromkeys(roles, relations)


UNIT = "organisations.Unit"
# An administrator may take every action; this table says who else may, and how far.
RULES: dict[str, Rule] = {
    # organisations: who is who in the county
    "organisations.view": Rule(("organisations.Organisation", UNIT), _each(ALL_ROLES, "county")),
    "organisations.view_members": Rule(
        ("organisations.Membership",), {**_each(ALL_ROLES, "self"), **_each(COORDINATORS, "self", "organisation")}
    ),
    "organisations.use_admin_site": Rule(),
    "organisations.view_country": Rule(),  # figures of every county at once
    # accounts: API keys of one's own organisation (the roles a key may get: api_key_roles)
    "accounts.manage_api_keys": Rule(
        ("accounts.ApiKey", "organisations.Organisation"), _each(COORDINATORS, "organisation")
    ),
    # audit: the county's review of changes and of reads of episode-level data
    "audit.review": Rule(("audit.AuditEvent", "audit.AccessLogEntry"), {R.REGION_COORDINATOR: ("county",)}),
    # capacity
    "capacity.view": Rule((UNIT, "capacity.CapacityReport", "capacity.PlannedChange"), _each(ALL_ROLES, "county")),
    "capacity.report": Rule(
        (UNIT, "capacity.PlannedChange"), {**_each(COORDINATORS, "organisation"), R.UNIT_STAFF: ("unit",)}
    ),
    "capacity.follow_up": Rule((), _each((*COORDINATORS, R.FORUM_SECRETARY), "county")),
    "capacity.manage_schedule": Rule((), _each((R.REGION_COORDINATOR, R.FORUM_SECRETARY), "county")),
    # placements: the sides of a request are these three rules; states.py says which side may do what
    "placements.view": Rule(("placements.PlaceRequest", "placements.PlaceOffer"), _each(ALL_ROLES, "county")),
    # Make requests on the request page for one's own organisation (wards' staff send theirs
    # through the API: act_as_requester decides every request).
    "placements.request": Rule(("organisations.Organisation",), _each(COORDINATORS, "organisation")),
    "placements.act_as_requester": Rule(
        ("placements.PlaceRequest",), {**_each(COORDINATORS, "requester"), R.UNIT_STAFF: ("requesting_unit",)}
    ),
    "placements.act_as_receiver": Rule(
        ("placements.PlaceRequest",),
        {
            R.MUNICIPAL_COORDINATOR: ("addressed_unit_owner", "addressed_municipality", "addressed_county"),
            R.UNIT_STAFF: ("addressed_unit", "addressed_municipality", "addressed_county"),
        },
    ),
    "placements.act_as_provider": Rule(
        ("placements.PlaceOffer",),
        {R.MUNICIPAL_COORDINATOR: ("accepted_unit_owner",), R.UNIT_STAFF: ("accepted_unit",)},
    ),
    "placements.settlement": Rule(
        ("placements.Reservation",),
        {
            **_each((R.REGION_COORDINATOR, R.FORUM_SECRETARY), "county"),
            R.MUNICIPAL_COORDINATOR: ("requester", "provider"),
        },
    ),
    "placements.confirm_escalation": Rule((), {R.REGION_COORDINATOR: ("county",)}),
    # the forecasts' probability of a shortage, for the escalation plan: the system alone
    "placements.record_shortage_outlook": Rule(),
    # flow
    "flow.import": Rule(("flow.ImportRun", "flow.ColumnLayout"), {R.REGION_COORDINATOR: ("county",)}),
    "flow.view_episodes": Rule(
        ("flow.Episode",), {R.REGION_COORDINATOR: ("county",), R.MUNICIPAL_COORDINATOR: ("residents",)}
    ),
    "flow.statistics": Rule((), _each(ALL_ROLES, "county")),
    "flow.exact_counts": Rule((), _each(COORDINATORS, "county")),
    # resources: the equipment pool (what there is, where, and when it is free) is the county's;
    # a loan is its borrower's and its lender's business, and the region coordinators' and the
    # forum secretary's, who follow the county. resources/states.py says which side may do what.
    "resources.view": Rule(("resources.EquipmentType", "resources.EquipmentItem"), _each(ALL_ROLES, "county")),
    "resources.manage_types": Rule(("resources.EquipmentType",), {R.REGION_COORDINATOR: ("county",)}),
    "resources.manage_items": Rule(("resources.EquipmentItem",), _each(COORDINATORS, "owner")),
    "resources.request_loan": Rule((UNIT,), {**_each(COORDINATORS, "organisation"), R.UNIT_STAFF: ("unit",)}),
    "resources.view_loans": Rule(
        ("resources.LoanRequest", "resources.Loan"),
        {
            **_each((R.REGION_COORDINATOR, R.FORUM_SECRETARY), "county"),
            R.MUNICIPAL_COORDINATOR: ("borrower", "lender"),
            R.UNIT_STAFF: ("borrowing_unit",),
        },
    ),
    "resources.act_as_borrower": Rule(
        ("resources.LoanRequest", "resources.Loan"),
        {**_each(COORDINATORS, "borrower"), R.UNIT_STAFF: ("borrowing_unit",)},
    ),
    "resources.act_as_lender": Rule(("resources.LoanRequest", "resources.Loan"), _each(COORDINATORS, "lender")),
    # Supply stock: the catalogue, the contacts and the county's totals are every member's; the
    # figures of one organisation or unit are its own, the region coordinators', and everyone's
    # in the county once the county shares them (a viewer sees totals only).
    "resources.view_stock": Rule(("resources.SupplyItem", "resources.SupplyContact"), _each(ALL_ROLES, "county")),
    "resources.view_stock_details": Rule(
        ("resources.StockReport",),
        {
            R.REGION_COORDINATOR: ("county",),
            R.FORUM_SECRETARY: ("county_shared",),
            R.MUNICIPAL_COORDINATOR: ("reporter", "county_shared"),
            R.UNIT_STAFF: ("reporting_unit", "county_shared"),
        },
    ),
    "resources.report_stock": Rule((UNIT,), {**_each(COORDINATORS, "organisation"), R.UNIT_STAFF: ("unit",)}),
    "resources.report_stock_organisation": Rule(("organisations.Organisation",), _each(COORDINATORS, "organisation")),
    "resources.manage_supply": Rule((), {R.REGION_COORDINATOR: ("county",)}),
    # Staff requests to the region: a municipality or a unit asks; the region's coordinators (the
    # staffing coordinator) prepare a proposal and record regional management's decision.
    "resources.request_staff": Rule((UNIT,), {R.MUNICIPAL_COORDINATOR: ("organisation",), R.UNIT_STAFF: ("unit",)}),
    "resources.view_staff_requests": Rule(
        ("resources.StaffRequest",),
        {
            **_each((R.REGION_COORDINATOR, R.FORUM_SECRETARY), "county"),
            R.MUNICIPAL_COORDINATOR: ("requester",),
            R.UNIT_STAFF: ("requesting_unit",),
        },
    ),
    "resources.act_as_staff_requester": Rule(
        ("resources.StaffRequest",), {R.MUNICIPAL_COORDINATOR: ("requester",), R.UNIT_STAFF: ("requesting_unit",)}
    ),
    "resources.act_as_staffing": Rule(("resources.StaffRequest",), {R.REGION_COORDINATOR: ("county",)}),
    # situation: every member of the county (private providers too) reads the published reports
    # and the figures; the region's coordinators and the forum secretaries prepare and publish.
    "situation.view": Rule(("situation.SituationReport",), _each(ALL_ROLES, "published")),
    "situation.prepare": Rule(
        ("situation.SituationReport",), _each((R.REGION_COORDINATOR, R.FORUM_SECRETARY), "county")
    ),
    "situation.publish": Rule(
        ("situation.SituationReport",), _each((R.REGION_COORDINATOR, R.FORUM_SECRETARY), "county")
    ),
    "situation.view_epidemiology": Rule(
        ("situation.EpidemiologyFigure", "situation.Indicator"), _each(ALL_ROLES, "county")
    ),
    "situation.report_epidemiology": Rule(
        ("situation.EpidemiologyFigure", "situation.Indicator"),
        _each((R.REGION_COORDINATOR, R.FORUM_SECRETARY), "county"),
    ),
    "situation.manage_indicators": Rule(("situation.Indicator",), {R.REGION_COORDINATOR: ("county",)}),
    "situation.manage_subscriptions": Rule(
        ("situation.Subscription", "situation.ReportDelivery"),
        _each((R.REGION_COORDINATOR, R.FORUM_SECRETARY), "county"),
    ),
    # meetings: members see their forum's minutes, the county sees them once published; the
    # county's forum secretaries run the meetings; chair and checker sign the minutes
    "meetings.view": Rule(
        (
            "meetings.Forum",
            "meetings.Meeting",
            "meetings.AgendaItem",
            "meetings.Decision",
            "meetings.MinutesVersion",
            "meetings.SharedCost",
            "meetings.FundingRound",
            "meetings.FundingApplication",
        ),
        {**_each(ALL_ROLES, "member", "person", "published"), R.FORUM_SECRETARY: ("county",)},
    ),
    "meetings.view_assignments": Rule(
        ("meetings.Assignment",),
        {
            **_each(ALL_ROLES, "member", "person", "published", "owner_person"),
            **_each(COORDINATORS, "member", "person", "published", "owner_person", "owner_organisation"),
            R.FORUM_SECRETARY: ("county",),
        },
    ),
    "meetings.manage": Rule(
        (
            "meetings.Forum",
            "meetings.Meeting",
            "meetings.AgendaItem",
            "meetings.Decision",
            "meetings.Assignment",
            "meetings.MinutesVersion",
            "meetings.SharedCost",
            "meetings.FundingRound",
            "meetings.FundingApplication",
            "meetings.Tracker",
        ),
        {R.FORUM_SECRETARY: ("county",)},
    ),
    # status trackers: the county sees the answers; each municipality answers for itself (the
    # secretary for any, from answers by mail or phone)
    "meetings.view_trackers": Rule(("meetings.Tracker",), _each(ALL_ROLES, "county")),
    "meetings.answer_tracker": Rule(
        ("organisations.Organisation",), {R.MUNICIPAL_COORDINATOR: ("organisation",), R.FORUM_SECRETARY: ("county",)}
    ),
    # development funds: coordinators apply for their own organisation (the secretary for any)
    "meetings.apply_for_funds": Rule(
        ("organisations.Organisation",), {**_each(COORDINATORS, "organisation"), R.FORUM_SECRETARY: ("county",)}
    ),
    "meetings.sign": Rule(("meetings.MinutesVersion", "meetings.Meeting"), _each(ALL_ROLES, "chair", "checker")),
    "meetings.update_assignment": Rule(
        ("meetings.Assignment",),
        {
            **_each(ALL_ROLES, "owner_person"),
            **_each(COORDINATORS, "owner_person", "owner_organisation"),
            R.FORUM_SECRETARY: ("county",),
        },
    ),
    # followup: the liability rules are public to the county; the lines name episodes (as flow's list)
    "followup.view_agreement": Rule(
        ("followup.Agreement", "followup.DayRate", "followup.IndicatorTarget"), _each(ALL_ROLES, "county")
    ),
    "followup.manage_agreement": Rule(
        ("followup.Agreement", "followup.DayRate", "followup.IndicatorTarget"), {R.REGION_COORDINATOR: ("county",)}
    ),
    "followup.liability_totals": Rule((), _each((*COORDINATORS, R.FORUM_SECRETARY, R.VIEWER), "county")),
    "followup.indicators": Rule((), _each((*COORDINATORS, R.FORUM_SECRETARY, R.VIEWER), "county")),
    "followup.view_lines": Rule(
        ("flow.Episode",), {R.REGION_COORDINATOR: ("county",), R.MUNICIPAL_COORDINATOR: ("residents",)}
    ),
    # Issued statements and their disputes: the region and the municipality billed.
    "followup.view_statements": Rule(
        ("followup.Statement", "followup.StatementLine", "followup.Dispute"),
        {R.REGION_COORDINATOR: ("county",), R.MUNICIPAL_COORDINATOR: ("municipality",)},
    ),
    "followup.issue_statement": Rule(("followup.Statement",), {R.REGION_COORDINATOR: ("county",)}),
    "followup.raise_dispute": Rule(("followup.StatementLine",), {R.MUNICIPAL_COORDINATOR: ("municipality",)}),
    "followup.answer_dispute": Rule(("followup.Dispute",), {R.REGION_COORDINATOR: ("county",)}),
    # forecasting: the county's forecasts and scenarios are shown to all its members; the
    # coordinators and the forum's secretaries start a run and build scenarios
    "forecasting.view": Rule(("forecasting.ForecastRun", "forecasting.Scenario"), _each(ALL_ROLES, "county")),
    "forecasting.run": Rule(("forecasting.ForecastRun",), _each((*COORDINATORS, R.FORUM_SECRETARY), "county")),
    "forecasting.scenario": Rule(("forecasting.Scenario",), _each((*COORDINATORS, R.FORUM_SECRETARY), "county")),
}

# Roles that must log in with a second factor.
SECOND_FACTOR_ROLES = frozenset({Role.ADMIN, Role.REGION_COORDINATOR, Role.MUNICIPAL_COORDINATOR})


def _model_label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _target_label(target: object) -> str | None:
    """The model label of a target; None for a Place."""
    if isinstance(target, Place):
        return None
    if isinstance(target, models.Model):
        return _model_label(type(target))
    raise TypeError(f"A policy target is a model instance or a Place, not {type(target).__name__}.")


# Questions ------------------------------------------------------------------------------------


def can(principal: Asker, action: str, target: object = None) -> bool:
    """May the principal take `action` on `target` (an instance of one of the rule's models, or
    a `Place`)? Without a target: may it take the action anywhere at all?"""
    rule = RULES[action]
    scope = scope_of(principal)
    if scope.is_admin:
        return True
    if target is None:
        return any(g.role in rule.roles for g in scope.grants)
    label = _target_label(target)
    if label is not None and label not in rule.on:
        raise TypeError(f"{action} concerns {', '.join(rule.on) or 'places'}, not {label}.")
    return any(
        rule.relation(name, target).reaches(target, grant, scope)
        for grant in scope.grants
        for name in rule.roles.get(grant.role, ())
    )


def require(principal: Asker, action: str, target: object = None) -> None:
    """Raise PermissionDenied unless `can(principal, action, target)`."""
    if not can(principal, action, target):
        raise PermissionDenied(action)


Rows = TypeVar("Rows", bound="models.QuerySet[Any]")


def restrict(queryset: Rows, principal: Asker, action: str, *, own: bool = False) -> Rows:
    """The rows of `queryset` on which the principal may take `action`. With `own`, only those
    its grants reach, so an administrator's role adds none (a home page's "my units")."""
    rule = RULES[action]
    label = _model_label(queryset.model)
    if label not in rule.on:
        raise TypeError(f"{action} concerns {', '.join(rule.on) or 'places'}, not {label}.")
    scope = scope_of(principal)
    if scope.is_admin and not own:
        return queryset
    reached = Q(pk__in=[])
    for grant in scope.grants:
        for name in rule.roles.get(grant.role, ()):
            relation = RELATIONS[label][name]
            condition = relation.q(grant, scope)
            if condition is not None and relation.many:
                # One row per match across the many-valued relation: ask for the keys instead.
                condition = Q(pk__in=queryset.model._base_manager.filter(condition).values("pk"))
            if condition is not None:
                reached |= condition
    return queryset.filter(reached)


_Model = TypeVar("_Model", bound=models.Model)


class PolicyQuerySet(models.QuerySet[_Model]):
    """A queryset that narrows itself through the policy: `Model.objects.visible_to(principal, action)`."""

    def visible_to(self, principal: Asker, action: str, *, own: bool = False) -> PolicyQuerySet[_Model]:
        return restrict(self, principal, action, own=own)

    def get_or_404(self, *args: Any, **kwargs: Any) -> _Model:
        """The one row, or Http404 when there is none among these rows: after `visible_to` a row
        that exists but may not be seen answers as one that does not (a 404, not a 403), so its
        existence is not confirmed. Pages show the 404 page; the API answers its 404 JSON."""
        try:
            return self.get(*args, **kwargs)
        except ObjectDoesNotExist:
            raise Http404(self.model._meta.object_name) from None


def counties(principal: Asker, action: str, *, own: bool = False) -> frozenset[str] | None:
    """The counties in which the principal may take `action` at all; None: every county (an
    administrator, unless `own`: then the counties of its own memberships)."""
    scope = scope_of(principal)
    if scope.is_admin and not own:
        return None
    if scope.is_admin:
        return scope.county_codes
    roles = RULES[action].roles
    return frozenset(g.county_code for g in scope.grants if g.role in roles)


def places(principal: Asker, action: str) -> tuple[Place, ...]:
    """The place of each grant with which the principal may take `action` (its county,
    organisation, municipality and unit), for pages that start from them."""
    roles = RULES[action].roles
    return tuple(
        Place(county=g.county_code, organisation=g.organisation_id, municipality=g.municipality_code, unit=g.unit_id)
        for g in scope_of(principal).grants
        if g.role in roles
    )


def acting_organisation_id(principal: Asker, action: str, place: Place) -> int | None:
    """The organisation through which the principal takes `action` at `place`: that of its first
    grant (in membership order) that reaches the place; None when no grant does (an administrator
    without a membership there, the system). Recorded with what it does, e.g. in the access log."""
    scope = scope_of(principal)
    rule = RULES[action]
    for grant in scope.grants:
        for name in rule.roles.get(grant.role, ()):
            if rule.relation(name, place).reaches(place, grant, scope):
                return grant.organisation_id
    return None


def is_admin(principal: Asker) -> bool:
    return scope_of(principal).is_admin


def requires_second_factor(principal: Asker) -> bool:
    scope = scope_of(principal)
    return scope.superuser or bool(scope.roles & SECOND_FACTOR_ROLES)


def county_in_scope(principal: Asker, wanted: str | None, action: str = "capacity.view") -> str | None:
    """The county a page is about: `wanted` if the principal may take `action` there
    (PermissionDenied if not), else the first county it may; None for an administrator who
    chose none (the page picks one)."""
    allowed = counties(principal, action)
    if wanted:
        if not can(principal, action, Place(county=wanted)):
            raise PermissionDenied(f"county {wanted}")
        return wanted
    if allowed is None:
        return None
    if not allowed:
        raise PermissionDenied("no county")
    return sorted(allowed)[0]


# Roles of memberships and keys ----------------------------------------------------------------


def require_role_fits(organisation: OrganisationLike, role: str) -> None:
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


def api_key_roles(principal: Asker, organisation: OrganisationLike) -> frozenset[str]:
    """The roles a key for `organisation` made by `principal` may act with: key roles that the
    organisation's kind can hold and, unless the principal is an administrator (or the system),
    that the principal holds in that very organisation with the right to create keys. So no key
    carries more rights than its creator."""
    fitting: frozenset[str] = frozenset(role for role in KEY_ROLES if role_fits(organisation.kind, role))
    scope = scope_of(principal)
    if scope.is_admin:
        return fitting
    managers = RULES["accounts.manage_api_keys"].roles
    return fitting & {g.role for g in scope.grants if g.organisation_id == organisation.pk and g.role in managers}


def require_api_key_role(principal: Asker, organisation: OrganisationLike, role: str) -> None:
    """Raise ValidationError (on `role`) unless `principal` may make a key for `organisation` acting as `role`."""
    if role not in KEY_ROLES:
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
