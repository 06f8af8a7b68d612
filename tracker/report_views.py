"""The report of an assessment cycle: a page, a CSV an analyst can pivot, and a PDF (WeasyPrint).

Every number comes from `assessment_report.cycle_report`, a fixed number of
queries however many cells the cycle has; a published cycle is shown as
publishing froze it.
"""

import csv
import datetime
import functools
import hashlib
import html
import logging
import secrets
import zoneinfo
from pathlib import Path

from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.text import normalize_newlines, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET
from kombu.exceptions import OperationalError

from . import assessment_report, charts, selectors, tasks
from .assessment_report import Report
from .exporting import neutralise as _neutralise
from .models import AssessmentCycle

# Viewers and Analysts both hold it (services.roles_ensure).
REPORT_PERMISSION = "tracker.view_assessmentcycle"
# The PDF's own stylesheet: WeasyPrint lays out a long report many times faster in blocks than in tables.
PDF_STYLESHEET = Path(__file__).resolve().parent / "static" / "tracker" / "report_print.css"
# Marked with gettext_noop and translated where shown: pdf_unavailable() caches its answer for every language.
PDF_NEEDS_PANGO = gettext_noop(
    "PDF needs the Pango library, which is not installed on this server: "
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"
)
PDF_NEEDS_WEASYPRINT = gettext_noop(
    "PDF needs WeasyPrint, which is not installed on this server: pip install -r requirements.txt"
)
PDF_TEMPLATE = "tracker/assessments/report_pdf.html"
# WeasyPrint takes about 3 ms a cell here (docs/PERFORMANCE.md): above this
# many cells a worker writes the PDF (tasks.report_pdf_write) and the
# request returns at once.
PDF_SYNC_MAX_CELLS = 1000
PDF_DIRECTORY = "assessment-reports"
# A stored source this old without its PDF was lost with a worker: queued again.
PDF_RETRY_AFTER = datetime.timedelta(minutes=10)
PDF_NOT_QUEUED = gettext_noop("The PDF could not be queued: the task broker is unreachable. Try again in a minute.")

logger = logging.getLogger(__name__)


@functools.cache
def pdf_unavailable() -> str | None:
    """Why this server cannot write PDFs (WeasyPrint or its system libraries are missing), or None.

    WeasyPrint loads Pango through cffi when it is imported, and that raises
    OSError where the library is missing: the page says how to get it rather
    than failing. Cached: a failed import is tried again on every call.
    """
    try:
        import django_weasyprint.views  # noqa: F401
    except OSError:
        return PDF_NEEDS_PANGO
    except ImportError:
        return PDF_NEEDS_WEASYPRINT
    return None


def _cycle(pk) -> AssessmentCycle:
    # The previous cycle and the event with the cycle: the report reads both.
    return get_object_or_404(AssessmentCycle.objects.select_related("event", "previous"), pk=pk)


SCORE_LABELS = {1: "+1", 0: "0", -1: "\u22121", None: gettext_lazy("Not assessed")}
SCORE_CLASSES = {1: "1", 0: "0", -1: "-1", None: "missing"}


def _cell_rows(cells, zone) -> SafeString:
    """A pledge's cells as table rows.

    Built with the standard library's html.escape, which is what Django's
    escape calls, but without its lazy-string wrapper: a cycle has thousands
    of cells, and format_html took 57 microseconds a cell, a third of the
    report's time at 3,000 cells (bench/). Every value that is not a
    constant of this function goes through `escape` or `linebreaks`
    (tests/test_assessment_report.py checks a script in each).
    """
    escape = html.escape
    labels = _score_labels()
    dates = {}
    rows = []
    for cell in cells:
        name = escape(cell.member.name)
        if cell.pk is None or cell.scored_at is None:
            rows.append(
                f'<tr><th scope="row">{name}</th><td class="number score score-missing">{labels[None]}</td>'
                "<td></td><td>—</td></tr>"
            )
            continue
        local = timezone.localtime(cell.scored_at, zone)
        day = local.date()
        if day not in dates:
            dates[day] = escape(formats.date_format(day))
        evidence = "".join(
            f'<li><a href="{escape(url)}" rel="noopener noreferrer">{escape(url)}</a></li>'
            for url in cell.evidence_urls
        )
        if evidence:
            evidence = f'<ul class="evidence">{evidence}</ul>'
        revisions = "".join(_revision_html(revision, zone) for revision in cell.revisions)
        rows.append(
            f'<tr id="cell-{int(cell.pk)}"><th scope="row">{name}</th>'
            f'<td class="number score score-{SCORE_CLASSES[cell.score]}">{labels[cell.score]}</td>'
            f'<td><p class="rationale">{_linebreaks(cell.rationale)}</p>'
            f"{evidence}{revisions}</td>"
            f'<td class="small">{escape(cell.scored_by or "—")}, '
            f'<time datetime="{local.isoformat()}">{dates[day]}</time></td></tr>'
        )
    return SafeString("".join(rows))


