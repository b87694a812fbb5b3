"""axe-core (WCAG 2.0 and 2.1, levels A and AA) and the Content-Security-Policy on every kind of page.

axe-core is injected as a script, which the Content-Security-Policy rightly forbids, so axe runs in
a context that bypasses the policy; the policy itself is checked in a context that enforces it.

Set SAMVERKAN_SCREENSHOTS to a directory to also save full-page screenshots (desktop and phone width)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from samverkan.accounts.models import ApiKeyRole
from samverkan.accounts.services import api_key_create
from samverkan.audit.services import access_log_record
from samverkan.capacity import services as capacity_services
from samverkan.capacity.models import BedCategory
from samverkan.flow.imports import import_rows, source_for
from samverkan.followup import services as followup
from samverkan.followup.models import DayRate as LiabilityDayRate
from samverkan.followup.models import Dispute, StatementLine
from samverkan.forecasting import services as forecasting
from samverkan.forecasting.models import Scenario
from samverkan.meetings import services as meeting_services
from samverkan.meetings.models import Assignment, FundingRound, Meeting, SharedCost, Tracker
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality
from samverkan.placements import escalation
from samverkan.placements import services as placements
from samverkan.placements.models import DayRate, PlacementNeed, PlaceRequest, RequestStatus
from samverkan.resources import services as resources
from samverkan.resources.models import EquipmentItem, ItemStatus, LoanRequest, LoanStatus, StaffRequest, StaffStatus
from samverkan.resources.tests.helpers import catalogue, make_items, make_request, make_staff_request, stock_row
from samverkan.situation import services as situation
from samverkan.situation.models import SituationReport, Subscription
from samverkan.testing import World, enrolment_links, totp_device

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("axe-4.14.1.min.js")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
    }));
}"""


@dataclass(frozen=True)
class Visit:
    """How to reach one page: as whom (a persona, or None), and where."""

    name: str
    path: str | Callable[[World], str]
    persona: str | None = "region_coordinator"
    status: int = 200
    arrive: Callable | None = None  # arrive(page, world, enter_password) instead of a plain goto


def _code_page(page: Page, world: World, enter_password: Callable) -> None:
    totp_device(world.region_coordinator)
    enter_password(page, world.region_coordinator.email)
    expect(page.locator("#id_token")).to_be_visible()


def _enrolment_waiting_page(page: Page, world: World, enter_password: Callable) -> None:
    enter_password(page, world.avesta_coordinator.email)  # a coordinator without an authenticator yet
    expect(page.locator("button[name=send_link]")).to_be_visible()


def _enrolment_page(page: Page, world: World, enter_password: Callable) -> None:
    _enrolment_waiting_page(page, world, enter_password)
    page.goto(enrolment_links(world.avesta_coordinator)[-1])
    expect(page.locator(".qr svg")).to_be_visible()


def _login_error_page(page: Page, world: World, enter_password: Callable) -> None:
    enter_password(page, world.viewer.email, "not the password")
    expect(page.locator(".form-errors")).to_be_visible()


def _stock_report_errors(page: Page, world: World, enter_password: Callable) -> None:
    """The quick report sent with a bad figure: its errors shown beside the fields and above."""
    page.goto("/resurser/forrad/rapport/")
    page.fill("#ffp2-on_hand", "tolv")
    page.click("form:has(input[name=place]) button[type=submit]")
    expect(page.locator("#report-errors")).to_be_visible()


