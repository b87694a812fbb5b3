"""The upload page's workflow: the column-mapping step for other layouts (saved per source and
reused), uploads kept privately between steps and deleted afterwards, and large files imported
by the task worker with their progress on the import's page."""

from __future__ import annotations

import datetime
import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tasks import task_backends
from openpyxl import Workbook

from samverkan.audit.models import AuditEvent
from samverkan.flow import imports, tasks, uploads, workbooks
from samverkan.flow.models import ColumnLayout, Episode, ImportRun, ImportStatus
from samverkan.flow.tests.helpers import csv_bytes, database_text, leaks, local, personnummer, row
from samverkan.testing import login

pytestmark = pytest.mark.django_db

UPLOAD = "/flode/import/"
PNR = personnummer("19400512", "234")
OTHER_PNR = personnummer("19521130", "567")
# A semicolon-separated Windows-1252 export with Swedish column names (and one we do not need).
SWEDISH_HEADER = (
    "Vårdtillfälle-ID;Personnummer;Kommunkod;Vårdform;Inskrivningsdatum;Utskrivningsdatum;Avdelningens namn"
)
SWEDISH = (
    SWEDISH_HEADER
    + "\r\n"
    + f"V1;{PNR};2080;somatic;2026-10-01 08:00;2026-10-05 12:00;Medicin Söder\r\n"
    + f"V2;{OTHER_PNR};2084;psychiatric;2026-10-02 09:30;;Psykiatri Ö\r\n"
).encode("cp1252")
SWEDISH_MAPPING = {
    "source_id": "vårdtillfälle-id",
    "personnummer": "personnummer",
    "home_municipality": "kommunkod",
    "care_type": "vårdform",
    "admitted_at": "inskrivningsdatum",
    "discharged_at": "utskrivningsdatum",
}


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def queued_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return task_backends["default"].results


def _upload(client, content: bytes, *, name: str = "utdrag.csv", source: str = "Cosmic", **extra):
    data = {"county": "20", "source": source, "file": SimpleUploadedFile(name, content), **extra}
    return client.post(UPLOAD, data)


def _stored_files(settings) -> list[str]:
    return sorted(os.listdir(settings.IMPORT_UPLOAD_DIR))


def _swedish_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Id", "Hemkommun", "Typ av vård", "Inlagd", "Kommentar"])
    sheet.append(["X1", 2080, "somatic", datetime.datetime(2026, 10, 1, 8, 0), "ok"])  # noqa: DTZ001 - Excel
    sheet.append(["X2", "2081", "psychiatric", datetime.datetime(2026, 10, 3, 14, 45), None])  # noqa: DTZ001
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _map(client, run: ImportRun, mapping: dict[str, str], **extra):
    return client.post(f"/flode/import/{run.pk}/kolumner/", {**mapping, **extra})


# --- The readers with a layout --------------------------------------------------------------


def test_read_csv_renames_columns_by_the_layout_and_ignores_the_others():
    rows = list(imports.read_csv(SWEDISH, layout={v: k for k, v in SWEDISH_MAPPING.items()}))
    assert rows[0] == (
        2,
        {
            "source_id": "V1",
            "personnummer": PNR,
            "home_municipality": "2080",
            "care_type": "somatic",
            "admitted_at": "2026-10-01 08:00",
            "discharged_at": "2026-10-05 12:00",
            "": "Medicin Söder",  # the column the layout leaves out, under no canonical name
        },
    )


def test_a_layout_without_a_required_column_is_rejected_at_the_header():
    layout = {v: k for k, v in SWEDISH_MAPPING.items() if k != "admitted_at"}
    with pytest.raises(imports.FileRejected, match="The required column admitted_at is missing"):
        list(imports.read_csv(SWEDISH, layout=layout))


