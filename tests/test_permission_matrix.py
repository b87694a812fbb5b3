"""Every route × every role × own/other county, generated from the URL configuration.

A new route fails `test_every_route_is_in_the_matrix` until it gets a rule here. Rules say, per
persona, which status a request must get; the personas come from samverkan.testing.

Every rule has an other-county case. Where the route names a county, organisation or object, the
case asks for the other county's (`Rule.other`: hidden, 404, or refused, 403). Every other-county
case also puts an organisation and a reported unit in the persona's other county first, and no
answer to anyone but an administrator may name them: a page or list that takes no county (the home
page, the key list, the API's unit list) must not show the other county's rows either."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import partial
from operator import attrgetter
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLResolver

from samverkan.accounts import services as account_services
from samverkan.accounts.models import ApiKey, ApiKeyRole, User
from samverkan.capacity import services as capacity_services
from samverkan.capacity.models import PlannedChange
from samverkan.flow import uploads
from samverkan.flow.models import ColumnLayout, ImportRun, ImportStatus, Source
from samverkan.followup import services as followup_services
from samverkan.followup.models import Dispute, StatementLine
from samverkan.forecasting import services as forecasting_services
from samverkan.forecasting.models import ForecastRun, ForecastSeries, Scenario
from samverkan.meetings import services as meeting_services
from samverkan.organisations import policy
from samverkan.organisations.models import Municipality, Organisation, Unit, UnitKind
from samverkan.organisations.roles import OrganisationKind
from samverkan.placements import services as placement_services
from samverkan.resources import services as resource_services
from samverkan.resources.models import EquipmentItem, Loan
from samverkan.resources.tests.helpers import catalogue, make_items, make_request, make_staff_request
from samverkan.situation import services as situation_services
from samverkan.testing import PERSONAS, World, login

ANONYMOUS = "anonymous"
ALL_PERSONAS = [ANONYMOUS, *PERSONAS]
LOGGED_IN = set(PERSONAS)
MUNICIPAL_COORDINATORS = {"falun_coordinator", "avesta_coordinator", "ludvika_coordinator"}
REQUESTERS = {"admin", "avesta_coordinator", "outsider"}  # of the requests made by _place_request
RECEIVERS = {"admin", "falun_coordinator", "lunden_staff"}  # Lunden's side; in Örebro no persona receives
# Ludvika receives Avesta's county-wide request too, but an offer at Lunden, which it does not
# report for, is refused (403) on the page and through the API alike.
# Arrival and end of an accepted request: its requester and the side giving the places (Lunden's
# staff, Falun's coordinators); Ludvika, the region's coordinator and the rest are bystanders.
PLACE_MARKERS = REQUESTERS | RECEIVERS
NEW_REQUESTERS = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "outsider"}
SETTLERS = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "forum_secretary", "outsider"}
IMPORTERS = {"admin", "region_coordinator", "outsider"}
EPISODE_READERS = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "outsider"}
REPORTERS = {"admin", "region_coordinator", "falun_coordinator", "avesta_coordinator", "lunden_staff"}
FOLLOWERS_UP = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "forum_secretary", "outsider"}
SCHEDULERS = {"admin", "region_coordinator", "forum_secretary", "outsider"}
KEY_MANAGERS = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "outsider"}
AUDIT_REVIEWERS = {"admin", "region_coordinator", "outsider"}
SITUATION_PREPARERS = {"admin", "region_coordinator", "forum_secretary", "outsider"}
INDICATOR_MANAGERS = {"admin", "region_coordinator", "outsider"}
LIABILITY_TOTALS = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "forum_secretary", "viewer", "outsider"}
LIABILITY_LINES = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "outsider"}
ISSUERS = {"admin", "region_coordinator", "outsider"}
DISPUTERS = {"admin", *MUNICIPAL_COORDINATORS}
FORECASTERS = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "forum_secretary", "outsider"}

# The organisation each persona belongs to, and one in another county (docs/architecture.md: a user sees its county).
OWN_ORGANISATION = {
    "admin": "R20",
    "region_coordinator": "R20",
    "falun_coordinator": "2080",
    "avesta_coordinator": "2084",
    "ludvika_coordinator": "2085",
    "lunden_staff": "2080",
    "forum_secretary": "R20",
    "viewer": "R20",
    "outsider": "R18",
}
OTHER_COUNTY_ORGANISATION = {persona: ("R18" if code != "R18" else "R20") for persona, code in OWN_ORGANISATION.items()}

# What the other-county cases put in the persona's other county (ASCII: JSON answers escape the rest).
OTHER_COUNTY_MARKERS = ("Matrix Other County Care", "Matrix Other County Unit")


def _other_county_rows(world: World, persona: str) -> None:
    """A provider with a unit that has reported, in the county that is not the persona's."""
    county = _county(persona, "other")
    municipality = Municipality.objects.filter(county_id=county).order_by("code").first()
    provider = Organisation.objects.create(
        code=f"P-other-{county}", name=OTHER_COUNTY_MARKERS[0], kind=OrganisationKind.PROVIDER, county_id=county
    )
    unit = Unit.objects.create(
        code=f"t-other-{county}",
        name=OTHER_COUNTY_MARKERS[1],
        kind=UnitKind.SHORT_TERM,
        organisation=provider,
        municipality=municipality,
    )
    capacity_services.capacity_report_create(
        data=capacity_services.ReportInput(unit=unit, physical=9, staffed=9, occupied=1), by=world.admin
    )


def _county_query(world, persona, which):
    return {"county": _county(persona, which)}


def _municipality_query(world, persona, which):
    return {"municipality": "1880" if _county(persona, which) == "18" else "2080"}


@dataclass
class Rule:
    """What a route must answer: `allowed` personas get `ok`, logged-in others `denied`,
    anonymous users `anonymous` (a login redirect for pages, 401 for the API)."""

    allowed: set[str]
    ok: int = 200
    denied: int = 403
    anonymous: int = 302
    method: str = "get"
    kwargs: Callable[[World, str, str], dict] = field(default=lambda world, persona, which: {})
    data: Callable[[World, str, str], dict] = field(default=lambda world, persona, which: {})
    json: bool = False
    # For own/other routes: the status for the other county's object (hidden, so 404), for
    # allowed personas (`other`) and for the rest (`other_denied`, default: `denied`).
    other: int | None = None
    other_denied: int | None = None
    # Per persona, a status other than `denied` for the own case (e.g. 403 for those who see a
    # row but may not act on it, where the rest get 404 because they do not see it).
    denied_by: dict[str, int] = field(default_factory=dict)

    def expected(self, persona: str, which: str) -> int:
        if persona == ANONYMOUS:
            return self.ok if ANONYMOUS in self.allowed else self.anonymous
        if which == "other" and self.other is not None and persona != "admin":
            if persona in self.allowed:
                return self.other
            return self.other_denied if self.other_denied is not None else self.denied
        if persona not in self.allowed:
            return self.denied_by.get(persona, self.denied)
        return self.ok


Seed = Callable[[World, str, str], object]


def seeded(seed: Seed, *, extra: dict | None = None, **paths: str) -> Callable[[World, str, str], dict]:
    """A row's `kwargs` or `data` from what `seed` makes in the persona's own or other county:
    each name of `paths` gets the attribute at its dotted path ("pk", "offer.pk", "county_id"),
    and `extra` is added as it is. Every row that needs rows of its own names its seed here, so
    the seeds below only make rows (one per app, with the variants as keyword arguments)."""

    def values(world: World, persona: str, which: str) -> dict:
        made = seed(world, persona, which)
        return {name: attrgetter(path)(made) for name, path in paths.items()} | (extra or {})

    return values