VISITS = [
    Visit("login", "/konto/login/", persona=None),
    Visit("login-error", "/konto/login/", persona=None, arrive=_login_error_page),
    Visit("code", "/konto/login/code/", persona=None, arrive=_code_page),
    Visit("code-enrolment-waiting", "/konto/login/code/", persona=None, arrive=_enrolment_waiting_page),
    Visit("code-enrolment", "/konto/login/code/", persona=None, arrive=_enrolment_page),
    Visit("enrolment-link-login-first", "/konto/login/authenticator/not-a-real-token-0000/", persona=None),
    Visit("home", "/"),
    Visit("accessibility", "/tillganglighet/", persona=None),
    Visit("account", "/konto/"),
    Visit("organisations", "/organisationer/"),
    Visit("organisation", "/organisationer/2080/"),
    Visit("audit", "/granskning/"),
    Visit("audit-access-log", "/granskning/?log=access"),
    Visit("api-keys", "/konto/api-keys/"),
    Visit("capacity-overview", "/kapacitet/"),
    Visit("capacity-unit", lambda world: f"/kapacitet/enheter/{world.lunden.pk}/"),
    Visit(
        "capacity-report-form",
        lambda world: f"/kapacitet/enheter/{world.lunden.pk}/rapportera/",
        persona="lunden_staff",
    ),
    Visit("capacity-completeness", "/kapacitet/rapportering/"),
    Visit("capacity-schedule", "/kapacitet/rapportering/schema/20/"),
    Visit("placements-list", "/platser/"),
    Visit("placements-new", "/platser/ny/"),
    # An administrator acts for both sides: the offers with accept and decline, the offer form, withdrawing.
    Visit("placements-request", lambda world: f"/platser/{_offered_request().pk}/", persona="admin"),
    Visit("placements-free", "/platser/lediga/"),
    Visit("placements-escalation", "/platser/beredskap/"),
    Visit("placements-settlement", "/platser/avrakning/"),
    Visit("resources-overview", "/resurser/"),
    Visit("resources-types", "/resurser/typer/"),
    Visit("resources-items", "/resurser/utrustning/"),
    Visit("resources-item-new", "/resurser/utrustning/ny/"),
    Visit("resources-item", lambda world: f"/resurser/utrustning/{_lent_item().pk}/"),
    Visit("resources-loans", "/resurser/lan/"),
    Visit("resources-loan-new", "/resurser/lan/ny/"),
    # An administrator sees both sides: the approval's checkboxes and decline, the return form.
    Visit("resources-loan-waiting", lambda world: f"/resurser/lan/{_waiting_loan().pk}/", persona="admin"),
    Visit(
        "resources-loan-lent", lambda world: f"/resurser/lan/{_lent_item().loans.get().request_id}/", persona="admin"
    ),
    Visit("resources-stock", "/resurser/forrad/"),
    Visit("resources-stock-municipal", "/resurser/forrad/", persona="falun_coordinator"),
    Visit("resources-stock-report", "/resurser/forrad/rapport/", persona="lunden_staff"),
    Visit(
        "resources-stock-report-errors",
        "/resurser/forrad/rapport/",
        persona="lunden_staff",
        arrive=_stock_report_errors,
    ),
    Visit("resources-stock-upload", "/resurser/forrad/uppladdning/", persona="lunden_staff"),
    Visit("resources-stock-settings", "/resurser/forrad/installningar/"),
    Visit("resources-staff", "/resurser/personal/"),
    Visit("resources-staff-new", "/resurser/personal/ny/", persona="avesta_coordinator"),
    Visit("resources-staff-proposal", lambda world: f"/resurser/personal/{_staff(StaffStatus.SUBMITTED).pk}/"),
    Visit("resources-staff-decision", lambda world: f"/resurser/personal/{_staff(StaffStatus.PROPOSED).pk}/"),
    Visit(
        "resources-staff-decided",
        lambda world: f"/resurser/personal/{_staff(StaffStatus.PARTLY_APPROVED).pk}/",
        persona="avesta_coordinator",
    ),
    Visit("resources-staff-lent", "/resurser/personal/utlanad/"),
    Visit("flow-statistics", "/flode/"),
    # A reader's page: whole weeks, rounded counts and what that means.
    Visit("flow-statistics-reader", "/flode/?county=20&from=2026-10-01&to=2026-10-31", persona="viewer"),
    Visit("flow-upload", "/flode/import/"),
    Visit("flow-episodes", "/flode/vardtillfallen/?county=20&reason=Uppf%C3%B6ljning"),
    Visit("situation-home", "/lagesbild/?county=20"),
    Visit("situation-report", lambda world: f"/lagesbild/{_situation_report('published').pk}/", persona="viewer"),
    Visit("situation-draft", lambda world: f"/lagesbild/{_situation_report('draft').pk}/", persona="forum_secretary"),
    Visit("situation-epidemiology", "/lagesbild/epidemiologi/?county=20"),
    Visit("situation-public", "/lagesbild/offentlig/20/", persona=None),
    Visit("situation-subscriptions", "/lagesbild/prenumeranter/?county=20"),
    Visit(
        "situation-unsubscribe",
        lambda world: f"/lagesbild/avprenumerera/{Subscription.objects.latest('pk').token}/",
        persona=None,
    ),
    Visit(
        "situation-compare",
        lambda world: f"/lagesbild/jamfor/?a={_situation_report('published').pk}&b={_situation_report('published').pk}",
    ),
    Visit("meetings", "/moten/", persona="avesta_coordinator"),
    Visit("meetings-forum", lambda world: f"/moten/forum/{_meeting().forum_id}/", persona="forum_secretary"),
    Visit("meetings-forum-new", "/moten/forum/ny/", persona="forum_secretary"),
    Visit("meetings-forum-edit", lambda world: f"/moten/forum/{_meeting().forum_id}/andra/", persona="forum_secretary"),
    Visit(
        "meetings-meeting-new",
        lambda world: f"/moten/forum/{_meeting().forum_id}/nytt-mote/",
        persona="forum_secretary",
    ),
    Visit("meetings-meeting", lambda world: f"/moten/{_meeting().pk}/", persona="forum_secretary"),
    # The chair's view of minutes waiting for approval: the signing form.
    Visit(
        "meetings-meeting-approval", lambda world: f"/moten/{_meeting(waiting=True).pk}/", persona="falun_coordinator"
    ),
    Visit("meetings-item", lambda world: f"/moten/punkter/{_meeting().items.first().pk}/", persona="forum_secretary"),
    Visit(
        "meetings-assignment-new",
        lambda world: f"/moten/punkter/{_meeting().items.first().pk}/uppdrag/",
        persona="forum_secretary",
    ),
    Visit("meetings-attendance", lambda world: f"/moten/{_meeting().pk}/narvaro/", persona="forum_secretary"),
    Visit("meetings-board", lambda world: f"/moten/forum/{_meeting().forum_id}/uppdrag/"),
    Visit(
        "meetings-assignment",
        lambda world: f"/moten/uppdrag/{Assignment.objects.latest('pk').pk}/",
        persona="avesta_coordinator",
    ),
    Visit("meetings-decisions", "/moten/beslut/?q=Att"),
    Visit("meetings-trackers", "/moten/statusfragor/", persona="forum_secretary"),
    Visit(
        "meetings-tracker",
        lambda world: f"/moten/statusfragor/{Tracker.objects.get().pk}/",
        persona="avesta_coordinator",
    ),
    Visit(
        "meetings-tracker-secretary",
        lambda world: f"/moten/statusfragor/{Tracker.objects.get().pk}/",
        persona="forum_secretary",
    ),
    Visit("meetings-costs", lambda world: f"/moten/forum/{_meeting().forum_id}/kostnader/", persona="forum_secretary"),
    Visit("meetings-cost", lambda world: f"/moten/kostnader/{SharedCost.objects.get().pk}/"),
    Visit(
        "meetings-funding-rounds", lambda world: f"/moten/forum/{_meeting().forum_id}/medel/", persona="forum_secretary"
    ),
    Visit(
        "meetings-funding-round",
        lambda world: f"/moten/medel/{FundingRound.objects.get().pk}/",
        persona="forum_secretary",
    ),
    Visit("followup-liability", "/uppfoljning/?county=20&month=2026-10"),
    Visit("followup-statement", "/uppfoljning/underlag/2080/?month=2026-10"),
    Visit("followup-agreement", "/uppfoljning/overenskommelse/?county=20"),
    Visit("followup-issued", lambda world: f"/uppfoljning/utfardade/{_followup_line().statement_id}/"),
    Visit(
        "followup-issued-municipality",
        lambda world: f"/uppfoljning/utfardade/{_followup_line().statement_id}/",
        persona="falun_coordinator",
    ),
    Visit(
        "followup-dispute-new",
        lambda world: f"/uppfoljning/utfardade/rad/{_followup_line().pk}/bestrid/",
        persona="falun_coordinator",
    ),
    Visit("followup-disputes", "/uppfoljning/bestridanden/?county=20"),
    Visit("followup-indicators", "/uppfoljning/indikatorer/?county=20&month=2026-10"),
    Visit(
        "followup-indicators-reader", "/uppfoljning/indikatorer/?county=20&month=2026-10&area=2080", persona="viewer"
    ),
    Visit("followup-dispute", lambda world: f"/uppfoljning/bestridanden/{Dispute.objects.latest('pk').pk}/"),
    Visit("followup-agreement-reader", "/uppfoljning/overenskommelse/?county=20", persona="viewer"),
    Visit("forecast", "/prognoser/?county=20"),
    Visit("forecast-municipality-reader", "/prognoser/?county=20&area=2080&kind=admissions", persona="viewer"),
    Visit("forecast-scenarios", "/prognoser/scenarier/?county=20"),
    Visit("forecast-scenario", lambda world: f"/prognoser/scenarier/{Scenario.objects.latest('pk').pk}/"),
    Visit("404", "/finns-inte/", persona=None, status=404),
    Visit("404-logged-in", "/finns-inte/", status=404),
    Visit("400", "/kapacitet/?county=%00", status=400),
]