def test_read_xlsx_takes_a_layout_too():
    layout = {"id": "source_id", "hemkommun": "home_municipality", "typ av vård": "care_type", "inlagd": "admitted_at"}
    rows = list(workbooks.read_xlsx(_swedish_workbook(), layout=layout))
    assert [r for _, r in rows][1] == {
        "source_id": "X2",
        "home_municipality": "2081",
        "care_type": "psychiatric",
        "admitted_at": "2026-10-03T14:45",
        "": "",
    }


def test_import_rows_reports_progress_every_so_many_rows_and_at_the_end(world, source, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)
    data = csv_bytes(*(row(source_id=f"P{i}") for i in range(5)))
    seen = []
    result = imports.import_rows(source=source, rows=imports.read_csv(data), by=world.admin, progress=seen.append)
    assert result.ok
    assert seen == [2, 4, 5]


# --- The mapping step -----------------------------------------------------------------------


def test_a_file_in_another_layout_goes_to_the_mapping_step_with_its_file_kept_privately(client, world, settings):
    response = _upload(login(client, world.region_coordinator), SWEDISH)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/flode/import/{run.pk}/kolumner/"
    assert run.status == ImportStatus.MAPPING and run.imported_by == world.region_coordinator
    assert Episode.objects.count() == 0
    # Kept under a random name, not the user's file name.
    assert _stored_files(settings) == [run.stored_file]
    assert "utdrag" not in run.stored_file and len(run.stored_file) >= 40

    page = client.get(response["Location"]).content.decode()
    # Every canonical column can be chosen; the required ones are marked.
    for column in imports.CANONICAL_COLUMNS:
        assert f'name="{column}"' in page
    assert '<label for="id_source_id">source_id <span aria-hidden="true">*</span></label>' in page
    assert '<label for="id_birth_year">birth_year</label>' in page
    assert '<option value="vårdtillfälle-id">vårdtillfälle-id</option>' in page
    assert '<option value="" selected>Not in the file</option>' in page
    # The preview shows the first rows' values, but never the personnummer.
    assert "<td>V1</td>" in page and "<td>Medicin Söder</td>" in page and "<td>Psykiatri Ö</td>" in page
    assert not leaks(PNR, page) and not leaks(OTHER_PNR, page)
    assert page.count(f"<td>{uploads.MASK}</td>") == 2


def test_mapping_saves_the_layout_for_the_source_audited_then_imports_and_deletes_the_file(client, world, settings):
    _upload(login(client, world.region_coordinator), SWEDISH)
    run = ImportRun.objects.get()
    response = _map(client, run, SWEDISH_MAPPING)
    assert response.status_code == 302 and response["Location"] == f"/flode/import/{run.pk}/"

    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert (run.rows, run.created, run.updated) == (2, 2, 0)
    first = Episode.objects.get(record_id="V1")
    assert (first.home_municipality_id, first.care_type) == ("2080", "somatic")
    assert first.admitted_at == local(2026, 10, 1, 8) and first.discharged_at == local(2026, 10, 5, 12)
    assert Episode.objects.get(record_id="V2").care_type == "psychiatric"

    layout = ColumnLayout.objects.get()
    assert run.layout == layout and layout.source == run.source and layout.saved_by == world.region_coordinator
    assert layout.header == [
        "vårdtillfälle-id",
        "personnummer",
        "kommunkod",
        "vårdform",
        "inskrivningsdatum",
        "utskrivningsdatum",
        "avdelningens namn",
    ]
    assert layout.mapping == {file_column: column for column, file_column in SWEDISH_MAPPING.items()}
    event = AuditEvent.objects.get(event_type="flow.column_layout_saved")
    assert event.actor == world.region_coordinator and event.object_id == str(layout.pk)
    assert event.before is None and event.after["mapping"]["kommunkod"] == "home_municipality"
    assert event.organisation == world.region

    # The raw file is gone, and no personnummer is anywhere in the database.
    assert _stored_files(settings) == [] and run.stored_file == ""
    assert not leaks(PNR, database_text()) and not leaks(OTHER_PNR, database_text())
    page = client.get(response["Location"]).content.decode()
    assert "Imported 2 rows: 2 new, 0 updated, 0 unchanged." in page
    assert "The layout saved for Cosmic on" in page and f"/flode/import/kolumnlayouter/{layout.pk}/" in page


