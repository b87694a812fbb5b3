"""`manage.py demo_data` builds the demo the README promises, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from samverkan.accounts.models import Notification, User
from samverkan.capacity import selectors as capacity_selectors
from samverkan.flow.models import Episode
from samverkan.followup.models import Agreement, Statement
from samverkan.forecasting.models import ForecastRun, Scenario
from samverkan.meetings.models import FundingRound, Meeting, SharedCost
from samverkan.organisations import policy
from samverkan.organisations.models import UnitKind
from samverkan.placements.models import PlaceRequest
from samverkan.resources import selectors
from samverkan.resources.models import EquipmentItem, Loan, LoanRequest, StaffRequest, StockReport
from samverkan.situation.models import SituationReport

pytestmark = pytest.mark.django_db


def test_demo_data_loads_the_minutes_scenario_and_is_idempotent(monkeypatch):
    from samverkan.demo import flow

    monkeypatch.setattr(flow, "DAYS", 21)  # three weeks of episodes are enough here
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    text = out.getvalue()
    assert "falun@demo.samverkan.se" in text and "TOTP secret" in text

    avesta = PlaceRequest.objects.get(from_organisation__municipality_id="2084")
    assert avesta.places == 6
    episodes = Episode.objects.filter(source__name="Cosmic (demo)")
    assert episodes.count() > 500
    with_ward = episodes.filter(hospital_unit__isnull=False)
    assert with_ward.count() == episodes.count()
    assert set(with_ward.values_list("hospital_unit__organisation__code", flat=True)) == {"R20"}

    assert EquipmentItem.objects.filter(type__code="syrgaskoncentrator", owner__code="R20").count() == 33
    open_loans = Loan.objects.filter(returned_at__isnull=True)
    assert open_loans.count() == 4
    assert sum(loan.is_overdue(timezone.localdate()) for loan in open_loans) == 1
    assert LoanRequest.objects.filter(status="requested", borrower__code="2084").count() == 1

    assert (
        StockReport.objects.filter(supply_id="18").count() == 11 * 12 * 9
    )  # every third day, 12 municipalities, 9 articles
    admin = EquipmentItem.objects.first().owner.memberships.get(role="admin").user
    overview = selectors.stock_overview(admin, "18")
    low = [(r.report.organisation.name, r.report.item.code) for r in overview.low]
    assert low == [("Hällefors", "ffp2")]
    assert Notification.objects.filter(text__contains="Hällefors", user__email__startswith="region.orebro").exists()

    staff = dict(StaffRequest.objects.values_list("requester__code", "status"))
    assert staff == {"2084": "proposed", "2081": "partly_approved"}

    reports = SituationReport.objects.filter(county_id="20", status="published").order_by("number")
    assert [r.number for r in reports] == [1, 2]
    latest = {row["code"]: row["value"] for row in reports[1].figures["epidemiology"]["indicators"]}
    assert latest == {"confirmed_cases": 564, "intensive_care": 19, "covid_ward": 66, "deaths": 29, "influenza": 10}
    held, upcoming = Meeting.objects.filter(forum__name="Länssamverkansgruppen Dalarna").order_by("starts_at")
    assert held.is_published and held.minutes_versions.get().status == "approved"
    assert upcoming.items.filter(assignment__isnull=False).count() == 2  # due by it, and overdue
    consultant = SharedCost.objects.get(forum__county_id="24")
    lines = dict(consultant.lines.values_list("organisation__code", "amount_ore"))
    assert (len(lines), lines["R24"], sum(lines.values())) == (16, 375_000_00, 450_000_00)
    assert FundingRound.objects.get(forum__county_id="24").budget == 17_000_000

    # Follow-up: Dalarna's agreement and last month's statements of four municipalities.
    assert Agreement.objects.filter(county_id="20").count() == 1
    assert Statement.objects.filter(county_id="20").count() == 4

    # Forecasts: a done run for Dalarna with the flow model's short-term forecast, and a scenario.
    run = ForecastRun.objects.get(county_id="20")
    assert run.status == "done"
    assert run.series.filter(municipality__isnull=True, kind="short_term_occupancy", method="occupancy_flow").exists()
    assert Scenario.objects.get(county_id="20").outbreak_municipality_id == "2084"

    # Issue 16, part 7: loaded in one transaction, the demo's half-loaded figures never suggest
    # a step; only those who may confirm a step are asked to; the region's wards report.
    escalation_url = reverse("placements:escalation")
    per_user = Notification.objects.filter(url__startswith=escalation_url).values("user").annotate(n=Count("id"))
    assert per_user and max(row["n"] for row in per_user) <= 2  # the confirmed step, and one suggestion at most
    asked = User.objects.filter(notifications__text__contains="Bekräfta steget").distinct()  # the demo is Swedish
    assert all(policy.can(user, "placements.confirm_escalation", policy.Place(county="20")) for user in asked)
    assert not asked.filter(email__in=["falun@demo.samverkan.se", "avesta@demo.samverkan.se"]).exists()
    wards = capacity_selectors.county_overview(admin, "20", kind=UnitKind.HOSPITAL_WARD).rows
    assert len(wards) == 7 and all(row.staffed is not None and not row.stale for row in wards)

    def counts() -> tuple[int, ...]:
        return (
            PlaceRequest.objects.count(),
            Episode.objects.count(),
            EquipmentItem.objects.count(),
            SituationReport.objects.count(),
            Meeting.objects.count(),
            Statement.objects.count(),
            ForecastRun.objects.count(),
            Scenario.objects.count(),
        )

    before = counts()
    call_command("demo_data", stdout=io.StringIO())
    assert counts() == before