def _organisation_kwargs(world, persona, which):
    table = OWN_ORGANISATION if which == "own" else OTHER_COUNTY_ORGANISATION
    return {"code": table.get(persona, "R20")}


OWN_UNIT = {
    "admin": "lunden",
    "region_coordinator": "falun_ward",
    "falun_coordinator": "lunden",
    "avesta_coordinator": "avesta_unit",
    "lunden_staff": "lunden",
    "forum_secretary": "lunden",
    "viewer": "lunden",
    "outsider": "orebro_unit",
}


def _unit(world, persona, which) -> Unit:
    if which == "own":
        return getattr(world, OWN_UNIT.get(persona, "lunden"))
    return world.lunden if persona == "outsider" else world.orebro_unit


def _county(persona, which) -> str:
    own = "18" if persona == "outsider" else "20"
    return own if which == "own" else ("20" if own == "18" else "18")


def _county_object(world, persona, which):
    return world.orebro_region.county if _county(persona, which) == "18" else world.region.county


def _situation_report(world, persona, which, *, publish: bool):
    """A situation report of the persona's county ("own") or the other one, prepared (and
    published) by the system."""
    county = _county_object(world, persona, which)
    report = situation_services.report_prepare(county=county, by=policy.SYSTEM)
    return situation_services.report_publish(report=report, by=policy.SYSTEM) if publish else report


_published_report = partial(_situation_report, publish=True)
_draft_report = partial(_situation_report, publish=False)


def _public_report(world, persona, which):
    """A county with a public page and a published report; everyone, anonymous visitors too, sees it."""
    report = _published_report(world, persona, which)
    situation_services.settings_save(
        county=report.county, enabled=False, weekday=3, time=datetime.time(7), public=True, by=policy.SYSTEM
    )
    return report


def _two_reports(world, persona, which):
    return SimpleNamespace(
        first=_published_report(world, persona, which), second=_published_report(world, persona, which)
    )


def _subscription(world, persona, which):
    county = _county_object(world, persona, which)
    return situation_services.subscription_add(county=county, email=f"{persona}-{which}@x.se", by=policy.SYSTEM)


def _figures_file(world, persona, which):
    data = b"date,deaths\n2026-01-01,3\n"
    return {"county": _county(persona, which), "file": SimpleUploadedFile("f.csv", data, content_type="text/csv")}


OWN_MUNICIPALITY = {"avesta_coordinator": "2084", "ludvika_coordinator": "2085", "outsider": "1880"}


def _municipality_kwargs(world, persona, which):
    own = OWN_MUNICIPALITY.get(persona, "2080")
    return {"code": own if which == "own" else ("2080" if own == "1880" else "1880")}


def _statement_line(world, persona, which) -> StatementLine:
    """A line of an issued statement of the persona's municipality (own) or of one in the other county."""
    code = _municipality_kwargs(None, persona, which)["code"]
    municipality = Organisation.objects.select_related("municipality__county").get(code=code).municipality
    statement = followup_services.statement_issue(municipality=municipality, year=2026, month=1, by=policy.SYSTEM)
    return StatementLine.objects.create(
        statement=statement, record_id="M1", liable_days=2, amount=Decimal("21000"), reason="liable"
    )


def _dispute(world, persona, which) -> Dispute:
    line = _statement_line(world, persona, which)
    return Dispute.objects.create(
        line=line,
        county_id=line.statement.county_id,
        municipality_id=line.statement.municipality_id,
        reason="Fel",
        raised_by_label="Test",
        answer_due=datetime.date(2030, 1, 1),
        attachment_name="logg.txt",
        attachment=b"logg",
    )


def _forecast_run(world, persona, which, *, done: bool = False) -> ForecastRun:
    """A forecast run of the persona's county (own) or the other one: queued, or done with one
    stored series (the county's admissions, flat) so that its forecast can be read."""
    county = _county(persona, which)
    if not done:
        return forecasting_services.forecast_run_request(county_code=county, trigger="nightly", by=policy.SYSTEM)
    run = ForecastRun.objects.create(
        county_id=county, trigger="nightly", status="done", progress=100, origin=datetime.date(2026, 1, 31)
    )
    ForecastSeries.objects.create(
        run=run,
        kind="admissions",
        method="flat",
        selected=True,
        history=[3.0],
        point=[3.0],
        lower={"50": [3.0], "80": [3.0], "95": [3.0]},
        upper={"50": [3.0], "80": [3.0], "95": [3.0]},
    )
    return run


def _scenario(world, persona, which) -> Scenario:
    return forecasting_services.scenario_create(
        county_code=_county(persona, which),
        values={
            "name": "Matrisscenario",
            "start_date": datetime.date(2026, 2, 1),
            "initial_cases": 10,
            "doubling_time": Decimal("5"),
            "share_hospitalised": Decimal("5"),
            "hospital_los": 7,
            "share_short_term": Decimal("20"),
            "short_term_los": 14,
            "outbreak_municipality": None,
            "days": 14,
        },
        by=policy.SYSTEM,
    )


def _planned_change(world, persona, which) -> PlannedChange:
    return PlannedChange.objects.create(
        unit=_unit(world, persona, which), effective_from="2030-06-01", staffed_change=10, description="+10"
    )


def _place_request(world, persona, which):
    """An open county-wide request in the persona's county ("own") or the other one: from Avesta in
    Dalarna, from Region Örebro in Örebro, each with an offer from a unit of that county."""
    in_orebro = _county(persona, which) == "18"
    requester = world.outsider if in_orebro else world.avesta_coordinator
    origin = world.orebro_region if in_orebro else world.avesta
    unit = world.orebro_unit if in_orebro else world.lunden
    offerer = world.admin
    capacity_services.capacity_report_create(
        data=capacity_services.ReportInput(unit=unit, physical=20, staffed=20, occupied=5), by=world.admin
    )
    request = placement_services.request_create(
        by=requester, from_organisation=origin, places=2, wanted_from=datetime.date(2030, 1, 1), to_county=True
    )
    offer = placement_services.offer_create(request=request, unit=unit, places=1, by=offerer)
    return SimpleNamespace(request=request, offer=offer, unit=unit)


def _accepted_request(world, persona, which, *, arrived: bool = False):
    """The county-wide request of _place_request with its offer accepted by the requester (and,
    if `arrived`, the patients marked as arrived)."""
    made = _place_request(world, persona, which)
    requester = world.outsider if _county(persona, which) == "18" else world.avesta_coordinator
    placement_services.offer_accept(offer=made.offer, by=requester)
    if arrived:
        placement_services.request_arrive(request=made.request, by=requester)
    return made.request


def _offer_data(world, persona, which):
    unit = world.orebro_unit if _county(persona, which) == "18" else world.lunden
    return {"unit": unit.pk, "places": 1}


# meetings: a forum in the persona's county ("own") or the other one. In Dalarna every
# organisation of the personas is a member unless `members_only` (then Ludvika is not); in Örebro
# the region and Örebro municipality are. Falun's coordinator chairs, the region's checks.
MEETING_MANAGERS = {"admin", "forum_secretary"}
SIGNERS = {"admin", "falun_coordinator", "region_coordinator"}  # admin may; the service refuses the non-signer
FORUM_MEMBERS = {
    "admin",
    "region_coordinator",
    "falun_coordinator",
    "avesta_coordinator",
    "lunden_staff",
    "forum_secretary",
    "viewer",
}
# Avesta owns the assignment in Dalarna, Region Örebro (the outsider's) the one in Örebro; the secretary follows up.
ASSIGNMENT_UPDATERS = {"admin", "avesta_coordinator", "forum_secretary", "outsider"}