def test_the_saved_layout_applies_to_the_next_file_from_the_same_source_only(client, world, settings):
    _upload(login(client, world.region_coordinator), SWEDISH)
    _map(client, ImportRun.objects.get(), SWEDISH_MAPPING)
    layout = ColumnLayout.objects.get()
    # The same columns in another order, with a discharge for V2: imported at once with the layout.
    later = (
        "Kommunkod;Vårdtillfälle-ID;Vårdform;Personnummer;Inskrivningsdatum;Utskrivningsdatum;Avdelningens namn\r\n"
        f"2084;V2;psychiatric;{OTHER_PNR};2026-10-02 09:30;2026-10-09 10:00;Psykiatri Ö\r\n"
    ).encode("cp1252")
    response = _upload(client, later)
    assert response.status_code == 302 and response["Location"] == "/flode/import/?county=20"
    run = ImportRun.objects.order_by("-pk").first()
    assert run.status == ImportStatus.DONE and run.layout == layout and (run.rows, run.updated) == (1, 1)
    assert Episode.objects.get(record_id="V2").discharged_at == local(2026, 10, 9, 10)
    page = client.get(response["Location"]).content.decode()
    assert "The columns were read with the layout saved for Cosmic on" in page
    assert _stored_files(settings) == []

    # Another source with the same columns gets its own mapping step.
    response = _upload(client, SWEDISH, source="Melior")
    run = ImportRun.objects.order_by("-pk").first()
    assert run.source.name == "Melior" and run.status == ImportStatus.MAPPING
    assert response["Location"] == f"/flode/import/{run.pk}/kolumner/"
    # ... where what Cosmic's layout calls a column is not suggested (only same-named columns are).
    page = client.get(response["Location"]).content.decode()
    assert '<option value="kommunkod" selected>' not in page
    assert '<option value="personnummer" selected>' in page  # its name is the canonical one


def test_the_mapping_form_needs_every_required_column_and_each_file_column_once(client, world, settings):
    _upload(login(client, world.region_coordinator), SWEDISH)
    run = ImportRun.objects.get()
    mapping = {**SWEDISH_MAPPING, "source_id": "", "destination": "kommunkod"}
    response = _map(client, run, mapping)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Required: choose the file column that holds source_id." in page
    assert "The file column kommunkod is already used for home_municipality; each file column can be used once." in page
    # The choices made so far stay chosen.
    assert '<option value="inskrivningsdatum" selected>' in page
    assert ColumnLayout.objects.count() == 0 and Episode.objects.count() == 0
    run.refresh_from_db()
    assert run.status == ImportStatus.MAPPING and _stored_files(settings) == [run.stored_file]


def test_a_file_whose_mapped_rows_are_wrong_is_rejected_and_its_file_deleted(client, world, settings):
    bad = SWEDISH.replace(b"2084;psychiatric", b"9999;psychiatric")
    _upload(login(client, world.region_coordinator), bad)
    run = ImportRun.objects.get()
    _map(client, run, SWEDISH_MAPPING)
    run.refresh_from_db()
    assert run.status == ImportStatus.REJECTED
    assert run.errors == [{"row": 3, "column": "home_municipality", "message": "Unknown municipality code '9999'."}]
    assert Episode.objects.count() == 0 and _stored_files(settings) == []
    # The layout is kept: the next corrected file goes straight through.
    assert ColumnLayout.objects.count() == 1


