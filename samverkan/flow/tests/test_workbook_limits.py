"""Excel workbooks are never read inside the web request, and are refused before they are opened
when they would unpack beyond the limits (a zip bomb, a huge table of texts, too many rows), so
that no upload can hold a worker for minutes or fill the server's memory."""

from __future__ import annotations

import io
import random
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks import task_backends
from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from samverkan.flow import imports, tasks, uploads, workbooks
from samverkan.flow.imports import CANONICAL_COLUMNS, FileRejected
from samverkan.flow.models import Episode, ImportRun, ImportStatus
from samverkan.flow.workbooks import read_xlsx
from samverkan.testing import login

pytestmark = pytest.mark.django_db

UPLOAD = "/flode/import/"
ROW = ["X1", "", "1940", "F", "2080", "", "somatic", "2026-10-01T08:00", "", "", "", "", "", "", ""]
MAIN_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def client(client, world):
    return login(client, world.region_coordinator)


@pytest.fixture
def queued_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return task_backends["default"].results


def workbook(rows: int = 1, *, header: list[str] | None = None) -> bytes:
    """A real workbook (openpyxl, with a shared-strings table) with `rows` valid rows."""
    book = Workbook()
    sheet = book.active
    sheet.append(header or CANONICAL_COLUMNS)
    for i in range(rows):
        sheet.append([f"X{i + 1}", *ROW[1:]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_parts(content: bytes, parts: dict[str, bytes]) -> bytes:
    """The workbook with some parts replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, parts.get(name, source.read(name)))
        for name in parts.keys() - set(source.namelist()):
            target.writestr(name, parts[name])
    return buffer.getvalue()


def sheet_xml(rows: str, *, dimension: str | None = None) -> bytes:
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{c}</t></is></c>' for i, c in enumerate(CANONICAL_COLUMNS)
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet {MAIN_NS}>{dim}<sheetData><row r="1">{header}</row>{rows}</sheetData></worksheet>'.encode()


def data_rows(first: int, last: int, extra: str = "") -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{{n}}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(ROW) if v)
    return "".join(
        f'<row r="{n}">{cells.replace("{n}", str(n)).replace(">X1<", f">X{n}<")}{extra.replace("{n}", str(n))}</row>'
        for n in range(first, last + 1)
    )


def texts(megabytes: float) -> bytes:
    """A shared-strings table of random texts (it packs no tighter than real ones)."""
    generator = random.Random(1)
    count = int(megabytes * 1024 * 1024 / 40)
    items = "".join(f"<si><t>{generator.getrandbits(128):032x}</t></si>" for _ in range(count))
    return f'<sst {MAIN_NS} count="{count}" uniqueCount="{count}">{items}</sst>'.encode()


def _refusal(content: bytes, **options) -> str:
    with pytest.raises(FileRejected) as refused:
        list(read_xlsx(content, **options))
    return str(refused.value)


@pytest.fixture
def never_opened(monkeypatch):
    """Fails the test if openpyxl opens the workbook: the limits must refuse it before."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook over the limits")

    monkeypatch.setattr(workbooks, "load_workbook", refuse)


# --- Always in the background ------------------------------------------------------------------


def test_a_small_workbook_is_imported_by_the_task_worker_not_in_the_request(client, world, queued_tasks):
    response = client.post(
        UPLOAD,
        {"county": "20", "source": "Excel", "file": SimpleUploadedFile("episoder.xlsx", workbook(2))},
    )
    run = ImportRun.objects.get()
    assert response["Location"] == f"/flode/import/{run.pk}/"
    assert run.status == ImportStatus.QUEUED and not Episode.objects.exists()
    assert [(r.task.func, r.kwargs) for r in queued_tasks] == [(tasks.import_upload.func, {"run_id": run.pk})]
    assert tasks.import_upload.call(run_id=run.pk) == ImportStatus.DONE
    assert Episode.objects.count() == 2


def test_a_small_workbook_in_another_layout_is_imported_by_the_worker_after_the_mapping(client, world, queued_tasks):
    header = ["Id", "Personnummer", "Född", "Kön", "Kommun", "Enhet", "Vårdform", "Inlagd"]
    client.post(
        UPLOAD,
        {"county": "20", "source": "Excel", "file": SimpleUploadedFile("vård.xlsx", workbook(2, header=header))},
    )
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.MAPPING
    mapping = {"source_id": "id", "home_municipality": "kommun", "care_type": "vårdform", "admitted_at": "inlagd"}
    client.post(f"/flode/import/{run.pk}/kolumner/", mapping)
    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED and not Episode.objects.exists()
    assert tasks.import_upload.call(run_id=run.pk) == ImportStatus.DONE
    assert Episode.objects.count() == 2


# --- Refused before opening ----------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_opened(never_opened):
    bomb = with_parts(workbook(), {"xl/sharedStrings.xml": b"<sst>" + b"<si><t>x</t></si>" * 400_000 + b"</sst>"})
    assert len(bomb) < 100_000
    assert "times its packed size" in _refusal(bomb)


def test_a_workbook_whose_texts_would_fill_memory_is_refused_before_it_is_opened(settings, never_opened):
    settings.IMPORT_XLSX_MAX_IN_MEMORY_MB = 1
    message = _refusal(with_parts(workbook(), {"xl/sharedStrings.xml": texts(1.5)}))
    assert "more than the 1 MB that can be read" in message
    assert "CSV" in message


def test_a_workbook_that_unpacks_too_large_in_all_is_refused_before_it_is_opened(settings, never_opened):
    settings.IMPORT_XLSX_MAX_UNPACKED_MB = 1
    big_sheet = sheet_xml(data_rows(2, 4000))  # about 3 MB of sheet, each row different
    message = _refusal(with_parts(workbook(), {"xl/worksheets/sheet1.xml": big_sheet}))
    assert "The workbook unpacks to" in message and "more than the 1 MB" in message


def test_a_large_sheet_itself_is_not_held_in_memory_so_it_counts_only_in_the_total(settings):
    settings.IMPORT_XLSX_MAX_IN_MEMORY_MB = 1
    settings.IMPORT_XLSX_MAX_UNPACKED_MB = 10
    content = with_parts(workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(data_rows(2, 4000))})
    assert len(list(read_xlsx(content))) == 3999


