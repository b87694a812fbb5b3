"""Every write of the import's workflow goes through flow/services.py and is audited in its own
transaction: the kept upload, the mapping chosen, the start, the end (done, rejected, cancelled)."""

from __future__ import annotations

import ast
import datetime
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from samverkan.audit.models import AuditEvent
from samverkan.flow import services, uploads
from samverkan.flow.models import ColumnLayout, ImportRun, ImportStatus, Source
from samverkan.flow.tests.helpers import csv_bytes, row
from samverkan.flow.tests.test_upload_flow import SWEDISH, SWEDISH_MAPPING
from samverkan.organisations import policy
from samverkan.testing import login

pytestmark = pytest.mark.django_db

FLOW = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def _last_event() -> int:
    return AuditEvent.objects.order_by("pk").values_list("pk", flat=True).last() or 0


def _events(since: int) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("pk").values_list("event_type", "object_type"))


def _upload(client, content: bytes, name: str = "utdrag.csv"):
    data = {"county": "20", "source": "Cosmic", "file": SimpleUploadedFile(name, content)}
    return client.post("/flode/import/", data)


def test_an_upload_mapped_and_imported_leaves_an_audit_trail_of_every_step(client, world, settings):
    login(client, world.region_coordinator)
    start = _last_event()
    _upload(client, SWEDISH)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.MAPPING and run.imported_by == world.region_coordinator
    assert _events(start) == [("flow.source_created", "flow.source"), ("flow.upload_stored", "flow.importrun")]
    stored = AuditEvent.objects.get(event_type="flow.upload_stored")
    assert (stored.actor, stored.object_id, stored.organisation.code) == (world.region_coordinator, str(run.pk), "R20")
    assert stored.after == {
        "file": "utdrag.csv",
        "format": "csv",
        "bytes": len(SWEDISH),
        "status": "mapping",
        "dry_run": False,
    }
    before = AuditEvent.objects.latest("pk").pk

    client.post(f"/flode/import/{run.pk}/kolumner/", SWEDISH_MAPPING)

    run.refresh_from_db()
    assert (run.status, run.created, run.stored_file) == (ImportStatus.DONE, 2, "")
    assert _events(before) == [
        ("flow.column_layout_saved", "flow.columnlayout"),
        ("flow.import_mapped", "flow.importrun"),
        ("flow.import_started", "flow.importrun"),
        ("flow.import_done", "flow.importrun"),
    ]
    assert AuditEvent.objects.get(event_type="flow.import_mapped").after == {
        "status": "queued",
        "layout": ColumnLayout.objects.get().pk,
    }
    assert os.listdir(settings.IMPORT_UPLOAD_DIR) == []


def test_a_cancelled_mapping_is_audited_and_its_file_deleted(client, world, settings):
    login(client, world.region_coordinator)
    _upload(client, SWEDISH)
    run = ImportRun.objects.get()
    before = AuditEvent.objects.latest("pk").pk

    client.post(f"/flode/import/{run.pk}/kolumner/", {"cancel": "1"})

    run.refresh_from_db()
    assert (run.status, run.stored_file) == (ImportStatus.CANCELLED, "")
    assert os.listdir(settings.IMPORT_UPLOAD_DIR) == []
    cancelled = AuditEvent.objects.get(pk__gt=before)
    assert (cancelled.event_type, cancelled.object_id) == ("flow.import_cancelled", str(run.pk))
    assert (cancelled.before, cancelled.after) == (
        {"status": "mapping"},
        {"status": "cancelled", "reason": "cancelled"},
    )


def test_a_second_mapping_of_the_same_run_changes_nothing(world):
    source = services.source_for(county="20", name="Cosmic", by=policy.SYSTEM)
    run = services.upload_store(
        chunks=[SWEDISH],
        size=len(SWEDISH),
        source=source,
        by=world.region_coordinator,
        filename="utdrag.csv",
        file_format="csv",
        status=ImportStatus.MAPPING,
    )
    header = list(SWEDISH_MAPPING.values())
    mapping = {v: k for k, v in SWEDISH_MAPPING.items()}
    assert services.import_mapping_choose(run=run, header=header, mapping=mapping, by=world.region_coordinator)
    events = AuditEvent.objects.count()
    again = ImportRun.objects.get(pk=run.pk)
    assert not services.import_mapping_choose(run=again, header=header, mapping=mapping, by=world.region_coordinator)
    assert AuditEvent.objects.count() == events and ColumnLayout.objects.count() == 1


