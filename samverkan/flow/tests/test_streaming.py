"""The import streams: readers take an open binary file and decode it a chunk at a time, rows are
validated and staged in batches (on PostgreSQL copied into a temporary table and upserted
set-based, elsewhere upserted a batch at a time), and still a file imports all or nothing, twice
changes nothing, updates are audited field by field and duplicates are named by both rows.

These run on whichever database DATABASE_URL names: run them on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io

import pytest
from django.db import connection
from openpyxl import Workbook

from samverkan.audit.models import AuditEvent
from samverkan.flow import imports, validation
from samverkan.flow.imports import (
    CANONICAL_COLUMNS,
    REQUIRED_COLUMNS,
    FileRejected,
    import_rows,
    read_csv,
)
from samverkan.flow.models import DestinationMapping, Episode, ImportRun, ImportStatus
from samverkan.flow.pseudonyms import pseudonym
from samverkan.flow.tests.helpers import counts, csv_bytes, csv_text, episodes, personnummer, row, where
from samverkan.flow.validation import as_json
from samverkan.flow.workbooks import read_xlsx
from samverkan.organisations import policy

pytestmark = pytest.mark.django_db

PERSON = personnummer("19470318", "486")
UTC = datetime.UTC
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL staging path")


class Recording(io.BytesIO):
    """A binary file that remembers every read: the reader must ask for chunks, never the rest."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(size)
        return super().read(size)


def stream_import(source, data: bytes, *, dry_run: bool = False, progress=None, **read_options):
    return import_rows(
        source=source,
        rows=read_csv(io.BytesIO(data), **read_options),
        by=policy.SYSTEM,
        filename="flöde.csv",
        dry_run=dry_run,
        progress=progress,
    )


@pytest.fixture
def small_chunks(monkeypatch):
    """Seven bytes at a time, so characters, line endings and quoted fields are cut between chunks."""
    monkeypatch.setattr(imports, "CHUNK_SIZE", 7)


@pytest.fixture
def small_batches(monkeypatch):
    """Two rows per batch, so a five-row file is validated, staged and reported in three batches."""
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)


# --- Reading a file object ---------------------------------------------------------------------


def test_a_file_object_reads_the_same_rows_as_its_bytes_a_chunk_at_a_time(small_chunks):
    text = csv_text(
        row(source_id="Å1", destination="Särskilt boende"),
        row(source_id="E2", destination='"Hem, med ""hemtjänst""\noch trygghetslarm"'),
        row(source_id="E3"),
    ).replace("\n", "\r\n")
    data = text.encode("utf-8")
    recording = Recording(data)

    from_file = list(read_csv(recording))

    assert from_file == list(read_csv(data))
    assert [(number, r["source_id"], r["destination"]) for number, r in from_file] == [
        (2, "Å1", "Särskilt boende"),
        (3, "E2", 'Hem, med "hemtjänst"\r\noch trygghetslarm'),
        (4, "E3", ""),  # rows are records: the quoted line break does not start a new one
    ]
    assert recording.sizes and set(recording.sizes) == {7}


def test_an_open_file_on_disk_is_read_and_imported(source, tmp_path):
    path = tmp_path / "episoder.csv"
    path.write_bytes(csv_bytes(row(source_id="E1", personnummer=PERSON), row(source_id="E2")))

    with path.open("rb") as handle:
        result = import_rows(source=source, rows=read_csv(handle), by=policy.SYSTEM)

    assert result.ok, result.errors
    assert Episode.objects.get(record_id="E1").pseudonym == pseudonym(PERSON)


def test_windows_1252_first_seen_in_a_later_chunk_is_still_detected(source, small_chunks):
    DestinationMapping.objects.create(source=source, code="Särskilt boende", destination="nursing_home")
    data = csv_text(
        row(source_id="E1"), row(source_id="E2", discharged_at="2025-10-06T12:00", destination="Särskilt boende")
    ).encode("cp1252")
    assert data.index("ä".encode("cp1252")) > 3 * 7  # well after the first chunks, all ASCII

    result = stream_import(source, data)

    assert result.ok, result.errors
    assert Episode.objects.get(record_id="E2").destination == "nursing_home"