def _staff(status: str) -> StaffRequest:
    return StaffRequest.objects.filter(status=status).latest("pk")


def _lent_item() -> EquipmentItem:
    return EquipmentItem.objects.filter(status=ItemStatus.ON_LOAN).latest("pk")


def _waiting_loan() -> LoanRequest:
    return LoanRequest.objects.filter(status=LoanStatus.REQUESTED).latest("pk")


def _followup_line() -> StatementLine:
    return StatementLine.objects.filter(record_id="E5").latest("pk")


def _situation_report(status: str) -> SituationReport:
    return SituationReport.objects.filter(county_id="20", status=status).latest("pk")


def _offered_request() -> PlaceRequest:
    return PlaceRequest.objects.filter(status=RequestStatus.OFFERED).latest("pk")


def _meeting(*, waiting: bool = False) -> Meeting:
    """The draft meeting of _meetings_content (or the one whose minutes wait for approval)."""
    return Meeting.objects.get(title="Väntar på justering" if waiting else "Veckomöte")


def _meetings_content(world: World) -> None:
    """A forum with a meeting (attendance, an item with minutes, a decision, an overdue and a coming
    assignment) and a second meeting whose minutes wait for the chair's approval."""
    secretary = world.forum_secretary
    forum = meeting_services.forum_create(
        county=County.objects.get(code="20"),
        name="Chefsnätverket",
        organisations=[world.region, world.falun, world.avesta],
        by=secretary,
    )
    meeting_services.forum_person_add(forum=forum, user=world.falun_coordinator, organisation=world.falun, by=secretary)
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time(13)))
    for title, offset in (("Veckomöte", -1), ("Väntar på justering", -8)):
        meeting = meeting_services.meeting_create(
            forum=forum,
            data=meeting_services.MeetingInput(
                title=title,
                starts_at=start + datetime.timedelta(days=offset),
                place="Falun",
                chair=world.falun_coordinator,
                checker=world.region_coordinator,
            ),
            by=secretary,
        )
        item = meeting_services.agenda_item_add(
            meeting=meeting, title="Korttidsplatser", kind="decision", presenter="Filip Falun", by=secretary
        )
        meeting_services.agenda_item_update(
            item=item,
            title=item.title,
            kind=item.kind,
            presenter=item.presenter,
            description="",
            minutes="Avesta behöver sex platser.",
            by=secretary,
        )
        meeting_services.decision_add(item=item, text="Att Lunden används för länet", by=secretary)
        # One overdue (due the day of the meeting, which is past) and one due in ten days.
        for title, due in (
            ("Rapportera lagret", meeting.date),
            ("Ta fram en plan", today + datetime.timedelta(days=10)),
        ):
            meeting_services.assignment_create(
                item=item,
                data=meeting_services.AssignmentInput(title=title, owner_organisation=world.avesta, due_date=due),
                by=secretary,
            )
    meeting_services.minutes_send_for_approval(meeting=_meeting(waiting=True), by=secretary)
    tracker = meeting_services.tracker_create(
        county=County.objects.get(code="20"),
        question="Redo för digitala vårdmöten?",
        options=["Redo", "Nästan redo", "Inga uppgifter"],
        by=secretary,
    )
    meeting_services.tracker_answer(
        tracker=tracker, organisation=world.avesta, status="Nästan redo", as_of=today, by=world.avesta_coordinator
    )
    meeting_services.shared_cost_create(
        forum=forum,
        description="Konsultstöd",
        amount_ore=120_000_00,
        region_share=Fraction(5, 6),
        method="population",
        by=secretary,
    )
    funding = meeting_services.funding_round_create(
        forum=forum, name="UPH-medel", budget=17_000_000, criteria="Länsgemensam nytta", by=secretary
    )
    meeting_services.funding_application_create(
        funding=funding,
        data=meeting_services.ApplicationInput(
            organisation=world.avesta,
            project="Digitala vårdmöten",
            amount=2_000_000,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=365),
        ),
        by=world.avesta_coordinator,
    )