def _forum(world, persona, which, *, members_only: bool = False):
    in_orebro = _county(persona, which) == "18"
    county = "18" if in_orebro else "20"
    if in_orebro:
        members = [world.orebro_region, Organisation.objects.get(code="1880")]
    else:
        members = [world.region, world.falun, world.avesta] + ([] if members_only else [world.ludvika])
    forum = meeting_services.forum_create(
        county=Organisation.objects.get(code=f"R{county}").county,
        name=f"Forum {county} {members_only}",
        organisations=members,
        by=world.admin,
    )
    when = datetime.datetime(2030, 4, 14, 9, tzinfo=datetime.UTC)
    meeting = meeting_services.meeting_create(
        forum=forum,
        data=meeting_services.MeetingInput(
            title="Möte",
            starts_at=when,
            place="Falun",
            chair=None if in_orebro else world.falun_coordinator,
            checker=None if in_orebro else world.region_coordinator,
        ),
        by=world.admin,
    )
    item = meeting_services.agenda_item_add(meeting=meeting, title="Punkt", by=world.admin)
    assignment = meeting_services.assignment_create(
        item=item,
        data=meeting_services.AssignmentInput(
            title="Uppdrag",
            owner_organisation=members[0] if in_orebro else world.avesta,
            due_date=datetime.date(2030, 5, 1),
        ),
        by=world.admin,
    )
    return SimpleNamespace(forum=forum, meeting=meeting, item=item, assignment=assignment)


def _bystander() -> User:
    """Someone who is none of the personas (so sitting in a forum gives no persona access)."""
    return User.objects.filter(email="bystander@test.samverkan.se").first() or User.objects.create_user(
        "bystander@test.samverkan.se", None
    )


def _forum_person(world, persona, which):
    """Someone sitting in the forum of `_forum`."""
    return meeting_services.forum_person_add(
        forum=_forum(world, persona, which).forum, user=_bystander(), by=world.admin
    )


def _tracker(world, persona, which):
    return meeting_services.tracker_create(
        county=Organisation.objects.get(code=f"R{_county(persona, which)}").county,
        question="Redo?",
        options=["Ja", "Nej"],
        by=world.admin,
    )


def _cost(world, persona, which):
    return meeting_services.shared_cost_create(
        forum=_forum(world, persona, which).forum,
        description="Konsult",
        amount_ore=600_000,
        region_share=Fraction(5, 6),
        method="equal",
        by=world.admin,
    )


def _funding(world, persona, which):
    forum = _forum(world, persona, which).forum
    funding = meeting_services.funding_round_create(forum=forum, name="Medel", budget=1_000_000, by=world.admin)
    organisation = forum.members.first().organisation
    application = meeting_services.funding_application_create(
        funding=funding,
        data=meeting_services.ApplicationInput(
            organisation=organisation,
            project="Projekt",
            amount=100_000,
            starts_on=datetime.date(2030, 1, 1),
            ends_on=datetime.date(2030, 12, 31),
        ),
        by=world.admin,
    )
    return SimpleNamespace(round=funding, application=application)


def _new_request_json(world, persona, which):
    table = OWN_ORGANISATION if which == "own" else OTHER_COUNTY_ORGANISATION
    origin = Organisation.objects.get(code=table.get(persona, "R20"))
    return {"from_organisation": origin.pk, "places": 2, "wanted_from": "2030-01-01", "to_county": True}


def _import_run(world, persona, which, *, mapping: bool = False) -> ImportRun:
    """An import of a source of the county; with `mapping`, an upload of another layout waiting
    for its column mapping."""
    source = Source.objects.get_or_create(county_id=_county(persona, which), name="Matrix")[0]
    if not mapping:
        return ImportRun.objects.create(source=source, file_format="csv")
    data = b"Vardtillfalle;Kommun;Vardform;Inskriven\nM1;2080;somatic;2026-01-01T08:00\n"
    return ImportRun.objects.create(
        source=source,
        file_format="csv",
        status=ImportStatus.MAPPING,
        stored_file=uploads.store([data]),
        file_size=len(data),
    )


def _layout(world, persona, which) -> ColumnLayout:
    source = Source.objects.get_or_create(county_id=_county(persona, which), name="Matrix")[0]
    header = ["vardtillfalle", "kommun", "vardform", "inskriven"]
    mapping = dict(zip(header, ["source_id", "home_municipality", "care_type", "admitted_at"], strict=True))
    return ColumnLayout.objects.create(
        source=source, header=header, header_key=uploads.header_key(header), mapping=mapping
    )


def _api_key(world, persona, which) -> ApiKey:
    owner_code = (
        OWN_ORGANISATION.get(persona, "R20") if which == "own" else OTHER_COUNTY_ORGANISATION.get(persona, "R18")
    )
    owner = Organisation.objects.get(code=owner_code)
    role = "region_coordinator" if owner.kind == "region" else "municipal_coordinator"
    key, _ = account_services.api_key_create(organisation=owner, name="matrix", role=role, by=policy.SYSTEM)
    return key


# resources: a loan request in the persona's county ("own") or the other: in Dalarna from Avesta's
# unit to Region Dalarna, in Örebro from Örebro kommun's unit to Region Örebro, each region owning
# two concentrators there. Who sees it: the county's region coordinators and forum secretary, the
# borrower's and lender's coordinators; the rest get 404. Of those who see it, those not on the
# side an action needs get 403.
LOAN_REQUESTERS = {"admin", "region_coordinator", "falun_coordinator", "avesta_coordinator", "lunden_staff"}
LOAN_VIEWERS = {"admin", "region_coordinator", "forum_secretary", "avesta_coordinator", "outsider"}
LOAN_BORROWERS = {"admin", "avesta_coordinator"}
LOAN_LENDERS = {"admin", "region_coordinator", "outsider"}
SEE_BUT_NOT_BORROW = {"region_coordinator": 403, "forum_secretary": 403, "outsider": 403}
SEE_BUT_NOT_LEND = {"forum_secretary": 403, "avesta_coordinator": 403}
SEE_BUT_NOT_RETURN = {"forum_secretary": 403}
ITEM_MANAGERS = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "outsider"}


def _loan_request(world, persona, which, *, lent: bool = False):
    in_orebro = _county(persona, which) == "18"
    unit = world.orebro_unit if in_orebro else world.avesta_unit
    items = make_items(world, 2, county="18" if in_orebro else "20")
    request = make_request(world, unit=unit)
    if lent:
        resource_services.loan_request_approve(request=request, items=items[:1], by=world.admin)
    return request


def _lent_loan(world, persona, which) -> Loan:
    return _loan_request(world, persona, which, lent=True).loans.get()


def _open_loan(world, persona, which) -> Loan:
    return Loan.objects.filter(returned_at__isnull=True).latest("pk")


def _available_item(world, persona, which) -> dict:
    item = EquipmentItem.objects.filter(owner__county_id=_county(persona, which), status="available").latest("pk")
    return {"items": [item.pk]}


def _new_loan_request_json(world, persona, which):
    make_items(world, 1, county="18")
    make_items(world, 1, county="20")
    unit = world.orebro_unit if _county(persona, which) == "18" else world.avesta_unit
    return {
        "unit": unit.pk,
        "type": "syrgaskoncentrator",
        "quantity": 1,
        "needed_from": "2030-03-04",
        "needed_until": "2030-03-18",
        "purpose": "Syrgas",
    }


def _item(world, persona, which) -> EquipmentItem:
    return make_items(world, 1, county=_county(persona, which))[0]


# Supply stock: everyone in the county sees the totals; coordinators report for their
# organisation, unit staff for their unit; the region coordinators keep the catalogue.
STOCK_REPORTERS = {"admin", "region_coordinator", *MUNICIPAL_COORDINATORS, "lunden_staff", "outsider"}
SUPPLY_MANAGERS = {"admin", "region_coordinator", "outsider"}


