"""Small counts cannot be recovered by differencing (issue 17, finding 3).

A reader (viewer) once recovered hidden day counts exactly by subtracting the figures of a period
one day shorter from those of a period ending on the hidden day. These tests replay that attack and
the others the decision record lists (docs/decisions/small-count-protection.md): the county total
minus the other municipalities, a month minus the weeks inside it, the census minus the flows, and
filters that split the same patients. Readers get whole weeks or months, every count rounded to a
multiple of 5 (randomly, the same way each time) and everything else computed from the rounded
counts; exact-count roles keep exact figures for any period.

The data (2025, all in the past): Falun has 1–4 admissions on most days of March (6 on the 10th and
the 20th); Avesta 10 long stays from February and 2, 3, 1, 4 admissions in the weeks of 3, 10,
17 and 24 March; Ludvika 12 somatic and 3 psychiatric admissions in the week of 10 March; Borlänge
3 admissions in each of four age bands in the week of 17 March; Mora 2 admissions in March.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from samverkan.flow import statistics as st
from samverkan.flow.imports import source_for
from samverkan.flow.tests.helpers import csv_bytes, row, run_import
from samverkan.organisations.models import Membership, Organisation, Role
from samverkan.testing import csv_rows, login

pytestmark = pytest.mark.django_db

API = "/api/v1/flow/statistics"
FALUN = {1: 1, 2: 2, 31: 4} | {day: 6 if day in (10, 20) else 1 + day % 4 for day in range(3, 31)}
AVESTA_WEEKS = {"2025-03-05": 2, "2025-03-12": 3, "2025-03-19": 1, "2025-03-26": 4}  # a Wednesday each
BORLANGE_BANDS = {"18-44": 1990, "45-64": 1970, "65-74": 1955, "75-84": 1945}  # birth years
READERS = ("viewer", "lunden_staff", "forum_secretary")
EXACT = ("region_coordinator", "falun_coordinator", "admin")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def data(world):
    rows = []

    def admit(home: str, at: str, n: int, **extra) -> None:
        for _ in range(n):
            rows.append(row(source_id=f"S{len(rows)}", home_municipality=home, admitted_at=at, **extra))

    for day, n in FALUN.items():
        admit("2080", f"2025-03-{day:02}T10:00", n)
    admit("2084", "2025-02-03T10:00", 10)
    for day, n in AVESTA_WEEKS.items():
        admit("2084", f"{day}T10:00", n)
    admit("2085", "2025-03-12T10:00", 12)
    admit("2085", "2025-03-12T11:00", 3, care_type="psychiatric")
    for birth_year in BORLANGE_BANDS.values():
        admit("2081", "2025-03-19T10:00", 3, birth_year=str(birth_year))
    admit("2062", "2025-03-14T10:00", 2)
    result = run_import(source_for("20", "Cosmic"), csv_bytes(*rows))
    assert result.ok, result.errors
    return world


def _get(client, **params) -> dict:
    response = client.get(API, {"county": "20", **params})
    assert response.status_code == 200, response.content
    return response.json()


def _total(body: dict, code: str, key: str = "admissions"):
    if code == body["county"]:
        return body["county_total"]["total"][key]
    return next(m for m in body["municipalities"] if m["code"] == code)["total"][key]


def _series(body: dict, key: str = "admissions") -> dict[str, object]:
    return {bucket["start"]: bucket["figures"][key] for bucket in body["series"]}


def _as(client, world, persona: str):
    client.logout()
    client.cookies["django_language"] = "en"
    return login(client, getattr(world, persona))


# --- The attack of the issue, replayed -----------------------------------------------------------


def _day_differences(client) -> dict[int, object]:
    """For each day of March from the 2nd: Falun's admissions over 1 March – that day minus those
    over 1 March – the day before, as the API gives them."""
    found = {}
    for day in range(2, 32):
        longer = _total(_get(client, **{"from": "2025-03-01", "to": f"2025-03-{day:02}"}), "2080")
        shorter = _total(_get(client, **{"from": "2025-03-01", "to": f"2025-03-{day - 1:02}"}), "2080")
        found[day] = longer - shorter if isinstance(longer, int) and isinstance(shorter, int) else None
    return found


def test_subtracting_a_period_one_day_shorter_recovers_no_hidden_day_count(client, data):
    hidden = [day for day in range(2, 32) if 1 <= FALUN[day] <= 4]
    assert len(hidden) == 28

    login(client, data.viewer)
    differences = _day_differences(client)
    recovered = [day for day in hidden if differences[day] == FALUN[day]]
    assert recovered == []
    # What a reader gets instead: whole weeks, so the difference is nothing or a rounded week.
    assert all(isinstance(d, int) and d % 5 == 0 for d in differences.values()), differences

    _as(client, data, "region_coordinator")
    assert _day_differences(client) == {day: FALUN[day] for day in range(2, 32)}  # exact, any day


@pytest.mark.parametrize("persona", READERS)
def test_readers_get_whole_finished_weeks_or_months_only(client, data, persona):
    login(client, getattr(data, persona))
    week = _get(client, **{"from": "2025-03-05", "to": "2025-03-12"})
    assert (week["start"], week["end"], week["exact"]) == ("2025-03-03", "2025-03-16", False)
    month = _get(client, **{"from": "2025-03-05", "to": "2025-03-12", "granularity": "month"})
    assert (month["start"], month["end"]) == ("2025-03-01", "2025-03-31")

    today = timezone.localdate()
    this_monday = today - datetime.timedelta(days=today.weekday())
    recent = _get(client, **{"from": (this_monday - datetime.timedelta(days=14)).isoformat(), "to": today.isoformat()})
    assert recent["end"] == (this_monday - datetime.timedelta(days=1)).isoformat()  # the week under way is left out

    day = client.get(API, {"county": "20", "from": "2025-03-05", "to": "2025-03-12", "granularity": "day"})
    assert day.status_code == 422
    assert "week or month" in day.json()["detail"]
    unfinished = client.get(API, {"county": "20", "from": this_monday.isoformat(), "to": today.isoformat()})
    assert unfinished.status_code == 422
    assert "No whole week" in unfinished.json()["detail"]

    page = client.get("/flode/?county=20&from=2025-03-05&to=2025-03-12&granularity=week")
    body = page.content.decode()
    assert '<option value="day"' not in body
    assert "2025-03-03 – 2025-03-16" in body
    assert "whole weeks that have ended" in body
    assert "Periods are whole calendar months or whole weeks" in body and "can be partial" not in body
    refused = client.get("/flode/?county=20&from=2025-03-05&to=2025-03-12&granularity=day")
    assert refused.context["stats"] is None
    assert "week or month" in refused.content.decode()


@pytest.mark.parametrize("persona", EXACT)
def test_exact_count_roles_keep_any_period_and_day_figures(client, data, persona):
    login(client, getattr(data, persona))
    body = _get(client, **{"from": "2025-03-05", "to": "2025-03-12", "granularity": "day", "municipality": "2080"})
    assert (body["start"], body["end"], body["exact"]) == ("2025-03-05", "2025-03-12", True)
    assert list(_series(body).values()) == [FALUN[day] for day in range(5, 13)]
    page = client.get("/flode/?county=20&from=2025-03-05&to=2025-03-12&granularity=day").content.decode()
    assert '<option value="day" selected>' in page


# --- The other ways to subtract ------------------------------------------------------------------


def _county_minus_others(client) -> object:
    """Mora's admissions in March: the county total minus every other municipality, from the CSV."""
    text = client.get("/flode/statistik.csv?county=20&from=2025-03-01&to=2025-03-31&granularity=month").content
    lines = csv_rows(text)
    column = lines[0].index("Admissions")
    totals = {line[0]: line[column] for line in lines[1:]}  # one month: the county's series row is its total
    others = [int(value) for code, value in totals.items() if code not in ("20", "2062")]
    return int(totals["20"]) - sum(others)