def test_utf8_then_windows_1252_in_one_file_is_refused_as_mixed(source, small_chunks):
    data = csv_text(row(source_id="Å1"), row(source_id="E2")).encode("utf-8") + csv_text(
        row(source_id="Ö3"), columns=REQUIRED_COLUMNS
    ).split("\n", 1)[1].encode("cp1252")

    result = stream_import(source, data)

    assert not result.ok and where(result.errors) == [(None, None)]
    assert "mixes encodings" in result.errors[0].message
    assert not Episode.objects.exists()
    assert ImportRun.objects.get().status == ImportStatus.REJECTED


def test_a_forced_encoding_that_fails_in_a_later_chunk_is_refused(source, small_chunks):
    data = csv_text(row(source_id="E1"), row(source_id="Ö2")).encode("cp1252")

    result = stream_import(source, data, encoding="utf-8")

    assert as_json(result.errors) == [
        {"row": None, "column": None, "message": "The file is not valid utf-8. Save it as UTF-8 and try again."}
    ]
    assert not Episode.objects.exists()


def test_a_nul_character_in_a_later_chunk_refuses_the_file(source, small_chunks):
    data = csv_bytes(row(source_id="E1"), row(source_id="E2"), row(source_id="E\x003"))

    result = stream_import(source, data)

    assert as_json(result.errors) == [
        {"row": None, "column": None, "message": "The file contains NUL characters: is it a CSV text file?"}
    ]
    assert not Episode.objects.exists()


def test_a_workbook_is_read_from_a_file_object(source):
    workbook = Workbook()
    workbook.active.append(CANONICAL_COLUMNS)
    workbook.active.append(
        [{"source_id": "X1", "home_municipality": 2080, "care_type": "somatic"}.get(c) for c in CANONICAL_COLUMNS]
    )
    workbook.active["H2"] = datetime.datetime(2025, 10, 1, 8, 0)  # noqa: DTZ001 - Excel cells have no zone
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    assert [(n, r["source_id"], r["home_municipality"], r["admitted_at"]) for n, r in read_xlsx(buffer)] == [
        (2, "X1", "2080", "2025-10-01T08:00")
    ]


def test_the_command_hands_the_reader_an_open_file(db, tmp_path, monkeypatch):
    from django.core.management import call_command

    from samverkan.flow.management.commands import import_episodes

    given = []

    def spy(data, **options):
        given.append((type(data), data.closed))
        return read_csv(data, **options)

    monkeypatch.setattr(import_episodes, "read_csv", spy)
    path = tmp_path / "episoder.csv"
    path.write_bytes(csv_bytes(row()))
    call_command("import_episodes", str(path), "--source", "Cosmic", "--county", "20", stdout=io.StringIO())

    assert given == [(io.BufferedReader, False)]
    assert Episode.objects.count() == 1


# --- Batches: progress, all or nothing, duplicates, idempotency, audit --------------------------

FIVE = [row(source_id=f"E{i}", personnummer=PERSON if i == 1 else "") for i in range(1, 6)]


def test_progress_is_reported_after_every_batch_and_at_the_end(source, small_batches):
    calls = []
    result = stream_import(source, csv_bytes(*FIVE), progress=calls.append)

    assert result.ok
    assert calls == [2, 4, 5]


def test_progress_is_reported_at_the_end_of_a_rejected_file_too(source, small_batches):
    calls = []
    result = stream_import(source, csv_bytes(*FIVE[:3], row(source_id="E4", care_type="x")), progress=calls.append)

    assert not result.ok
    assert calls == [2, 4, 4]


def test_the_default_batch_reports_progress_at_least_every_five_thousand_rows():
    assert 0 < imports.BATCH_ROWS <= 5000


def test_a_bad_row_in_the_last_batch_undoes_the_batches_before_it(source, small_batches):
    stream_import(source, csv_bytes(row(source_id="E1", discharged_at="2025-10-02T08:00")))
    before = {"episodes": episodes(), "counts": counts()}

    result = stream_import(
        source,
        csv_bytes(
            row(source_id="E1", discharged_at="2025-10-03T08:00"),  # an update, in the first batch
            *FIVE[1:],  # new episodes, in the first three batches
            row(source_id="E6", home_municipality="9999"),
        ),
    )

    assert as_json(result.errors) == [
        {"row": 7, "column": "home_municipality", "message": "Unknown municipality code '9999'."}
    ]
    assert result.total_errors == 1
    assert episodes() == before["episodes"]
    assert counts() == {
        **before["counts"],
        "imports": before["counts"]["imports"] + 1,
        "audit": before["counts"]["audit"] + 1,  # flow.import_rejected
    }
    run = ImportRun.objects.latest("pk")
    assert (run.status, run.rows, run.created, run.updated, run.unchanged) == (ImportStatus.REJECTED, 6, 0, 0, 0)
    assert run.errors == as_json(result.errors)