def _stock_json(world, persona, which):
    county = _county(persona, which)
    catalogue(county)
    table = OWN_ORGANISATION if which == "own" else OTHER_COUNTY_ORGANISATION
    place = (
        {"unit": "t-lunden"}
        if persona == "lunden_staff" and which == "own"
        else {"organisation": table.get(persona, "R20")}
    )
    return {"county": county, "rows": [{**place, "item": "ffp2", "on_hand": 10, "used_7_days": 7, "can_obtain": "yes"}]}


# Staff requests: a request from Avesta's unit (Dalarna) or Örebro kommun's (Örebro), seen by
# its requester and the county's region coordinators and forum secretary, as loan requests are.
STAFF_FOLLOWERS = LOGGED_IN - {"viewer"}
STAFF_REQUESTERS = {"admin", "falun_coordinator", "avesta_coordinator", "lunden_staff"}


def _staff_request(world, persona, which, *, proposed: bool = False):
    unit = world.orebro_unit if _county(persona, which) == "18" else world.avesta_unit
    request = make_staff_request(world, unit=unit)
    if proposed:
        resource_services.staff_request_propose(request=request, by=world.admin, proposal="Två", proposed_number=2)
    return request


def _staff_json(world, persona, which):
    unit = world.orebro_unit if _county(persona, which) == "18" else world.avesta_unit
    return {
        "unit": unit.pk,
        "profession": "nurse",
        "number": 2,
        "starts_on": "2030-03-04",
        "ends_on": "2030-03-18",
        "shifts": ["day"],
        "reason": "Brist",
    }


PUBLIC = {ANONYMOUS, *PERSONAS}

