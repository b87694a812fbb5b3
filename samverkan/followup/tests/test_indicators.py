"""Monthly indicators: hand-computed cases, targets met or not, the report per role, and the
statement and indicators against an independent count over generated episodes."""

from __future__ import annotations

import datetime
import random
import statistics
from decimal import Decimal

import pytest

from samverkan.flow.imports import source_for
from samverkan.flow.models import Episode
from samverkan.followup import indicators, liability, selectors, services
from samverkan.followup.models import IndicatorTarget
from samverkan.followup.tests.conftest import at, make_episode
from samverkan.organisations.models import County, Municipality
from samverkan.testing import login

RATES = {2023: Decimal("10500")}


def stay(pk, ready, discharged, *, municipality="2080", pseudonym="", sip=None, contact=None, notice=True, again=False):
    admitted = ready - datetime.timedelta(days=2) if ready else discharged - datetime.timedelta(days=2)
    return indicators.stay(
        pk=pk,
        record_id=f"S{pk}",
        municipality=municipality,
        pseudonym=pseudonym,
        care_type="somatic",
        admitted_at=admitted,
        admission_notice_at=admitted + datetime.timedelta(hours=2) if notice else None,
        ready_at=ready,
        sip_called_at=sip,
        discharged_at=discharged,
        care_contact_at=contact,
        readmitted=again,
    )


def march(stays):
    return indicators.month_figures(
        stays,
        populations={"2080": 2000, "2084": 1000},
        agreements=liability.Agreements([]),
        rates=RATES,
        year=2023,
        month=3,
        today=datetime.date(2030, 1, 1),
    )


def test_hand_computed_month():
    # Falun, March 2023, four ready patients discharged in March:
    #  1: ready 6 March, out 6 March (0 days, same day, within grace, SIP on 7th, named contact at 08:00)
    #  2: ready 6 March, out 9 March (3 days: first liable day 9 March, so within grace; SIP 10th: 4 days,
    #     late; named contact appointed 10 March, after discharge: not counted)
    #  3: ready 1 March, out 11 March (10 days, 7 liable: 4 … 10 March)
    #  4: ready 28 February, out 2 March 15:00 (2 days; SIP 3 March; named contact 2 March 20:00: the
    #     day of discharge, counted)
    # and one discharged in March without a ready notice (counts only for readmissions), one
    # discharged in April (not in March's figures, but 0 liable days in March: still in grace).
    stays = [
        stay(
            1,
            at(2023, 3, 6, 9),
            at(2023, 3, 6, 15),
            pseudonym="p1",
            sip=at(2023, 3, 7),
            contact=at(2023, 3, 6, 8),
            again=True,
        ),
        stay(2, at(2023, 3, 6, 9), at(2023, 3, 9, 15), pseudonym="p2", sip=at(2023, 3, 10), contact=at(2023, 3, 10)),
        stay(3, at(2023, 3, 1, 9), at(2023, 3, 11, 15), pseudonym="p3"),
        stay(4, at(2023, 2, 28, 9), at(2023, 3, 2, 15), pseudonym="p4", sip=at(2023, 3, 3), contact=at(2023, 3, 2, 20)),
        stay(5, None, at(2023, 3, 20), pseudonym="p5"),
        stay(6, at(2023, 3, 30, 9), at(2023, 4, 1, 10), pseudonym="p6"),
    ]
    # p1 came back within 30 days (load_stays finds that: test_readmissions_within_30_days).
    falun = march(stays)["2080"]
    assert sorted(falun.days_ready) == [0, 2, 3, 10]
    values = {i.code: falun.value(i.code) for i in indicators.INDICATORS}
    assert values["days_ready_per_1000"] == 15 * 1000 / 2000  # 7.5 per 1 000 inhabitants aged 65+
    assert values["mean_days_ready"] == 3.75
    assert values["median_days_ready"] == 2.5
    assert values["same_day_share"] == 0.25
    assert values["within_grace_share"] == 0.75  # 0, 3 and 2 days; not the 10
    assert values["sip_share"] == 0.5  # 1 and 4
    assert values["care_contact_share"] == 0.5  # 1 and 4
    assert values["readmission_share"] == 1 / 5  # five discharged in March with a pseudonym, p1 back
    assert (values["liable_days"], values["liable_amount"]) == (7, Decimal("73500.00"))
    assert march(stays)["2084"].value("mean_days_ready") is None


def test_per_1000_aged_65_plus_only_where_the_population_is_known():
    stays = [
        stay(1, at(2023, 3, 6, 9), at(2023, 3, 11, 15)),
        stay(2, at(2023, 3, 6, 9), at(2023, 3, 9), municipality="2084"),
    ]
    found = indicators.month_figures(
        stays,
        populations={"2080": 500, "2084": None},
        agreements=liability.Agreements([]),
        rates=RATES,
        year=2023,
        month=3,
        today=datetime.date(2030, 1, 1),
    )
    assert found["2080"].value("days_ready_per_1000") == 5 * 1000 / 500  # 10 per 1 000 aged 65+
    assert found["2084"].value("days_ready_per_1000") is None
    assert found["2084"].value("mean_days_ready") == 3
    assert indicators.county_figures(found).value("days_ready_per_1000") is None


