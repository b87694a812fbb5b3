"""The report's equipment and supplies section: the resources app's own figures at preparation
(the pool's availability, the county's stock totals), hand-checked; its sentences of change; its
page, where a report prepared before the section existed says so."""

from __future__ import annotations

import datetime

import pytest

from samverkan.capacity.tests.helpers import at, local
from samverkan.organisations import policy
from samverkan.resources import selectors as resources
from samverkan.resources import services as resource_services
from samverkan.resources.tests.helpers import catalogue, make_items, make_request, stock_row
from samverkan.situation import services
from samverkan.situation.changes import change_sentences
from samverkan.situation.models import ReportStatus, SituationReport
from samverkan.testing import login

pytestmark = pytest.mark.django_db

NOW = local(2030, 3, 4, 9, 0)  # a Monday


@pytest.fixture
def pool(world):
    """Region Dalarna's three concentrators, one lent to Avesta's unit for two weeks (4–17 March),
    two more asked for from 18 March; FFP2 stock at Falun (100, 70 used a week: 10 days) and Avesta
    (20, 70 used: 2 days)."""
    with at(NOW):
        items = make_items(world, 3)
        lent = make_request(world, unit=world.avesta_unit)
        resource_services.loan_request_approve(request=lent, items=items[:1], by=world.admin)
        make_request(world, unit=world.avesta_unit, quantity=2, first=datetime.date(2030, 3, 18))
        catalogue("20")
        resource_services.stock_reports_submit(
            county_code="20",
            rows=[
                ("2", stock_row("2080", on_hand=100, used_7_days=70)),
                ("3", stock_row("2084", on_hand=20, used_7_days=70)),
            ],
            by=world.admin,
        )
    return items


def _prepare(world, when=NOW) -> SituationReport:
    with at(when):
        return services.report_prepare(county=world.region.county, by=world.forum_secretary)


def test_the_section_holds_the_resources_apps_figures_at_preparation(world, pool):
    section = _prepare(world).figures["resources"]
    [concentrators] = section["equipment"]
    assert concentrators["name"] == "Syrgaskoncentrator"
    assert (concentrators["total"], concentrators["available_now"], concentrators["on_loan"]) == (3, 2, 1)
    assert (concentrators["in_service"], concentrators["overdue"]) == (0, 0)
    # Weeks from Monday 4 March: the loan takes one item to the 17th; two are asked for from the 18th.
    assert [(w["start"], w["free"], w["lent"], w["asked"]) for w in concentrators["weeks"]] == [
        ("2030-03-04", 2, 1, 0),
        ("2030-03-11", 2, 1, 0),
        ("2030-03-18", 3, 0, 2),
        ("2030-03-25", 3, 0, 2),
    ]
    with at(NOW):
        [exact] = resources.pool_availability(policy.SYSTEM, "20", weeks=4)
    assert [w.free for w in exact.weeks] == [w["free"] for w in concentrators["weeks"]]
    supplies = {row["code"]: row for row in section["supply"]["items"]}
    ffp2 = supplies["ffp2"]
    # 120 in stock, 140 used in 7 days: 120 × 7 ÷ 140 = 6 days; Avesta's 2 days are below 7.
    assert (ffp2["on_hand"], ffp2["used_7_days"], ffp2["days"], ffp2["bucket"]) == (120, 140, 6, "4–6")
    assert (ffp2["places"], ffp2["low_places"], ffp2["unknown_use"]) == (2, 1, 0)
    assert (supplies["handskar"]["places"], supplies["handskar"]["days"]) == (0, None)  # nobody reported gloves
    assert section["supply"]["window_days"] == resources.STOCK_WINDOW_DAYS


def test_stock_without_use_lasts_beyond_the_buckets(world, pool):
    with at(NOW):
        resource_services.stock_reports_submit(
            county_code="20", rows=[("2", stock_row("2080", "handskar", on_hand=50, used_7_days=0))], by=world.admin
        )
    gloves = {row["code"]: row for row in _prepare(world).figures["resources"]["supply"]["items"]}["handskar"]
    assert (gloves["days"], gloves["bucket"]) == (None, "> 30")


def test_the_sentences_say_what_changed_in_equipment_and_supplies(world, pool):
    first = _prepare(world)
    with at(NOW):
        first = services.report_publish(report=first, by=world.forum_secretary)
        second_loan = make_request(world, unit=world.avesta_unit, last=datetime.date(2030, 3, 10))
        resource_services.loan_request_approve(request=second_loan, items=pool[1:2], by=world.admin)
        resource_services.stock_reports_submit(
            county_code="20", rows=[("2", stock_row("2084", on_hand=90, used_7_days=70))], by=world.admin
        )
    second = _prepare(world, when=NOW + datetime.timedelta(hours=1))
    # FFP2: 190 in stock, 140 used: 190 × 7 ÷ 140 = 9 days (was 6).
    assert change_sentences(second)[1:] == [
        "Shared equipment available now fell from 2 to 1.",
        "Days of supply of FFP2-andningsskydd in the county rose from 6 to 9.",
    ]


def test_a_report_from_before_the_section_says_so(world, client):
    old = SituationReport.objects.create(
        county_id="20",
        status=ReportStatus.PUBLISHED,
        number=1,
        published_at=NOW,
        as_of=NOW,
        figures={"capacity": {"totals": {"free": 3}}},
    )
    login(client, world.viewer)
    page = client.get(f"/lagesbild/{old.pk}/").content.decode()
    assert "Equipment and supplies" in page
    assert "This report was prepared before equipment and supplies were part of it." in page


def test_the_page_shows_the_section_with_its_chart_and_tables(world, pool, client):
    with at(NOW):
        published = services.report_publish(report=_prepare(world), by=world.forum_secretary)
    login(client, world.viewer)
    page = client.get(f"/lagesbild/{published.pk}/").content.decode()
    assert 'id="resources-heading"' in page and 'id="equipment-caption"' in page
    assert "Syrgaskoncentrator" in page and "FFP2-andningsskydd" in page
    assert page.count("<svg") >= 2  # capacity's chart and the equipment's