def test_a_duplicate_in_a_later_batch_names_both_rows_and_nothing_is_imported(source, small_batches):
    result = stream_import(source, csv_bytes(*FIVE, row(source_id="E2")))

    assert as_json(result.errors) == [
        {"row": 7, "column": "source_id", "message": "Duplicate source id: also on row 3."}
    ]
    assert not Episode.objects.exists()
    assert ImportRun.objects.get().status == ImportStatus.REJECTED


def test_duplicates_take_their_place_among_the_other_errors_in_row_order(source, small_batches):
    result = stream_import(
        source,
        csv_bytes(
            row(source_id="E1"),
            row(source_id="E2", care_type="x"),
            row(source_id="E1", sex="K"),  # both its own error and the duplicate, in that order
            row(source_id="E3"),
            row(source_id="E2"),
            row(source_id="E4", covid="ja"),
        ),
    )

    assert where(result.errors) == [(3, "care_type"), (4, "sex"), (4, "source_id"), (6, "source_id"), (7, "covid")]
    assert [e.message for e in result.errors if e.column == "source_id"] == [
        "Duplicate source id: also on row 2.",
        "Duplicate source id: also on row 3.",
    ]
    assert result.total_errors == 5


def test_duplicates_count_when_more_errors_than_are_kept(source, small_batches, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ERRORS_KEPT", 2)
    result = stream_import(
        source,
        csv_bytes(
            row(source_id="E1"),
            row(source_id="E1"),
            row(source_id="E2", care_type="x"),
            row(source_id="E3", care_type="x"),
            row(source_id="E1"),
        ),
    )

    assert where(result.errors) == [(3, "source_id"), (4, "care_type")]
    assert result.total_errors == 4
    assert ImportRun.objects.get().errors == as_json(result.errors)


def test_a_dry_run_in_batches_counts_and_writes_nothing(source, small_batches):
    stream_import(source, csv_bytes(*FIVE[:2]))
    before = {"episodes": episodes(), "counts": counts()}

    result = stream_import(source, csv_bytes(FIVE[0], row(source_id="E2", sex="M"), *FIVE[2:]), dry_run=True)

    assert result.ok and result.run.pk is None
    assert (result.run.rows, result.run.created, result.run.updated, result.run.unchanged) == (5, 3, 1, 1)
    assert episodes() == before["episodes"] and counts() == before["counts"]


def test_importing_in_batches_twice_changes_nothing_and_changed_rows_are_audited(source, small_batches):
    first = stream_import(source, csv_bytes(*FIVE))
    assert (first.run.created, first.run.updated, first.run.unchanged) == (5, 0, 0)
    before = episodes()
    events = set(AuditEvent.objects.values_list("pk", flat=True))

    again = stream_import(source, csv_bytes(*FIVE))

    assert (again.run.rows, again.run.created, again.run.updated, again.run.unchanged) == (5, 0, 0, 5)
    assert episodes() == before
    assert list(AuditEvent.objects.exclude(pk__in=events).values_list("event_type", flat=True)) == ["flow.import_done"]

    events = set(AuditEvent.objects.values_list("pk", flat=True))
    later = stream_import(
        source,
        csv_bytes(
            FIVE[0],
            row(source_id="E2", discharged_at="2025-10-06T12:00", destination="home"),
            *FIVE[2:4],
            row(source_id="E5", covid="1", birth_year="1931"),
            row(source_id="E6"),
        ),
    )

    assert (later.run.rows, later.run.created, later.run.updated, later.run.unchanged) == (6, 1, 2, 3)
    changes = {
        e.object_id: (e.before, e.after, e.actor_label)
        for e in AuditEvent.objects.exclude(pk__in=events).filter(event_type="flow.episode_updated")
    }
    ids = dict(Episode.objects.values_list("record_id", "pk"))
    assert changes == {
        str(ids["E2"]): (
            {"discharged_at": None, "destination": ""},
            {"discharged_at": "2025-10-06 10:00:00+00:00", "destination": "home"},
            "system",
        ),
        str(ids["E5"]): ({"birth_year": None, "covid": "False"}, {"birth_year": "1931", "covid": "True"}, "system"),
    }
    assert Episode.objects.get(record_id="E2").updated_at > Episode.objects.get(record_id="E3").updated_at


def test_every_kind_of_field_is_audited_as_text_the_same_way_on_every_database(source):
    stream_import(
        source,
        csv_bytes(
            row(
                source_id="E1",
                personnummer=PERSON,
                birth_year="1947",
                sex="F",
                care_type="somatic",
                admitted_at="2025-10-01T08:00:00.250",
                estimated_discharge_date="2025-10-07",
                ready_at="2025-10-05T10:00",
            )
        ),
    )
    other = personnummer("19520611", "274")
    stream_import(
        source,
        csv_bytes(
            row(
                source_id="E1",
                personnummer=other,
                birth_year="1952",
                sex="M",
                home_municipality="2084",
                care_type="psychiatric",
                admitted_at="2025-10-01T08:00",
                estimated_discharge_date="2025-10-08",
                ready_at="",
                covid="true",
            )
        ),
    )

    change = AuditEvent.objects.get(event_type="flow.episode_updated")
    assert change.before == {
        "birth_year": "1947",
        "sex": "F",
        "home_municipality_id": "2080",
        "care_type": "somatic",
        "covid": "False",
        "admitted_at": "2025-10-01 06:00:00.250000+00:00",
        "estimated_discharge_date": "2025-10-07",
        "ready_at": "2025-10-05 08:00:00+00:00",
    }
    assert change.after == {
        "birth_year": "1952",
        "sex": "M",
        "home_municipality_id": "2084",
        "care_type": "psychiatric",
        "covid": "True",
        "admitted_at": "2025-10-01 06:00:00+00:00",
        "estimated_discharge_date": "2025-10-08",
        "ready_at": None,
    }
    assert Episode.objects.get().pseudonym == pseudonym(other)
    assert pseudonym(PERSON) not in str(change.before) + str(change.after)


@on_postgresql
def test_the_staging_table_is_gone_after_an_import_and_after_a_rejection(source):
    def staging_exists() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('pg_temp.flow_import_staging') IS NOT NULL")
            return cursor.fetchone()[0]

    assert stream_import(source, csv_bytes(*FIVE)).ok
    assert not staging_exists()
    assert not stream_import(source, csv_bytes(row(care_type="x"))).ok
    assert not staging_exists()
    assert stream_import(source, csv_bytes(*FIVE), dry_run=True).ok
    assert not staging_exists()


@on_postgresql
def test_postgresql_copies_each_batch_and_upserts_set_based(source, small_batches):
    """However many rows: one COPY into the staging table for all the batches, then a fixed few statements."""
    from django.test.utils import CaptureQueriesContext

    data = csv_bytes(*(row(source_id=f"E{i}") for i in range(40)))
    with CaptureQueriesContext(connection) as captured:
        result = stream_import(source, data)

    assert result.ok and result.run.created == 40 and Episode.objects.count() == 40
    statements = [" ".join(q["sql"].split()[:3]).upper() for q in captured.captured_queries]
    assert statements.count("COPY FLOW_IMPORT_STAGING (ROW_NUMBER,") == 1
    writes = [s for s in statements if s.startswith("WITH")]
    # Duplicates found in the staging table, then the audit rows and every episode in one statement.
    assert writes == ["WITH LATER AS", "WITH CHANGED AS"]
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert inserts == [
        "INSERT INTO FLOW_DAILYFLOW",  # the county's daily rows, built on its first import: one statement
        'INSERT INTO "FLOW_DAILYFLOWCOUNTY"',
        'INSERT INTO "FLOW_IMPORTRUN"',
        'INSERT INTO "AUDIT_AUDITEVENT"',  # flow.import_done
    ]
    assert len(statements) <= 40  # a fixed number (40 rows in 20 batches), the daily rows included


@on_postgresql
def test_an_unchanged_reimport_on_postgresql_neither_writes_nor_locks_an_episode(source):
    """The upsert is offered only new and changed episodes: ON CONFLICT DO UPDATE would lock (and so
    write the xmax of) every episode it meets, changed or not, dirtying every page of the table."""

    def untouched() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM flow_episode WHERE xmax = '0'")
            return cursor.fetchone()[0]

    data = csv_bytes(*FIVE)
    assert stream_import(source, data).run.created == 5
    assert untouched() == 5
    again = stream_import(source, data).run
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert untouched() == 5
    changed = stream_import(source, csv_bytes(*FIVE[:4], row(source_id="E5", care_type="psychiatric"))).run
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 4)
    assert untouched() == 4 and Episode.objects.get(record_id="E5").care_type == "psychiatric"


