"""The import's pages, its background path, the import_pledges command and the admin's imports.

tracker.importing's own rules (the row classification, all or none, the
round trip) are tested in tests/test_import.py; here, what an analyst sees
and can do through the pages, a worker and the command line.
"""

import csv
import io
import os
import re
import threading
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils.html import escape
from kombu.exceptions import OperationalError
from openpyxl import load_workbook

from tests.factories import ActorFactory, CommitmentFactory, TopicFactory, UserFactory
from tests.processes import Cluster, free_port, wait_until
from tests.test_import import csv_bytes, xlsx_bytes
from tracker import exporting, import_jobs, importing, tasks
from tracker.import_views import RECENT_JOBS
from tracker.models import Actor, Commitment, ImportJob, ProgressUpdate, Status

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("tracker:import")
TEMPLATE_URL = reverse("tracker:import-template")


def pledge_rows(count, *, maker="Kenya"):
    return [[f"Pledge {n}", maker, "2025-08-21", f"Quote {n}", "Promise", "", ""] for n in range(count)]


def upload(client, data, *, name="pledges.csv", create_missing=False):
    payload = {"file": SimpleUploadedFile(name, data)}
    if create_missing:
        payload["create_missing"] = "on"
    return client.post(IMPORT_URL, payload)


def uploaded_job(client, data, **kwargs):
    response = upload(client, data, **kwargs)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == job.get_absolute_url()
    return job


def confirm(client, job):
    return client.post(reverse("tracker:import-confirm", args=[job.pk]))


def errors_of(response):
    return response.context["form"].errors


@pytest.fixture
def kenya():
    return ActorFactory(name="Government of Kenya", aliases="Kenya\nNairobi", country="KE")


# Upload, preview, confirm


def test_an_upload_is_checked_and_shown_as_a_preview_that_saves_nothing(analyst_client, analyst, kenya):
    TopicFactory(name="Trade", slug="trade")
    data = csv_bytes(
        [
            ["Review avocado tariffs", "Kenya", "2025-08-21", "We will review it.", "Review", "Trade", ""],
            ["Samurai Bond", "Kenya", "2025-08-21", "A bond.", "Statement of intent", "", "2026-03-31"],
        ]
    )

    job = uploaded_job(analyst_client, data)

    assert (job.state, job.rows, job.created_by, job.file_format) == (ImportJob.State.CHECKED, 2, analyst, "csv")
    assert not Commitment.objects.exists(), "a preview saves nothing"
    page = analyst_client.get(job.get_absolute_url())
    body = page.content.decode()
    assert page.status_code == 200
    assert "What the import would do" in body
    assert "<dt>New</dt><dd>2</dd>" in body
    assert "<dt>Errors</dt><dd>0</dd>" in body
    assert "Review avocado tariffs" in body and "Samurai Bond" in body
    assert "Import 2 pledges</button>" in body
    assert "/commitments/" not in body, "a new row's id in a preview was rolled back: no link to it"
    assert not Commitment.objects.exists(), "showing the preview saves nothing either"


def test_confirming_imports_the_rows_and_the_result_stays_on_the_page(analyst_client, analyst, kenya):
    data = csv_bytes([["Review avocado tariffs", "Kenya", "2025-08-21", "We will review it.", "Review", "", ""]])
    job = uploaded_job(analyst_client, data)

    response = confirm(analyst_client, job)

    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    pledge = Commitment.objects.get()
    assert (pledge.title, pledge.made_by, pledge.kind) == ("Review avocado tariffs", kenya, Commitment.Kind.REVIEW)
    assert pledge.history.get().history_user == analyst
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.finished_at is not None
    assert job.report["counts"]["new"] == 1
    assert job.report["rows"][0]["id"] == pledge.pk
    body = analyst_client.get(job.get_absolute_url()).content.decode()
    assert '<h2 id="summary-title">Imported</h2>' in body
    assert f'href="{pledge.get_absolute_url()}"' in body
    assert "</button>" not in body.split("summary-title", 1)[1].split("</section>", 1)[0], "no second confirm"

    confirm(analyst_client, job)
    assert Commitment.objects.count() == 1, "confirming twice imports once"


