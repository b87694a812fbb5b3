"""The stored monthly figures (followup/monthly.py): after an import, a second import that changes
episodes, an agreement change and a day rate change they equal the same months counted again from
the episodes, and the report reads them only while they are fresh (same agreements and rates, a
month that has ended)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from samverkan.flow import generator
from samverkan.flow.models import Episode
from samverkan.flow.tests.helpers import csv_bytes, run_import
from samverkan.followup import indicators, monthly, selectors, services
from samverkan.followup.models import MonthFigures
from samverkan.organisations import policy
from samverkan.organisations.models import County, Municipality

pytestmark = pytest.mark.django_db

MUNICIPALITIES = [("2080", 58000), ("2084", 23000), ("2085", 15000)]
MONTHS = [datetime.date(2023, m, 1) for m in range(1, 7)]
LATER = datetime.date(2030, 1, 1)  # every month of MONTHS has ended


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def generated(seed: int, count: int = 800) -> list[dict]:
    """Stays from January to May 2023 in three municipalities, all discharged by the end of June."""
    rows = generator.episodes(
        MUNICIPALITIES,
        start=datetime.date(2023, 1, 1),
        days=150,
        seed=seed,
        count=count,
        now=datetime.datetime(2023, 6, 30, 23),  # noqa: DTZ001 - the generator takes naive local times
    )
    return [row for row in rows if row["discharged_at"]]


def counted(months: list[datetime.date]) -> dict[datetime.date, dict[str, indicators.Figures]]:
    populations = dict(Municipality.objects.filter(county_id="20").values_list("code", "population_65_plus"))
    return selectors.compute_months(
        "20",
        months,
        populations,
        agreements=selectors.agreements_of("20"),
        rates=selectors.rates_of("20"),
        today=LATER,
    )


def stored(months: list[datetime.date]) -> dict[datetime.date, dict[str, indicators.Figures]]:
    populations = dict(Municipality.objects.filter(county_id="20").values_list("code", "population_65_plus"))
    agreements, rates = selectors.agreements_of("20"), selectors.rates_of("20")
    return selectors.stored_months("20", months, indicators.basis(agreements, rates), populations)


def as_compared(figures: indicators.Figures) -> tuple:
    return (sorted(figures.days_ready), [figures.value(i.code) for i in indicators.INDICATORS])


def assert_stored_equal_counted() -> None:
    found, expected = stored(MONTHS), counted(MONTHS)
    assert set(found) == set(MONTHS)
    for month in MONTHS:
        assert {code: as_compared(f) for code, f in found[month].items()} == {
            code: as_compared(f) for code, f in expected[month].items()
        }, month


def test_an_import_has_its_months_built_equal_to_a_fresh_count(
    source, rates, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import(source, csv_bytes(*generated(seed=3)))
    assert result.run.created > 700
    assert_stored_equal_counted()
    march = counted([MONTHS[2]])[MONTHS[2]]
    assert sum(f.patients for f in march.values()) > 20 and sum(f.liable_days for f in march.values()) > 0
    # The month of now has not ended: never stored.
    assert not MonthFigures.objects.filter(month__gte=timezone.localdate().replace(day=1)).exists()


def test_a_second_import_forgets_the_months_it_touches_and_they_are_built_again(
    source, rates, immediate_tasks, django_capture_on_commit_callbacks
):
    rows = generated(seed=4)
    with django_capture_on_commit_callbacks(execute=True):
        run_import(source, csv_bytes(*rows))
    # The same patients again: the stays admitted in May discharged a week later, and one patient
    # discharged around the turn of April readmitted on 20 May.
    late = [r for r in rows if r["admitted_at"] >= "2023-05-01"]
    for row in late:
        row["discharged_at"] = (
            datetime.datetime.fromisoformat(row["discharged_at"]) + datetime.timedelta(days=7)
        ).isoformat(timespec="minutes")
    prior = next(
        r for r in rows if r["admitted_at"] < "2023-05-01" and "2023-04-25" <= r["discharged_at"] < "2023-05-19"
    )
    back = {**prior, "source_id": "AGAIN", "admitted_at": "2023-05-20T08:00", "discharged_at": "2023-05-25T10:00"}
    for field in ("admission_notice_at", "ready_at", "sip_called_at", "estimated_discharge_date", "care_contact_at"):
        back[field] = ""
    earliest = min(r["admitted_at"] for r in [*late, back])
    kept_before = datetime.date.fromisoformat(earliest[:10]) - datetime.timedelta(days=31)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_import(source, csv_bytes(*rows, back))
    # In the import's transaction: the months from 31 days before the earliest admission touched are gone.
    months_left = set(MonthFigures.objects.filter(county_id="20").values_list("month", flat=True))
    assert max(months_left) < kept_before.replace(day=1)
    assert datetime.date(2023, 1, 1) in months_left
    for callback in callbacks:
        callback()
    assert_stored_equal_counted()
    assert Episode.objects.filter(record_id="AGAIN").exists()


def test_an_agreement_or_a_rate_change_is_read_from_the_episodes_until_built_again(
    source, rates, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_import(source, csv_bytes(*generated(seed=5)))
    before = stored(MONTHS)
    dalarna = County.objects.get(code="20")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.agreement_save(
            county=dalarna,
            valid_from=datetime.date(2023, 1, 1),
            values={"name": "Två dagar", "grace_days_somatic": 1},
            by=policy.SYSTEM,
        )
    # The rows counted under the law are still there, but no longer read.
    assert MonthFigures.objects.filter(county_id="20", month=MONTHS[2]).exists() and stored(MONTHS) == {}
    _starts, figures, _names = selectors.county_months("20", 2023, 6, count=6, today=LATER)
    fresh = counted(MONTHS)
    assert [as_compared(f) for f in figures["2080"]] == [as_compared(fresh[m]["2080"]) for m in MONTHS]
    liable = sum(f.liable_days for m in MONTHS for f in fresh[m].values())
    assert liable > sum(f.liable_days for m in MONTHS for f in before[m].values())  # one grace day instead of 3
    for callback in callbacks:
        callback()
    assert_stored_equal_counted()

    with django_capture_on_commit_callbacks(execute=True):
        services.day_rate_set(county=dalarna, year=2023, amount=Decimal("12000"), by=policy.SYSTEM)
    assert_stored_equal_counted()
    march = stored([MONTHS[2]])[MONTHS[2]]["2080"]
    assert march.liable_amount == march.liable_days * 12000


def test_the_report_and_the_totals_read_fresh_stored_months_and_count_the_others(source, rates):
    """The report and the statements' totals are the same read from the stored months as counted
    from the episodes; a stored row changed by hand shows while its basis is the county's; with
    another basis, or for a month that has not ended, the episodes are counted."""
    run_import(source, csv_bytes(*generated(seed=6)))
    assert monthly.build("20") > 6

    def read() -> tuple:
        return (
            selectors.indicator_report(policy.SYSTEM, "20", 2023, 6, today=LATER).rows,
            [selectors.liability_totals(policy.SYSTEM, "20", 2023, m.month, today=LATER) for m in MONTHS],
        )

    from_stored = read()
    MonthFigures.objects.all().delete()
    assert read() == from_stored
    assert sum(totals.episodes for totals in from_stored[1]) > 10
    monthly.build("20")
    assert read() == from_stored

    MonthFigures.objects.filter(municipality_id="2080", month=datetime.date(2023, 6, 1)).update(
        same_day=10_000, liable_episodes=10_000
    )
    totals = selectors.liability_totals(policy.SYSTEM, "20", 2023, 6, today=LATER)
    assert next(row.episodes for row in totals.rows if row.code == "2080") == 10_000
    totals = selectors.liability_totals(policy.SYSTEM, "20", 2023, 6, today=datetime.date(2023, 6, 30))
    assert next(row.episodes for row in totals.rows if row.code == "2080") < 10_000
    report = selectors.indicator_report(policy.SYSTEM, "20", 2023, 6, today=LATER, area="2080")
    same_day = next(row for row in report.rows if row.indicator.code == "same_day_share")
    assert same_day.value > 100  # read from the row: more "same day" than patients
    # Counted on 30 June the month has not ended: the episodes are read.
    report = selectors.indicator_report(policy.SYSTEM, "20", 2023, 6, today=datetime.date(2023, 6, 30), area="2080")
    assert next(row for row in report.rows if row.indicator.code == "same_day_share").value <= 100
    MonthFigures.objects.filter(month=datetime.date(2023, 6, 1)).update(basis="another")
    report = selectors.indicator_report(policy.SYSTEM, "20", 2023, 6, today=LATER, area="2080")
    assert next(row for row in report.rows if row.indicator.code == "same_day_share").value <= 100


def test_the_command_builds_what_is_missing(source, rates, capsys):
    run_import(source, csv_bytes(*generated(seed=7, count=60)))
    MonthFigures.objects.all().delete()
    call_command("followup_figures_build", county="20")
    assert "months stored" in capsys.readouterr().out
    assert_stored_equal_counted()
    call_command("followup_figures_build", county="20")
    assert "County 20: 0 months stored." in capsys.readouterr().out


def test_an_import_of_another_countys_resident_forgets_the_sources_county_too(source, rates):
    """Readmissions are found in the county's own sources, whoever the patient's home: a stay of a
    Stockholm resident in Dalarna's system can make a Dalarna resident's discharge a readmission."""
    run_import(source, csv_bytes(*generated(seed=8, count=100)))
    monthly.build("20")
    assert MonthFigures.objects.filter(county_id="20", month=datetime.date(2023, 5, 1)).exists()
    visitor = {**generated(seed=8, count=100)[0], "source_id": "VISIT", "home_municipality": "0180"}
    visitor.update(admitted_at="2023-06-10T08:00", discharged_at="2023-06-12T08:00")
    for field in ("admission_notice_at", "ready_at", "sip_called_at", "estimated_discharge_date", "care_contact_at"):
        visitor[field] = ""
    assert run_import(source, csv_bytes(visitor)).ok
    months = set(MonthFigures.objects.filter(county_id="20").values_list("month", flat=True))
    assert datetime.date(2023, 4, 1) in months and max(months) == datetime.date(2023, 4, 1)