def test_cancelling_the_mapping_deletes_the_file(client, world, settings):
    _upload(login(client, world.region_coordinator), SWEDISH)
    run = ImportRun.objects.get()
    response = _map(client, run, {}, cancel="1")
    assert response.status_code == 302 and response["Location"] == "/flode/import/?county=20"
    run.refresh_from_db()
    assert run.status == ImportStatus.CANCELLED and run.stored_file == ""
    assert _stored_files(settings) == [] and ColumnLayout.objects.count() == 0
    # The step is over: its page now sends to the import's page.
    assert client.get(f"/flode/import/{run.pk}/kolumner/")["Location"] == f"/flode/import/{run.pk}/"


def test_a_check_only_upload_in_another_layout_is_checked_after_the_mapping_and_imports_nothing(
    client, world, settings
):
    _upload(login(client, world.region_coordinator), SWEDISH, dry_run="on")
    run = ImportRun.objects.get()
    assert run.dry_run
    _map(client, run, SWEDISH_MAPPING)
    run.refresh_from_db()
    assert (run.status, run.rows, run.created) == (ImportStatus.DONE, 2, 2)
    assert Episode.objects.count() == 0 and _stored_files(settings) == []
    page = client.get(f"/flode/import/{run.pk}/").content.decode()
    assert "Checked: the file is correct; 2 rows would be imported. Nothing was imported." in page


def test_an_excel_workbook_in_another_layout_is_mapped_and_imported(client, world, settings, immediate_tasks):
    response = _upload(login(client, world.region_coordinator), _swedish_workbook(), name="vård.xlsx")
    run = ImportRun.objects.get()
    assert run.file_format == "xlsx" and response["Location"] == f"/flode/import/{run.pk}/kolumner/"
    page = client.get(response["Location"]).content.decode()
    assert "<td>2026-10-03T14:45</td>" in page and "<td>X1</td>" in page
    mapping = {
        "source_id": "id",
        "home_municipality": "hemkommun",
        "care_type": "typ av vård",
        "admitted_at": "inlagd",
    }
    _map(client, run, mapping)
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and run.created == 2
    assert Episode.objects.get(record_id="X2").admitted_at == local(2026, 10, 3, 14, 45)
    assert ColumnLayout.objects.get().header == ["id", "hemkommun", "typ av vård", "inlagd", "kommentar"]
    assert _stored_files(settings) == []


def test_a_saved_layout_can_be_edited_and_the_change_is_audited_and_used(client, world):
    _upload(login(client, world.region_coordinator), SWEDISH)
    _map(client, ImportRun.objects.get(), {k: v for k, v in SWEDISH_MAPPING.items() if k != "discharged_at"})
    layout = ColumnLayout.objects.get()
    url = f"/flode/import/kolumnlayouter/{layout.pk}/"
    page = client.get(url).content.decode()
    assert '<option value="inskrivningsdatum" selected>' in page
    assert f'href="{url}"' in client.get(UPLOAD + "?county=20").content.decode()

    response = client.post(url, SWEDISH_MAPPING)
    assert response.status_code == 302
    layout.refresh_from_db()
    assert layout.mapping["utskrivningsdatum"] == "discharged_at"
    event = AuditEvent.objects.filter(event_type="flow.column_layout_saved").order_by("-pk").first()
    assert "utskrivningsdatum" not in event.before["mapping"]
    assert event.after["mapping"]["utskrivningsdatum"] == "discharged_at"
    # The next upload of the same columns reads the discharge too.
    _upload(client, SWEDISH)
    assert Episode.objects.get(record_id="V1").discharged_at == local(2026, 10, 5, 12)


# --- Background imports ---------------------------------------------------------------------


def _big_canonical(count: int) -> bytes:
    return csv_bytes(*(row(source_id=f"B{i}", personnummer=PNR if i == 0 else "") for i in range(count)))


def _polls(html: str, run: ImportRun) -> bool:
    return f'hx-get="/flode/import/{run.pk}/status/" hx-trigger="every 2s" hx-swap="outerHTML"' in html


