"""The monthly settlement between municipalities, checked against sums done by hand.

A stay is counted per night: from the day of arrival up to, not including, the day of leaving;
a stay still going counts up to and including today. Each day is priced at the county's day
rate in force that day, and multiplied by the places of the stay."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from samverkan.placements import selectors, services
from samverkan.placements.models import DayRate
from samverkan.placements.tests.helpers import at, local, new_request, report
from samverkan.testing import csv_rows, login

pytestmark = pytest.mark.django_db

D = datetime.date


def _rates(*pairs) -> list[DayRate]:
    return [DayRate.objects.create(county_id="20", valid_from=day, amount=Decimal(amount)) for day, amount in pairs]


@pytest.fixture
def reported(world):
    report(world.lunden, world.lunden_staff, physical=40, staffed=30, occupied=10)
    report(world.avesta_unit, world.avesta_coordinator, physical=40, staffed=30, occupied=10)
    return world


def stay(world, arrived, left=None, *, places=1, asks="avesta", unit=None):
    """A stay made through the services: `asks` (avesta, falun or the region's ward) asks, the
    unit offers, the asker accepts, the patients arrive and (if `left`) leave."""
    unit = unit or world.lunden
    if asks == "avesta":
        request, by = new_request(world, "county", places=places), world.avesta_coordinator
    elif asks == "ward":
        request, by = new_request(world, "ward", places=places), world.region_coordinator
    elif asks == "falun":
        by = world.falun_coordinator
        target = {"to_unit": unit} if unit == world.lunden else {"to_county": True}
        request = services.request_create(
            by=by, from_organisation=world.falun, places=places, wanted_from=arrived, **target
        )
    offer = services.offer_create(request=request, unit=unit, places=places, by=world.admin)
    reservation = services.offer_accept(offer=offer, by=by)
    services.request_arrive(request=request, by=by, on=arrived)
    if left:
        services.request_end(request=request, by=by, on=left)
    reservation.refresh_from_db()
    return reservation


def _lines(statements) -> list[tuple]:
    return [
        (s.payer.name, s.receiver.name, line.first_day, line.last_day, line.days, line.amount)
        for s in statements
        for line in s.lines
    ]


# --- days_and_amount by itself ------------------------------------------------------------


def test_a_stay_across_a_month_boundary_is_split_by_nights():
    rates = [DayRate(valid_from=D(2026, 1, 1), amount=Decimal("1500.00"))]
    today = D(2026, 6, 1)
    # Arrived 28 January, left 3 February: nights 28, 29, 30, 31 January and 1, 2 February.
    january = selectors.days_and_amount(D(2026, 1, 28), D(2026, 2, 3), D(2026, 1, 1), D(2026, 1, 31), rates, today)
    february = selectors.days_and_amount(D(2026, 1, 28), D(2026, 2, 3), D(2026, 2, 1), D(2026, 2, 28), rates, today)
    assert january == (D(2026, 1, 28), D(2026, 1, 31), 4, Decimal("6000.00"))  # 4 × 1 500
    assert february == (D(2026, 2, 1), D(2026, 2, 2), 2, Decimal("3000.00"))  # 2 × 1 500, not the 3rd


def test_each_day_is_priced_at_the_rate_in_force_that_day():
    rates = [DayRate(valid_from=D(2026, 3, 1), amount=Decimal("1600")), DayRate(valid_from=D(2026, 3, 15), amount=1800)]
    # 10–14 March at 1 600 (5 × 1 600 = 8 000), 15–19 March at 1 800 (5 × 1 800 = 9 000): 17 000.
    result = selectors.days_and_amount(
        D(2026, 3, 10), D(2026, 3, 20), D(2026, 3, 1), D(2026, 3, 31), rates, D(2026, 6, 1)
    )
    assert result == (D(2026, 3, 10), D(2026, 3, 19), 10, Decimal("17000"))


def test_a_stay_going_on_counts_up_to_and_including_today():
    rates = [DayRate(valid_from=D(2026, 1, 1), amount=Decimal("1000"))]
    # Arrived 25 March, today 28 March: 25, 26, 27, 28 = 4 days.
    assert selectors.days_and_amount(D(2026, 3, 25), None, D(2026, 3, 1), D(2026, 3, 31), rates, D(2026, 3, 28)) == (
        D(2026, 3, 25),
        D(2026, 3, 28),
        4,
        Decimal("4000"),
    )


@pytest.mark.parametrize(
    ("arrived", "left"),
    [
        (D(2026, 3, 5), D(2026, 3, 5)),  # left the day it came: no night
        (D(2026, 2, 20), D(2026, 3, 1)),  # left on the 1st: no March night
        (D(2026, 4, 1), None),  # arrives after March
    ],
)
def test_stays_without_a_night_in_the_month_count_nothing(arrived, left):
    rates = [DayRate(valid_from=D(2026, 1, 1), amount=Decimal("1000"))]
    result = selectors.days_and_amount(arrived, left, D(2026, 3, 1), D(2026, 3, 31), rates, D(2026, 6, 1))
    assert result == (None, None, 0, Decimal("0"))


# --- The month's statements ---------------------------------------------------------------


def test_the_month_boundary_case_through_the_services(reported):
    world = reported
    _rates((D(2026, 1, 1), "1500.00"))
    stay(world, D(2026, 1, 28), D(2026, 2, 3))
    january = selectors.settlement(world.region_coordinator, "20", 2026, 1, today=D(2026, 3, 1))
    february = selectors.settlement(world.region_coordinator, "20", 2026, 2, today=D(2026, 3, 1))
    assert _lines(january) == [("Avesta", "Falun", D(2026, 1, 28), D(2026, 1, 31), 4, Decimal("6000.00"))]
    assert _lines(february) == [("Avesta", "Falun", D(2026, 2, 1), D(2026, 2, 2), 2, Decimal("3000.00"))]
    assert selectors.settlement(world.region_coordinator, "20", 2026, 3, today=D(2026, 4, 1)) == []


def test_a_price_change_mid_month_and_places_multiply(reported):
    world = reported
    _rates((D(2026, 3, 1), "1600.00"), (D(2026, 3, 15), "1800.00"))
    stay(world, D(2026, 3, 10), D(2026, 3, 20), places=2)
    # Per place: 5 × 1 600 + 5 × 1 800 = 17 000; two places: 34 000 for 20 place-days.
    (statement,) = selectors.settlement(world.region_coordinator, "20", 2026, 3, today=D(2026, 4, 1))
    assert _lines([statement]) == [("Avesta", "Falun", D(2026, 3, 10), D(2026, 3, 19), 20, Decimal("34000.00"))]
    assert (statement.days, statement.amount) == (20, Decimal("34000.00"))


def test_a_stay_still_going_counts_up_to_today(reported):
    world = reported
    _rates((D(2026, 3, 1), "1600.00"), (D(2026, 3, 15), "1800.00"))
    stay(world, D(2026, 3, 25))
    # 25–28 March at 1 800 = 7 200 while it is the 28th; the whole rest of March once it is April.
    march_so_far = selectors.settlement(world.admin, "20", 2026, 3, today=D(2026, 3, 28))
    assert _lines(march_so_far) == [("Avesta", "Falun", D(2026, 3, 25), D(2026, 3, 28), 4, Decimal("7200.00"))]
    whole_march = selectors.settlement(world.admin, "20", 2026, 3, today=D(2026, 4, 2))
    assert _lines(whole_march) == [("Avesta", "Falun", D(2026, 3, 25), D(2026, 3, 31), 7, Decimal("12600.00"))]
    april = selectors.settlement(world.admin, "20", 2026, 4, today=D(2026, 4, 2))
    assert _lines(april) == [("Avesta", "Falun", D(2026, 4, 1), D(2026, 4, 2), 2, Decimal("3600.00"))]


def test_stays_within_one_municipality_are_not_settled(reported):
    world = reported
    _rates((D(2026, 1, 1), "1000"))
    stay(world, D(2026, 3, 2), D(2026, 3, 6), asks="falun")  # Falun's patient at Falun's Lunden
    assert selectors.settlement(world.region_coordinator, "20", 2026, 3, today=D(2026, 4, 1)) == []


@pytest.fixture
def three_pairs(reported):
    """March 2026 at 1 000 a day: Avesta pays Falun 4 000 (2–6 March), the region pays Falun
    3 000 (10–13 March), Falun pays Avesta 2 000 for 2 places (20–21 March)."""
    world = reported
    _rates((D(2026, 1, 1), "1000"))
    stay(world, D(2026, 3, 2), D(2026, 3, 6))
    stay(world, D(2026, 3, 10), D(2026, 3, 13), asks="ward")
    stay(world, D(2026, 3, 20), D(2026, 3, 21), places=2, asks="falun", unit=world.avesta_unit)
    return world


def _pairs(principal) -> dict[tuple[str, str], Decimal]:
    statements = selectors.settlement(principal, "20", 2026, 3, today=D(2026, 4, 1))
    return {(s.payer.name, s.receiver.name): s.amount for s in statements}


def test_region_side_sees_every_statement(three_pairs):
    everything = {
        ("Avesta", "Falun"): Decimal("4000.00"),
        ("Falun", "Avesta"): Decimal("2000.00"),
        ("Region Dalarna", "Falun"): Decimal("3000.00"),
    }
    for persona in ["region_coordinator", "forum_secretary", "admin"]:
        assert _pairs(getattr(three_pairs, persona)) == everything, persona


def test_a_municipal_coordinator_sees_only_statements_of_their_municipality(three_pairs):
    world = three_pairs
    assert _pairs(world.avesta_coordinator) == {
        ("Avesta", "Falun"): Decimal("4000.00"),
        ("Falun", "Avesta"): Decimal("2000.00"),
    }
    assert set(_pairs(world.falun_coordinator)) == {
        ("Avesta", "Falun"),
        ("Falun", "Avesta"),
        ("Region Dalarna", "Falun"),
    }


@pytest.mark.parametrize("persona", ["viewer", "lunden_staff", "outsider"])
def test_others_may_not_see_the_settlement(three_pairs, persona):
    with pytest.raises(PermissionDenied):
        selectors.settlement(getattr(three_pairs, persona), "20", 2026, 3)


# --- The page and its exports -------------------------------------------------------------

PAGE = "/platser/avrakning/?county=20&month=2026-03"


def _page_totals(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr class="total">.*?<td class="num">([^<]*)</td><td class="num">([^<]*)</td>', html)


def test_the_csv_and_excel_exports_match_the_page(client, three_pairs):
    world = three_pairs
    login(client, world.region_coordinator)
    with at(local(2026, 4, 2, 12)):
        page = client.get(PAGE)
        csv_response = client.get(PAGE + "&format=csv")
        xlsx_response = client.get(PAGE + "&format=xlsx")
    assert page.status_code == csv_response.status_code == xlsx_response.status_code == 200
    html = page.content.decode()
    totals = _page_totals(html)
    assert totals == [("4", "4,000.00"), ("2", "2,000.00"), ("3", "3,000.00")]  # sorted by payer, receiver

    assert csv_response["Content-Disposition"] == 'attachment; filename="avrakning-20-2026-03.csv"'
    rows = csv_rows(csv_response.content)
    assert rows[0] == ["Pays", "Receives", "Request", "Unit", "From", "To", "Places", "Place-days", "Amount (SEK)"]
    csv_totals = [(row[7], row[8]) for row in rows[1:] if row[2] == "Total"]
    assert csv_totals == [("4", "4000,00"), ("2", "2000,00"), ("3", "3000,00")]  # Swedish Excel's CSV
    lines = [row for row in rows[1:] if row[2] != "Total"]
    assert [(r[0], r[1], r[4], r[5], r[6], r[7], r[8]) for r in lines] == [
        ("Avesta", "Falun", "2026-03-02", "2026-03-05", "1", "4", "4000,00"),
        ("Falun", "Avesta", "2026-03-20", "2026-03-20", "2", "2", "2000,00"),
        ("Region Dalarna", "Falun", "2026-03-10", "2026-03-12", "1", "3", "3000,00"),
    ]

    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    xlsx_rows = [
        [
            "" if v is None else f"{v:.2f}".replace(".", ",") if i == 8 and row[0] != "Pays" else str(v)
            for i, v in enumerate(row)
        ]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert xlsx_rows == rows


def test_the_page_of_a_municipal_coordinator_lists_only_their_statements(client, three_pairs):
    login(client, three_pairs.avesta_coordinator)
    with at(local(2026, 4, 2, 12)):
        html = client.get(PAGE).content.decode()
        rows = csv_rows(client.get(PAGE + "&format=csv").content)
    assert "Region Dalarna pays Falun" not in html
    assert "Avesta pays Falun" in html
    assert _page_totals(html) == [("4", "4,000.00"), ("2", "2,000.00")]
    assert {row[0] for row in rows[1:]} == {"Avesta", "Falun"}


def test_the_viewer_may_not_open_the_settlement(client, world):
    login(client, world.viewer)
    assert client.get(PAGE).status_code == 403


def test_a_day_without_a_price_is_named_not_a_server_error(client, reported):
    world = reported
    _rates((D(2026, 3, 15), "1000"))  # nothing before the 15th
    stay(world, D(2026, 3, 10), D(2026, 3, 20))
    with pytest.raises(selectors.MissingDayRate) as missing:
        selectors.settlement(world.region_coordinator, "20", 2026, 3, today=D(2026, 4, 1))
    assert missing.value.day == D(2026, 3, 10)
    login(client, world.region_coordinator)
    with at(local(2026, 4, 2, 12)):
        page = client.get(PAGE)
        export = client.get(PAGE + "&format=csv")
    assert page.status_code == 200
    html = page.content.decode()
    assert "The county has no price per day for 2026-03-10, so the month cannot be settled." in html
    assert "No shared places were used this month." not in html
    assert (export.status_code, export["Location"]) == (302, "/platser/avrakning/?county=20&month=2026-03")


def test_amounts_on_the_page_have_swedish_thousands_separators(client, three_pairs, settings):
    """ "112 100,00", not "112100,00" (issue 16, part 10)."""
    DayRate.objects.filter(county_id="20").update(amount=Decimal("28025.00"))  # 4 days: 112 100,00
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    login(client, three_pairs.region_coordinator)
    with at(local(2026, 4, 2, 12)):
        html = client.get(PAGE).content.decode()
    assert ("4", "112\xa0100,00") in _page_totals(html)