@on_postgresql
def test_a_large_load_into_a_smaller_table_builds_the_secondary_indexes_after_it(source, monkeypatch):
    """The same indexes afterwards, serving the same queries; a refused file leaves them as they were."""
    from django.test.utils import CaptureQueriesContext

    def indexes() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = 'flow_episode'::regclass ORDER BY 1"
            )
            return cursor.fetchall()

    before = indexes()
    monkeypatch.setattr(imports, "INDEXES_AFTER_ROWS", 3)
    with CaptureQueriesContext(connection) as captured:
        result = stream_import(source, csv_bytes(*FIVE))
    assert result.ok and result.run.created == 5
    dropped = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("DROP INDEX")]
    assert len(dropped) == len(before) - 2  # all but the primary key and the unique (source, source id)
    assert indexes() == before
    assert Episode.objects.filter(pseudonym=pseudonym(PERSON)).count() == 1

    refused = stream_import(source, csv_bytes(*FIVE, *(row(source_id=f"N{i}") for i in range(4)), row(care_type="?")))
    assert not refused.ok and indexes() == before and Episode.objects.count() == 5


# --- The hot path's helpers ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["short", "a-test-key-of-at-least-thirty-two-characters", "k" * 65, "nyckel-å" * 10])
def test_the_pseudonym_is_hmac_sha256_of_the_normalised_number_for_any_key(settings, key):
    settings.PSEUDONYM_KEY = key
    expected = hmac.new(key.encode(), b"194703184863", hashlib.sha256).hexdigest()
    assert pseudonym(PERSON) == pseudonym(PERSON[2:]) == expected


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        pytest.param("2025-03-30T01:59", datetime.datetime(2025, 3, 30, 0, 59, tzinfo=UTC), id="before-spring-forward"),
        # A time that does not exist: mapped forward to when the clocks were turned (03:00 summer time).
        pytest.param("2025-03-30T02:30", datetime.datetime(2025, 3, 30, 1, 0, tzinfo=UTC), id="skipped-hour"),
        pytest.param("2025-03-30T03:00", datetime.datetime(2025, 3, 30, 1, 0, tzinfo=UTC), id="after-spring-forward"),
        pytest.param("2025-10-26T02:30", datetime.datetime(2025, 10, 26, 0, 30, tzinfo=UTC), id="repeated-hour-first"),
        pytest.param("2025-10-26T03:00", datetime.datetime(2025, 10, 26, 2, 0, tzinfo=UTC), id="after-fall-back"),
        pytest.param(
            "2025-10-26 03:00:30", datetime.datetime(2025, 10, 26, 2, 0, 30, tzinfo=UTC), id="space-and-seconds"
        ),
    ],
)
def test_a_local_time_is_the_same_instant_parsed_first_or_from_the_cached_offset(text, utc):
    validation._LOCAL_OFFSETS.clear()
    first, cached = validation._timestamp(text), validation._timestamp(text)
    assert first == cached == utc
    assert first.utcoffset() == cached.utcoffset()


def test_a_cached_hour_does_not_swallow_an_offset_written_in_the_text():
    validation._LOCAL_OFFSETS.clear()
    validation._timestamp("2025-07-01T08:15")  # caches the hour's +02:00
    assert validation._timestamp("2025-07-01T08:15Z") == datetime.datetime(2025, 7, 1, 8, 15, tzinfo=datetime.UTC)
    assert validation._timestamp("2025-07-01T08:15-01") == datetime.datetime(2025, 7, 1, 9, 15, tzinfo=datetime.UTC)
    with pytest.raises(ValueError):
        validation._timestamp("2025-07-01T08:75")


def test_a_file_rejected_while_reading_still_keeps_the_rows_errors(source, small_batches, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    result = stream_import(source, csv_bytes(row(source_id="E1", care_type="x"), *FIVE[1:]))

    assert where(result.errors) == [(5, None), (2, "care_type")]
    assert result.errors[0].message == "The file has more than 3 rows; split it."
    assert not Episode.objects.exists()


def test_reading_an_empty_stream_is_refused():
    with pytest.raises(FileRejected, match="The file is empty."):
        list(read_csv(io.BytesIO(b"  \r\n")))