def test_a_large_file_is_queued_for_the_worker_and_imported_by_the_task(client, world, settings, queued_tasks):
    settings.IMPORT_BACKGROUND_BYTES = 100
    response = _upload(login(client, world.region_coordinator), _big_canonical(4), name="stor.csv")
    run = ImportRun.objects.get()
    assert response["Location"] == f"/flode/import/{run.pk}/"
    assert run.status == ImportStatus.QUEUED and Episode.objects.count() == 0
    assert [(r.task.func, r.kwargs) for r in queued_tasks] == [(tasks.import_upload.func, {"run_id": run.pk})]
    assert _stored_files(settings) == [run.stored_file]

    polled = client.get(f"/flode/import/{run.pk}/status/")
    assert polled.context["progress"]["finished"] is False and polled["Cache-Control"] == "no-store"
    # While the import is open, htmx polls the status address and swaps the card it answers.
    assert _polls(polled.content.decode(), run) and 'hx-swap-oob="innerHTML">Queued</span>' in polled.content.decode()
    page = client.get(f"/flode/import/{run.pk}/").content.decode()
    assert _polls(page, run) and "htmx-2.0.11.min.js" in page
    assert '<p id="import-progress-done" role="status" aria-live="polite"></p>' in page and "<noscript>" in page
    # The history lists the waiting import with a link to it.
    history = client.get(UPLOAD + "?county=20").content.decode()
    assert f'<a href="/flode/import/{run.pk}/">Queued</a>' in history

    assert tasks.import_upload.call(run_id=run.pk) == ImportStatus.DONE
    run.refresh_from_db()
    assert (run.status, run.rows, run.created, run.rows_estimate) == (ImportStatus.DONE, 4, 4, 4)
    assert run.imported_by == world.region_coordinator
    assert _stored_files(settings) == [] and run.stored_file == ""
    polled = client.get(f"/flode/import/{run.pk}/status/")
    assert polled.context["progress"] == {
        "status_label": "Imported",
        "finished": True,
        "text": "Imported 4 rows: 4 new, 0 updated, 0 unchanged.",
        "bar_max": 4,
        "bar_value": 4,
    }
    # The finished card stops the polling and the end is announced in the page's live region.
    answer = polled.content.decode()
    assert not _polls(answer, run) and "hx-trigger" not in answer
    assert (
        '<p id="import-progress-done" hx-swap-oob="innerHTML">Imported 4 rows: 4 new, 0 updated, 0 unchanged. '
        f'<a href="/flode/import/{run.pk}/">Show the result and any errors</a></p>'
    ) in answer
    assert '<span id="import-status" hx-swap-oob="innerHTML">Imported</span>' in answer
    # Run again (a retried task): nothing happens twice.
    assert tasks.import_upload.call(run_id=run.pk) == ImportStatus.DONE
    assert Episode.objects.count() == 4
    assert not leaks(PNR, database_text())


def test_with_the_immediate_backend_a_mapped_large_file_is_imported_at_once(client, world, settings, immediate_tasks):
    settings.IMPORT_BACKGROUND_BYTES = 100
    _upload(login(client, world.region_coordinator), SWEDISH)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.MAPPING
    assert _map(client, run, SWEDISH_MAPPING)["Location"] == f"/flode/import/{run.pk}/"
    run.refresh_from_db()
    assert (run.status, run.created, run.rows_estimate) == (ImportStatus.DONE, 2, 2)
    assert _stored_files(settings) == []