def _week_from_month(client) -> tuple[object, object]:
    """Falun's admissions in the week of 24 February (1–2 March) and of 31 March (31 March):
    a longer period's total minus the weeks inside it, then the month minus the weeks."""
    weeks = _series(_get(client, **{"from": "2025-02-24", "to": "2025-04-06", "municipality": "2080"}))
    inner = sum(weeks[monday] for monday in ("2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24"))
    first = _total(_get(client, **{"from": "2025-02-24", "to": "2025-03-30"}), "2080") - inner
    month = _total(_get(client, **{"from": "2025-03-01", "to": "2025-03-31", "granularity": "month"}), "2080")
    return first, month - inner - first


def _admissions_from_census(client) -> list[object]:
    """Avesta's admissions per week: in hospital at the end of the week minus at the end of the
    week before plus the discharges."""
    body = _get(client, **{"from": "2025-02-24", "to": "2025-03-30", "municipality": "2084"})
    census, discharges = list(_series(body, "in_hospital").values()), list(_series(body, "discharges").values())
    return [census[i] - census[i - 1] + discharges[i] for i in range(1, len(census))]


def _psychiatric_from_all_minus_somatic(client) -> object:
    period = {"from": "2025-03-10", "to": "2025-03-16"}
    return _total(_get(client, **period), "2085") - _total(_get(client, **period, care_type="somatic"), "2085")


