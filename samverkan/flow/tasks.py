"""Background work for patient flow, run by the task worker (`manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from samverkan.flow import services
from samverkan.flow.models import ImportRun, ImportStatus
from samverkan.organisations import policy


@task()
def import_upload(run_id: int) -> str:
    """Import a queued upload (a file above IMPORT_BACKGROUND_BYTES); its run records the rows
    read so far, then the counts or every error. The stored file is deleted either way, as are
    uploads left behind for longer than IMPORT_UPLOAD_MAX_AGE_HOURS. Returns the run's status."""
    run = ImportRun.objects.select_related("source", "imported_by", "layout").get(pk=run_id)
    if run.status != ImportStatus.QUEUED:  # already run (a retried task) or cancelled
        return run.status
    services.import_stored(run=run, by=run.imported_by or policy.SYSTEM)
    services.stale_uploads_cancel(by=policy.SYSTEM)
    return run.status