def test_the_preview_shows_each_bad_cell_with_its_row_and_column_and_cannot_be_confirmed(analyst_client, kenya):
    rows = pledge_rows(30)
    rows[10][6] = "31/02/2026"
    job = uploaded_job(analyst_client, csv_bytes(rows))

    body = analyst_client.get(job.get_absolute_url()).content.decode()

    assert "row 12, due_on: 31/02/2026 is not a date (write it as 2026-03-31)" in body
    assert "<dt>New</dt><dd>29</dd>" in body
    assert "<dt>Errors</dt><dd>1</dd>" in body
    assert "Nothing can be imported while a row has an error" in body
    assert "tracker:import-confirm" not in body and "/confirm/" not in body

    response = confirm(analyst_client, job)

    assert response.status_code == 302
    assert not Commitment.objects.exists()
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED


def test_a_changed_row_shows_its_values_before_and_after_and_confirming_records_the_change(
    analyst_client, analyst, kenya
):
    pledge = CommitmentFactory(made_by=kenya, title="Review tariffs")
    unchanged = CommitmentFactory(made_by=kenya, title="Samurai Bond")
    header = ["id", "title", "status", "progress"]
    data = csv_bytes(
        [[pledge.pk, "Review avocado tariffs", "In progress", "40"], [unchanged.pk, "Samurai Bond", "", ""]], header
    )

    job = uploaded_job(analyst_client, data)

    body = analyst_client.get(job.get_absolute_url()).content.decode()
    assert "<dt>Changed</dt><dd>1</dd>" in body
    assert "<dt>Unchanged</dt><dd>1</dd>" in body
    assert "<code>title</code>: <del>Review tariffs</del> → <ins>Review avocado tariffs</ins>" in body
    assert "<code>status</code>: <del>Announced</del> → <ins>In progress</ins>" in body
    assert "<code>progress</code>: <del>0</del> → <ins>40</ins>" in body
    assert f'<a href="{pledge.get_absolute_url()}">Review avocado tariffs</a>' in body
    pledge.refresh_from_db()
    assert (pledge.title, pledge.status) == ("Review tariffs", Status.ANNOUNCED)

    confirm(analyst_client, job)

    pledge.refresh_from_db()
    assert (pledge.title, pledge.status, pledge.progress) == ("Review avocado tariffs", Status.IN_PROGRESS, 40)
    update = ProgressUpdate.objects.get()
    assert (update.commitment, update.author, update.note) == (pledge, analyst, "Imported from pledges.csv.")


def test_an_xlsx_upload_with_create_missing_creates_the_maker_on_confirm(analyst_client):
    data = xlsx_bytes([["Toyota EV talks", "Toyota", "2025-08-21", "Talks.", "Promise", "", ""]])

    job = uploaded_job(analyst_client, data, name="pledges.xlsx", create_missing=True)

    assert (job.file_format, job.create_missing) == ("xlsx", True)
    body = analyst_client.get(job.get_absolute_url()).content.decode()
    assert "missing actors, events and topics are created" in body
    assert "To be created:" in body and "actors Toyota" in body
    assert not Actor.objects.exists(), "the preview creates no actor"

    confirm(analyst_client, job)

    assert Commitment.objects.get().made_by.name == "Toyota"


def test_the_preview_suggests_only_pledges_that_exist(analyst_client, kenya):
    earlier = CommitmentFactory(made_by=kenya, title="Review of the restrictions on Kenyan tea", made_on="2024-01-10")
    rows = [
        ["Review of the restrictions on Kenyan avocados", "Kenya", "2025-08-21", "We will review them.", "", "", ""],
        ["Review of the restrictions on Kenyan avocados and tea", "Kenya", "2025-08-22", "Again.", "", "", ""],
    ]
    job = uploaded_job(analyst_client, csv_bytes(rows))

    suggested = {pk for row in job.report["rows"] for pk, _, _ in row["similar"]}

    assert earlier.pk in suggested
    assert suggested <= set(Commitment.objects.values_list("pk", flat=True))