def _attacks(client) -> dict[str, object]:
    first, last = _week_from_month(client)
    return {
        "county minus the other municipalities": _county_minus_others(client),
        "period minus the weeks inside it": first,
        "month minus the weeks inside it": last,
        "census minus the flows": _admissions_from_census(client),
        "all minus somatic": _psychiatric_from_all_minus_somatic(client),
    }


TRUTH = {
    "county minus the other municipalities": 2,
    "period minus the weeks inside it": 3,
    "month minus the weeks inside it": 4,
    "census minus the flows": [2, 3, 1, 4],
    "all minus somatic": 3,
}


def test_totals_overlapping_periods_census_and_filters_give_readers_no_hidden_count(client, data):
    assert _attacks(_as(client, data, "region_coordinator")) == TRUTH  # the attacks are sound

    for persona in READERS:
        found = _attacks(_as(client, data, persona))
        for attack, value in found.items():
            values = value if isinstance(value, list) else [value]
            truths = TRUTH[attack] if isinstance(value, list) else [TRUTH[attack]]
            assert all(v != t for v, t in zip(values, truths, strict=True)), (persona, attack, value)
            assert all(v % 5 == 0 for v in values), (persona, attack, value)


def _band_ranges(shown_total: int, shown_bands: dict[str, int], error: int) -> dict[str, tuple[int, int]]:
    """What an attacker can say about each age band from the shown figures, knowing that each
    shown count is within `error` of the true one: the bands and the patients without a birth year
    (not shown, at least 0) add up to the total."""
    low = {band: max(0, shown - error) for band, shown in shown_bands.items()}
    high_total = shown_total + error
    return {
        band: (low[band], min(shown + error, high_total - (sum(low.values()) - low[band])))
        for band, shown in shown_bands.items()
    }


def test_age_bands_do_not_pin_each_other_down(client, data):
    """Rounding to the nearest 5 would: four bands of 3 show 5 each (so 3 to 7) and the total of 12
    shows 10 (so 8 to 12), which leaves 3 for every band. Random rounding leaves a range."""
    period = {"from": "2025-03-17", "to": "2025-03-23"}

    login(client, data.region_coordinator)
    exact = {band: _total(_get(client, **period, age_band=band), "2081") for band in st.AGE_BANDS}
    assert exact == dict.fromkeys(BORLANGE_BANDS, 3) | {"0-17": 0, "85-": 0}
    nearest = {band: 5 * round(n / 5) for band, n in exact.items()}
    pinned = _band_ranges(5 * round(_total(_get(client, **period), "2081") / 5), nearest, error=2)
    assert {band: pinned[band] for band in BORLANGE_BANDS} == dict.fromkeys(BORLANGE_BANDS, (3, 3))

    for persona in READERS:
        _as(client, data, persona)
        shown = {band: _total(_get(client, **period, age_band=band), "2081") for band in st.AGE_BANDS}
        ranges = _band_ranges(_total(_get(client, **period), "2081"), shown, error=st.ROUNDING_BASE - 1)
        for band, (low, high) in ranges.items():
            assert low <= exact[band] <= high, (persona, band)
            if exact[band]:
                assert high > low, (persona, band, ranges)