def test_a_source_is_created_and_audited_once(world):
    start = _last_event()
    first = services.source_for(county="20", name="Cosmic", by=world.region_coordinator)
    second = services.source_for(county="20", name="Cosmic", by=world.region_coordinator)
    assert first == second and Source.objects.count() == 1
    assert _events(start) == [("flow.source_created", "flow.source")]


def test_stale_uploads_are_deleted_and_their_open_imports_cancelled_with_an_audit_row(world, settings):
    source = services.source_for(county="20", name="Cosmic", by=policy.SYSTEM)
    data = csv_bytes(row())
    old = services.upload_store(
        chunks=[data],
        size=len(data),
        source=source,
        by=policy.SYSTEM,
        filename="a.csv",
        file_format="csv",
        status=ImportStatus.QUEUED,
    )
    fresh = services.upload_store(
        chunks=[data],
        size=len(data),
        source=source,
        by=policy.SYSTEM,
        filename="b.csv",
        file_format="csv",
        status=ImportStatus.QUEUED,
    )
    path = uploads.stored_path(old)
    a_week_ago = (timezone.now() - datetime.timedelta(days=7)).timestamp()
    os.utime(path, (a_week_ago, a_week_ago))
    before = AuditEvent.objects.latest("pk").pk

    assert services.stale_uploads_cancel(by=policy.SYSTEM) == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.stored_file) == (ImportStatus.CANCELLED, "")
    assert fresh.status == ImportStatus.QUEUED and uploads.stored_path(fresh) is not None
    expired = AuditEvent.objects.get(pk__gt=before)
    assert (expired.event_type, expired.object_id, expired.actor_label) == (
        "flow.import_cancelled",
        str(old.pk),
        "system",
    )
    assert expired.after == {"status": "cancelled", "reason": "upload expired"}


def test_a_file_that_cannot_be_kept_leaves_no_run_and_no_file(world, settings, monkeypatch):
    source = services.source_for(county="20", name="Cosmic", by=policy.SYSTEM)
    events = AuditEvent.objects.count()

    def broken(**kwargs):
        raise RuntimeError("no audit today")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        services.upload_store(
            chunks=[b"x"],
            size=1,
            source=source,
            by=policy.SYSTEM,
            filename="a.csv",
            file_format="csv",
            status=ImportStatus.QUEUED,
        )
    assert not ImportRun.objects.exists() and AuditEvent.objects.count() == events
    assert os.listdir(settings.IMPORT_UPLOAD_DIR) == []


QUERYSET_WRITES = {"update", "create", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def _is_write(call: ast.Call) -> bool:
    """A model saved or deleted, or a write through a manager or queryset (`….objects….update()`)."""
    if not isinstance(call.func, ast.Attribute):
        return False
    name = call.func.attr
    return name in {"save", "delete"} or (name in QUERYSET_WRITES and ".objects" in ast.unparse(call.func))


@pytest.mark.parametrize("module", ["views.py", "api.py", "tasks.py"])
def test_pages_api_and_tasks_write_only_through_the_services(module):
    tree = ast.parse((FLOW / module).read_text())
    writes = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Call) and _is_write(node)]
    assert writes == []


def test_the_write_check_finds_writes():
    found = ast.parse("run.save()\nImportRun.objects.filter(pk=1).update(status='x')\ncontext.update(a=1)")
    writes = {ast.unparse(node) for node in ast.walk(found) if isinstance(node, ast.Call) and _is_write(node)}
    assert writes == {"run.save()", "ImportRun.objects.filter(pk=1).update(status='x')"}