def _with_content(world: World) -> None:
    """Enough data that the tables, attention items and audit details render."""
    coordinator = world.region_coordinator
    flow_source = source_for("20", "Cosmic")
    flow_rows = [
        (
            2,
            {
                "source_id": "E1",
                "home_municipality": "2080",
                "care_type": "somatic",
                "admitted_at": "2026-10-01T08:00",
                "ready_at": "2026-10-03T08:00",
                "discharged_at": "2026-10-05T08:00",
                "destination": "short_term",
            },
        ),
        (
            4,
            {
                "source_id": "E4",
                "home_municipality": "2080",
                "care_type": "somatic",
                "admitted_at": "2026-10-01T08:00",
                "admission_notice_at": "2026-10-01T12:00",
                "ready_at": "2026-10-06T08:00",
                "discharged_at": "2026-10-15T08:00",
                "destination": "home",
            },
        ),
        (
            5,
            {
                "source_id": "E5",
                "home_municipality": "2080",
                "care_type": "somatic",
                "admitted_at": "2026-10-01T08:00",
                "admission_notice_at": "2026-10-01T12:00",
                "ready_at": "2026-10-10T08:00",
                "discharged_at": "2026-10-20T08:00",
                "destination": "home",
            },
        ),
        (
            3,
            {"source_id": "E2", "home_municipality": "2084", "care_type": "somatic", "admitted_at": "2026-10-02T08:00"},
        ),
    ]
    import_rows(source=flow_source, rows=flow_rows, by=coordinator, filename="demo.csv")
    import_rows(
        source=flow_source,
        rows=[(2, {"source_id": "E3", "home_municipality": "9999"})],
        by=coordinator,
        filename="bad.csv",
    )
    api_key_create(organisation=world.region, name="Journalsystem", role=ApiKeyRole.REGION_COORDINATOR, by=coordinator)
    access_log_record(by=coordinator, resource="episodes", reason="Uppföljning", organisation=world.region)
    BedCategory.objects.create(county_id="20", code="covid", name="Covid-platser")
    for unit, occupied in ((world.lunden, 30), (world.avesta_unit, 14)):
        capacity_services.capacity_report_create(
            data=capacity_services.ReportInput(
                unit=unit, physical=40, staffed=34, occupied=occupied, surge=6, categories={"covid": (6, 2)}
            ),
            by=world.avesta_coordinator if unit == world.avesta_unit else world.lunden_staff,
        )
    capacity_services.planned_change_create(
        unit=world.lunden,
        effective_from=datetime.date(2030, 6, 1),
        physical_change=0,
        staffed_change=6,
        description="Sex platser till",
        by=world.falun_coordinator,
    )
    # Placements: a stay that began this month (settlement), a request with an open offer, needs,
    # a day rate and a confirmed escalation step.
    PlacementNeed.objects.create(county_id="20", code="covid", name="Covid-positiv")
    PlacementNeed.objects.create(county_id="20", code="oxygen", name="Syrgas")
    DayRate.objects.create(county_id="20", valid_from=datetime.date(2020, 1, 1), amount=Decimal("2400"))
    LiabilityDayRate.objects.create(county_id="20", year=2026, amount=Decimal("11700"))
    # Follow-up: October's statement for Falun, one line disputed (E4) and one left to dispute (E5).
    statement = followup.statement_issue(
        municipality=Municipality.objects.get(code="2080"), year=2026, month=10, by=world.region_coordinator
    )
    followup.dispute_raise(
        line=statement.lines.get(record_id="E4"), reason="Inget inskrivningsmeddelande", by=world.falun_coordinator
    )
    followup.indicator_target_set(
        county=statement.county,
        indicator="same_day_share",
        valid_from=datetime.date(2026, 1, 1),
        target=Decimal("40"),
        by=world.region_coordinator,
    )
    today = timezone.localdate()
    for places, arrive in ((1, True), (3, False)):
        request = placements.request_create(
            by=world.avesta_coordinator,
            from_organisation=world.avesta,
            places=places,
            wanted_from=today,
            urgency="urgent",
            note="Behöver syrgas",
            needs=list(PlacementNeed.objects.filter(code="oxygen")),
            to_county=True,
        )
        offer = placements.offer_create(
            request=request, unit=world.lunden, places=places if arrive else 2, by=world.lunden_staff, comment="Rum 4"
        )
        if arrive:
            placements.offer_accept(offer=offer, by=world.avesta_coordinator)
            placements.request_arrive(request=request, by=world.lunden_staff, on=today.replace(day=1))
    escalation.escalation_confirm(
        county_code="20",
        step=escalation.steps_for("20")[1],
        by=world.region_coordinator,
        comment="Få lediga platser i länet",
    )
    # Equipment: an overdue loan at Avesta, a request from Lunden waiting for the region's answer.
    concentrators = make_items(world, 4)
    lent = make_request(
        world,
        first=timezone.localdate() - datetime.timedelta(days=20),
        last=timezone.localdate() - datetime.timedelta(days=2),
    )
    resources.loan_request_approve(request=lent, items=concentrators[:1], by=world.region_coordinator)
    make_request(world, unit=world.lunden, quantity=2, by=world.lunden_staff)
    # Supply: a catalogue, Falun low on FFP2, Avesta fine, and a contact for the south.
    catalogue()
    resources.stock_reports_submit(
        county_code="20",
        rows=[
            ("2", stock_row("2080", on_hand=20, used_7_days=70)),
            ("3", stock_row("t-lunden", "handsprit", used_7_days=None)),
        ],
        by=world.falun_coordinator,
    )
    resources.stock_reports_submit(
        county_code="20", rows=[("2", stock_row("2084", on_hand=900))], by=world.avesta_coordinator
    )
    # Staff requests: one submitted, one with a proposal, one decided in part.
    for target in (StaffStatus.SUBMITTED, StaffStatus.PROPOSED, StaffStatus.PARTLY_APPROVED):
        staff = make_staff_request(world, by=world.avesta_coordinator, number=3, starts_on=timezone.localdate())
        if target != StaffStatus.SUBMITTED:
            resources.staff_request_propose(
                request=staff, by=world.region_coordinator, proposal="Två från primärvården", proposed_number=2
            )
        if target == StaffStatus.PARTLY_APPROVED:
            resources.staff_request_decide(
                request=staff,
                by=world.region_coordinator,
                number=2,
                reason="Natt kan inte bemannas",
                decided_by_body="Regionledningen",
            )
    resources.supply_contact_create(
        county_code="20",
        user=world.region_coordinator,
        area="Södra Dalarna",
        municipalities=[world.avesta.municipality],
        by=world.admin,
    )
    # Situation: figures for two weeks, a published report with comments, and a draft after it.
    situation.figures_record(
        county_code="20",
        items=[
            situation.FigureInput(today - datetime.timedelta(days=n), code, value + 14 - n)
            for n in range(14)
            for code, value in (("intensive_care", 10), ("covid_ward", 40), ("deaths", 5), ("confirmed_cases", 400))
        ],
        source="form",
        by=coordinator,
    )
    report = situation.report_prepare(county=world.region.county, by=coordinator)
    situation.report_comment(report=report, comments={"capacity": "Lunden kan utöka."}, by=coordinator)
    situation.report_publish(report=report, by=coordinator)
    situation.settings_save(
        county=world.region.county, enabled=True, weekday=3, time=datetime.time(7), public=True, by=coordinator
    )
    situation.report_prepare(county=world.region.county, by=coordinator)
    situation.subscriptions_add_members(county=world.region.county, organisation=world.falun, by=coordinator)
    situation.subscription_add(county=world.region.county, email="kansli@example.se", by=coordinator)
    _meetings_content(world)
    # Forecasts: a run over the flow and reports above, and a scenario starting in Avesta.
    run = forecasting.forecast_run_request(county_code="20", trigger="nightly", by=policy.SYSTEM)
    forecasting.forecast_run_execute(run=run, by=policy.SYSTEM)
    forecasting.scenario_create(
        county_code="20",
        values={
            "name": "Utbrott i Avesta",
            "start_date": today,
            "initial_cases": 10,
            "doubling_time": 5,
            "share_hospitalised": 5,
            "hospital_los": 7,
            "share_short_term": 25,
            "short_term_los": 14,
            "outbreak_municipality": world.avesta.municipality,
            "days": 28,
        },
        by=coordinator,
    )