def test_targets_met_in_the_right_direction():
    assert indicators.met("mean_days_ready", Decimal("3.75"), Decimal("4")) is True
    assert indicators.met("mean_days_ready", Decimal("4.1"), Decimal("4")) is False
    assert indicators.met("same_day_share", Decimal("25"), Decimal("30")) is False
    assert indicators.met("same_day_share", Decimal("30"), Decimal("30")) is True
    assert indicators.met("sip_share", None, Decimal("30")) is None
    assert indicators.met("sip_share", Decimal("30"), None) is None
    assert indicators.shown("same_day_share", 0.25) == Decimal("25.00")


@pytest.mark.django_db
def test_readmissions_within_30_days(source):
    """Back exactly 30 days after discharge counts, 30 days and a minute does not; so does a
    readmission in another of the county's sources, not one in another county's or without a
    pseudonym. (Counted in hours: UTC, so that the change to summer time on 26 March is no hour less.)"""
    discharged = at(2023, 3, 6, 15).astimezone(datetime.UTC)
    make_episode(source, "A", "2080", at(2023, 3, 6, 9), discharged, pseudonym="p1")
    make_episode(source, "A2", "2080", None, None, pseudonym="p1", admitted_at=discharged + datetime.timedelta(days=30))
    make_episode(source, "B", "2080", at(2023, 3, 6, 9), discharged, pseudonym="p2")
    make_episode(
        source,
        "B2",
        "2080",
        None,
        None,
        pseudonym="p2",
        admitted_at=discharged + datetime.timedelta(days=30, minutes=1),
    )
    other = source_for("20", "Prator")
    make_episode(source, "C", "2080", at(2023, 3, 6, 9), discharged, pseudonym="p3")
    make_episode(other, "C2", "2080", None, None, pseudonym="p3", admitted_at=discharged + datetime.timedelta(days=2))
    orebro = source_for("18", "Cosmic")
    make_episode(source, "D", "2080", at(2023, 3, 6, 9), discharged, pseudonym="p4")
    make_episode(orebro, "D2", "1880", None, None, pseudonym="p4", admitted_at=discharged + datetime.timedelta(days=2))
    make_episode(source, "E", "2080", at(2023, 3, 6, 9), discharged, pseudonym="")
    make_episode(source, "E2", "2080", None, None, pseudonym="", admitted_at=discharged + datetime.timedelta(days=2))
    stays = selectors.load_stays("20", datetime.date(2023, 3, 1), datetime.date(2023, 3, 31))
    assert {s.record_id: s.readmitted for s in stays if s.record_id in "ABCDE"} == {
        "A": True,
        "B": False,
        "C": True,
        "D": False,
        "E": False,
    }


@pytest.mark.django_db
def test_report_page_and_api(client, world, source, rates):
    make_episode(source, "F1", "2080", at(2023, 3, 6), at(2023, 3, 6, 16), pseudonym="a")
    make_episode(source, "F2", "2080", at(2023, 3, 6), at(2023, 3, 11, 14), pseudonym="b")
    make_episode(source, "F0", "2080", at(2022, 3, 6), at(2022, 3, 20), pseudonym="c")  # a year before: 14 days
    dalarna = County.objects.get(code="20")
    services.indicator_target_set(
        county=dalarna,
        indicator="mean_days_ready",
        valid_from=datetime.date(2023, 1, 1),
        target=Decimal("3"),
        by=world.region_coordinator,
    )
    services.indicator_target_set(
        county=dalarna,
        indicator="same_day_share",
        valid_from=datetime.date(2023, 1, 1),
        target=Decimal("40"),
        by=world.region_coordinator,
    )
    login(client, world.falun_coordinator)
    client.cookies["django_language"] = "en"
    response = client.get("/uppfoljning/indikatorer/?county=20&month=2023-03&area=2080")
    assert response.status_code == 200
    report = response.context["report"]
    rows = {row.indicator.code: row for row in report.rows}
    assert (rows["mean_days_ready"].value, rows["mean_days_ready"].met) == (Decimal("2.5"), True)
    assert (rows["same_day_share"].value, rows["same_day_share"].met) == (Decimal("50.0"), True)
    assert rows["mean_days_ready"].year_before == 14
    assert rows["liable_days"].value == 2 and rows["liable_amount"].value == Decimal("21000.00")
    assert len(rows["mean_days_ready"].trend) == 12 and rows["mean_days_ready"].trend[-1][2] == 3
    assert "2 of 2 targets met" in " ".join(report.summary)
    assert "mean days ready" in " ".join(report.summary).lower()
    assert b"<svg" in response.content

    # A reader gets no indicator from fewer than 10 patients; liability is not a count of patients.
    login(client, world.viewer)
    report = client.get("/uppfoljning/indikatorer/?county=20&month=2023-03&area=2080").context["report"]
    rows = {row.indicator.code: row for row in report.rows}
    assert rows["mean_days_ready"].value is None and rows["liable_days"].value == 2

    login(client, world.region_coordinator)
    data = client.get("/api/v1/followup/indicators?county=20&month=2023-03").json()
    assert data["area"] == "20"
    mean = next(i for i in data["indicators"] if i["code"] == "mean_days_ready")
    assert (mean["value"], mean["target"], mean["met"]) == ("2.5", "3.00", True)
    falun = next(m for m in data["municipalities"] if m["code"] == "2080")
    assert falun["values"]["liable_days"] == "2"
    login(client, world.lunden_staff)
    assert client.get("/uppfoljning/indikatorer/?county=20&month=2023-03").status_code == 403


