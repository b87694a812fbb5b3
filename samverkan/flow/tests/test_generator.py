"""The synthetic episode generator: seeded, valid, importable, nothing in the future."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from samverkan.flow import generator
from samverkan.flow.imports import import_rows, read_csv, source_for
from samverkan.flow.models import Episode
from samverkan.flow.pseudonyms import normalise
from samverkan.organisations import policy

pytestmark = pytest.mark.django_db
MUNICIPALITIES = [("2080", 57685), ("2084", 23161)]
NOW = datetime.datetime(2026, 3, 1, 12, 0)  # noqa: DTZ001 - the generator works in naive local time


def _rows(**kwargs):
    return list(generator.episodes(MUNICIPALITIES, start=datetime.date(2026, 1, 1), days=60, seed=7, now=NOW, **kwargs))


def test_the_same_seed_gives_the_same_episodes():
    assert _rows() == _rows()


def test_volumes_follow_population_rates():
    rows = _rows()
    expected = (57685 + 23161) * generator.ADMISSIONS_PER_1000_A_YEAR / 1000 / 365 * 60
    assert 0.8 * expected < len(rows) < 1.3 * expected
    assert {r["home_municipality"] for r in rows} == {"2080", "2084"}


def test_every_personnummer_passes_the_checksum_and_nothing_lies_in_the_future():
    for row in _rows():
        normalise(row["personnummer"])  # raises if the checksum is wrong
        for column in ("admitted_at", "ready_at", "discharged_at"):
            if row[column]:
                assert datetime.datetime.fromisoformat(row[column]) <= NOW


def test_an_exact_count_is_honoured():
    assert len(_rows(count=50)) == 50


def test_the_command_writes_a_file_the_import_accepts(tmp_path, world):
    out = tmp_path / "episodes.csv"
    call_command(
        "generate_episodes",
        "--county",
        "20",
        "--start",
        "2025-01-01",
        "--days",
        "20",
        "--out",
        str(out),
        stdout=io.StringIO(),
    )
    result = import_rows(source=source_for("20", "Gen"), rows=read_csv(out.read_bytes()), by=policy.SYSTEM)
    assert result.ok, result.errors[:3]
    assert Episode.objects.count() == result.run.created > 0


def test_wards_by_care_type_leave_the_other_fields_as_they_were():
    options = {"start": datetime.date(2025, 1, 1), "days": 30, "seed": 7}
    plain = list(generator.episodes([("2080", 58000)], **options))
    wards = {"somatic": ["MED1", "MED2"], "psychiatric": ["PSY"]}
    with_wards = list(generator.episodes([("2080", 58000)], wards=wards, **options))
    assert [{**row, "hospital_unit": ""} for row in with_wards] == plain
    assert {row["hospital_unit"] for row in with_wards if row["care_type"] == "somatic"} == {"MED1", "MED2"}
    assert {row["hospital_unit"] for row in with_wards if row["care_type"] == "psychiatric"} == {"PSY"}


def test_some_patients_come_back_within_30_days_of_a_discharge_alive():
    rows = _rows()
    by_person: dict[str, list[dict]] = {}
    for row in rows:
        by_person.setdefault(row["personnummer"], []).append(row)
    readmissions = 0
    for stays in by_person.values():
        assert len({(s["birth_year"], s["home_municipality"]) for s in stays}) == 1  # the same person
        for before, after in zip(stays, stays[1:], strict=False):
            assert before["discharged_at"] and before["destination"] != "deceased"
            gap = datetime.datetime.fromisoformat(after["admitted_at"]) - datetime.datetime.fromisoformat(
                before["discharged_at"]
            )
            assert datetime.timedelta(0) < gap <= datetime.timedelta(days=generator.READMISSION_DAYS)
            readmissions += 1
    # about READMISSION_SHARE of the admissions after the first weeks
    assert 0.03 * len(rows) < readmissions < 0.1 * len(rows)