def _go(visit: Visit, page: Page, world: World, enter_password: Callable) -> None:
    if visit.arrive:
        visit.arrive(page, world, enter_password)
    else:
        path = visit.path(world) if callable(visit.path) else visit.path
        response = page.goto(path)
        assert response is not None and response.status == visit.status, f"{path}: {response and response.status}"
        assert "default-src 'self'" in response.headers.get("content-security-policy", ""), path
    expect(page.locator("h1")).to_have_count(1)


def _report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}")
            lines.extend(f"        {line}" for line in (node["summary"] or "").splitlines())
    return "\n".join(lines)


def _visit_all(world: World, open_page: Callable, enter_password: Callable, *, bypass_csp: bool):
    """Yield (visit, page) for every visit. Plain visits share one page per persona (a fresh page's
    first load is the slow part); the visits that arrive by their own steps (the login forms, a
    form sent with errors) each get a new context, logged in as their persona if they have one."""
    shared: dict[str | None, Page] = {}
    for visit in VISITS:
        if visit.arrive:
            page = open_page(world.users[visit.persona] if visit.persona else None, bypass_csp=bypass_csp)
        else:
            if visit.persona not in shared:
                user = world.users[visit.persona] if visit.persona else None
                shared[visit.persona] = open_page(user, bypass_csp=bypass_csp)
            page = shared[visit.persona]
        _go(visit, page, world, enter_password)
        yield visit, page
        if visit.arrive:
            page.context.close()


