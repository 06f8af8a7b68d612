"""An uploaded file's way through the import: checked, confirmed, imported; by a worker when it is large.

A job keeps its file and its report, so that the page can be left and come
back to. While a worker runs it, the rows done so far are in the cache
(shared through Redis in production), since the import's own transaction
is not visible until it ends.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from kombu.exceptions import OperationalError

from tracker import importing, languages, tasks
from tracker.models import ImportJob

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 50
PROGRESS_SECONDS = 24 * 3600
# Kept in the report as text: translated when written (gettext_noop only marks it for the catalogue).
NOT_QUEUED = gettext_noop("The import could not be queued: the task broker is unreachable. Try again in a minute.")
FAILED = gettext_noop("The import failed; nothing was saved. See the log.")


def job_create(*, user, file_name: str, data: bytes, create_missing: bool) -> ImportJob:
    """A job for the file, checked at once when small, else queued; ImportFileError when unreadable."""
    dataset, _warnings = importing.read_file(file_name, data)
    importing.check_columns(dataset)
    job = ImportJob.objects.create(
        created_by=user,
        file_name=file_name[:255],
        file_format=importing.file_format(file_name, data),
        data=data,
        create_missing=create_missing,
        rows=len(dataset),
        state=ImportJob.State.CHECKING,
    )
    _start(job, "check")
    job.refresh_from_db()
    return job


def job_confirm(job: ImportJob) -> ImportJob:
    """Import a checked job's rows: all, or none when any has an error now."""
    current = ImportJob.objects.defer("data").get(pk=job.pk)
    if current.state != ImportJob.State.CHECKED or current.report.get("counts", {}).get(importing.ERROR):
        return current
    # A compare-and-set, on SQLite too: of two confirmations at once (a double click), one imports.
    if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.CHECKED).update(state=ImportJob.State.IMPORTING):
        current.refresh_from_db()
        return current
    current.state = ImportJob.State.IMPORTING
    _start(current, "apply")
    current.refresh_from_db()
    return current


def in_background(job: ImportJob) -> bool:
    return job.rows > settings.IMPORT_BACKGROUND_ROWS


def _start(job: ImportJob, step: str) -> None:
    if not in_background(job):
        job_run(job.pk, step)
        return
    cache.set(_progress_key(job.pk), (0, job.rows), PROGRESS_SECONDS)
    try:
        tasks.import_job_run.delay(job.pk, step)
    except OperationalError:
        logger.exception("Broker unreachable: import %s was not queued", job.pk)
        if step == "apply":
            # The preview still holds: back to it, with the reason, to be confirmed again.
            ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.IMPORTING).update(
                state=ImportJob.State.CHECKED, report={**job.report, "file_errors": [_(NOT_QUEUED)]}
            )
            cache.delete(_progress_key(job.pk))
        else:
            _finish(job.pk, ImportJob.State.FAILED, {"file_errors": [_(NOT_QUEUED)]})


def job_run(job_id: int, step: str) -> None:
    """Check ("check") or import ("apply") a job's file and keep the report; run by a worker or in the request.

    The report is written in the language of the analyst who uploaded the
    file, whoever runs it: it is kept as text, and a worker has no request.
    """
    expected = ImportJob.State.CHECKING if step == "check" else ImportJob.State.IMPORTING
    with translation.override(_uploader_language(job_id)):
        _run(job_id, step, expected)


def _uploader_language(job_id: int) -> str:
    code = (
        ImportJob.objects.filter(pk=job_id)
        .values_list("created_by__notification_preference__language", flat=True)
        .first()
    )
    return languages.supported(code) or languages.default()


def _run(job_id: int, step: str, expected: str) -> None:
    try:
        with transaction.atomic():
            # Claimed for the whole run: a second delivery of the message while this one runs finds the row
            # locked and leaves it (PostgreSQL). The report is written with the rows: "done" only with them.
            job = (
                ImportJob.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("created_by")
                .filter(pk=job_id, state=expected)
                .first()
            )
            if job is None:
                return  # run already, or running, by another worker that got the same message
            dataset, warnings = importing.read_file(job.file_name, bytes(job.data))
            report = importing.run(
                dataset,
                user=job.created_by,
                file_name=job.file_name,
                create_missing=job.create_missing,
                dry_run=step == "check",
                warnings=warnings,
                on_row=_progress_writer(job.pk),
            )
            if step == "check":
                state = ImportJob.State.CHECKED if not report["file_errors"] else ImportJob.State.FAILED
            else:
                state = ImportJob.State.DONE if report["saved"] else ImportJob.State.FAILED
            _finish(job.pk, state, report)
    except importing.ImportFileError as error:
        _finish(job_id, ImportJob.State.FAILED, {"file_errors": [str(error)]})
    except Exception:
        logger.exception("Import %s failed", job_id)
        _finish(job_id, ImportJob.State.FAILED, {"file_errors": [_(FAILED)]})
        raise


def _finish(job_id: int, state: str, report: dict) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        state=state, report=report, finished_at=timezone.now() if state != ImportJob.State.CHECKED else None
    )
    cache.delete(_progress_key(job_id))


def _progress_key(job_id: int) -> str:
    return f"import-progress:{job_id}"


def _progress_writer(job_id: int):
    def write(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            cache.set(_progress_key(job_id), (done, total), PROGRESS_SECONDS)

    return write


def progress(job: ImportJob) -> tuple[int, int] | None:
    """Rows done and rows in all while a worker runs the job; None when unknown (another process's memory)."""
    found = cache.get(_progress_key(job.pk))
    return tuple(found) if found else None