def _pdf_cells(cells, zone) -> SafeString:
    """A pledge's cells for the PDF: a paragraph of plain text per member.

    WeasyPrint's time goes by the line and by the inline box: it measured
    every table cell for its widest and narrowest, laid out again each row
    a page broke, and shapes each <b> or <a> apart. 3,000 cells took 150
    seconds in tables, 11 in these paragraphs (docs/PERFORMANCE.md).
    The score's colour is the paragraph's border; a rationale's line breaks
    are kept by `white-space: pre-line`. Escaped as in `_cell_rows`.
    """
    escape = html.escape
    labels = _score_labels()
    evidence_text = escape(_("Evidence: %(links)s."))
    dates = {}
    paragraphs = []
    for cell in cells:
        name = escape(cell.member.name)
        if cell.pk is None or cell.scored_at is None:
            paragraphs.append(f'<p class="pdf-cell pdf-score-missing">{name} · {labels[None]}</p>')
            continue
        day = timezone.localtime(cell.scored_at, zone).date()
        if day not in dates:
            dates[day] = escape(formats.date_format(day))
        rationale = escape(normalize_newlines(cell.rationale)) or "—"
        evidence = ", ".join(escape(url) for url in cell.evidence_urls)
        evidence = " " + evidence_text % {"links": evidence} if evidence else ""
        revisions = "".join(_revision_html(revision, zone) for revision in cell.revisions)
        paragraphs.append(
            f'<p class="pdf-cell pdf-score-{SCORE_CLASSES[cell.score]}">{name} · {labels[cell.score]} · '
            f"{rationale}{evidence} ({escape(cell.scored_by or '—')}, {dates[day]})</p>{revisions}"
        )
    return SafeString("".join(paragraphs))


def _score_labels() -> dict:
    """SCORE_LABELS in the active language, escaped, read once for all of a pledge's cells."""
    return {score: html.escape(str(label)) for score, label in SCORE_LABELS.items()}


def _linebreaks(text: str) -> str:
    """Django's linebreaksbr: escaped, each line break a <br>."""
    return html.escape(normalize_newlines(text)).replace("\n", "<br>")


def _revision_html(revision, zone) -> str:
    escape = html.escape
    who = revision.revised_by.get_username() if revision.revised_by else _("someone since removed")
    when = formats.date_format(timezone.localtime(revision.revised_at, zone), "DATETIME_FORMAT")
    labels = _score_labels()
    text = escape(_("Revised %(when)s by %(who)s: %(before)s → %(after)s. Reason: %(reason)s")) % {
        "when": f'<time datetime="{revision.revised_at.isoformat()}">{escape(when)}</time>',
        "who": escape(who),
        "before": labels[revision.score_before],
        "after": labels[revision.score_after],
        "reason": escape(revision.reason),
    }
    return f'<p class="revision small">{text}</p>'


def _report_context(request, cycle, cells=_cell_rows) -> dict:
    """What the page and the PDF show; `cells` writes a pledge's cells (`_cell_rows` or `_pdf_cells`)."""
    report = assessment_report.cycle_report(cycle)
    titles = {row.commitment_id: row.title for row in report.pledges}
    time_zone = selectors.user_time_zone(request.user)
    zone = zoneinfo.ZoneInfo(time_zone)
    return {
        "cycle": cycle,
        "report": report,
        "details": [{"row": row, "cells": cells(row.cells, zone)} for row in report.pledges],
        "is_draft": not cycle.is_published,
        "has_previous": report.previous is not None,
        "members_chart": charts.average_bars_chart(
            [{"name": row.actor.name, "average": row.average} for row in report.members]
        ),
        "topics_chart": charts.average_bars_chart(
            [{"name": row.name, "average": row.average} for row in report.topics]
        ),
        # A published report names each pledge as it was published.
        "revisions": [
            {"revision": revision, "pledge": titles.get(revision.score.commitment_id, str(revision.score.commitment))}
            for revision in report.revisions
        ],
        "time_zone": time_zone,
    }