# --- What readers see is consistent and computed from the rounded counts --------------------------


def _counts(figures: dict) -> dict[str, int]:
    """The counts (and sums of days) among the figures."""
    derived = ("_share", "_per_1000", "mean_")
    return {key: value for key, value in figures.items() if not any(part in key for part in derived)}


def test_readers_figures_are_multiples_of_five_and_add_up(client, data):
    login(client, data.viewer)
    body = _get(client, **{"from": "2025-02-24", "to": "2025-04-06", "municipality": "2080"})
    areas = [*body["municipalities"], body["county_total"]]
    for figures in [a["total"] for a in areas] + [b["figures"] for b in body["series"]]:
        assert all(isinstance(v, int) and v % 5 == 0 for v in _counts(figures).values()), figures

    falun = next(m for m in body["municipalities"] if m["code"] == "2080")
    flows = ("admissions", "discharges", "ready_notices", "discharged_ready", "days_ready")
    for key in flows:
        assert falun["total"][key] == sum(_series(body, key).values()), key
        assert body["county_total"]["total"][key] == sum(m["total"][key] for m in body["municipalities"]), key
    assert falun["total"]["in_hospital"] == body["series"][-1]["figures"]["in_hospital"]
    assert falun["total"]["admissions_per_1000"] == pytest.approx(
        falun["total"]["admissions"] * 1000 / falun["population"], abs=0.01
    )
    # The census at the end of November is the same moment for the week and the month.
    week = _get(client, **{"from": "2025-11-24", "to": "2025-11-30", "municipality": "2080"})
    month = _get(client, **{"from": "2025-11-01", "to": "2025-11-30", "granularity": "month", "municipality": "2080"})
    assert _total(week, "2080", "in_hospital") == _total(month, "2080", "in_hospital") > 0
    # Avesta has no covid episodes: leaving them out selects the same patients and shows the same.
    period = {"from": "2025-02-24", "to": "2025-03-30", "municipality": "2084"}
    assert _get(client, **period, covid="false")["series"] == _get(client, **period)["series"]


def test_a_reader_in_this_county_gets_rounded_figures_whatever_their_role_elsewhere(client, data):
    """Exact counts follow the role in the county whose figures are shown."""
    Membership.objects.create(
        user=data.viewer, organisation=Organisation.objects.get(code="1880"), role=Role.MUNICIPAL_COORDINATOR
    )
    body = _get(login(client, data.viewer), **{"from": "2025-03-01", "to": "2025-03-31", "granularity": "month"})
    assert body["exact"] is False
    assert _total(body, "2062") % 5 == 0


def test_the_rounding_is_unbiased_and_the_same_each_time():
    rounding = st.Rounding(b"k" * 32)
    assert rounding(0, "a") == 0 and rounding(35, "a") == 35
    assert rounding(7, "a") == rounding(7, "a") in (5, 10)
    contexts = [f"2080|week {i}" for i in range(4000)]
    for remainder in range(1, 5):
        up = sum(rounding(10 + remainder, c) == 15 for c in contexts) / len(contexts)
        assert up == pytest.approx(remainder / 5, abs=0.03), remainder
        assert {rounding(10 + remainder, c) for c in contexts} == {10, 15}
    other = st.Rounding(b"o" * 32)
    assert [rounding(3, c) for c in contexts[:50]] != [other(3, c) for c in contexts[:50]]
