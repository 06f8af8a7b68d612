"""The analysts' import page: upload, preview, confirm, and the result, which stays to come back to."""

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import exporting, import_jobs, importing
from .import_forms import ImportUploadForm
from .models import ImportJob

# Importing creates pledges and changes them.
IMPORT_PERMISSIONS = ("tracker.add_commitment", "tracker.change_commitment")
RECENT_JOBS = 10


def _limits() -> dict:
    return {
        "max_mb": settings.IMPORT_MAX_MB,
        "max_rows": settings.IMPORT_MAX_ROWS,
        "background_rows": settings.IMPORT_BACKGROUND_ROWS,
        "columns": exporting.PLEDGE_COLUMNS,
    }


@login_required
@permission_required(IMPORT_PERMISSIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_page(request):
    status = 200
    # Bound on any POST, even an empty one: a missing file is an error to show, not a blank form.
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_jobs.job_create(
                    user=request.user,
                    file_name=upload.name,
                    data=upload.read(),
                    create_missing=form.cleaned_data["create_missing"],
                )
            except importing.ImportFileError as error:
                form.add_error("file", str(error))
            else:
                return redirect(job)
        status = 400
    jobs = ImportJob.objects.filter(created_by=request.user).defer("data", "report")[:RECENT_JOBS]
    return render(
        request,
        "tracker/import.html",
        {"form": form, "jobs": jobs, "current": "import", **_limits()},
        status=status,
    )


def _own_job(request, pk):
    # Another analyst's file is not found, rather than forbidden: its name is theirs.
    return get_object_or_404(ImportJob.objects.defer("data"), pk=pk, created_by=request.user)


@login_required
@permission_required(IMPORT_PERMISSIONS, raise_exception=True)
@require_GET
def import_detail(request, pk):
    job = _own_job(request, pk)
    report = job.report or {}
    done_total = import_jobs.progress(job) if job.is_running else None
    return render(
        request,
        "tracker/import_detail.html",
        {
            "job": job,
            "report": report,
            "counts": report.get("counts", {}),
            "progress": done_total,
            "percent": round(100 * done_total[0] / done_total[1]) if done_total and done_total[1] else None,
            "can_confirm": job.state == ImportJob.State.CHECKED and not report.get("counts", {}).get(importing.ERROR),
            "current": "import",
            **_limits(),
        },
    )


@login_required
@permission_required(IMPORT_PERMISSIONS, raise_exception=True)
@require_POST
def import_confirm(request, pk):
    job = _own_job(request, pk)
    import_jobs.job_confirm(job)
    return redirect(job)


@login_required
@permission_required(IMPORT_PERMISSIONS, raise_exception=True)
@require_GET
def import_template(request):
    response = HttpResponse(exporting.template_xlsx(), content_type=exporting.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="pledges-template.xlsx"'
    return response
