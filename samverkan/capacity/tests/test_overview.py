"""The county overview: totals, free places, filters, planned changes, query count and exports."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from samverkan.accounts.models import User
from samverkan.capacity import selectors, services
from samverkan.capacity.models import BedCategory, CapacityReport, PlannedChange, UnitCapacity
from samverkan.capacity.tests.helpers import at, local, report
from samverkan.organisations.models import Organisation, Unit, UnitKind
from samverkan.placements import escalation
from samverkan.testing import csv_rows, login

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 5, 12)  # Thursday noon
MORNING = local(2026, 3, 5, 8)

FIGURES = ("physical", "staffed", "occupied", "reserved", "free", "surge")


@pytest.fixture
def frozen():
    with at(NOW):
        yield NOW


@pytest.fixture
def county(world):
    """Five short-term units in three municipalities, plus the region's ward (not in the overview).

    Falun: Lunden 20/16/12 surge 2, Björken 30/25/27 (over-occupied) reserved 1
    Avesta: Avesta korttidsboende 10/8/4 reserved 9 (free would be −5), closed with surge 3
    Borlänge: Tallen 12/12/6 stale (last week), Eken never reported."""
    borlange = Organisation.objects.get(code="2081")
    bjorken = Unit.objects.create(
        code="t-bjorken",
        name="Björkens korttidsboende",
        kind=UnitKind.SHORT_TERM,
        organisation=world.falun,
        municipality_id="2080",
    )
    tallen = Unit.objects.create(
        code="t-tallen", name="Tallen", kind=UnitKind.SHORT_TERM, organisation=borlange, municipality_id="2081"
    )
    eken = Unit.objects.create(
        code="t-eken", name="Eken", kind=UnitKind.SHORT_TERM, organisation=borlange, municipality_id="2081"
    )
    report(world.lunden, world.lunden_staff, when=MORNING, physical=20, staffed=16, occupied=12, surge=2)
    report(bjorken, world.falun_coordinator, when=MORNING, physical=30, staffed=25, occupied=27)
    report(
        world.avesta_unit,
        world.avesta_coordinator,
        when=MORNING,
        physical=10,
        staffed=8,
        occupied=4,
        surge=3,
        open_for_admission=False,
        closure_reason="staff_shortage",
    )
    report(tallen, world.admin, when=local(2026, 2, 26, 9), physical=12, staffed=12, occupied=6)
    report(world.falun_ward, world.region_coordinator, when=MORNING, physical=40, staffed=35, occupied=35)
    UnitCapacity.objects.filter(unit=bjorken).update(reserved=1)
    UnitCapacity.objects.filter(unit=world.avesta_unit).update(reserved=9)
    return {"bjorken": bjorken, "tallen": tallen, "eken": eken}


def _overview(world, **kwargs) -> selectors.Overview:
    return selectors.county_overview(world.region_coordinator, "20", **kwargs)


def _by_name(overview) -> dict[str, selectors.UnitRow]:
    return {row.unit_name: row for row in overview.rows}


def _sum(rows, figure: str) -> int:
    return sum(getattr(r, figure) for r in rows if r.staffed is not None)


# --- Figures and totals --------------------------------------------------------------------


def test_the_overview_lists_the_countys_reporting_units_with_their_figures(world, county, frozen):
    rows = _by_name(_overview(world))
    assert set(rows) == {"Lunden korttidsboende", "Björkens korttidsboende", "Avesta korttidsboende", "Tallen", "Eken"}
    lunden = rows["Lunden korttidsboende"]
    assert (lunden.physical, lunden.staffed, lunden.occupied, lunden.reserved, lunden.free, lunden.surge) == (
        20,
        16,
        12,
        0,
        4,
        2,
    )
    assert lunden.occupancy_rate == pytest.approx(0.75)
    assert not lunden.stale
    assert rows["Tallen"].stale
    assert rows["Eken"].staffed is None
    assert rows["Eken"].free is None
    assert rows["Eken"].stale


def test_free_places_are_never_negative(world, county, frozen):
    rows = _by_name(_overview(world))
    over = rows["Björkens korttidsboende"]  # 25 staffed, 27 occupied, 1 reserved
    assert over.over_occupied
    assert over.free == 0
    assert over.occupancy_rate == pytest.approx(27 / 25)
    reserved = rows["Avesta korttidsboende"]  # 8 staffed, 4 occupied, 9 reserved
    assert reserved.free == 0
    assert all(row.free is None or row.free >= 0 for row in rows.values())


def test_a_closed_unit_with_surge_places_is_flagged(world, county, frozen):
    row = _by_name(_overview(world))["Avesta korttidsboende"]
    assert row.open_for_admission is False
    assert row.closure_reason == "staff_shortage"
    assert row.surge_while_closed


def test_totals_are_the_sums_of_the_rows_per_municipality_and_county(world, county, frozen):
    overview = _overview(world)
    assert [g.name for g in overview.municipalities] == ["Avesta", "Borlänge", "Falun"]
    for group in overview.municipalities:
        assert {row.municipality_code for row in group.rows} == {group.code}
        for figure in FIGURES:
            assert getattr(group.totals, figure) == _sum(group.rows, figure), (group.name, figure)
        assert group.totals.units == len(group.rows)
    for figure in FIGURES:
        assert getattr(overview.totals, figure) == _sum(overview.rows, figure), figure
        assert getattr(overview.totals, figure) == sum(getattr(g.totals, figure) for g in overview.municipalities)
    totals = overview.totals
    # By hand: staffed 16 + 25 + 8 + 12, occupied 12 + 27 + 4 + 6, free 4 + 0 + 0 + 6 (never negative).
    assert (totals.physical, totals.staffed, totals.occupied, totals.reserved) == (72, 61, 49, 10)
    assert totals.free == 10
    assert totals.surge == 5
    assert (totals.units, totals.reporting_units, totals.stale_units, totals.closed_units) == (5, 4, 2, 1)
    assert totals.occupancy_rate == pytest.approx(49 / 61)
    falun = next(g for g in overview.municipalities if g.name == "Falun")
    assert (falun.totals.staffed, falun.totals.occupied, falun.totals.reserved, falun.totals.free) == (41, 39, 1, 4)


def test_the_unit_kind_filter_shows_other_kinds(world, county, frozen):
    overview = _overview(world, kind=UnitKind.HOSPITAL_WARD)
    assert [row.unit_name for row in overview.rows] == ["Falu lasarett, medicin"]
    assert overview.totals.staffed == 35
    assert overview.totals.free == 0


def test_inactive_units_and_other_counties_are_left_out(world, county, frozen):
    county["tallen"].is_active = False
    county["tallen"].save()
    names = set(_by_name(_overview(world)))
    assert "Tallen" not in names
    assert "Örebro korttidsboende" not in names


def test_the_overview_sorts_by_free_places(world, county, frozen):
    overview = _overview(world, sort="free")
    frees = [row.free or 0 for row in overview.rows]
    assert frees == sorted(frees, reverse=True)
    assert [row.unit_name for row in overview.rows][:2] == ["Tallen", "Lunden korttidsboende"]
    assert overview.totals.free == _overview(world).totals.free  # sorting changes no totals


def test_the_page_sorts_by_free_places(client, world, county, frozen):
    login(client, world.region_coordinator)
    response = client.get("/kapacitet/?sort=free")
    assert response.status_code == 200
    rows = response.context["overview"].rows
    assert [row.free or 0 for row in rows] == sorted((row.free or 0 for row in rows), reverse=True)
    assert [row.unit_name for row in rows][:2] == ["Tallen", "Lunden korttidsboende"]


def test_the_category_filter_shows_the_category_figures(world, frozen):
    palliative = BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")
    report(world.lunden, world.lunden_staff, when=MORNING, staffed=16, occupied=12, categories={"palliativ": (4, 3)})
    report(world.avesta_unit, world.avesta_coordinator, when=MORNING)  # no category figures
    UnitCapacity.objects.filter(unit=world.lunden).update(reserved=2)
    overview = _overview(world, category="palliativ")
    assert overview.category == palliative
    (row,) = overview.rows
    assert row.unit_id == world.lunden.pk
    assert (row.staffed, row.occupied, row.free) == (4, 3, 1)
    assert (overview.totals.staffed, overview.totals.occupied, overview.totals.free) == (4, 3, 1)
    # An unknown category shows all places.
    assert len(_overview(world, category="okand").rows) == 2


def test_the_category_figures_are_the_latest_reports(world, frozen):
    BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 4, 9), categories={"palliativ": (6, 6)})
    report(world.lunden, world.lunden_staff, when=MORNING, categories={"palliativ": (5, 2)})
    (row,) = _overview(world, category="palliativ").rows
    assert (row.staffed, row.occupied, row.free) == (5, 2, 3)


# --- Planned changes -----------------------------------------------------------------------


def _plan(unit, by, day: datetime.date, staffed: int = 0, physical: int = 0, text: str = "Ändring") -> PlannedChange:
    return services.planned_change_create(
        unit=unit, effective_from=day, physical_change=physical, staffed_change=staffed, description=text, by=by
    )


def test_planned_changes_in_force_since_the_latest_report_add_to_staffed(world, frozen):
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 9), physical=20, staffed=16, occupied=12)
    _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 4), staffed=2, text="Två till")
    _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 2), staffed=3, text="I rapporten redan")
    upcoming = _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 20), staffed=10, text="Tio nya")
    far = _plan(world.lunden, world.lunden_staff, datetime.date(2026, 7, 1), staffed=5, text="I sommar")
    cancelled = _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 3), staffed=7, text="Inställt")
    services.planned_change_cancel(change=cancelled, by=world.lunden_staff)

    overview = _overview(world)
    row = _by_name(overview)["Lunden korttidsboende"]
    assert row.planned_staffed == 2
    assert row.staffed == 18
    assert row.free == 6
    assert list(row.upcoming) == [upcoming]
    assert far not in row.upcoming
    assert overview.totals.staffed == 18
    assert overview.totals.free == 6


def test_planned_staffed_places_never_exceed_the_physical_places(world, frozen):
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 9), physical=20, staffed=16, occupied=12)
    _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 3), staffed=10)
    row = _by_name(_overview(world))["Lunden korttidsboende"]
    assert (row.physical, row.staffed) == (20, 20)
    _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 4), physical=10)
    row = _by_name(_overview(world))["Lunden korttidsboende"]
    assert (row.physical, row.staffed, row.free) == (30, 26, 14)


def test_a_report_after_the_change_already_includes_it(world, frozen):
    _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 3), staffed=4)
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 4, 9), physical=20, staffed=20, occupied=12)
    row = _by_name(_overview(world))["Lunden korttidsboende"]
    assert (row.staffed, row.planned_staffed) == (20, 0)


def test_a_new_units_planned_places_show_before_its_first_report(world, frozen):
    _plan(
        world.avesta_unit, world.avesta_coordinator, datetime.date(2026, 3, 1), staffed=10, physical=12, text="Öppnar"
    )
    row = _by_name(_overview(world))["Avesta korttidsboende"]
    assert (row.physical, row.staffed, row.occupied, row.free) == (12, 10, 0, 10)
    assert row.stale  # no report yet


def test_planned_changes_do_not_alter_category_figures(world, frozen):
    """A planned change concerns the unit's places, not one bed category's."""
    BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 9), categories={"palliativ": (4, 3)})
    upcoming = _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 20), staffed=10)
    _plan(world.lunden, world.lunden_staff, datetime.date(2026, 3, 4), staffed=10, physical=10)
    (row,) = _overview(world, category="palliativ").rows
    assert (row.staffed, row.occupied, row.free) == (4, 3, 1)
    assert list(row.upcoming) == [upcoming]
    assert _by_name(_overview(world))["Lunden korttidsboende"].staffed == 26  # all places: 16 + 10


# --- The trend -----------------------------------------------------------------------------


def test_the_trend_counts_the_same_units_as_the_overview(world, frozen):
    report(world.lunden, world.lunden_staff, when=MORNING, staffed=16, occupied=12)
    report(world.falun_ward, world.region_coordinator, when=MORNING, physical=40, staffed=35, occupied=20)
    today = selectors.county_free_places_series(world.region_coordinator, "20", days=3)[-1]
    assert today.day == datetime.date(2026, 3, 5)
    assert (today.free, today.staffed, today.occupied, today.reporting_units) == (4, 16, 12, 1)
    wards = selectors.county_free_places_series(world.region_coordinator, "20", days=3, kind=UnitKind.HOSPITAL_WARD)
    assert (wards[-1].free, wards[-1].reporting_units) == (15, 1)


def test_the_trend_leaves_out_stale_reports(world, frozen):
    report(world.lunden, world.lunden_staff, when=local(2026, 3, 2, 9), staffed=16, occupied=12)
    series = selectors.county_free_places_series(world.region_coordinator, "20", days=4)
    assert [(p.day.day, p.free, p.reporting_units) for p in series] == [(2, 4, 1), (3, 0, 0), (4, 0, 0), (5, 0, 0)]


def test_the_trend_obeys_the_bed_category_filter_as_the_table_does(client, world, frozen):
    """Issue 16, part 6: the chart counted every place whatever category the table showed."""
    BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")
    report(world.lunden, world.lunden_staff, when=MORNING, staffed=16, occupied=12, categories={"palliativ": (4, 3)})
    report(world.avesta_unit, world.avesta_coordinator, when=MORNING, staffed=8, occupied=4)  # no palliative places
    palliative = selectors.county_free_places_series(world.region_coordinator, "20", days=2, category="palliativ")
    assert [(p.free, p.staffed, p.occupied, p.reporting_units) for p in palliative] == [(0, 0, 0, 0), (1, 4, 3, 1)]
    page = _page(client, world, "?category=palliativ")
    assert [(p.free, p.reporting_units) for p in page.context["series"]][-1] == (1, 1)


def test_a_day_without_reports_is_a_gap_in_the_chart_and_a_dash_in_its_table(client, world, frozen):
    """Issue 16, part 6: a day when no unit had a current report was drawn as 0 free places."""
    report(world.lunden, world.lunden_staff, when=MORNING, staffed=16, occupied=12)
    page = _page(client, world)
    chart = str(page.context["chart"])
    assert "<polyline" not in chart  # one day with figures, 59 without: no line down to 0 and back
    assert chart.count("<circle") == 2  # that day's free and occupied places, as dots
    html = page.content.decode()
    assert '<th scope="row">2026-03-04</th><td class="num">–</td>' in html


# --- Query count ---------------------------------------------------------------------------


def _add_units(world, count: int, first: int, when: datetime.datetime) -> None:
    """`count` short-term units in Falun and Avesta with a report each, in bulk (not via the service)."""
    organisations = [(world.falun, "2080"), (world.avesta, "2084")]
    units = Unit.objects.bulk_create(
        Unit(
            code=f"bulk-{i}",
            name=f"Enhet {i:04d}",
            kind=UnitKind.SHORT_TERM,
            organisation=organisations[i % 2][0],
            municipality_id=organisations[i % 2][1],
        )
        for i in range(first, first + count)
    )
    reports = CapacityReport.objects.bulk_create(
        CapacityReport(
            unit=unit, reported_at=when, physical=20, staffed=15, occupied=i % 17, surge=i % 3, created_at=when
        )
        for i, unit in enumerate(units)
    )
    UnitCapacity.objects.bulk_create(
        UnitCapacity(unit=unit, latest_report=rep, reserved=i % 4)
        for i, (unit, rep) in enumerate(zip(units, reports, strict=True))
    )
    PlannedChange.objects.bulk_create(
        PlannedChange(unit=unit, effective_from=datetime.date(2026, 3, 20), staffed_change=2, description="Fler")
        for unit in units[::5]
    )


def _count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as context:
        fn()
    return len(context.captured_queries)


def test_the_overview_uses_the_same_number_of_queries_for_10_and_500_units(client, world, frozen):
    BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")
    _add_units(world, 8, 0, MORNING)  # with Lunden and Avesta: 10 units
    login(client, world.region_coordinator)

    def measure() -> tuple[int, ...]:
        def fresh():
            return User.objects.get(pk=world.region_coordinator.pk)  # no cached scope

        user, other = fresh(), fresh()
        return (
            _count_queries(lambda: selectors.county_overview(user, "20")),
            _count_queries(lambda: selectors.county_overview(other, "20", category="palliativ", sort="free")),
            _count_queries(lambda: client.get("/kapacitet/")),
            _count_queries(lambda: client.get("/kapacitet/export.csv")),
        )

    assert len(selectors.county_overview(world.region_coordinator, "20").rows) == 10
    small = measure()
    _add_units(world, 490, 8, MORNING)
    assert len(selectors.county_overview(world.region_coordinator, "20").rows) == 500
    large = measure()
    assert large == small
    assert small[0] <= 6


def test_the_api_overview_uses_the_same_number_of_queries_for_10_and_500_units(client, world, frozen):
    _add_units(world, 8, 0, MORNING)
    login(client, world.region_coordinator)
    client.get("/api/v1/capacity/overview?county=20")  # once first: what a process caches on its first call
    small = _count_queries(lambda: client.get("/api/v1/capacity/overview?county=20"))
    _add_units(world, 490, 8, MORNING)
    response = None

    def get():
        nonlocal response
        response = client.get("/api/v1/capacity/overview?county=20")

    assert _count_queries(get) == small
    assert len(response.json()["units"]) == 500


# --- Exports -------------------------------------------------------------------------------


def _page(client, world, query: str = ""):
    login(client, world.region_coordinator)
    response = client.get(f"/kapacitet/{query}")
    assert response.status_code == 200
    return response


def _expected_rows(overview) -> list[list]:
    """Name, physical, staffed, occupied, reserved, free, surge, stale per unit (as on the page), then totals."""
    rows = [
        [r.unit_name, r.physical, r.staffed, r.occupied, r.reserved, r.free, r.surge, r.stale]
        for group in overview.municipalities
        for r in group.rows
    ]
    t = overview.totals
    rows.append(["County total", t.physical, t.staffed, t.occupied, t.reserved, t.free, t.surge, None])
    return rows


def _number(value):
    return None if value in ("", None) else int(value)


def test_the_csv_export_has_the_pages_rows_and_totals(client, world, county, frozen):
    page = _page(client, world)
    overview = page.context["overview"]
    html = page.content.decode()
    response = client.get("/kapacitet/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="kapacitet-20-20260305-1200.csv"' in response["Content-Disposition"]
    header, *rows = csv_rows(response.content)
    assert header[:3] == ["Municipality code", "Municipality", "Unit"]
    exported = [
        [
            row[2] or row[1],
            *(_number(v) for v in row[4:10]),
            None if row[2] == "" else row[13] == "yes",
        ]
        for row in rows
    ]
    assert exported == _expected_rows(overview)
    for row in overview.rows:
        assert row.unit_name in html
    assert rows[-1][1] == "County total"
    assert _number(rows[-1][8]) == overview.totals.free == 10


def test_the_excel_export_has_the_pages_rows_and_totals(client, world, county, frozen):
    overview = _page(client, world).context["overview"]
    response = client.get("/kapacitet/export.xlsx")
    assert response.status_code == 200
    assert 'filename="kapacitet-20-20260305-1200.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[2] == "Unit"
    exported = [[row[2] or row[1], *row[4:10], None if not row[2] else row[13] == "yes"] for row in rows]
    assert exported == _expected_rows(overview)
    assert rows[0][12] == "2026-03-05 08:00"  # local time


def test_the_exports_follow_the_pages_filters(client, world, frozen):
    BedCategory.objects.create(county_id="20", code="palliativ", name="Palliativ vård")
    report(world.lunden, world.lunden_staff, when=MORNING, categories={"palliativ": (4, 3)})
    report(world.avesta_unit, world.avesta_coordinator, when=MORNING)
    page = _page(client, world, "?category=palliativ&sort=free")
    exported = csv_rows(client.get("/kapacitet/export.csv?category=palliativ").content)
    assert [row[2] for row in exported[1:-1]] == [row.unit_name for row in page.context["overview"].rows]
    assert exported[-1][5] == "4"
    sheet = load_workbook(io.BytesIO(client.get("/kapacitet/export.xlsx?kind=hospital_ward").content)).active
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Falu lasarett, medicin", None]


# --- At a glance (issue 16, part 11) --------------------------------------------------------


def _row_of(html: str, unit_name: str) -> str:
    start = html.rindex("<tr", 0, html.index(f">{unit_name}</a>"))
    return html[start : html.index("</tr>", start)]


def test_units_are_red_amber_or_green_by_the_countys_escalation_plan(client, world, frozen):
    report(world.lunden, world.lunden_staff, when=MORNING, staffed=16, occupied=16)  # none free: red
    report(
        world.avesta_unit, world.avesta_coordinator, when=MORNING, physical=25, staffed=25, occupied=24
    )  # 96 %: amber
    borlange = Organisation.objects.get(code="2081")
    tallen = Unit.objects.create(
        code="t-tallen", name="Tallen", kind=UnitKind.SHORT_TERM, organisation=borlange, municipality_id="2081"
    )
    report(tallen, world.admin, when=MORNING, staffed=10, occupied=8)  # 80 %: green
    html = _page(client, world).content.decode()
    assert 'rag--red"' in _row_of(html, "Lunden korttidsboende")
    assert 'rag--amber"' in _row_of(html, "Avesta korttidsboende")
    assert 'rag--green"' in _row_of(html, "Tallen")
    assert '<span class="visually-hidden"> (Red)</span>' in _row_of(
        html, "Lunden korttidsboende"
    )  # not by colour alone
    # The county's own plan moves the thresholds: amber from 75 %, red from 95 %.
    steps = escalation.steps_for("20")
    steps[2].occupancy_at_least, steps[3].occupancy_at_least = 75, 95
    for step in steps[2:]:
        step.save()
    html = _page(client, world).content.decode()
    assert 'rag--red"' in _row_of(html, "Avesta korttidsboende")
    assert 'rag--amber"' in _row_of(html, "Tallen")
    assert "occupancy 95 % or more" in html


def test_a_municipality_of_one_unit_has_no_total_row(client, world, county, frozen):
    html = _page(client, world).content.decode()
    assert "Total Avesta" not in html and "Avesta totalt" not in html  # one unit: its row is the total
    assert ">Avesta</span> <a" in html  # the municipality named on the unit's row
    falun = html[html.index('<tr class="group-row') : html.index(">Lunden korttidsboende</a>")]
    assert '<th scope="row">Falun<' in falun  # two units: the municipality's row with its totals
