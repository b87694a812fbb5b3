"""The import_episodes command: all or nothing, every error as 'row N, column NAME: message',
a non-zero exit on rejection, --dry-run, and a source created on first use."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from samverkan.flow.models import Episode, ImportRun, ImportStatus, Source
from samverkan.flow.tests.helpers import (
    counts,
    csv_bytes,
    csv_text,
    database_text,
    episodes,
    flow_rows_text,
    leaks,
    personnummer,
    row,
)

pytestmark = pytest.mark.django_db

PERSON = personnummer("19470318", "486")


class Output:
    def __init__(self):
        self.stdout, self.stderr = io.StringIO(), io.StringIO()

    @property
    def out(self) -> str:
        return self.stdout.getvalue()

    @property
    def err(self) -> str:
        return self.stderr.getvalue()


def run_command(path: Path, *options: str, source: str = "Cosmic", county: str = "20") -> Output:
    output = Output()
    call_command(
        "import_episodes",
        str(path),
        "--source",
        source,
        "--county",
        county,
        *options,
        stdout=output.stdout,
        stderr=output.stderr,
    )
    return output


def refused(path: Path, *options: str, **where) -> tuple[CommandError, Output]:
    """Run the command expecting it to fail; the error and what it printed."""
    output = Output()
    with pytest.raises(CommandError) as failure:
        call_command(
            "import_episodes",
            str(path),
            "--source",
            where.get("source", "Cosmic"),
            "--county",
            where.get("county", "20"),
            *options,
            stdout=output.stdout,
            stderr=output.stderr,
        )
    return failure.value, output


@pytest.fixture
def write(tmp_path):
    def write(data: bytes, name: str = "episoder.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def imported_once(db, write) -> dict:
    """One episode imported by the command; the database as it then was."""
    run_command(write(csv_bytes(row(source_id="E0", personnummer=PERSON)), "first.csv"))
    return {"episodes": episodes(), "counts": counts(), "sources": Source.objects.count()}


def test_a_good_file_is_imported_and_summarised(db, write):
    output = run_command(write(csv_bytes(row(source_id="E1", personnummer=PERSON), row(source_id="E2"))))

    assert output.out == "Imported 2 rows: 2 new, 0 updated, 0 unchanged.\n"
    assert output.err == ""
    run = ImportRun.objects.get()
    assert (run.status, run.filename, run.source.name, run.source.county_id) == (
        ImportStatus.DONE,
        "episoder.csv",
        "Cosmic",
        "20",
    )
    assert set(Episode.objects.values_list("record_id", flat=True)) == {"E1", "E2"}


def test_running_the_same_file_again_reports_everything_unchanged(db, write):
    path = write(csv_bytes(row(source_id="E1"), row(source_id="E2")))
    run_command(path)
    assert run_command(path).out == "Imported 2 rows: 0 new, 0 updated, 2 unchanged.\n"


def test_a_new_source_name_is_created_on_first_use_and_reused_after(db, write):
    assert not Source.objects.filter(name="Millennium").exists()
    run_command(write(csv_bytes(row(source_id="E1"))), source="Millennium")
    run_command(write(csv_bytes(row(source_id="E1"))), source="Millennium")

    source = Source.objects.get(name="Millennium")
    assert source.county_id == "20"
    assert source.episodes.count() == 1 and source.imports.count() == 2


def test_a_rejected_file_exits_non_zero_prints_every_error_and_changes_nothing(imported_once, write):
    path = write(
        csv_bytes(
            row(source_id="E0", discharged_at="2025-10-06T12:00"),
            row(source_id="E1", home_municipality="9999", care_type="geriatric"),
            row(source_id="E2", discharged_at="2025-09-01T08:00"),
        )
    )

    error, output = refused(path)

    assert str(error) == "Nothing was imported: 3 errors in 3 rows."
    assert output.err.splitlines() == [
        "row 3, column home_municipality: Unknown municipality code '9999'.",
        "row 3, column care_type: Use somatic or psychiatric, not 'geriatric'.",
        "row 4, column discharged_at: Discharge is before admission.",
    ]
    assert output.out == ""
    assert episodes() == imported_once["episodes"]
    assert counts() == {  # the rejected import is recorded, and its rejection audited
        **imported_once["counts"],
        "imports": imported_once["counts"]["imports"] + 1,
        "audit": imported_once["counts"]["audit"] + 1,
    }
    assert ImportRun.objects.latest("pk").status == ImportStatus.REJECTED


def test_more_errors_than_are_kept_are_counted(db, write, monkeypatch):
    from samverkan.flow import imports

    monkeypatch.setattr(imports, "MAX_ERRORS_KEPT", 2)
    error, output = refused(write(csv_bytes(*(row(source_id=f"E{i}", care_type="x") for i in range(4)))))

    assert str(error) == "Nothing was imported: 4 errors in 4 rows."
    assert output.err.splitlines()[-1] == "… and 2 more errors."
    assert len(output.err.splitlines()) == 3


@pytest.mark.parametrize(
    ("data", "options", "lines"),
    [
        pytest.param(
            csv_bytes(row(), columns=["source_id", "home_municipality", "admitted_at"]),
            (),
            [
                "row 1, column care_type: The required column care_type is missing. "
                "The header must contain source_id, home_municipality, care_type, admitted_at."
            ],
            id="missing-column",
        ),
        pytest.param(
            csv_bytes(row(), delimiter=";"),
            ("--delimiter", ","),
            ["row 1: The header has one column only: is the delimiter ',' right?"],
            id="wrong-delimiter",
        ),
        pytest.param(
            csv_text(row(destination="Särskilt boende")).encode("cp1252"),
            ("--encoding", "utf-8"),
            ["The file is not valid utf-8. Save it as UTF-8 and try again."],
            id="wrong-encoding",
        ),
        pytest.param(b"", (), ["The file is empty."], id="empty"),
        pytest.param(
            b"source_id,home_municipality,care_type,admitted_at\n",
            (),
            ["The file has a header but no rows."],
            id="header-only",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_its_reason(imported_once, write, data, options, lines):
    error, output = refused(write(data), *options)

    assert str(error) == "Nothing was imported: 1 errors in 0 rows."
    assert output.err.splitlines() == lines
    assert episodes() == imported_once["episodes"]
    assert counts()["episodes"] == imported_once["counts"]["episodes"]
    assert counts()["audit"] == imported_once["counts"]["audit"] + 1  # flow.import_rejected


def test_a_dry_run_of_a_good_file_says_what_would_happen_and_writes_nothing(imported_once, write):
    path = write(
        csv_bytes(row(source_id="E0", personnummer=PERSON, discharged_at="2025-10-06T12:00"), row(source_id="E1"))
    )

    output = run_command(path, "--dry-run")

    assert output.out == "Would import 2 rows: 1 new, 1 updated, 0 unchanged.\n"
    assert episodes() == imported_once["episodes"] and counts() == imported_once["counts"]


def test_a_dry_run_with_a_new_source_name_does_not_create_it(db, write):
    run_command(write(csv_bytes(row())), "--dry-run", source="Ny källa")

    assert not Source.objects.filter(name="Ny källa").exists()
    assert not Episode.objects.exists() and not ImportRun.objects.exists()


def test_a_dry_run_of_a_bad_file_fails_with_the_errors_and_writes_nothing(imported_once, write):
    error, output = refused(write(csv_bytes(row(home_municipality="9999"))), "--dry-run")

    assert str(error) == "Nothing was imported: 1 errors in 1 rows."
    assert output.err.splitlines() == ["row 2, column home_municipality: Unknown municipality code '9999'."]
    assert episodes() == imported_once["episodes"] and counts() == imported_once["counts"]
    assert Source.objects.count() == imported_once["sources"]


def test_an_unknown_county_or_a_missing_file_is_refused(db, write, tmp_path):
    error, _output = refused(write(csv_bytes(row())), county="99")
    assert str(error) == "Unknown county code '99'."
    error, _output = refused(tmp_path / "saknas.csv")
    assert str(error) == f"No such file: {tmp_path / 'saknas.csv'}"
    assert not Source.objects.exists() and not ImportRun.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"personnummer": PERSON, "home_municipality": "9999"}, id="valid-number-other-errors"),
        pytest.param({"personnummer": PERSON[:-1] + "4"}, id="invalid-number"),
        pytest.param({"personnummer": PERSON, "birth_year": PERSON[2:]}, id="number-in-another-column"),
    ],
)
def test_no_personnummer_is_printed_logged_or_stored_by_the_command(imported_once, write, caplog, bad):
    caplog.set_level(logging.DEBUG)
    _error, output = refused(write(csv_bytes(row(source_id="E1", **bad), row(source_id="E2", personnummer=PERSON[2:]))))
    ok = run_command(
        write(
            csv_bytes(row(source_id="E0", personnummer=PERSON[2:].replace("-", ""), discharged_at="2025-10-06T12:00"))
        )
    )

    assert output.err.startswith("row 2, column ")
    assert "1 updated" in ok.out
    texts = [output.out, output.err, ok.out, ok.err, caplog.text, database_text(), flow_rows_text()]
    assert not leaks(PERSON, *texts)
    assert not leaks(PERSON[:-1] + "4", *texts)