def test_the_progress_shows_rows_read_of_the_estimate(client, world):
    login(client, world.region_coordinator)
    run = ImportRun.objects.create(
        source=imports.source_for("20", "Cosmic"),
        file_format="csv",
        status=ImportStatus.RUNNING,
        rows=12000,
        rows_estimate=50000,
        imported_by=world.region_coordinator,
    )
    polled = client.get(f"/flode/import/{run.pk}/status/")
    progress = polled.context["progress"]
    assert (progress["finished"], progress["bar_max"], progress["bar_value"]) == (False, 50000, 12000)
    assert progress["text"] == "12,000 of about 50,000 rows read"
    assert '<progress id="import-progress-bar" max="50000" value="12000"' in polled.content.decode()
    assert "import-progress-done" not in polled.content.decode()  # announced only at the end
    # More rows than the estimate: the bar grows with them.
    ImportRun.objects.filter(pk=run.pk).update(rows=60000)
    assert client.get(f"/flode/import/{run.pk}/status/").context["progress"]["bar_max"] == 60000
    ImportRun.objects.filter(pk=run.pk).update(rows=12000)
    page = client.get(f"/flode/import/{run.pk}/").content.decode()
    assert '<progress id="import-progress-bar" max="50000" value="12000"' in page
    assert "12,000 of about 50,000 rows read" in page
    assert "Reload this page to see how far it has come" in page