RULES: dict[str, Rule] = {
    "portal:home": Rule(LOGGED_IN),
    "portal:accessibility": Rule(PUBLIC),
    "accounts:login": Rule({ANONYMOUS}, denied=302),  # logged-in users are sent on
    "accounts:login_otp": Rule(set(), denied=302, anonymous=302),  # without a pending login: back to step one
    # The authenticator set-up link: anonymous visitors are asked to log in first; a logged-in
    # session has nothing left to set up (gone, 410). It works only after the password step.
    "accounts:enrolment_link": Rule({ANONYMOUS}, denied=410, kwargs=lambda w, p, o: {"token": "bad-token"}),
    "accounts:logout": Rule(LOGGED_IN, ok=302, method="post"),
    "accounts:account": Rule(LOGGED_IN),
    "accounts:api_keys": Rule(KEY_MANAGERS),
    "accounts:api_key_revoke": Rule(KEY_MANAGERS, ok=302, method="post", kwargs=seeded(_api_key, pk="pk"), other=404),
    "accounts:password_change": Rule(LOGGED_IN),
    "accounts:password_change_done": Rule(LOGGED_IN),
    "accounts:password_reset": Rule(PUBLIC),
    "accounts:password_reset_done": Rule(PUBLIC),
    "accounts:password_reset_confirm": Rule(PUBLIC, kwargs=lambda w, p, o: {"uidb64": "MQ", "token": "bad-token"}),
    "accounts:password_reset_complete": Rule(PUBLIC),
    "organisations:list": Rule(LOGGED_IN, data=_county_query),  # another county's: an empty list
    "organisations:detail": Rule(LOGGED_IN, kwargs=_organisation_kwargs, other=404),
    "review:review": Rule(AUDIT_REVIEWERS),
    "set_language": Rule(PUBLIC, ok=302, method="post", data=lambda w, p, o: {"language": "en", "next": "/"}),
    "accounts:notifications": Rule(LOGGED_IN),
    "api:flow_episodes_import": Rule(
        IMPORTERS,
        ok=201,
        anonymous=401,
        method="post",
        json=True,
        data=lambda w, p, o: {
            "source": "Matrix",
            "county": _county(p, o),
            "episodes": [
                {
                    "source_id": "M1",
                    "home_municipality": "2080",
                    "care_type": "somatic",
                    "admitted_at": "2026-01-01T08:00",
                }
            ],
        },
        other=403,
    ),
    "flow:statistics": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "flow:statistics_csv": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "flow:statistics_xlsx": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "flow:upload": Rule(IMPORTERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "flow:import_detail": Rule(IMPORTERS, kwargs=seeded(_import_run, run_id="pk"), other=404),
    "flow:import_status": Rule(IMPORTERS, kwargs=seeded(_import_run, run_id="pk"), other=404),
    "flow:import_mapping": Rule(IMPORTERS, kwargs=seeded(partial(_import_run, mapping=True), run_id="pk"), other=404),
    "flow:import_layout_edit": Rule(IMPORTERS, kwargs=seeded(_layout, layout_id="pk"), other=404),
    "flow:episodes": Rule(EPISODE_READERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    # meetings
    "meetings:index": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "meetings:decisions": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "meetings:forum_new": Rule(MEETING_MANAGERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "meetings:forum": Rule(LOGGED_IN, kwargs=seeded(_forum, forum_id="forum.pk"), other=404),
    "meetings:board": Rule(LOGGED_IN, kwargs=seeded(_forum, forum_id="forum.pk"), other=404),
    "meetings:forum_edit": Rule(
        MEETING_MANAGERS, kwargs=seeded(_forum, forum_id="forum.pk"), other=404, other_denied=404
    ),
    "meetings:forum_person_remove": Rule(
        MEETING_MANAGERS,
        ok=302,
        method="post",
        kwargs=seeded(_forum_person, forum_id="forum_id", person_id="pk"),
        other=404,
        other_denied=404,
    ),
    "meetings:forum_person_add": Rule(
        MEETING_MANAGERS,
        ok=302,
        method="post",
        kwargs=seeded(_forum, forum_id="forum.pk"),
        data=lambda w, p, o: {"user": w.viewer.pk},
        other=404,
        other_denied=404,
    ),
    "meetings:meeting_new": Rule(
        MEETING_MANAGERS, kwargs=seeded(_forum, forum_id="forum.pk"), other=404, other_denied=404
    ),
    "meetings:meeting": Rule(LOGGED_IN, kwargs=seeded(_forum, meeting_id="meeting.pk"), other=404),
    # Unpublished minutes of a forum Ludvika is not a member of: hidden from Ludvika (the
    # outsider's Region Örebro is a member of the Örebro forum).
    "meetings:meeting#members_only": Rule(
        FORUM_MEMBERS | {"outsider"},
        denied=404,
        kwargs=seeded(partial(_forum, members_only=True), meeting_id="meeting.pk"),
        other=404,
    ),
    "meetings:meeting_edit": Rule(
        MEETING_MANAGERS, kwargs=seeded(_forum, meeting_id="meeting.pk"), other=404, other_denied=404
    ),
    "meetings:attendance": Rule(
        MEETING_MANAGERS, kwargs=seeded(_forum, meeting_id="meeting.pk"), other=404, other_denied=404
    ),
    "meetings:item_add": Rule(
        MEETING_MANAGERS,
        ok=302,
        method="post",
        kwargs=seeded(_forum, meeting_id="meeting.pk"),
        data=lambda w, p, o: {"new-title": "Ny punkt", "new-kind": "information"},
        other=404,
        other_denied=404,
    ),
    "meetings:minutes_action": Rule(
        MEETING_MANAGERS,
        ok=302,
        method="post",
        kwargs=seeded(_forum, meeting_id="meeting.pk", extra={"action": "send"}),
        other=404,
        other_denied=404,
    ),
    "meetings:minutes_action#sign": Rule(
        SIGNERS,
        ok=302,
        method="post",
        kwargs=seeded(_forum, meeting_id="meeting.pk", extra={"action": "sign"}),
        data=lambda w, p, o: {"code": "000000"},
        other=404,
        other_denied=404,
    ),
    "meetings:item": Rule(LOGGED_IN, kwargs=seeded(_forum, item_id="item.pk"), other=404),
    "meetings:minutes_pdf": Rule(LOGGED_IN, kwargs=seeded(_forum, meeting_id="meeting.pk"), other=404),
    "meetings:minutes_docx": Rule(LOGGED_IN, kwargs=seeded(_forum, meeting_id="meeting.pk"), other=404),
    "meetings:decision_add": Rule(
        MEETING_MANAGERS,
        ok=302,
        method="post",
        kwargs=seeded(_forum, item_id="item.pk"),
        data=lambda w, p, o: {"text": "Att besluta"},
        other=404,
        other_denied=404,
    ),
    "meetings:document_add": Rule(
        MEETING_MANAGERS,
        ok=302,
        method="post",
        kwargs=seeded(_forum, item_id="item.pk"),
        data=lambda w, p, o: {"title": "Underlag", "url": "https://example.se/underlag.pdf"},
        other=404,
        other_denied=404,
    ),
    "meetings:assignment_add": Rule(
        MEETING_MANAGERS, kwargs=seeded(_forum, item_id="item.pk"), other=404, other_denied=404
    ),
    "meetings:assignment": Rule(LOGGED_IN, kwargs=seeded(_forum, assignment_id="assignment.pk"), other=404),
    "meetings:trackers": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "meetings:tracker": Rule(LOGGED_IN, kwargs=seeded(_tracker, tracker_id="pk"), other=404),
    "meetings:tracker_export": Rule(LOGGED_IN, kwargs=seeded(_tracker, tracker_id="pk"), other=404),
    "meetings:tracker_remind": Rule(
        MEETING_MANAGERS, ok=302, method="post", kwargs=seeded(_tracker, tracker_id="pk"), other=404, other_denied=404
    ),
    "meetings:costs": Rule(LOGGED_IN, kwargs=seeded(_forum, forum_id="forum.pk"), other=404),
    "meetings:cost": Rule(LOGGED_IN, kwargs=seeded(_cost, cost_id="pk"), other=404),
    "meetings:cost_export": Rule(
        LOGGED_IN, kwargs=seeded(_cost, cost_id="pk", extra={"file_format": "csv"}), other=404
    ),
    "meetings:funding_rounds": Rule(LOGGED_IN, kwargs=seeded(_forum, forum_id="forum.pk"), other=404),
    "meetings:funding_round": Rule(LOGGED_IN, kwargs=seeded(_funding, round_id="round.pk"), other=404),
    "meetings:funding_export": Rule(LOGGED_IN, kwargs=seeded(_funding, round_id="round.pk"), other=404),
    "meetings:application_decide": Rule(
        MEETING_MANAGERS,
        ok=302,
        method="post",
        kwargs=seeded(_funding, application_id="application.pk"),
        data=lambda w, p, o: {"decision": "granted", "granted": "100000"},
        other=404,
        other_denied=404,
    ),
    "api:meetings_forums": Rule(LOGGED_IN, anonymous=401),
    "api:meetings_meetings": Rule(LOGGED_IN, anonymous=401, data=seeded(_forum, forum="forum.pk"), other=404),
    "api:meetings_meeting": Rule(LOGGED_IN, anonymous=401, kwargs=seeded(_forum, meeting_id="meeting.pk"), other=404),
    "api:meetings_decisions": Rule(LOGGED_IN, anonymous=401),
    "api:meetings_assignments": Rule(LOGGED_IN, anonymous=401),
    "api:meetings_assignment_status": Rule(
        ASSIGNMENT_UPDATERS,
        ok=200,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_forum, assignment_id="assignment.pk"),
        data=lambda w, p, o: {"status": "in_progress"},
        other=404,
        other_denied=404,
    ),
    "placements:list": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "placements:new": Rule(NEW_REQUESTERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "placements:detail": Rule(LOGGED_IN, kwargs=seeded(_place_request, request_id="request.pk"), other=404),
    "placements:offer": Rule(
        RECEIVERS,
        ok=302,
        method="post",
        kwargs=seeded(_place_request, request_id="request.pk"),
        data=_offer_data,
        other=404,
        other_denied=404,
    ),
    "placements:action": Rule(
        REQUESTERS,
        ok=302,
        method="post",
        kwargs=seeded(_place_request, request_id="request.pk", extra={"action": "withdraw"}),
        other=404,
        other_denied=404,
    ),
    # The same route, for arrival and end of an accepted county-wide request (issue 17).
    "placements:action#arrive": Rule(
        PLACE_MARKERS,
        ok=302,
        method="post",
        kwargs=seeded(_accepted_request, request_id="pk", extra={"action": "arrive"}),
        other=404,
        other_denied=404,
    ),
    "placements:action#end": Rule(
        PLACE_MARKERS,
        ok=302,
        method="post",
        kwargs=seeded(partial(_accepted_request, arrived=True), request_id="pk", extra={"action": "end"}),
        other=404,
        other_denied=404,
    ),
    "placements:offer_answer": Rule(
        REQUESTERS,
        ok=302,
        method="post",
        kwargs=seeded(_place_request, offer_id="offer.pk", extra={"answer": "accept"}),
        other=404,
        other_denied=404,
    ),
    "placements:free": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "placements:settlement": Rule(SETTLERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "placements:escalation": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "api:placements_requests_create": Rule(
        NEW_REQUESTERS,
        ok=201,
        anonymous=401,
        method="post",
        json=True,
        data=_new_request_json,
        other=404,
        other_denied=404,
    ),
    "followup:liability": Rule(LIABILITY_TOTALS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "followup:statement": Rule(LIABILITY_LINES, kwargs=_municipality_kwargs, other=403),
    "followup:agreement": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "followup:indicators": Rule(
        LIABILITY_TOTALS, data=lambda w, p, o: {"county": _county(p, o), "month": "2026-01"}, other=403
    ),
    "api:followup_indicators": Rule(
        LIABILITY_TOTALS, anonymous=401, data=lambda w, p, o: {"county": _county(p, o), "month": "2026-01"}, other=403
    ),
    "followup:issue": Rule(ISSUERS, ok=302, method="post", kwargs=_municipality_kwargs, other=403),
    "followup:issued": Rule(LIABILITY_LINES, denied=404, kwargs=seeded(_statement_line, pk="statement_id"), other=404),
    "followup:dispute_new": Rule(DISPUTERS, denied=404, kwargs=seeded(_statement_line, line_id="pk"), other=404),
    "followup:disputes": Rule(LIABILITY_LINES, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "followup:dispute": Rule(LIABILITY_LINES, denied=404, kwargs=seeded(_dispute, pk="pk"), other=404),
    "followup:attachment": Rule(LIABILITY_LINES, denied=404, kwargs=seeded(_dispute, pk="pk"), other=404),
    "api:followup_statement_issue": Rule(
        ISSUERS,
        ok=201,
        anonymous=401,
        method="post",
        json=True,
        data=lambda w, p, o: {"municipality": _municipality_kwargs(w, p, o)["code"], "month": "2026-01"},
        other=403,
    ),
    "api:followup_disputes": Rule(
        LIABILITY_LINES, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "api:followup_disputes_create": Rule(
        DISPUTERS,
        ok=201,
        anonymous=401,
        denied=404,
        method="post",
        json=True,
        data=seeded(_statement_line, line="pk", extra={"reason": "Fel"}),
        other=404,
    ),
    "api:followup_dispute": Rule(
        LIABILITY_LINES,
        anonymous=401,
        denied=404,
        kwargs=lambda w, p, o: {"dispute_id": _dispute(w, p, o).pk},
        other=404,
    ),
    "api:followup_dispute_attachment": Rule(
        LIABILITY_LINES,
        anonymous=401,
        denied=404,
        kwargs=lambda w, p, o: {"dispute_id": _dispute(w, p, o).pk},
        other=404,
    ),
    "api:followup_dispute_answer": Rule(
        ISSUERS,
        anonymous=401,
        denied=404,
        method="post",
        json=True,
        kwargs=seeded(_dispute, dispute_id="pk"),
        data=lambda w, p, o: {"accept": False, "answer": "Nej"},
        other=404,
    ),
    "api:followup_statements": Rule(
        LIABILITY_LINES,
        anonymous=401,
        data=lambda w, p, o: {"county": _county(p, o), "month": "2026-01"},
        other=403,
    ),
    "forecasting:index": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "forecasting:run": Rule(
        FORECASTERS, ok=302, method="post", data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "forecasting:run_status": Rule(LOGGED_IN, kwargs=seeded(_forecast_run, run_id="pk"), other=404),
    "forecasting:scenarios": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "forecasting:scenario": Rule(LOGGED_IN, kwargs=seeded(_scenario, scenario_id="pk"), other=404),
    "forecasting:scenario_delete": Rule(
        FORECASTERS,
        ok=302,
        method="post",
        kwargs=seeded(_scenario, scenario_id="pk"),
        other=404,
        other_denied=404,
    ),
    "api:forecasting_forecasts": Rule(
        LOGGED_IN,
        anonymous=401,
        data=seeded(partial(_forecast_run, done=True), county="county_id", extra={"kind": "admissions"}),
        other=403,
    ),
    "api:forecasting_runs": Rule(
        FORECASTERS,
        ok=202,
        anonymous=401,
        method="post",
        json=True,
        data=lambda w, p, o: {"county": _county(p, o)},
        other=403,
    ),
    "api:forecasting_run": Rule(LOGGED_IN, anonymous=401, kwargs=seeded(_forecast_run, run_id="pk"), other=404),
    "api:flow_statistics": Rule(
        LOGGED_IN,
        anonymous=401,
        data=lambda w, p, o: {"county": _county(p, o), "from": "2026-01-01", "to": "2026-01-31"},
        other=403,
    ),
    "api:placements_requests": Rule(LOGGED_IN, anonymous=401),
    "api:placements_request": Rule(
        LOGGED_IN, anonymous=401, kwargs=seeded(_place_request, request_id="request.pk"), other=404
    ),
    "api:placements_offers_create": Rule(
        RECEIVERS,
        ok=201,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_place_request, request_id="request.pk"),
        data=_offer_data,
        other=404,
        other_denied=404,
    ),
    "api:placements_offer_accept": Rule(
        REQUESTERS,
        ok=201,
        anonymous=401,
        method="post",
        kwargs=seeded(_place_request, offer_id="offer.pk"),
        other=404,
        other_denied=404,
    ),
    "api:placements_offer_decline": Rule(
        REQUESTERS,
        ok=200,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_place_request, offer_id="offer.pk"),
        other=404,
        other_denied=404,
    ),
    "api:placements_free": Rule(LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "api:escalation": Rule(LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "capacity:overview": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "capacity:export_csv": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "capacity:export_xlsx": Rule(LOGGED_IN, data=_county_query, other=403),
    "capacity:unit": Rule(LOGGED_IN, kwargs=seeded(_unit, unit_id="pk"), other=404),
    "capacity:report": Rule(REPORTERS, kwargs=seeded(_unit, unit_id="pk"), other=404, other_denied=404),
    "capacity:planned_change_add": Rule(
        REPORTERS,
        ok=302,
        method="post",
        kwargs=seeded(_unit, unit_id="pk"),
        data=lambda w, p, o: {
            "effective_from": "2030-06-01",
            "staffed_change": 10,
            "physical_change": 10,
            "description": "Nya platser",
        },
        other=404,
        other_denied=404,
    ),
    "capacity:planned_change_cancel": Rule(
        REPORTERS, ok=302, method="post", kwargs=seeded(_planned_change, change_id="pk"), other=404, other_denied=404
    ),
    "capacity:completeness": Rule(FOLLOWERS_UP, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "capacity:send_reminders": Rule(
        SCHEDULERS, ok=302, method="post", data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "capacity:schedule": Rule(SCHEDULERS, kwargs=lambda w, p, o: {"county_code": _county(p, o)}, other=403),
    "api:capacity_overview": Rule(LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "api:capacity_overview_fhir": Rule(LOGGED_IN, anonymous=401, data=_county_query, other=403),
    "api:capacity_unit_history": Rule(LOGGED_IN, anonymous=401, kwargs=seeded(_unit, unit_id="pk"), other=404),
    "api:capacity_reports": Rule(
        REPORTERS,
        ok=201,
        anonymous=401,
        method="post",
        json=True,
        data=seeded(_unit, unit="pk", extra={"physical": 20, "staffed": 18, "occupied": 10}),
        other=422,
        other_denied=422,
    ),
    "resources:overview": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:types": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:items": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:item_new": Rule(ITEM_MANAGERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:item": Rule(LOGGED_IN, kwargs=seeded(_item, item_id="pk"), other=404),
    "resources:loans": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:loan_new": Rule(LOAN_REQUESTERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:loan": Rule(LOAN_VIEWERS, denied=404, kwargs=seeded(_loan_request, request_id="pk"), other=404),
    "resources:loan_action": Rule(
        LOAN_BORROWERS,
        ok=302,
        method="post",
        kwargs=seeded(_loan_request, request_id="pk", extra={"action": "withdraw"}),
        denied=404,
        denied_by=SEE_BUT_NOT_BORROW,
        other=404,
        other_denied=404,
    ),
    "resources:loan_action#approve": Rule(
        LOAN_LENDERS,
        ok=302,
        method="post",
        kwargs=seeded(_loan_request, request_id="pk", extra={"action": "approve"}),
        data=_available_item,
        denied=404,
        denied_by=SEE_BUT_NOT_LEND,
        other=404,
        other_denied=404,
    ),
    "resources:loan_return": Rule(
        LOAN_BORROWERS | LOAN_LENDERS,
        ok=302,
        method="post",
        kwargs=seeded(_lent_loan, loan_id="pk"),
        data=lambda w, p, o: {f"loan{_open_loan(w, p, o).pk}-condition": "ok"},
        denied=404,
        denied_by=SEE_BUT_NOT_RETURN,
        other=404,
        other_denied=404,
    ),
    "api:resources_availability": Rule(
        LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "api:resources_items": Rule(LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "api:resources_loan_requests": Rule(LOGGED_IN, anonymous=401),
    "api:resources_loan_requests_create": Rule(
        LOAN_BORROWERS,
        ok=201,
        anonymous=401,
        method="post",
        json=True,
        data=_new_loan_request_json,
        other=404,
        other_denied=404,
    ),
    "api:resources_loan_request": Rule(
        LOAN_VIEWERS, denied=404, anonymous=401, kwargs=seeded(_loan_request, request_id="pk"), other=404
    ),
    "api:resources_loan_request_approve": Rule(
        LOAN_LENDERS,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_loan_request, request_id="pk"),
        data=_available_item,
        denied=404,
        denied_by=SEE_BUT_NOT_LEND,
        other=404,
        other_denied=404,
    ),
    "api:resources_loan_request_decline": Rule(
        LOAN_LENDERS,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_loan_request, request_id="pk"),
        data=lambda w, p, o: {"reason": "Alla är utlånade"},
        denied=404,
        denied_by=SEE_BUT_NOT_LEND,
        other=404,
        other_denied=404,
    ),
    "api:resources_loan_request_withdraw": Rule(
        LOAN_BORROWERS,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_loan_request, request_id="pk"),
        denied=404,
        denied_by=SEE_BUT_NOT_BORROW,
        other=404,
        other_denied=404,
    ),
    "api:resources_loan_return": Rule(
        LOAN_BORROWERS | LOAN_LENDERS,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_lent_loan, loan_id="pk"),
        data=lambda w, p, o: {"condition": "ok"},
        denied=404,
        denied_by=SEE_BUT_NOT_RETURN,
        other=404,
        other_denied=404,
    ),
    "resources:stock": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:stock_report": Rule(STOCK_REPORTERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:stock_upload": Rule(STOCK_REPORTERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:stock_settings": Rule(SUPPLY_MANAGERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    # A row for a place one may not report for is refused with the row's error, as on the upload page.
    "api:resources_stock_reports": Rule(
        STOCK_REPORTERS, ok=201, denied=422, anonymous=401, method="post", json=True, data=_stock_json, other=422
    ),
    "api:resources_stock_overview": Rule(
        LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "resources:staff": Rule(STAFF_FOLLOWERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:staff_lent": Rule(STAFF_FOLLOWERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:staff_new": Rule(STAFF_REQUESTERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "resources:staff_detail": Rule(LOAN_VIEWERS, denied=404, kwargs=seeded(_staff_request, request_id="pk"), other=404),
    "resources:staff_action": Rule(
        LOAN_BORROWERS,
        ok=302,
        method="post",
        kwargs=seeded(_staff_request, request_id="pk", extra={"action": "withdraw"}),
        denied=404,
        denied_by=SEE_BUT_NOT_BORROW,
        other=404,
        other_denied=404,
    ),
    "resources:staff_action#propose": Rule(
        LOAN_LENDERS,
        ok=302,
        method="post",
        kwargs=seeded(_staff_request, request_id="pk", extra={"action": "propose"}),
        data=lambda w, p, o: {"propose-proposed_number": 1, "propose-proposal": "En från vårdcentralen"},
        denied=404,
        denied_by=SEE_BUT_NOT_LEND,
        other=404,
        other_denied=404,
    ),
    "api:resources_staff_requests": Rule(LOGGED_IN, anonymous=401),
    "api:resources_staff_requests_create": Rule(
        LOAN_BORROWERS,
        ok=201,
        anonymous=401,
        method="post",
        json=True,
        data=_staff_json,
        other=404,
        other_denied=404,
    ),
    "api:resources_staff_request": Rule(
        LOAN_VIEWERS,
        denied=404,
        anonymous=401,
        kwargs=seeded(_staff_request, request_id="pk"),
        other=404,
    ),
    "api:resources_staff_request_propose": Rule(
        LOAN_LENDERS,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_staff_request, request_id="pk"),
        data=lambda w, p, o: {"proposed_number": 1, "proposal": "En"},
        denied=404,
        denied_by=SEE_BUT_NOT_LEND,
        other=404,
        other_denied=404,
    ),
    "api:resources_staff_request_decide": Rule(
        LOAN_LENDERS,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(partial(_staff_request, proposed=True), request_id="pk"),
        data=lambda w, p, o: {"number": 2, "decided_by_body": "Regionledningen"},
        denied=404,
        denied_by=SEE_BUT_NOT_LEND,
        other=404,
        other_denied=404,
    ),
    "api:resources_staff_request_withdraw": Rule(
        LOAN_BORROWERS,
        anonymous=401,
        method="post",
        json=True,
        kwargs=seeded(_staff_request, request_id="pk"),
        denied=404,
        denied_by=SEE_BUT_NOT_BORROW,
        other=404,
        other_denied=404,
    ),
    "api:resources_staff_lent": Rule(
        STAFF_FOLLOWERS, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "situation:home": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "situation:prepare": Rule(
        SITUATION_PREPARERS, ok=302, method="post", data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "situation:detail": Rule(LOGGED_IN, kwargs=seeded(_published_report, report_id="pk"), other=404, other_denied=404),
    "situation:schedule": Rule(
        SITUATION_PREPARERS,
        ok=302,
        method="post",
        data=lambda w, p, o: {"county": _county(p, o), "enabled": "on", "weekday": "3", "time": "07:00"},
        other=403,
    ),
    "situation:export": Rule(
        LOGGED_IN,
        kwargs=seeded(_published_report, report_id="pk", extra={"fmt": "csv"}),
        other=404,
        other_denied=404,
    ),
    "situation:compare": Rule(
        LOGGED_IN, data=seeded(_two_reports, a="first.pk", b="second.pk"), other=404, other_denied=404
    ),
    "situation:public": Rule(PUBLIC, kwargs=seeded(_public_report, county_code="county_id")),
    "situation:public#closed": Rule(set(), denied=404, anonymous=404, kwargs=lambda w, p, o: {"county_code": "20"}),
    "situation:public_report": Rule(PUBLIC, kwargs=seeded(_public_report, county_code="county_id", number="number")),
    "situation:subscriptions": Rule(SITUATION_PREPARERS, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "situation:subscription_remove": Rule(
        SITUATION_PREPARERS,
        ok=302,
        method="post",
        kwargs=seeded(_subscription, subscription_id="pk"),
        denied=404,
        other=404,
    ),
    "situation:unsubscribe": Rule(PUBLIC, kwargs=seeded(_subscription, token="token")),
    "situation:public_data": Rule(
        PUBLIC, kwargs=seeded(_public_report, county_code="county_id", number="number", extra={"fmt": "json"})
    ),
    "situation:detail#draft": Rule(
        SITUATION_PREPARERS, kwargs=seeded(_draft_report, report_id="pk"), denied=404, other=404, other_denied=404
    ),
    "situation:comment": Rule(
        SITUATION_PREPARERS,
        ok=302,
        method="post",
        kwargs=seeded(_draft_report, report_id="pk"),
        data=lambda w, p, o: {"capacity": "Kommentar"},
        denied=404,
        other=404,
    ),
    "situation:publish": Rule(
        SITUATION_PREPARERS, ok=302, method="post", kwargs=seeded(_draft_report, report_id="pk"), denied=404, other=404
    ),
    "situation:discard": Rule(
        SITUATION_PREPARERS, ok=302, method="post", kwargs=seeded(_draft_report, report_id="pk"), denied=404, other=404
    ),
    "situation:correct": Rule(
        SITUATION_PREPARERS,
        ok=302,
        method="post",
        kwargs=seeded(_published_report, report_id="pk"),
        other=404,
        other_denied=404,
    ),
    "situation:epidemiology": Rule(LOGGED_IN, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "situation:epidemiology#post": Rule(
        SITUATION_PREPARERS,
        ok=302,
        method="post",
        data=lambda w, p, o: {"county": _county(p, o), "date": "2026-01-01", "indicator_deaths": "3"},
        other=403,
    ),
    "situation:epidemiology_file": Rule(SITUATION_PREPARERS, ok=302, method="post", data=_figures_file, other=403),
    "situation:indicator_new": Rule(
        INDICATOR_MANAGERS,
        ok=302,
        method="post",
        data=lambda w, p, o: {"county": _county(p, o), "code": "influenza", "name": "Influensa"},
        other=403,
    ),
    "api:situation_indicators": Rule(
        LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "api:situation_epidemiology": Rule(
        LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403
    ),
    "api:situation_epidemiology_create": Rule(
        SITUATION_PREPARERS,
        ok=201,
        anonymous=401,
        json=True,
        data=lambda w, p, o: {"county": _county(p, o), "date": "2026-01-01", "indicator": "deaths", "value": 3},
        other=403,
    ),
    "api:situation_reports": Rule(LOGGED_IN, anonymous=401, data=lambda w, p, o: {"county": _county(p, o)}, other=403),
    "api:situation_report": Rule(
        LOGGED_IN,
        anonymous=401,
        kwargs=seeded(_published_report, number="number"),
        data=lambda w, p, o: {"county": _county(p, o)},
        other=403,
    ),
    "api:openapi-json": Rule(PUBLIC),
    "api:openapi-view": Rule(PUBLIC),
    "api:api-root": Rule(PUBLIC, ok=404),  # nothing lives at the root; the docs do
    "api:municipalities": Rule(LOGGED_IN, anonymous=401, data=_county_query),  # reference data, open to all
    "api:organisations": Rule(LOGGED_IN, anonymous=401),
    "api:units": Rule(LOGGED_IN, anonymous=401, data=_municipality_query),  # another county's: an empty list
}


def _walk(patterns, namespace: str | None = None) -> Iterator[tuple[str, object]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(x for x in (namespace, pattern.namespace) if x) if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def route_names() -> list[str]:
    return sorted({name for name, _ in _walk(get_resolver().url_patterns)})


def admin_routes() -> list[str]:
    return [name for name in route_names() if name.startswith("admin:")]


def _route(rule_name: str) -> str:
    """A rule's route: its name up to "#" (after it, which case of the route the rule is about)."""
    return rule_name.partition("#")[0]


def test_every_route_is_in_the_matrix():
    covered = {_route(name) for name in RULES}
    uncovered = [name for name in route_names() if name not in covered and not name.startswith("admin:")]
    assert not uncovered, f"Add these routes to RULES in {__file__}: {uncovered}"


CASES = [(route, persona, which) for route in sorted(RULES) for persona in ALL_PERSONAS for which in ("own", "other")]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "persona", "which"), CASES)
def test_route_answers_each_persona_as_the_policy_says(client, world, route, persona, which):
    rule = RULES[route]
    if which == "other":
        _other_county_rows(world, persona)
    login(client, world.users.get(persona))
    url = reverse(_route(route), kwargs=rule.kwargs(world, persona, which))
    data = rule.data(world, persona, which)
    if rule.json:
        response = client.post(url, data, content_type="application/json")
    else:
        response = getattr(client, rule.method)(url, data)
    expected = rule.expected(persona, which)
    assert response.status_code == expected, f"{persona} {rule.method.upper()} {url} ({which})"
    if response.status_code == 302 and persona == ANONYMOUS and rule.anonymous == 302 and ANONYMOUS not in rule.allowed:
        assert response["Location"].startswith(reverse("accounts:login"))
    if which == "other" and persona != "admin":
        body = b"".join(response) if response.streaming else response.content
        for marker in OTHER_COUNTY_MARKERS:
            assert marker.encode() not in body, f"{persona} {url} shows the other county's {marker!r}"


# API-key creation: every persona × a key role × an organisation of each kind (issue 17). A key is
# made only with a role that fits the organisation's kind and that its creator holds in that very
# organisation; an administrator may give any fitting role. Written out here, not read from the policy.
KEY_ROLE_FITTING = {"region": "region_coordinator", "municipality": "municipal_coordinator"}  # providers: none
KEY_ORGANISATIONS = ["R20", "2080", "2084", "R18", "P-matrix"]


def _key_made(persona: str, organisation: Organisation, role: str) -> bool:
    if persona == "admin":
        return KEY_ROLE_FITTING.get(organisation.kind) == role
    if persona not in KEY_MANAGERS:
        return False
    _org, held, _unit = PERSONAS[persona]
    return OWN_ORGANISATION[persona] == organisation.code and held == role


@pytest.mark.django_db
@pytest.mark.parametrize("role", ApiKeyRole.values)
@pytest.mark.parametrize("code", KEY_ORGANISATIONS)
@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_api_key_creation_per_role_and_organisation_kind(client, world, persona, code, role):
    organisation = Organisation.objects.filter(code=code).first() or Organisation.objects.create(
        code=code, name="Matrix vård", kind=OrganisationKind.PROVIDER, county_id="20"
    )
    login(client, world.users.get(persona))
    response = client.post(reverse("accounts:api_keys"), {"organisation": organisation.pk, "name": "m", "role": role})
    made = ApiKey.objects.filter(organisation=organisation, name="m", role=role).exists()
    expected = {ANONYMOUS: 302}.get(persona, 200 if persona in KEY_MANAGERS else 403)
    assert (response.status_code, made) == (expected, _key_made(persona, organisation, role))


# Audit rows are never added by hand; API keys are created by command or on the API-key page.
# django-axes' login records are read-only too.
CLOSED_ADMIN_ROUTES = {
    "admin:audit_auditevent_add",
    "admin:audit_accesslogentry_add",
    "admin:accounts_apikey_add",
    "admin:axes_accessattempt_add",
    "admin:axes_accessfailurelog_add",
    "admin:axes_accesslog_add",
    "admin:capacity_capacityreport_add",
    "admin:django_tasks_database_dbtaskresult_add",
    "admin:flow_importrun_add",
}


def _admin_url(name: str, world: World) -> str | None:
    """A URL for an admin route, filling object ids with an object of the right model."""
    pattern = dict(_walk(get_resolver().url_patterns))[name]
    params = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
    if not params:
        return reverse(name)
    if params == {"app_label"}:
        return reverse(name, kwargs={"app_label": "organisations"})
    if "object_id" in params:
        model_name = name.split(":")[1].rsplit("_", 1)[0]
        samples = {"organisations_unit": world.lunden.pk, "organisations_organisation": world.falun.pk}
        if model_name in samples:
            return reverse(name, kwargs={"object_id": samples[model_name]})
        return None  # other object routes are covered by the same site-wide permission check
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_admin_pages_are_for_administrators_only(client, world, persona):
    login(client, world.users.get(persona))
    checked = 0
    for name in admin_routes():
        url = _admin_url(name, world)
        if url is None or name in {"admin:login", "admin:logout", "admin:view_on_site", "admin:autocomplete"}:
            continue
        response = client.get(url)
        checked += 1
        if persona == "admin":
            assert response.status_code == (403 if name in CLOSED_ADMIN_ROUTES else 200), url
        elif persona == ANONYMOUS:
            # Straight to Samverkan's login, or via the admin's login URL, which forwards there.
            assert response.status_code == 302, url
            assert response["Location"].startswith(("/konto/login/", "/admin/login/")), url
        else:
            assert response.status_code in {302, 403}, url
            if response.status_code == 302:
                assert "/konto/login/" in response["Location"] or response["Location"].startswith("/admin/"), url
    assert checked > 20


@pytest.mark.django_db
def test_outsider_sees_no_other_county_through_the_api(client, world):
    login(client, world.outsider)
    organisations = client.get("/api/v1/organisations").json()
    assert organisations and {o["county"] for o in organisations} == {"18"}
    units = client.get("/api/v1/units").json()
    assert units and all(Unit.objects.get(pk=u["id"]).organisation.county_id == "18" for u in units)
    assert client.get("/api/v1/units?municipality=2080").json() == []


@pytest.mark.django_db
def test_the_other_county_rows_show_where_they_are_visible(client, world):
    """The other-county cases' check can fail: an administrator, who sees every county, finds them."""
    _other_county_rows(world, "admin")  # in Örebro county
    login(client, world.admin)
    for url in ("/api/v1/organisations", "/api/v1/capacity/overview?county=18", "/organisationer/?county=18"):
        body = client.get(url).content
        assert any(marker.encode() in body for marker in OTHER_COUNTY_MARKERS), url
    login(client, world.outsider)  # a region coordinator of Örebro county sees them too
    assert OTHER_COUNTY_MARKERS[1].encode() in client.get("/api/v1/capacity/overview?county=18").content