@pytest.mark.django_db
def test_targets_are_set_by_the_region_and_audited(client, world):
    login(client, world.region_coordinator)
    response = client.post(
        "/uppfoljning/indikatorer/?county=20&month=2023-03",
        {"indicator": "same_day_share", "valid_from": "2023-01-01", "target": "45"},
    )
    assert response.status_code == 302
    assert IndicatorTarget.objects.get().target == 45
    login(client, world.falun_coordinator)
    response = client.post(
        "/uppfoljning/indikatorer/?county=20&month=2023-03",
        {"indicator": "same_day_share", "valid_from": "2023-01-01", "target": "10"},
    )
    assert response.status_code == 403 and IndicatorTarget.objects.get().target == 45


@pytest.mark.django_db
def test_statement_and_indicators_equal_an_independent_count_on_generated_data(source, rates):
    """Two hundred random stays around March 2023 in three municipalities; the liable days are
    counted again day by day, and the days ready with plain Python."""
    rng = random.Random(9)
    codes = ["2080", "2084", "2085"]
    expected_days = dict.fromkeys(codes, 0)
    days_ready = {code: [] for code in codes}
    episodes = []
    for n in range(200):
        code = rng.choice(codes)
        ready = at(2023, 2, 10) + datetime.timedelta(minutes=rng.randint(0, 50 * 24 * 60))
        waited = datetime.timedelta(minutes=rng.randint(0, 20 * 24 * 60))
        discharged = ready + waited if rng.random() < 0.9 else None
        notice = rng.random() < 0.9
        episodes.append((code, ready, discharged, notice))
        admitted = ready - datetime.timedelta(days=3)
        Episode.objects.create(
            source=source,
            record_id=f"G{n}",
            home_municipality_id=code,
            care_type="somatic",
            admitted_at=admitted,
            admission_notice_at=admitted + datetime.timedelta(hours=1) if notice else None,
            ready_at=ready,
            discharged_at=discharged,
        )
        local_ready = ready.astimezone(liability.LOCAL).date()
        end = discharged.astimezone(liability.LOCAL).date() if discharged else datetime.date(2023, 4, 1)
        day = local_ready
        while day < end:
            if notice and (day - local_ready).days >= 3 and day.month == 3 and day.year == 2023:
                expected_days[code] += 1
            day += datetime.timedelta(days=1)
        if discharged and end.month == 3 and end.year == 2023:
            days_ready[code].append((end - local_ready).days)
    computed = selectors.compute(Episode.objects.all(), "20", 2023, 3, today=datetime.date(2030, 1, 1))
    for code in codes:
        assert computed[code].liable_days == expected_days[code]
        assert computed[code].amount == expected_days[code] * Decimal("10500")
    starts, figures, _names = selectors.county_months("20", 2023, 3, count=1, today=datetime.date(2030, 1, 1))
    for code in codes:
        march_figures = figures[code][0]
        assert sorted(march_figures.days_ready) == sorted(days_ready[code])
        assert march_figures.value("mean_days_ready") == pytest.approx(statistics.mean(days_ready[code]))
        assert march_figures.value("median_days_ready") == statistics.median(days_ready[code])
        assert march_figures.liable_days == expected_days[code]


@pytest.mark.django_db
def test_the_report_says_how_to_load_the_population_aged_65_plus_when_it_is_missing(client, world, source, rates):
    """No data in the project gives the population aged 65+: the page says so, in Swedish, and how
    to load it, instead of an empty cell; once loaded for a municipality, its figure is shown."""
    make_episode(source, "F1", "2080", at(2023, 3, 6), at(2023, 3, 11, 14))
    login(client, world.region_coordinator)
    client.cookies["django_language"] = "sv"
    page = client.get("/uppfoljning/indikatorer/?county=20&month=2023-03").content.decode()
    assert "befolkningen 65 år och äldre är inte inläst för någon av länets kommuner" in page
    assert "manage.py load_reference_data --population" in page
    assert 'href="#population-note"' in page

    Municipality.objects.filter(code="2080").update(population_65_plus=500)
    response = client.get("/uppfoljning/indikatorer/?county=20&month=2023-03&area=2080")
    rows = {row.indicator.code: row for row in response.context["report"].rows}
    assert rows["days_ready_per_1000"].value == 5 * 1000 / 500
    assert response.context["report"].population_note == ""
    assert "population-note" not in response.content.decode()
    note = client.get("/uppfoljning/indikatorer/?county=20&month=2023-03").context["report"].population_note
    assert "inte inläst för Avesta" in note and "Falun" not in note
