"""Where real data from other systems arrives: times without an offset in the hours the clocks
skip (March) and repeat (October), periods after today, and unit codes that are organisation
numbers, not personnummer."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from samverkan.flow import selectors
from samverkan.flow import statistics as st
from samverkan.flow.models import Episode, UnitMapping
from samverkan.flow.pseudonyms import mask_personnummer
from samverkan.flow.tests.helpers import csv_bytes, personnummer, row, run_import, where
from samverkan.testing import login

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
D = datetime.date
# Sweden's clocks in 2025: forward 30 March 02:00 → 03:00, back 26 October 03:00 → 02:00.
MARCH, OCTOBER = D(2025, 3, 30), D(2025, 10, 26)


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def _day(world, day: D):
    stats = selectors.statistics(world.region_coordinator, county_code="20", start=day, end=day, granularity="day")
    return stats.area("2080").buckets[0].figures


# --- The repeated hour in October ---------------------------------------------------------------


def test_a_discharge_in_the_repeated_hour_before_the_ready_notice_is_its_second_occurrence(source, world):
    data = csv_bytes(
        row(
            source_id="OCT",
            admitted_at="2025-10-20T10:00",
            ready_at="2025-10-26T02:40",
            discharged_at="2025-10-26T02:10",
        )
    )

    result = run_import(source, data)

    assert result.ok, result.errors
    episode = Episode.objects.get()
    assert episode.ready_at == datetime.datetime(2025, 10, 26, 0, 40, tzinfo=UTC)  # 02:40 summer time
    assert episode.discharged_at == datetime.datetime(2025, 10, 26, 1, 10, tzinfo=UTC)  # the second 02:10
    figures = _day(world, OCTOBER)
    assert (figures.discharges, figures.ready_notices, figures.discharged_ready, figures.days_ready) == (1, 1, 1, 0)


def test_times_in_the_repeated_hour_already_in_order_are_read_as_the_first_occurrence(source):
    data = csv_bytes(
        row(
            source_id="OCT",
            admitted_at="2025-10-20T10:00",
            ready_at="2025-10-26T02:10",
            discharged_at="2025-10-26T02:40",
        )
    )
    assert run_import(source, data).ok
    episode = Episode.objects.get()
    assert (episode.ready_at, episode.discharged_at) == (
        datetime.datetime(2025, 10, 26, 0, 10, tzinfo=UTC),
        datetime.datetime(2025, 10, 26, 0, 40, tzinfo=UTC),
    )


def test_an_explicit_offset_in_the_repeated_hour_is_kept_and_so_the_order_still_refused(source):
    data = csv_bytes(
        row(
            source_id="OCT",
            admitted_at="2025-10-20T10:00",
            ready_at="2025-10-26T02:40+01:00",
            discharged_at="2025-10-26T02:10+01:00",
        )
    )
    result = run_import(source, data)
    assert where(result.errors) == [(2, "discharged_at")]
    assert result.errors[0].message == "Discharge is before the ready-for-discharge notice."


def test_times_that_are_out_of_order_whichever_hour_they_mean_are_still_refused(source):
    data = csv_bytes(
        row(source_id="OCT", admitted_at="2025-10-26T02:40", discharged_at="2025-10-26T00:30")  # not in the hour
    )
    assert where(run_import(source, data).errors) == [(2, "discharged_at")]


# --- The skipped hour in March ------------------------------------------------------------------


def test_a_time_in_the_skipped_hour_is_mapped_forward_to_when_the_clocks_were_turned(source, world):
    data = csv_bytes(
        row(
            source_id="MAR",
            admitted_at="2025-03-30T02:30",
            ready_at="2025-03-30T03:00",
            discharged_at="2025-03-30T09:00",
        )
    )

    result = run_import(source, data)

    assert result.ok, result.errors
    episode = Episode.objects.get()
    assert episode.admitted_at == datetime.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # 03:00 summer time
    assert episode.ready_at == datetime.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    figures = _day(world, MARCH)
    assert (figures.admissions, figures.ready_notices, figures.discharges, figures.days_ready) == (1, 1, 1, 0)
    assert run_import(source, data).run.unchanged == 1  # read the same way again


# --- Periods after today ------------------------------------------------------------------------


def test_a_period_running_past_today_is_cut_at_today_and_says_so(world):
    today = timezone.localdate()
    stats = selectors.statistics(
        world.region_coordinator,
        county_code="20",
        start=today - datetime.timedelta(days=20),
        end=today + datetime.timedelta(days=60),
        granularity="week",
    )
    assert stats.end == today and stats.requested_end == today + datetime.timedelta(days=60)
    assert stats.county.buckets[-1].end == today


def test_a_period_after_today_is_refused():
    today = D(2025, 6, 1)
    with pytest.raises(st.PeriodRefused, match="starts after today"):
        st.up_to_today(D(2025, 6, 2), D(2025, 6, 30), today)
    assert st.up_to_today(D(2025, 5, 1), D(2025, 6, 30), today) == (D(2025, 5, 1), today)
    assert st.up_to_today(D(2025, 5, 1), D(2025, 5, 31), today) == (D(2025, 5, 1), D(2025, 5, 31))


def test_the_page_and_the_api_cut_a_future_period_and_say_so(client, world):
    login(client, world.region_coordinator)
    today = timezone.localdate()
    later = today + datetime.timedelta(days=30)
    query = {"county": "20", "from": (today - datetime.timedelta(days=14)).isoformat(), "to": later.isoformat()}

    page = client.get("/flode/", {**query, "granularity": "day"}).content.decode()
    assert f"The figures end today, {today.isoformat()}" in page

    answer = client.get("/api/v1/flow/statistics", {**query, "granularity": "day"}).json()
    assert (answer["end"], answer["requested_to"]) == (today.isoformat(), later.isoformat())
    assert answer["series"][-1]["end"] == today.isoformat()

    refused = client.get("/api/v1/flow/statistics", {**query, "from": (today + datetime.timedelta(days=1)).isoformat()})
    assert refused.status_code == 422 and "starts after today" in refused.json()["detail"]
    page = client.get("/flode/", {**query, "from": (today + datetime.timedelta(days=1)).isoformat()})
    assert "starts after today" in page.content.decode()


# --- Organisation numbers are not masked --------------------------------------------------------


def test_an_organisation_number_in_a_unit_code_is_shown_while_a_personnummer_is_masked(source):
    number = personnummer("19470318", "486")
    data = csv_bytes(row(source_id="U1", hospital_unit="SE2321000180-MED9"), row(source_id="U2", birth_year=number))

    result = run_import(source, data)

    assert [e.message for e in result.errors] == [
        "Unknown unit code 'SE2321000180-MED9' for Cosmic; map it first.",
        "'…' is not a plausible birth year.",
    ]
    assert mask_personnummer(f"unit SE2321000180-MED1, patient {number}") == "unit SE2321000180-MED1, patient …"
    assert not UnitMapping.objects.exists()


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("193811245625", id="wrong-check-digit"),
        pytest.param("9913451234", id="month-13-day-45"),
        pytest.param("19470318-4864", id="mistyped-with-separator"),
    ],
)
def test_a_mistyped_personnummer_in_a_message_is_masked_too(source, number):
    # A number of a personnummer's shape that fails the date or check digit still points at a
    # person (a typo of one digit): it is masked wherever a message would quote it.
    data = csv_bytes(row(source_id="U1", birth_year=number))

    result = run_import(source, data)

    assert number not in "\n".join(e.message for e in result.errors)
    assert "'…' is not a plausible birth year." in [e.message for e in result.errors]
    assert mask_personnummer(f"code {number} and unit SE2321000180-MED1") == "code … and unit SE2321000180-MED1"
