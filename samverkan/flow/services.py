"""Writes for patient flow: sources, kept uploads, column layouts and imports.

Every write is atomic and audited (docs/architecture.md, "The layout of an app"); the upload page,
the mapping step, the task worker, the API and the import command call these and never change an
`ImportRun` themselves. The episodes themselves are written by `imports.import_rows` (validation,
pseudonyms, the upsert and its audit rows), which `episodes_import` and `import_stored` run."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samverkan.accounts.models import User
from samverkan.audit.services import audit_record
from samverkan.flow import imports, uploads
from samverkan.flow.models import OPEN_IMPORT_STATUSES, ColumnLayout, ImportRun, ImportStatus, Source
from samverkan.flow.validation import Row
from samverkan.organisations import policy


def source_for(*, county: str, name: str, by: policy.Principal) -> Source:
    """The county's source system with this name, created (and audited) on first use."""
    with transaction.atomic():
        source, created = Source.objects.get_or_create(county_id=county, name=name)
        if created:
            audit_record(
                by=by,
                event_type="flow.source_created",
                obj=source,
                organisation=imports.region_of(source),
                after={"county": county, "name": name},
            )
    return source


def _person(by: policy.Principal) -> User | None:
    return by if isinstance(by, User) else None


def upload_store(
    *,
    chunks: Iterable[bytes],
    size: int,
    source: Source,
    by: policy.Principal,
    filename: str,
    file_format: str,
    status: str,
    dry_run: bool = False,
    layout: ColumnLayout | None = None,
    read_options: dict[str, Any] | None = None,
) -> ImportRun:
    """Keep an upload (e.g. an uploaded file's chunks) for a later step, the mapping page (status
    MAPPING) or the task worker (QUEUED), and record its import. The file is deleted again if the
    record cannot be written."""
    token = uploads.store(chunks)
    try:
        with transaction.atomic():
            run = ImportRun.objects.create(
                source=source,
                imported_by=_person(by),
                filename=filename[:255],
                file_format=file_format,
                stored_file=token,
                file_size=size,
                status=status,
                dry_run=dry_run,
                layout=layout,
                read_options=read_options or {},
            )
            audit_record(
                by=by,
                event_type="flow.upload_stored",
                obj=run,
                organisation=imports.region_of(source),
                after={
                    "file": run.filename,
                    "format": file_format,
                    "bytes": size,
                    "status": status,
                    "dry_run": dry_run,
                },
            )
    except BaseException:
        uploads.delete_stored(token)
        raise
    return run


def column_layout_save(
    *, source: Source, header: list[str], mapping: dict[str, str], by: policy.Principal
) -> ColumnLayout:
    """Create or replace the source's layout for this header (file column → canonical column)."""
    key = uploads.header_key(header)
    with transaction.atomic():
        layout = ColumnLayout.objects.select_for_update().filter(source=source, header_key=key).first()
        before = {"header": layout.header, "mapping": layout.mapping} if layout else None
        if layout is None:
            layout = ColumnLayout(source=source, header_key=key)
        layout.header, layout.mapping = header, mapping
        layout.saved_by = _person(by)
        layout.saved_at = timezone.now()
        layout.save()
        audit_record(
            by=by,
            event_type="flow.column_layout_saved",
            obj=layout,
            organisation=imports.region_of(source),
            before=before,
            after={"source": source.name, "header": header, "mapping": mapping},
        )
    return layout


def import_mapping_choose(*, run: ImportRun, header: list[str], mapping: dict[str, str], by: policy.Principal) -> bool:
    """The mapping step's answer: the layout saved for the source and the import queued. Claimed
    once: False (and nothing changed) when the run is no longer waiting for its mapping (a double
    click, or another tab)."""
    with transaction.atomic():
        if not ImportRun.objects.filter(pk=run.pk, status=ImportStatus.MAPPING).update(status=ImportStatus.QUEUED):
            return False
        run.status = ImportStatus.QUEUED
        run.layout = column_layout_save(source=run.source, header=header, mapping=mapping, by=by)
        run.save(update_fields=["layout"])
        audit_record(
            by=by,
            event_type="flow.import_mapped",
            obj=run,
            organisation=imports.region_of(run.source),
            after={"status": run.status, "layout": run.layout.pk},
        )
    return True


def _forget_file(run: ImportRun) -> None:
    """Delete the run's stored file (if any) and forget its name."""
    if run.stored_file:
        uploads.delete_stored(run.stored_file)
        run.stored_file = ""
        if run.pk:
            ImportRun.objects.filter(pk=run.pk).update(stored_file="")