def _filename(cycle, extension) -> str:
    # ASCII letters, digits and hyphens only: nothing a Content-Disposition header must quote.
    return f"assessment-report-{cycle.pk}-{slugify(cycle.name)[:60] or 'cycle'}.{extension}"


@login_required
@permission_required(REPORT_PERMISSION, raise_exception=True)
@require_GET
def cycle_report(request, pk):
    cycle = _cycle(pk)
    context = _report_context(request, cycle)
    problem = pdf_unavailable()
    context["pdf_unavailable"] = _(problem) if problem else None
    return render(request, "tracker/assessments/report.html", context)


# The CSV is data for a spreadsheet or a script, as the API's report: its columns, codes, numbers and
# revision lines read the same whatever the language of the page it was fetched from.
CSV_HEADER = (
    "row",
    "cycle",
    "cycle_state",
    "pledge_id",
    "pledge",
    "maker",
    "member",
    "topic",
    "score",
    "average",
    "percentage",
    "change",
    "rank",
    "scored",
    "cells",
    "rationale",
    "evidence_urls",
    "scored_by",
    "scored_at",
    "revisions",
)


def _csv_rows(report: Report):
    """One row per cell, then one per member, pledge and topic, then the overall: filter on `row` to pivot."""
    cycle = report.cycle
    blank = dict.fromkeys(CSV_HEADER, "")
    base = {**blank, "cycle": cycle.name, "cycle_state": cycle.state}

    def row(**values):
        return [_neutralise(value) for value in ({**base, **values}).values()]

    for pledge in report.pledges:
        for cell in pledge.cells:
            yield row(
                row="cell",
                pledge_id=pledge.commitment_id,
                pledge=pledge.title,
                maker=pledge.maker,
                member=cell.member.name,
                topic="; ".join(pledge.topics),
                score="" if cell.score is None else cell.score,
                rationale=cell.rationale,
                evidence_urls=" ".join(cell.evidence_urls),
                scored_by=cell.scored_by,
                scored_at=timezone.localtime(cell.scored_at).isoformat() if cell.scored_at else "",
                revisions="; ".join(_revision_text(revision) for revision in cell.revisions),
            )
    for member in report.members:
        yield row(
            row="member",
            member=member.actor.name,
            **_numbers(member),
            rank="" if member.rank is None else member.rank,
            scored=member.scored,
            cells=member.cells,
        )
    for pledge in report.pledges:
        yield row(
            row="pledge",
            pledge_id=pledge.commitment_id,
            pledge=pledge.title,
            maker=pledge.maker,
            topic="; ".join(pledge.topics),
            **_numbers(pledge),
            scored=pledge.scored,
            cells=len(pledge.cells),
        )
    for topic in report.topics:
        yield row(row="topic", topic=topic.name, **_numbers(topic), scored=topic.scored)
    yield row(
        row="overall",
        average=_number(report.average),
        percentage=_number(report.percentage),
        scored=report.scored,
        cells=report.cells,
    )


def _number(value):
    return "" if value is None else value


def _numbers(item) -> dict:
    return {
        "average": _number(item.average),
        "percentage": _number(item.percentage),
        "change": _number(getattr(item, "change", None)),
    }


def _revision_text(revision) -> str:
    who = revision.revised_by.get_username() if revision.revised_by else "someone since removed"
    before = "not assessed" if revision.score_before is None else f"{revision.score_before:+d}"
    after = "not assessed" if revision.score_after is None else f"{revision.score_after:+d}"
    when = timezone.localtime(revision.revised_at).isoformat()
    return f"{when} by {who}: {before} -> {after}: {revision.reason}"


@login_required
@permission_required(REPORT_PERMISSION, raise_exception=True)
@require_GET
def cycle_report_csv(request, pk):
    cycle = _cycle(pk)
    report = assessment_report.cycle_report(cycle)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(cycle, "csv")}"'
    # Every cell quoted, as the board's CSV: a ; inside a cell cannot start a new one.
    writer = csv.writer(response, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_rows(report))
    return response


