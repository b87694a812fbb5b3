"""The columnar CSV import (samverkan/flow/columnar.py) against the per-row one.

The vectorised checks only decide "this row is clean, with these values"; every other row goes
through validate_row. So the property that matters: a row the vectorised checks accept is one
validate_row accepts, with the same values. Checked on many generated rows that mix every plain
form with edge cases (white space, case, days that do not exist, the hours the clocks skip and
repeat, the future, personnummer in every form and with wrong check digits, codes unknown or
holding a personnummer, times out of order). Then whole files imported both ways must give the
same episodes, counts, errors and audit.

These run on whichever database DATABASE_URL names: run them on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime
import random
import time
import zoneinfo

import pyarrow as pa
import pytest
from django.db import connection
from django.utils import timezone

from samverkan.audit.models import AuditEvent
from samverkan.flow import columnar, imports
from samverkan.flow.imports import CANONICAL_COLUMNS, import_rows, read_csv
from samverkan.flow.models import DestinationMapping, Episode, ImportRun, UnitMapping
from samverkan.flow.tests.helpers import counts, csv_bytes, episodes, personnummer, row
from samverkan.flow.validation import Lookups, validate_row
from samverkan.organisations import policy

pytestmark = pytest.mark.django_db


def _times(rng: random.Random) -> str:
    """A time in one of many forms, mostly plain local ones."""
    choice = rng.random()
    if choice < 0.1:
        return ""
    if choice < 0.16:
        return rng.choice(
            [
                "2025-03-30T02:30",  # skipped hour
                "2025-10-26T02:30",  # repeated hour
                "2025-10-26T02:10",
                "2025-10-26T01:59",
                "2025-10-26T03:00",
                "2025-03-30T03:00",
                "2025-03-30T01:59",
                "2025-03-30T01:59:59",  # right at the transitions' boundaries
                "2025-03-30T02:00",
                "2025-03-30T02:59",
                "2025-03-30T02:59:59",
                "2025-10-26T02:00",
                "2025-10-26T02:59",
                "2025-10-26T02:59:59",
                "2025-10-26T01:59:59",
                "2025-10-26T03:00:00",
                "1980-04-06T02:30",  # the first of the clock changes since 1980
                "1916-05-14T23:30",  # the first one of all
                "1899-12-31T23:59:50",  # the 14 seconds repeated when Swedish time became CET
                "2025-02-29T10:00",  # no such day
                "2024-02-29T10:00",
                "2025-04-31T10:00",
                "1900-02-29T10:00",  # not a leap year
                "2000-02-29T10:00",  # a leap year
                "2025-00-10T10:00",
                "2025-10-00T10:00",
                "2025-13-01T10:00",
                "2025-10-01T24:00",
                "2025-10-01T23:60",
                "2025-10-01T23:59:60",
                "2025-10-01T08:00:59",
                "2025-10-01 08:00",
                " 2025-10-01T08:00",
                "2025-10-01T08:00 ",
                "2025-10-01T08:00Z",
                "2025-10-01T08:00+02:00",
                "2025-10-01",
                "2025-10-01T8:00",
                "1899-12-31T23:00",
                "1900-01-01T00:30",
                "2999-01-01T00:00",
                "2025-１0-01T08:00",
                "yesterday",
                "2025-10-01T08:00:00.5",
            ]
        )
    now = timezone.localtime()
    moment = now - datetime.timedelta(minutes=rng.randint(-60 * 30, 60 * 24 * 800))
    text = moment.strftime("%Y-%m-%dT%H:%M")
    if rng.random() < 0.1:
        text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return text


def _personnummer(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.2:
        return ""
    born = datetime.date(1920, 1, 1) + datetime.timedelta(days=rng.randint(0, 36000))
    number = personnummer(born.strftime("%Y%m%d"), f"{rng.randint(0, 999):03d}")
    if choice < 0.6:
        return number
    if choice < 0.7:
        return number.replace("-", "")
    if choice < 0.75:
        return number[2:]  # ten digits
    if choice < 0.8:
        return number[:-1] + str((int(number[-1]) + 1) % 10)  # wrong check digit
    if choice < 0.85:
        day = int(number[6:8]) + 60  # a samordningsnummer
        return personnummer(f"{number[:6]}{day}", f"{rng.randint(0, 999):03d}")
    return rng.choice(
        [
            "19450230-1234",
            "00000101-0000",
            "19000229-1231",
            "20000229-1234",
            "19451331-1234",
            "19450231-1230",
            number.replace("-", "+"),
            " " + number,
            number + " ",
            "1945-03-12-1234",
            "abc",
            "١٩٤٥٠٣١٢-١٢٣٤",
            "20450312-1234",
        ]
    )


def _row(rng: random.Random) -> dict[str, str]:
    def pick(plain: str, *odd: str) -> str:
        """Mostly the plain value, now and then one of the odd ones."""
        return rng.choice(odd) if odd and rng.random() < 0.06 else plain

    values = {
        "source_id": pick(
            f"S{rng.randint(0, 10**8)}", "E1", "ep-77", "", " E3", "E4 ", "x" * 64, "x" * 65, "E 5", "1947031848", "Ä1"
        ),
        "personnummer": _personnummer(rng),
        "birth_year": pick(rng.choice(["", "1945"]), "1889", "1890", "2030", "19x5", "01945", " 1945", "१९४५"),
        "sex": pick(rng.choice(["", "F", "M", "U"]), "f", "m", "u", "X", " F", "ｆ"),
        "home_municipality": pick(
            rng.choice(["2080", "0180", "180", "2062"]), "0180", "00180", "2080 ", "9999", "", "20 80", "2062"
        ),
        "hospital_unit": pick(
            rng.choice(["", "MED1", "SE2321000180-MED1"]), "med1", "NOPE", " MED1", "SE2321000180-MED1", "197001011234"
        ),
        "care_type": pick(rng.choice(["somatic", "psychiatric"]), "Somatic", "SOMATIC", "", "x", " somatic", "ſomatic"),
        "covid": pick(rng.choice(["", "0", "1"]), "true", "false", "True", "TRUE", "yes", " 1"),
        "admitted_at": _times(rng),
        "admission_notice_at": _times(rng) if rng.random() < 0.3 else "",
        "estimated_discharge_date": pick(
            rng.choice(["", "2025-10-05"]), "2025-02-29", "2024-02-29", "2025-10-5", "1899-12-31"
        ),
        "ready_at": _times(rng) if rng.random() < 0.4 else "",
        "sip_called_at": _times(rng) if rng.random() < 0.2 else "",
        "discharged_at": _times(rng) if rng.random() < 0.7 else "",
        "care_contact_at": _times(rng) if rng.random() < 0.3 else "",
        "destination": pick(rng.choice(["", "home", "home_care", "exp"]), "HOME", "exp", "x", " home", "19470318-4864"),
    }
    return values


@pytest.fixture
def mapped(source, world):
    UnitMapping.objects.create(source=source, code="MED1", unit=world.falun_ward)
    UnitMapping.objects.create(source=source, code="SE2321000180-MED1", unit=world.falun_ward)
    DestinationMapping.objects.create(source=source, code="exp", destination="deceased")
    return source


def test_a_row_the_vectorised_checks_accept_is_accepted_by_validate_row_with_the_same_values(mapped):
    rng = random.Random(14)
    rows = [_row(rng) for _ in range(6000)]
    lookups = Lookups.for_source(mapped)
    now = timezone.now()
    columns = {c: pa.array([r.get(c, "") for r in rows], pa.string()) for c in CANONICAL_COLUMNS}
    clean, values = columnar.validate_block(columns, columnar.Prepared.of(lookups, now), now)
    typed = columnar.typed_table(values, clean.nonzero()[0]).to_pylist()

    accepted_by_row = 0
    for index, found in zip(clean.nonzero()[0], typed, strict=True):
        data, errors = validate_row(int(index) + 2, rows[index], lookups, now)
        assert errors == [], (rows[index], errors)
        assert found == data, rows[index]
    for index in (~clean).nonzero()[0]:
        data, _errors = validate_row(int(index) + 2, rows[index], lookups, now)
        accepted_by_row += data is not None
    # The fast path takes most of the clean rows; the ones it leaves to validate_row are the odd forms.
    assert clean.sum() > 2 * accepted_by_row, (clean.sum(), accepted_by_row)
    assert clean.sum() > 300


def test_the_vectorised_checks_take_plain_rows_and_leave_odd_ones(source):
    now = timezone.now()
    plain = row(personnummer=personnummer("19470318", "486"), discharged_at="2025-10-02T09:30")
    odd = [
        row(admitted_at="2025-10-26T02:30"),  # the repeated hour
        row(admitted_at="2025-03-30T02:30"),  # the skipped hour
        row(personnummer=personnummer("19470318", "486")[2:]),  # ten digits: the century by today's date
        row(home_municipality=" 2080"),
        row(discharged_at="2025-09-30T08:00"),  # before admission
    ]
    rows = [plain, *odd]
    columns = {c: pa.array([r.get(c, "") for r in rows], pa.string()) for c in CANONICAL_COLUMNS}
    clean, _values = columnar.validate_block(columns, columnar.Prepared.of(Lookups.for_source(source), now), now)
    assert clean.tolist() == [True, False, False, False, False, False]


@pytest.mark.parametrize(
    ("admitted_at", "taken"),
    [
        ("2025-03-30T01:59:59", True),
        ("2025-03-30T02:00", False),  # the hour the clocks skip
        ("2025-03-30T02:59", False),
        ("2025-03-30T02:59:59", False),
        ("2025-03-30T03:00", True),
        ("2025-10-26T01:59:59", True),
        ("2025-10-26T02:00", False),  # the hour the clocks repeat
        ("2025-10-26T02:59:59", False),
        ("2025-10-26T03:00", True),
        ("2024-03-31T02:30", False),
        ("2024-10-27T02:30", False),
        ("2024-10-26T02:30", True),  # the day before
        ("1985-03-31T02:30", False),
        ("1985-09-29T02:30", False),  # the autumn change was in September until 1995
        ("1985-10-27T02:30", True),
    ],
)
def test_the_vectorised_checks_leave_the_hours_the_clocks_skip_or_repeat_to_validate_row(source, admitted_at, taken):
    now = timezone.now()
    rows = [row(admitted_at=admitted_at), row(admitted_at="1980-01-01T08:00", ready_at=admitted_at)]
    columns = {c: pa.array([r.get(c, "") for r in rows], pa.string()) for c in CANONICAL_COLUMNS}
    clean, values = columnar.validate_block(columns, columnar.Prepared.of(Lookups.for_source(source), now), now)
    assert clean.tolist() == [taken, taken]
    if taken:
        assert values["admitted_at"][0].as_py() == datetime.datetime.fromisoformat(admitted_at).replace(
            tzinfo=zoneinfo.ZoneInfo("Europe/Stockholm")
        )


def _import(source, data: bytes, *, blocks: bool, monkeypatch, dry_run: bool = False):
    monkeypatch.setattr(imports, "COLUMNAR", blocks)
    result = import_rows(source=source, rows=read_csv(data), by=policy.SYSTEM, filename="f.csv", dry_run=dry_run)
    monkeypatch.setattr(imports, "COLUMNAR", True)
    return result


def _outcome(result) -> tuple:
    run = result.run
    return (
        run.status,
        run.rows,
        run.created,
        run.updated,
        run.unchanged,
        result.total_errors,
        [(e.row, e.column, e.message) for e in result.errors],
    )


def _episodes_of(source) -> list[dict]:
    return [
        {k: v for k, v in e.items() if k not in ("id", "source_id", "updated_at")}
        for e in Episode.objects.filter(source=source).order_by("record_id").values()
    ]


def _file(rng: random.Random, count: int, *, odd: bool) -> bytes:
    rows = []
    for i in range(count):
        values = _row(rng) if odd else {}
        if not odd or rng.random() < 0.9:  # mostly clean rows, so that a file can import
            values = row(
                source_id=f"R{i}",
                personnummer=personnummer("19470318", f"{i % 1000:03d}"),
                admitted_at=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}",
                discharged_at=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T23:59" if i % 3 else "",
                destination="home" if i % 3 else "",
            )
        rows.append(values)
    return csv_bytes(*rows)


@pytest.mark.parametrize("odd", [False, True])
def test_a_file_imports_the_same_read_in_blocks_or_row_by_row(world, mapped, monkeypatch, odd):
    from samverkan.flow.imports import source_for

    data = _file(random.Random(8), 400, odd=odd)
    other = source_for("21", "Cosmic")  # the same name: errors name the source
    UnitMapping.objects.create(source=other, code="MED1", unit=world.falun_ward)
    UnitMapping.objects.create(source=other, code="SE2321000180-MED1", unit=world.falun_ward)
    DestinationMapping.objects.create(source=other, code="exp", destination="deceased")

    by_blocks = _import(mapped, data, blocks=True, monkeypatch=monkeypatch)
    by_rows = _import(other, data, blocks=False, monkeypatch=monkeypatch)

    assert _outcome(by_blocks) == _outcome(by_rows)
    assert _episodes_of(mapped) == _episodes_of(other)
    assert by_blocks.ok is not odd


def test_a_changed_file_updates_and_audits_the_same_read_in_blocks_or_row_by_row(world, source, monkeypatch):
    from samverkan.flow.imports import source_for

    other = source_for("20", "Row by row")
    first = csv_bytes(*(row(source_id=f"E{i}", discharged_at="2025-10-02T08:00") for i in range(50)))
    changed = csv_bytes(
        *(row(source_id=f"E{i}", discharged_at="2025-10-03T08:00" if i % 2 else "2025-10-02T08:00") for i in range(60))
    )
    for target, blocks in ((source, True), (other, False)):
        _import(target, first, blocks=blocks, monkeypatch=monkeypatch)
    results = [_import(t, changed, blocks=b, monkeypatch=monkeypatch) for t, b in ((source, True), (other, False))]
    assert _outcome(results[0]) == _outcome(results[1])
    assert (results[0].run.created, results[0].run.updated, results[0].run.unchanged) == (10, 25, 25)
    assert _episodes_of(source) == _episodes_of(other)

    def audited(target):
        ids = {str(pk): record for pk, record in Episode.objects.filter(source=target).values_list("pk", "record_id")}
        return sorted(
            (ids[e.object_id], e.before, e.after)
            for e in AuditEvent.objects.filter(event_type="flow.episode_updated", object_id__in=ids)
        )

    assert audited(source) == audited(other)
    assert len(audited(source)) == 25


@pytest.mark.parametrize(
    "data",
    [
        b'source_id,home_municipality,care_type,admitted_at\n"E1",2080,somatic,2025-10-01T08:00\n',  # quotes
        b"source_id,home_municipality,care_type,admitted_at\nE1,2080,somatic,2025-10-01T08:00\n   \nE2,2080,x,2025-10-01T08:00\n",
        b"source_id,home_municipality,care_type,admitted_at\nE1,2080,somatic\nE2,2080,x,2025-10-01T08:00\n",
        b"source_id,home_municipality,care_type,admitted_at\n\n,,,\nE2,2080,x,2025-10-01T08:00\r\nE3,2080,x,2025-10-01T08:00\r",
        b"source_id,home_municipality,care_type,admitted_at\n",
        b"source_id;home_municipality;care_type;admitted_at\r\nE1;2080;somatic;2025-10-01T08:00\r\nE1;2080;somatic;2025-10-01T08:00",
        "source_id,home_municipality,care_type,admitted_at,destination\nE1,2080,somatic,2025-10-01T08:00,hem\n".encode(
            "cp1252"
        ),
        b"source_id,home_municipality,care_type,admitted_at,extra\nE1,2080,somatic,2025-10-01T08:00,\n",
    ],
    ids=["quotes", "white-space-line", "short-line", "blank-lines", "no-rows", "duplicate", "cp1252", "unknown-column"],
)
def test_files_the_blocks_cannot_number_are_read_row_by_row_with_the_same_outcome(source, monkeypatch, data):
    from samverkan.flow.imports import FileRejected

    def outcome(blocks: bool):
        try:
            result = _import(source, data, blocks=blocks, monkeypatch=monkeypatch, dry_run=True)
        except FileRejected as rejected:
            return ("rejected", [(e.row, e.column, e.message) for e in rejected.errors])
        return _outcome(result)

    assert outcome(True) == outcome(False)


@pytest.mark.slow
def test_one_bad_row_among_a_hundred_thousand_changes_nothing_and_is_named(world, source, monkeypatch):
    good = row(personnummer=personnummer("19470318", "486"), discharged_at="2025-10-02T09:30", destination="home")
    lines = [",".join(CANONICAL_COLUMNS)]
    template = ",".join(good.get(c, "") for c in CANONICAL_COLUMNS)
    for i in range(100_000):
        lines.append(template.replace("E1", f"E{i}", 1))
    lines.insert(73_421, template.replace("E1", "BAD", 1).replace("2080", "9999"))
    data = ("\n".join(lines) + "\n").encode()
    import_rows(source=source, rows=read_csv(csv_bytes(row(source_id="E5"))), by=policy.SYSTEM)
    before = {"episodes": episodes(), "counts": counts()}

    started = time.perf_counter()
    result = import_rows(source=source, rows=read_csv(data), by=policy.SYSTEM)
    seconds = time.perf_counter() - started

    assert not result.ok
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (73_422, "home_municipality", "Unknown municipality code '9999'.")
    ]
    assert result.run.rows == 100_001
    assert episodes() == before["episodes"]
    assert counts() == {  # only the refused import recorded, and its audit event
        "episodes": before["counts"]["episodes"],
        "imports": before["counts"]["imports"] + 1,
        "audit": before["counts"]["audit"] + 1,
    }
    assert ImportRun.objects.latest("pk").status == "rejected"
    assert AuditEvent.objects.latest("pk").event_type == "flow.import_rejected"
    assert seconds < 60, seconds


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL staging path")
def test_the_staging_table_holds_what_validate_row_gives(source, monkeypatch):
    """On PostgreSQL the clean rows are copied as CSV that pyarrow writes: what lands in the
    episodes is what the per-row COPY writes."""
    from samverkan.flow.imports import source_for

    other = source_for("20", "Row by row")
    data = _file(random.Random(3), 300, odd=False)
    _import(source, data, blocks=True, monkeypatch=monkeypatch)
    _import(other, data, blocks=False, monkeypatch=monkeypatch)
    assert _episodes_of(source) == _episodes_of(other)
    assert len(_episodes_of(source)) == 300


@pytest.mark.parametrize("blocks", [True, False])
@pytest.mark.parametrize(
    "values, column",
    [({"home_municipality": "9998"}, "home_municipality_id"), ({"hospital_unit": "GHOST"}, "hospital_unit_id")],
)
def test_an_episode_naming_a_row_that_does_not_exist_is_refused_whole(source, monkeypatch, blocks, values, column):
    """flow_episode has no foreign-key constraints (the triggers checked each row at commit): the
    import checks the references set-based. Lookups that let a missing municipality or unit through
    (deleted meanwhile, say) must not give an episode that names it."""
    from django.db import IntegrityError

    found = Lookups.for_source

    def lenient(source):
        lookups = found(source)
        lookups.municipalities.add("9998")
        lookups.units["GHOST"] = 987654
        return lookups

    import_rows(source=source, rows=read_csv(csv_bytes(row(source_id="E0"))), by=policy.SYSTEM)
    before = {"episodes": episodes(), "counts": counts()}
    monkeypatch.setattr("samverkan.flow.imports.Lookups.for_source", lenient)
    data = csv_bytes(*(row(source_id=f"E{i}", **(values if i == 7 else {})) for i in range(10)))
    with pytest.raises(IntegrityError, match=column):
        _import(source, data, blocks=blocks, monkeypatch=monkeypatch)
    assert episodes() == before["episodes"]
    assert counts() == before["counts"]


def test_a_file_read_in_small_chunks_is_still_read_in_blocks(source, monkeypatch):
    """pyarrow wants each read filled: chunks of seven bytes are joined for it."""
    monkeypatch.setattr(imports, "CHUNK_SIZE", 7)
    validated = []
    monkeypatch.setattr(
        columnar, "validate_block", lambda *a, _f=columnar.validate_block: validated.append(1) or _f(*a)
    )
    result = import_rows(source=source, rows=read_csv(_file(random.Random(2), 60, odd=False)), by=policy.SYSTEM)
    assert result.ok, result.errors[:3]
    assert result.run.created == 60
    assert validated


def test_a_quote_near_the_end_reads_the_file_again_row_by_row_from_its_start(source, monkeypatch):
    """The blocks' reading (pyarrow reads ahead in a thread) is stopped before the file is read again."""
    monkeypatch.setattr(imports, "CHUNK_SIZE", 7)
    rows = [row(source_id=f"E{i}") for i in range(300)]
    data = csv_bytes(*rows).replace(b"\nE299,", b'\n"E299",')
    result = import_rows(source=source, rows=read_csv(data), by=policy.SYSTEM)
    assert result.ok, result.errors[:3]
    assert result.run.created == 300
    assert Episode.objects.filter(record_id="E299").exists()