def test_a_row_that_fails_at_confirm_time_leaves_every_row_unsaved(analyst_client, kenya):
    pledge = CommitmentFactory(made_by=kenya, title="Review tariffs")
    header = ["id", "title", "made_by", "made_on"]
    data = csv_bytes(
        [["", "Samurai Bond", "Kenya", "2025-08-21"], [pledge.pk, "Review avocado tariffs", "Kenya", "2025-08-20"]],
        header,
    )
    job = uploaded_job(analyst_client, data)
    assert job.report["counts"] == {"new": 1, "changed": 1, "unchanged": 0, "duplicate": 0, "error": 0}
    pledge_id = pledge.pk
    pledge.delete()  # by someone else, between the preview and the confirmation

    confirm(analyst_client, job)

    assert not Commitment.objects.exists()
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    body = analyst_client.get(job.get_absolute_url()).content.decode()
    assert "Not imported" in body
    assert f"row 3, id: no pledge has the id {pledge_id}" in body


# Files that cannot be read: a form error, status 400, no job


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "neither CSV nor Excel"),
        ("pledges.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel file (.xls)"),
        ("pledges.xlsx", b"title,made_by\nA,B\n", "named .xlsx but is not an Excel workbook"),
        ("pledges.csv", b"title,made_by,made_on\n\x81\x8d\x90,Kenya,2025-08-21\n", "neither UTF-8 nor Windows-1252"),
        ("pledges.csv", b"", "The submitted file is empty."),
        ("pledges.csv", b"\n\n", "The file is empty."),
        ("pledges.csv", b"colour,size\nred,big\n", "None of the columns is one the import reads"),
        ("pledges.csv", b"title,made_by\nA,Kenya\n", "which needs the columns made_on"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_form_error(analyst_client, name, data, message):
    response = upload(analyst_client, data, name=name)

    assert response.status_code == 400
    assert any(message in error for error in errors_of(response)["file"]), errors_of(response)
    assert escape(message) in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_post_without_a_file_is_a_form_error(analyst_client):
    response = analyst_client.post(IMPORT_URL, {})

    assert response.status_code == 400
    assert errors_of(response)["file"] == ["This field is required."]
    assert "This field is required." in response.content.decode()


def test_a_file_over_the_size_limit_is_refused(analyst_client, settings):
    settings.IMPORT_MAX_MB = 1
    data = csv_bytes([["x" * 1000, "Kenya", "2025-08-21", "", "", "", ""]] * 1100)
    assert len(data) > 1024 * 1024

    response = upload(analyst_client, data)

    assert response.status_code == 400
    assert "the limit is 1 MB" in errors_of(response)["file"][0]
    assert "the limit is 1 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_row_limit_is_refused(analyst_client, settings, kenya):
    settings.IMPORT_MAX_ROWS = 3

    response = upload(analyst_client, csv_bytes(pledge_rows(4)))

    assert response.status_code == 400
    assert errors_of(response)["file"] == ["The file has 4 rows; the limit is 3. Split it into smaller files."]
    assert not ImportJob.objects.exists()
    assert upload(analyst_client, csv_bytes(pledge_rows(3))).status_code == 302


def test_the_page_states_the_limits_and_links_the_template(analyst_client, settings):
    settings.IMPORT_MAX_MB = 3
    settings.IMPORT_MAX_ROWS = 700
    settings.IMPORT_BACKGROUND_ROWS = 50

    response = analyst_client.get(IMPORT_URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert "at most 3 MB and 700 rows" in body
    assert "Files of more than 50 rows are checked and imported in the background" in body
    assert f'href="{TEMPLATE_URL}"' in body
    assert "<code>made_by</code>" in body and "<code>renews</code>" in body
    assert 'enctype="multipart/form-data"' in body


def test_the_import_page_lists_only_the_users_own_recent_jobs(
    analyst_client, analyst, kenya, django_assert_num_queries
):
    other = UserFactory(username="other-analyst")
    ImportJob.objects.create(created_by=other, file_name="theirs.csv", file_format="csv", data=b"", rows=1)
    for number in range(2):
        ImportJob.objects.create(created_by=analyst, file_name=f"mine-{number}.csv", file_format="csv", data=b"")

    with django_assert_num_queries(4):  # session, user, permissions, jobs
        body = analyst_client.get(IMPORT_URL).content.decode()
    assert "mine-0.csv" in body and "mine-1.csv" in body
    assert "theirs.csv" not in body

    for number in range(2, 20):
        ImportJob.objects.create(created_by=analyst, file_name=f"mine-{number}.csv", file_format="csv", data=b"")
    with django_assert_num_queries(4):
        body = analyst_client.get(IMPORT_URL).content.decode()
    assert len(re.findall(r'href="/import/\d+/"', body)) == RECENT_JOBS


def test_the_detail_page_takes_as_many_queries_for_many_rows_as_for_few(
    analyst_client, kenya, django_assert_num_queries
):
    few = uploaded_job(analyst_client, csv_bytes(pledge_rows(2)))
    many = uploaded_job(
        analyst_client, csv_bytes([[*row[:3], f"Other {n}", *row[4:]] for n, row in enumerate(pledge_rows(40))])
    )
    assert many.report["counts"]["new"] == 40

    with django_assert_num_queries(4):  # session, user, permissions, job
        analyst_client.get(few.get_absolute_url())
    with django_assert_num_queries(4):
        body = analyst_client.get(many.get_absolute_url()).content.decode()
    assert body.count('class="import-new"') == 40


# Escaping: the file's content is the uploader's, shown to them and kept


def test_what_the_file_says_is_escaped_on_the_pages(analyst_client, kenya):
    script = "<script>alert('title')</script>"
    rows = [[script, "Kenya", "2025-08-21", "A quote.", "", "", "<img src=x onerror=alert(1)>"]]
    job = uploaded_job(analyst_client, csv_bytes(rows), name="<b>bold<b>.csv")

    body = analyst_client.get(job.get_absolute_url()).content.decode()
    listing = analyst_client.get(IMPORT_URL).content.decode()

    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in body
    assert "<img src=x" not in body
    assert "row 2, due_on: &lt;img src=x onerror=alert(1)&gt; is not a date" in body
    assert "<b>bold" not in body and "<b>bold" not in listing
    assert "&lt;b&gt;bold&lt;b&gt;.csv" in body and "&lt;b&gt;bold&lt;b&gt;.csv" in listing


# The template and the export


def test_the_template_is_a_workbook_with_the_columns_an_example_and_the_allowed_values(analyst_client):
    response = analyst_client.get(TEMPLATE_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == exporting.XLSX_CONTENT_TYPE
    assert 'filename="pledges-template.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    pledges = [list(row) for row in workbook["Pledges"].iter_rows(values_only=True)]
    assert tuple(pledges[0]) == exporting.PLEDGE_COLUMNS
    example = dict(zip(pledges[0], pledges[1], strict=True))
    assert "Samurai Bond" in example["title"]
    assert example["made_by"] == "Government of Japan"
    allowed = list(workbook["Allowed values"].iter_rows(values_only=True))
    assert allowed[0] == ("kind", "status")
    kinds = {row[0] for row in allowed[1:]} - {None, ""}
    statuses = {row[1] for row in allowed[1:]} - {None, ""}
    assert kinds == {label for _, label in Commitment.Kind.choices}
    assert statuses == {label for _, label in Status.choices}


def test_the_template_as_downloaded_imports_its_example(analyst_client):
    template = analyst_client.get(TEMPLATE_URL).content

    job = uploaded_job(analyst_client, template, name="pledges-template.xlsx", create_missing=True)

    assert job.report["counts"] == {"new": 1, "changed": 0, "unchanged": 0, "duplicate": 0, "error": 0}, job.report
    confirm(analyst_client, job)
    pledge = Commitment.objects.get()
    assert pledge.title == exporting.TEMPLATE_EXAMPLE["title"]
    assert pledge.kind == Commitment.Kind.INTENT
    assert [actor.name for actor in pledge.counterparts.all()] == ["Government of Kenya"]


def spreadsheet_rows(client, query=""):
    csv_response = client.get(reverse("tracker:commitments-csv") + query)
    xlsx_response = client.get(reverse("tracker:commitments-xlsx") + query)
    assert (csv_response.status_code, xlsx_response.status_code) == (200, 200)
    assert xlsx_response["Content-Type"] == exporting.XLSX_CONTENT_TYPE
    csv_rows = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    sheet = load_workbook(io.BytesIO(xlsx_response.content), read_only=True).active
    xlsx_rows = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    return csv_rows, xlsx_rows


def test_the_xlsx_export_has_the_csv_columns_and_rows_for_the_same_filter(analyst_client, kenya):
    CommitmentFactory(made_by=kenya, title="Samurai Bond", status=Status.IN_PROGRESS, progress=30)
    CommitmentFactory(made_by=kenya, title='=HYPERLINK("x")', status=Status.IN_PROGRESS)
    CommitmentFactory(made_by=kenya, title="Toyota EV talks")

    csv_rows, xlsx_rows = spreadsheet_rows(analyst_client)
    assert xlsx_rows[0] == csv_rows[0] == list(exporting.EXPORT_COLUMNS)
    assert sorted(xlsx_rows[1:]) == sorted(csv_rows[1:])
    assert len(xlsx_rows) == 4

    csv_rows, xlsx_rows = spreadsheet_rows(analyst_client, "?status=in_progress")
    assert sorted(xlsx_rows[1:]) == sorted(csv_rows[1:])
    titles = {row[1] for row in xlsx_rows[1:]}
    assert titles == {"Samurai Bond", '\'=HYPERLINK("x")'}, "filtered, and a formula kept as text"


def test_the_xlsx_export_refuses_an_unreadable_filter(analyst_client):
    response = analyst_client.get(reverse("tracker:commitments-xlsx") + "?due_after=soon")

    assert response.status_code == 400


# Who may import


def import_urls(job):
    return [
        ("get", IMPORT_URL),
        ("post", IMPORT_URL),
        ("get", TEMPLATE_URL),
        ("get", reverse("tracker:import-detail", args=[job.pk])),
        ("post", reverse("tracker:import-confirm", args=[job.pk])),
    ]


@pytest.fixture
def checked_job(analyst, kenya):
    job = import_jobs.job_create(
        user=analyst, file_name="pledges.csv", data=csv_bytes(pledge_rows(1)), create_missing=False
    )
    assert job.state == ImportJob.State.CHECKED, "a small file is checked in the request"
    return job


def test_anonymous_visitors_are_sent_to_log_in(client, checked_job):
    for method, url in import_urls(checked_job):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
    assert not Commitment.objects.exists()


def test_viewers_are_refused_every_import_url(viewer_client, checked_job):
    for method, url in import_urls(checked_job):
        response = getattr(viewer_client, method)(url, {"file": SimpleUploadedFile("p.csv", b"title\nA\n")})
        assert response.status_code == 403, url
    assert not Commitment.objects.exists()
    assert ImportJob.objects.count() == 1


def test_another_analysts_job_is_not_found(client, roles, checked_job):
    from tracker import services

    other = UserFactory(username="other-analyst", groups=[roles[services.ANALYSTS_GROUP]])
    client.force_login(other)

    assert client.get(checked_job.get_absolute_url()).status_code == 404
    assert confirm(client, checked_job).status_code == 404
    assert "pledges.csv" not in client.get(IMPORT_URL).content.decode()
    checked_job.refresh_from_db()
    assert checked_job.state == ImportJob.State.CHECKED
    assert not Commitment.objects.exists()


def test_the_confirm_url_takes_only_post(analyst_client, checked_job):
    assert analyst_client.get(reverse("tracker:import-confirm", args=[checked_job.pk])).status_code == 405
    assert not Commitment.objects.exists()


def test_the_navigation_shows_import_to_analysts_only(client, analyst, viewer):
    link = f'<a href="{IMPORT_URL}"'
    client.force_login(analyst)
    assert link in client.get(reverse("tracker:board")).content.decode()
    client.force_login(viewer)
    board = client.get(reverse("tracker:board"))
    assert board.status_code == 200
    assert link not in board.content.decode()


# The background path: files of more than IMPORT_BACKGROUND_ROWS rows


@pytest.fixture
def background(settings):
    settings.IMPORT_BACKGROUND_ROWS = 2
    queued = []
    with mock.patch.object(tasks.import_job_run, "delay", side_effect=lambda *args: queued.append(args)):
        yield queued


def test_a_large_file_is_queued_shows_progress_then_its_preview(analyst_client, kenya, background):
    job = uploaded_job(analyst_client, csv_bytes(pledge_rows(5)))

    assert background == [(job.pk, "check")]
    assert (job.state, job.rows, job.report) == (ImportJob.State.CHECKING, 5, {})
    waiting = analyst_client.get(job.get_absolute_url()).content.decode()
    assert "Checking the rows" in waiting
    assert "0 of 5 rows (0%)" in waiting
    assert '<meta http-equiv="refresh" content="3">' in waiting

    cache.set(import_jobs._progress_key(job.pk), (2, 5))
    running = analyst_client.get(job.get_absolute_url()).content.decode()
    assert '<progress max="5" value="2"' in running
    assert "2 of 5 rows (40%)" in running

    import_jobs.job_run(*background.pop())

    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    assert cache.get(import_jobs._progress_key(job.pk)) is None
    preview = analyst_client.get(job.get_absolute_url()).content.decode()
    assert "<dt>New</dt><dd>5</dd>" in preview
    assert "http-equiv" not in preview
    assert "Import 5 pledges</button>" in preview
    assert not Commitment.objects.exists()


def test_the_progress_is_unknown_when_no_worker_has_reported(analyst_client, kenya, background):
    job = uploaded_job(analyst_client, csv_bytes(pledge_rows(5)))
    cache.clear()

    body = analyst_client.get(job.get_absolute_url()).content.decode()

    assert "Waiting for a worker" in body


def test_confirming_a_large_file_queues_the_import_and_its_result_stays_visible(
    analyst_client, analyst, kenya, background
):
    job = uploaded_job(analyst_client, csv_bytes(pledge_rows(5)))
    import_jobs.job_run(*background.pop())

    confirm(analyst_client, job)

    assert background == [(job.pk, "apply")]
    job.refresh_from_db()
    assert job.state == ImportJob.State.IMPORTING
    assert not Commitment.objects.exists()
    importing_page = analyst_client.get(job.get_absolute_url()).content.decode()
    assert "Importing the rows" in importing_page
    assert "0 of 5 rows" in importing_page
    confirm(analyst_client, job)
    assert len(background) == 1, "a job being imported is not queued again"

    import_jobs.job_run(*background.pop())

    assert Commitment.objects.count() == 5
    assert set(Commitment.history.values_list("history_user", flat=True)) == {analyst.pk}
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    for _ in range(2):  # and still there when the analyst comes back
        body = analyst_client.get(job.get_absolute_url()).content.decode()
        assert '<h2 id="summary-title">Imported</h2>' in body
        assert "<dt>New</dt><dd>5</dd>" in body
    assert "Imported" in analyst_client.get(IMPORT_URL).content.decode()


def test_a_message_delivered_twice_runs_the_job_once(analyst_client, kenya, background):
    job = uploaded_job(analyst_client, csv_bytes(pledge_rows(5)))
    import_jobs.job_run(job.pk, "check")
    confirm(analyst_client, job)

    import_jobs.job_run(job.pk, "apply")
    import_jobs.job_run(job.pk, "apply")
    import_jobs.job_run(job.pk, "check")

    assert Commitment.objects.count() == 5
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE


def test_the_task_runs_the_job(analyst, kenya, settings):
    settings.IMPORT_BACKGROUND_ROWS = 2
    with mock.patch.object(tasks.import_job_run, "delay"):
        job = import_jobs.job_create(
            user=analyst, file_name="pledges.csv", data=csv_bytes(pledge_rows(5)), create_missing=False
        )

    assert tasks.import_job_run.apply(args=(job.pk, "check")).successful()
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    with mock.patch.object(tasks.import_job_run, "delay"):
        import_jobs.job_confirm(job)
    assert tasks.import_job_run.apply(args=(job.pk, "apply")).successful()

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.report["counts"]["new"] == 5
    assert Commitment.objects.count() == 5


def test_an_unreachable_broker_fails_the_upload_with_the_reason(analyst_client, kenya, settings):
    settings.IMPORT_BACKGROUND_ROWS = 2
    with mock.patch.object(tasks.import_job_run, "delay", side_effect=OperationalError("Connection refused")):
        job = uploaded_job(analyst_client, csv_bytes(pledge_rows(5)))

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.report == {"file_errors": [import_jobs.NOT_QUEUED]}
    assert job.finished_at is not None
    body = analyst_client.get(job.get_absolute_url()).content.decode()
    assert import_jobs.NOT_QUEUED in body
    assert "http-equiv" not in body
    assert "Not imported" in body


def test_an_unreachable_broker_at_confirm_keeps_the_preview_to_confirm_again(analyst_client, kenya, background):
    job = uploaded_job(analyst_client, csv_bytes(pledge_rows(5)))
    import_jobs.job_run(*background.pop())

    with mock.patch.object(tasks.import_job_run, "delay", side_effect=OperationalError("Connection refused")):
        confirm(analyst_client, job)

    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    assert job.report["counts"]["new"] == 5
    body = analyst_client.get(job.get_absolute_url()).content.decode()
    assert import_jobs.NOT_QUEUED in body
    assert "Import 5 pledges</button>" in body

    confirm(analyst_client, job)
    import_jobs.job_run(*background.pop())

    assert Commitment.objects.count() == 5
    job.refresh_from_db()
    assert (job.state, job.report["file_errors"]) == (ImportJob.State.DONE, [])


def test_a_job_that_fails_in_the_worker_is_marked_failed(analyst, kenya, settings):
    settings.IMPORT_BACKGROUND_ROWS = 2
    with mock.patch.object(tasks.import_job_run, "delay"):
        job = import_jobs.job_create(
            user=analyst, file_name="pledges.csv", data=csv_bytes(pledge_rows(5)), create_missing=False
        )

    with mock.patch("tracker.importing.run", side_effect=RuntimeError("disk full")), pytest.raises(RuntimeError):
        import_jobs.job_run(job.pk, "check")

    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.report["file_errors"] == ["The import failed; nothing was saved. See the log."]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: SQLite has no SELECT ... FOR UPDATE")
def test_a_message_delivered_again_while_the_job_runs_is_left_to_the_first_worker(analyst, kenya, settings):
    settings.IMPORT_BACKGROUND_ROWS = 2
    with mock.patch.object(tasks.import_job_run, "delay"):
        job = import_jobs.job_create(
            user=analyst, file_name="pledges.csv", data=csv_bytes(pledge_rows(5)), create_missing=False
        )
    running, release = threading.Event(), threading.Event()
    real_run = importing.run
    calls = []

    def slow_run(*args, **kwargs):
        calls.append(threading.current_thread().name)
        running.set()
        assert release.wait(30)
        return real_run(*args, **kwargs)

    def first_worker():
        try:
            import_jobs.job_run(job.pk, "check")
        finally:
            connections.close_all()

    with mock.patch("tracker.importing.run", side_effect=slow_run):
        first = threading.Thread(target=first_worker, name="first")
        first.start()
        try:
            assert running.wait(30)
            import_jobs.job_run(job.pk, "check")  # the same message, delivered to a second worker
        finally:
            release.set()
            first.join(30)

    assert calls == ["first"]
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    assert job.report["counts"]["new"] == 5


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or connection.vendor != "postgresql",
    reason="needs REDIS_URL and DATABASE_URL pointing to PostgreSQL (the worker shares the test database)",
)
def test_a_celery_worker_checks_and_imports_a_large_file(tmp_path, analyst, kenya, settings):
    settings.IMPORT_BACKGROUND_ROWS = 2
    cluster = Cluster(tmp_path, free_port())
    try:
        cluster.start_worker(concurrency=1)
        job = import_jobs.job_create(
            user=analyst, file_name="pledges.csv", data=csv_bytes(pledge_rows(5)), create_missing=False
        )

        def state():
            job.refresh_from_db()
            return job.state

        wait_until(lambda: state() == ImportJob.State.CHECKED, timeout=60, what="the check", logs=cluster.logs)
        assert job.report["counts"]["new"] == 5
        assert not Commitment.objects.exists()

        import_jobs.job_confirm(job)

        wait_until(lambda: state() == ImportJob.State.DONE, timeout=60, what="the import", logs=cluster.logs)
    finally:
        cluster.stop()
    assert Commitment.objects.count() == 5
    assert job.report["saved"] is True


# The command


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_command_dry_run_saves_nothing_and_prints_the_counts(tmp_path, kenya, capsys):
    path = write(tmp_path, "pledges.csv", csv_bytes(pledge_rows(3)))

    call_command("import_pledges", path, "--dry-run")

    assert capsys.readouterr().out.strip() == (
        "Checked (nothing saved): 3 new, 0 changed, 0 unchanged, 0 duplicate, 0 error."
    )
    assert not Commitment.objects.exists()


def test_the_command_imports_as_the_user_named(tmp_path, analyst, capsys):
    path = write(tmp_path, "pledges.xlsx", xlsx_bytes(pledge_rows(2, maker="Toyota")))

    call_command("import_pledges", path, "--user", "analyst", "--create-missing")

    assert capsys.readouterr().out.strip() == "Imported: 2 new, 0 changed, 0 unchanged, 0 duplicate, 0 error."
    assert Commitment.objects.count() == 2
    assert Actor.objects.get().name == "Toyota"
    assert set(Commitment.history.values_list("history_user", flat=True)) == {analyst.pk}


def test_the_command_refuses_a_bad_row_naming_the_row_and_column(tmp_path, kenya, capsys):
    rows = pledge_rows(3)
    rows[1][2] = "yesterday"
    path = write(tmp_path, "pledges.csv", csv_bytes(rows))

    with pytest.raises(CommandError) as refused:
        call_command("import_pledges", path)

    assert "row 3, made_on: yesterday is not a date" in str(refused.value)
    assert "Nothing imported" in str(refused.value)
    assert not Commitment.objects.exists()


def test_the_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_pledges", str(tmp_path / "nowhere.csv"))


def test_the_command_refuses_an_unreadable_file(tmp_path):
    path = write(tmp_path, "pledges.csv", b"colour,size\nred,big\n")

    with pytest.raises(CommandError, match=r"pledges\.csv: None of the columns"):
        call_command("import_pledges", path)


def test_the_command_refuses_an_unknown_user(tmp_path, kenya):
    path = write(tmp_path, "pledges.csv", csv_bytes(pledge_rows(1)))

    with pytest.raises(CommandError, match="No user is named nobody"):
        call_command("import_pledges", path, "--user", "nobody")
    assert not Commitment.objects.exists()


# The admin: actors, events and topics through django-import-export


ACTORS_IMPORT_URL = "/admin/tracker/actor/import/"
ACTORS_PROCESS_URL = "/admin/tracker/actor/process_import/"


def test_an_analyst_imports_actors_in_the_admin_after_a_preview(analyst_client, kenya):
    page = analyst_client.get(ACTORS_IMPORT_URL)
    assert page.status_code == 200
    data = b"name,kind,country,role,aliases\nToyota,company,JP,,\nGovernment of Kenya,government,KE,Government,\n"

    preview = analyst_client.post(
        ACTORS_IMPORT_URL,
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("actors.csv", data)},
    )

    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert (result.totals["new"], result.totals["update"]) == (1, 1)
    assert not Actor.objects.filter(name="Toyota").exists(), "the preview saves nothing"
    confirm_form = preview.context["confirm_form"]

    done = analyst_client.post(ACTORS_PROCESS_URL, dict(confirm_form.initial))

    assert done.status_code == 302
    toyota = Actor.objects.get(name="Toyota")
    assert (toyota.kind, toyota.country) == (Actor.Kind.COMPANY, "JP")
    kenya.refresh_from_db()
    assert (kenya.kind, kenya.role) == (Actor.Kind.GOVERNMENT, "Government")


def test_an_actor_file_with_a_bad_row_is_not_offered_for_import(analyst_client):
    data = b"name,kind,country,role,aliases\nToyota,spaceship,JP,,\n"

    preview = analyst_client.post(
        ACTORS_IMPORT_URL,
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("actors.csv", data)},
    )

    assert preview.context["result"].has_validation_errors()
    assert "confirm_form" not in preview.context
    assert not Actor.objects.exists()


def test_a_viewer_cannot_import_in_the_admin(viewer_client):
    assert viewer_client.get(ACTORS_IMPORT_URL).status_code == 403
    response = viewer_client.post(
        ACTORS_IMPORT_URL,
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("a.csv", b"name\nToyota\n")},
    )
    assert response.status_code == 403
    assert (
        viewer_client.post(
            ACTORS_PROCESS_URL,
            {"import_file_name": "x", "original_file_name": "a.csv", "format": "0", "resource": "0"},
        ).status_code
        == 403
    )
    assert not Actor.objects.exists()


def test_the_pledges_change_list_links_to_the_import_page_for_analysts(client, analyst, viewer):
    changelist = "/admin/tracker/commitment/"
    link = f'<a href="{IMPORT_URL}">Import from CSV or Excel</a>'

    client.force_login(analyst)
    assert link in client.get(changelist).content.decode()
    client.force_login(viewer)
    viewer_page = client.get(changelist)
    assert viewer_page.status_code == 200
    assert link not in viewer_page.content.decode()