def test_styles_put_where_a_sheet_would_be_still_count_as_held_in_memory(settings, never_opened):
    """A crafted package that points the workbook's styles at the sheet's part: openpyxl would
    read that part whole, so it counts against the memory limit."""
    settings.IMPORT_XLSX_MAX_IN_MEMORY_MB = 1
    content = with_parts(workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(data_rows(2, 4000))})
    content = with_parts(content, {"xl/styles.xml": sheet_xml(data_rows(2, 4000))})
    assert "more than the 1 MB that can be read" in _refusal(content)


def test_a_sheet_whose_dimension_says_too_many_rows_is_refused_before_reading_rows(settings, monkeypatch):
    settings.IMPORT_XLSX_MAX_ROWS = 100
    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", lambda *a, **k: pytest.fail("a row was read"))
    content = with_parts(workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(data_rows(2, 5), dimension="A1:O102")})
    assert "more than 100 rows" in _refusal(content)


def test_rows_past_the_limit_are_refused_whatever_the_dimension_says(settings):
    settings.IMPORT_XLSX_MAX_ROWS = 100
    lying = with_parts(workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(data_rows(2, 150), dimension="A1:O3")})
    assert "more than 100 rows" in _refusal(lying)
    far = with_parts(workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(data_rows(1_000_000, 1_000_000))})
    assert "more than 100 rows" in _refusal(far)  # a single row far down is not reached row by row
    exact = with_parts(workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(data_rows(2, 101))})
    assert len(list(read_xlsx(exact))) == 100


def test_rows_are_read_only_as_wide_as_the_header(monkeypatch):
    """A cell in Excel's last column (XFD) in every row must not make each row 16 384 cells wide."""
    widths = []
    original = ReadOnlyWorksheet._get_row

    def spy(self, row, min_col=1, max_col=None, values_only=False):
        widths.append(max_col)
        return original(self, row, min_col, max_col, values_only)

    monkeypatch.setattr(ReadOnlyWorksheet, "_get_row", spy)
    far_right = '<c r="XFD{n}"><v>1</v></c>'
    content = with_parts(workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(data_rows(2, 50, far_right))})
    rows = list(read_xlsx(content))
    assert len(rows) == 49 and rows[0][1]["source_id"] == "X2"
    assert max(widths) <= workbooks.MAX_COLUMNS + 1


def test_a_header_wider_than_the_limit_is_refused():
    header = [f"kolumn {i}" for i in range(workbooks.MAX_COLUMNS + 1)]
    assert f"more than {workbooks.MAX_COLUMNS} columns" in _refusal(workbook(1, header=header))


def test_the_upload_page_refuses_a_workbook_over_the_limits_at_once_and_keeps_nothing(
    client, world, settings, never_opened
):
    bomb = with_parts(workbook(), {"xl/sharedStrings.xml": b"<sst>" + b"<si><t>x</t></si>" * 400_000 + b"</sst>"})
    response = client.post(UPLOAD, {"county": "20", "source": "Excel", "file": SimpleUploadedFile("b.xlsx", bomb)})
    assert response.status_code == 200
    assert "times its packed size" in response.content.decode()
    assert not ImportRun.objects.exists() and list(settings.IMPORT_UPLOAD_DIR.iterdir()) == []


def test_the_command_refuses_a_workbook_over_the_limits(tmp_path, world, settings, never_opened):
    settings.IMPORT_XLSX_MAX_IN_MEMORY_MB = 1
    path = tmp_path / "episoder.xlsx"
    path.write_bytes(with_parts(workbook(), {"xl/sharedStrings.xml": texts(1.5)}))
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_episodes", str(path), "--source", "X", "--county", "20", stderr=errors)
    assert "more than the 1 MB" in errors.getvalue()


def test_the_worker_estimate_and_the_mapping_preview_stay_within_the_limits(tmp_path, settings, never_opened):
    settings.IMPORT_XLSX_MAX_IN_MEMORY_MB = 1
    path = tmp_path / "stored"
    path.write_bytes(with_parts(workbook(), {"xl/sharedStrings.xml": texts(1.5)}))
    assert uploads.estimate_rows(path, "xlsx", {}) is None
    with pytest.raises(imports.FileRejected):
        uploads.preview(path.read_bytes(), "xlsx", {})


def test_opening_a_sheet_without_a_dimension_does_not_parse_it_whole(monkeypatch):
    """openpyxl looks for the dimension until the end of the sheet's data; the upload page opens
    the workbook in the request (to show its header), which must not read every row."""
    from openpyxl.worksheet._reader import WorkSheetParser

    monkeypatch.setattr(WorkSheetParser, "parse_dimensions", lambda self: pytest.fail("the whole sheet was parsed"))
    content = with_parts(workbook(), {"xl/worksheets/sheet1.xml": sheet_xml(data_rows(2, 300))})
    assert uploads.preview(content, "xlsx", {}).header == CANONICAL_COLUMNS