def import_cancel(*, run: ImportRun, by: policy.Principal, reason: str = "cancelled") -> None:
    """Cancel an import that has not started (its stored file is deleted): by the person
    ("cancelled"), or because its file is no longer kept ("file gone")."""
    with transaction.atomic():
        before = run.status
        run.status = ImportStatus.CANCELLED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        _forget_file(run)
        audit_record(
            by=by,
            event_type="flow.import_cancelled",
            obj=run,
            organisation=imports.region_of(run.source),
            before={"status": before},
            after={"status": run.status, "reason": reason},
        )


def episodes_import(
    *,
    source: Source,
    rows: Iterable[tuple[int, Row]],
    by: policy.Principal,
    filename: str = "",
    file_format: str = "csv",
    dry_run: bool = False,
    layout: ColumnLayout | None = None,
) -> imports.ImportResult:
    """Import rows now, all or nothing (the upload page's small files, the API, the command); the
    run is recorded and audited by import_rows (done or rejected; a check leaves no run)."""
    run = imports.new_run(source=source, by=by, filename=filename, file_format=file_format)
    run.layout = layout
    return imports.import_rows(source=source, rows=rows, by=by, dry_run=dry_run, run=run)


def import_stored(*, run: ImportRun, by: policy.Principal) -> ImportRun:
    """Import the run's stored file (after the mapping step, or in the background), recording its
    start (audited) and progress on the run; the file is deleted however it ends, and an import
    stopped by an unexpected error is recorded as rejected (audited)."""
    region = imports.region_of(run.source)
    try:
        path = uploads.stored_path(run)
        if path is None:
            with transaction.atomic():
                run.status = ImportStatus.REJECTED
                run.errors = [
                    imports.error(None, None, _("The uploaded file is no longer there; upload it again.")).as_json()
                ]
                run.finished_at = timezone.now()
                run.save()
                audit_record(
                    by=by, event_type="flow.import_rejected", obj=run, organisation=region, after={"errors": 1}
                )
            return run
        rows_estimate = uploads.estimate_rows(path, run.file_format, run.read_options)
        with transaction.atomic():
            run.rows_estimate = rows_estimate
            run.status = ImportStatus.RUNNING
            run.rows = 0
            run.save(update_fields=["rows_estimate", "status", "rows"])
            audit_record(
                by=by,
                event_type="flow.import_started",
                obj=run,
                organisation=region,
                after={"file": run.filename, "rows_estimate": rows_estimate, "dry_run": run.dry_run},
            )

        def progress(rows: int) -> None:
            ImportRun.objects.filter(pk=run.pk).update(rows=rows)

        layout = run.layout.mapping if run.layout is not None else None
        with path.open("rb") as handle:  # streamed: a large file is never read whole into memory
            rows = uploads.read_rows(handle, run.file_format, run.read_options, layout=layout, source=run.source)
            imports.import_rows(source=run.source, rows=rows, by=by, dry_run=run.dry_run, progress=progress, run=run)
        if run.dry_run:
            with transaction.atomic():
                run.save()  # a check changes nothing else, but its run shows what it found
                audit_record(
                    by=by,
                    event_type="flow.import_checked",
                    obj=run,
                    organisation=region,
                    after={"rows": run.rows, "errors": len(run.errors)},
                )
        return run
    except BaseException:
        with transaction.atomic():
            stopped = ImportRun.objects.filter(pk=run.pk, status__in=OPEN_IMPORT_STATUSES).update(
                status=ImportStatus.REJECTED,
                errors=[
                    imports.error(
                        None, None, _("The import stopped on an unexpected error; nothing was imported.")
                    ).as_json()
                ],
                finished_at=timezone.now(),
            )
            if stopped:
                audit_record(
                    by=by, event_type="flow.import_failed", obj=run, organisation=region, after={"status": "rejected"}
                )
        raise
    finally:
        _forget_file(run)


def stale_uploads_cancel(*, by: policy.Principal, now: datetime.datetime | None = None) -> int:
    """Delete stored uploads older than IMPORT_UPLOAD_MAX_AGE_HOURS; their unfinished imports are
    cancelled (audited). Returns the number of files deleted."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(hours=settings.IMPORT_UPLOAD_MAX_AGE_HOURS)
    deleted = 0
    for token in uploads.stale_files(limit):
        uploads.delete_stored(token)
        deleted += 1
        for run in ImportRun.objects.select_related("source").filter(stored_file=token):
            if run.status in OPEN_IMPORT_STATUSES:
                import_cancel(run=run, by=by, reason="upload expired")
            else:
                _forget_file(run)
    return deleted