def test_every_page_passes_axe(world, open_page, enter_password):
    """Each page at desktop width and at phone width (where tables scroll and the header wraps)."""
    _with_content(world)
    screens = os.environ.get("SAMVERKAN_SCREENSHOTS")
    failures = {}
    for visit, page in _visit_all(world, open_page, enter_password, bypass_csp=True):
        page.add_script_tag(path=str(AXE))
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            violations = page.evaluate(AXE_RUN, WCAG_TAGS)
            if violations:
                failures[f"{visit.name}, {label} ({page.url})"] = _report(violations)
            if screens:
                Path(screens).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(screens) / f"{visit.name}-{label}.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
    report = "\n\n".join(f"axe-core violations on {name}:\n{text}" for name, text in failures.items())
    if report:
        print(report)
    assert not failures, report


def test_axe_check_catches_a_planted_violation(open_page):
    """Guards the check above against passing vacuously (a wrong tag, a script that never ran)."""
    page = open_page(bypass_csp=True)
    page.goto("/tillganglighet/")
    page.evaluate(
        "() => document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/x.png'}))"
    )
    page.add_script_tag(path=str(AXE))
    assert "image-alt" in [violation["id"] for violation in page.evaluate(AXE_RUN, WCAG_TAGS)]


def test_no_page_violates_the_content_security_policy(world, open_page, enter_password, csp_errors):
    _with_content(world)
    visited = [visit.name for visit, _page in _visit_all(world, open_page, enter_password, bypass_csp=False)]
    assert visited == [visit.name for visit in VISITS]
    assert csp_errors == [], "Content-Security-Policy violations:\n" + "\n".join(csp_errors)


def test_csp_check_catches_a_planted_violation(open_page, csp_errors):
    """Guards the check above: an inline script on a page that enforces the policy is reported."""
    page = open_page()
    page.goto("/tillganglighet/")
    with page.expect_console_message(lambda message: message.type == "error"):
        page.evaluate("() => document.body.append(Object.assign(document.createElement('script'), {text: '1'}))")
    assert any("script-src" in error for error in csp_errors), csp_errors