@functools.cache
def _pdf_response_class():
    """django-weasyprint's response with a URL fetcher that fetches nothing.

    Built on first use: importing WeasyPrint fails where its system libraries
    are missing, and the rest of this module must work there. The PDF's
    stylesheet is read from disk and its fonts are the system's, so a
    fetch could only come from markup that should not be there; none may
    leave the machine or read a local file.
    """
    from django_weasyprint.views import WeasyTemplateResponse
    from weasyprint.urls import URLFetcher

    class OfflineURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"The report's PDF fetches nothing: {url}")

    class ReportPDFResponse(WeasyTemplateResponse):
        url_fetcher_class = OfflineURLFetcher

        def get_base_url(self):
            return None

    return ReportPDFResponse


def _generated(time_zone) -> str:
    return formats.date_format(timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(time_zone)), "DATETIME_FORMAT")


@login_required
@permission_required(REPORT_PERMISSION, raise_exception=True)
@require_GET
def cycle_report_pdf(request, pk):
    cycle = _cycle(pk)
    problem = pdf_unavailable()
    if problem:
        return HttpResponse(_(problem), status=503, content_type="text/plain; charset=utf-8")
    context = _report_context(request, cycle, cells=_pdf_cells)
    if context["report"].cells > PDF_SYNC_MAX_CELLS:
        return _stored_pdf(request, cycle, context)
    response_class = _pdf_response_class()
    return response_class(
        request,
        PDF_TEMPLATE,
        {**context, "generated": _generated(context["time_zone"])},
        filename=_filename(cycle, "pdf"),
        attachment=True,
        stylesheets=[PDF_STYLESHEET],
    )


def _stored_pdf(request, cycle, context):
    """A large report's PDF from storage, or a page saying a worker is writing it.

    Stored under a digest of its HTML: a revised score, a renamed pledge or
    another reader's time zone makes another file, and the same report is
    written once. The time it was generated is left out of the digest.
    """
    mark = secrets.token_hex(16)
    source_html = render_to_string(PDF_TEMPLATE, {**context, "generated": mark})
    digest = hashlib.sha256(source_html.replace(mark, "").encode()).hexdigest()[:40]
    name = f"{PDF_DIRECTORY}/{cycle.pk}-{digest}"
    pdf, source = f"{name}.pdf", f"{name}.html"
    if default_storage.exists(pdf):
        return FileResponse(
            default_storage.open(pdf),
            as_attachment=True,
            filename=_filename(cycle, "pdf"),
            content_type="application/pdf",
        )
    lost = default_storage.exists(source) and (
        timezone.now() - default_storage.get_modified_time(source) > PDF_RETRY_AFTER
    )
    if lost:
        default_storage.delete(source)
    if not default_storage.exists(source):
        html_bytes = source_html.replace(mark, _generated(context["time_zone"])).encode()
        saved = default_storage.save(source, ContentFile(html_bytes))
        if saved != source:
            # Another request stored it first and queued it.
            default_storage.delete(saved)
        else:
            try:
                tasks.report_pdf_write.delay(source, pdf)
            except OperationalError:
                logger.exception("Broker unreachable: the PDF of cycle %s was not queued", cycle.pk)
                default_storage.delete(source)
                return HttpResponse(_(PDF_NOT_QUEUED), status=503, content_type="text/plain; charset=utf-8")
    return render(
        request,
        "tracker/assessments/_pdf_preparing.html",
        {"cycle": cycle, "cells": context["report"].cells},
        status=202,
    )


def pdf_write(*, source: str, target: str) -> None:
    """Write the PDF `target` from the HTML `source` in storage; drop the source and the cycle's older PDFs."""
    import weasyprint

    if not default_storage.exists(target):
        with default_storage.open(source) as file:
            source_html = file.read().decode()
        fetcher = _pdf_response_class().url_fetcher_class()
        pdf = weasyprint.HTML(string=source_html, base_url=None, url_fetcher=fetcher).write_pdf(
            stylesheets=[weasyprint.CSS(filename=str(PDF_STYLESHEET), url_fetcher=fetcher)]
        )
        default_storage.save(target, ContentFile(pdf))
    cycle_prefix = target.removeprefix(f"{PDF_DIRECTORY}/").split("-")[0] + "-"
    for file in default_storage.listdir(PDF_DIRECTORY)[1]:
        path = f"{PDF_DIRECTORY}/{file}"
        if file.startswith(cycle_prefix) and file.endswith(".pdf") and path != target:
            default_storage.delete(path)
    default_storage.delete(source)