def test_a_rejected_background_import_lists_its_errors_and_deletes_the_file(client, world, settings, queued_tasks):
    settings.IMPORT_BACKGROUND_BYTES = 100
    data = csv_bytes(row(source_id="R1"), row(source_id="R2", care_type="geriatric"), row(source_id="R3"))
    _upload(login(client, world.region_coordinator), data)
    run = ImportRun.objects.get()
    tasks.import_upload.call(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ImportStatus.REJECTED and Episode.objects.count() == 0
    assert run.errors == [{"row": 3, "column": "care_type", "message": "Use somatic or psychiatric, not 'geriatric'."}]
    assert _stored_files(settings) == []
    progress = client.get(f"/flode/import/{run.pk}/status/").context["progress"]
    assert progress["finished"] and progress["text"] == "The file was not imported: 1 error. Nothing in it was saved."
    assert "Use somatic or psychiatric" in client.get(f"/flode/import/{run.pk}/").content.decode()


def test_a_task_that_fails_unexpectedly_rejects_the_run_and_deletes_the_file(world, settings, monkeypatch):
    data = csv_bytes(row())
    run = ImportRun.objects.create(
        source=imports.source_for("20", "Cosmic"),
        file_format="csv",
        status=ImportStatus.QUEUED,
        stored_file=uploads.store([data]),
        file_size=len(data),
    )

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(imports, "import_rows", broken)
    with pytest.raises(RuntimeError):
        tasks.import_upload.call(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ImportStatus.REJECTED and run.stored_file == "" and _stored_files(settings) == []
    assert run.errors[0]["message"] == "The import stopped on an unexpected error; nothing was imported."


def test_small_canonical_files_still_import_in_the_request(client, world, settings, queued_tasks):
    _upload(login(client, world.region_coordinator), _big_canonical(3))
    assert ImportRun.objects.get().status == ImportStatus.DONE and Episode.objects.count() == 3
    assert list(queued_tasks) == [] and _stored_files(settings) == []


# --- Leftover files -------------------------------------------------------------------------


def test_cleanup_deletes_uploads_older_than_a_day_and_cancels_their_imports(client, world, settings):
    _upload(login(client, world.region_coordinator), SWEDISH)
    _upload(client, SWEDISH, source="Melior")
    old, recent = ImportRun.objects.order_by("pk")
    day_and_a_bit = time.time() - 25 * 3600
    os.utime(os.path.join(settings.IMPORT_UPLOAD_DIR, old.stored_file), (day_and_a_bit, day_and_a_bit))
    out = io.StringIO()
    call_command("flow_cleanup_uploads", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 stored upload(s)."
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.stored_file) == (ImportStatus.CANCELLED, "")
    assert recent.status == ImportStatus.MAPPING and _stored_files(settings) == [recent.stored_file]
    # The abandoned mapping page says the file is gone.
    response = client.get(f"/flode/import/{old.pk}/kolumner/")
    assert response["Location"] == f"/flode/import/{old.pk}/"


def test_the_preview_masks_identity_numbers_in_any_column():
    data = f"Patient,Kommun,Telefon\n{PNR.replace('-', '')},2080,070-123 45 67\n".encode()
    preview = uploads.preview(data, "csv", {})
    assert preview.header == ["patient", "kommun", "telefon"]
    assert preview.rows == [[uploads.MASK, "2080", "070-123 45 67"]]


# --- Who may ----------------------------------------------------------------------------------


def test_municipal_coordinators_may_not_import_or_map_and_other_counties_see_nothing(client, world, settings):
    _upload(login(client, world.region_coordinator), SWEDISH)
    run = ImportRun.objects.get()
    client.logout()
    login(client, world.falun_coordinator)
    assert _upload(client, SWEDISH).status_code == 403
    assert client.get(f"/flode/import/{run.pk}/kolumner/").status_code == 403
    assert _map(client, run, SWEDISH_MAPPING).status_code == 403
    assert client.get(f"/flode/import/{run.pk}/status/").status_code == 403
    client.logout()
    login(client, world.outsider)  # Region Örebro's coordinator: another county's import is not found
    for url in (f"/flode/import/{run.pk}/", f"/flode/import/{run.pk}/status/", f"/flode/import/{run.pk}/kolumner/"):
        assert client.get(url).status_code == 404
    assert _map(client, run, SWEDISH_MAPPING).status_code == 404
    assert ColumnLayout.objects.count() == 0 and ImportRun.objects.get().status == ImportStatus.MAPPING
    assert _stored_files(settings) == [run.stored_file]


def test_a_header_of_one_column_is_rejected_as_before_not_sent_to_mapping(client, world, settings):
    body = _upload(login(client, world.region_coordinator), SWEDISH, delimiter=",").content.decode()
    assert "The header has one column only: is the delimiter &#x27;,&#x27; right?" in body
    assert ImportRun.objects.get().status == ImportStatus.REJECTED and _stored_files(settings) == []


def test_a_second_submission_of_the_mapping_imports_nothing_twice(client, world, settings):
    _upload(login(client, world.region_coordinator), SWEDISH)
    run = ImportRun.objects.get()
    _map(client, run, SWEDISH_MAPPING)
    again = _map(client, run, SWEDISH_MAPPING)
    assert again.status_code == 302 and again["Location"] == f"/flode/import/{run.pk}/"
    assert AuditEvent.objects.filter(event_type="flow.column_layout_saved").count() == 1
    assert AuditEvent.objects.filter(event_type="flow.import_done").count() == 1
    assert Episode.objects.count() == 2


def test_a_file_without_a_header_row_is_rejected_without_quoting_or_keeping_the_personnummer(client, world, settings):
    headless = b"\r\n".join(SWEDISH.split(b"\r\n")[1:])  # the first data row, with its personnummer, is row 1
    body = _upload(login(client, world.region_coordinator), headless).content.decode()
    assert "The required column source_id is missing." in body
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REJECTED and ColumnLayout.objects.count() == 0
    assert _stored_files(settings) == []
    assert not leaks(PNR, body) and not leaks(PNR, database_text())


def test_a_background_import_streams_the_stored_file(client, world, settings, queued_tasks, monkeypatch):
    settings.IMPORT_BACKGROUND_BYTES = 100
    _upload(login(client, world.region_coordinator), _big_canonical(4), name="stor.csv")
    run = ImportRun.objects.get()
    given = []
    read_csv = imports.read_csv

    def spy(data, **options):
        given.append(type(data))
        return read_csv(data, **options)

    monkeypatch.setattr(imports, "read_csv", spy)
    assert tasks.import_upload.call(run_id=run.pk) == ImportStatus.DONE
    assert len(given) == 1 and not issubclass(given[0], bytes)  # an open file, read a chunk at a time
