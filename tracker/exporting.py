"""The board's list as a spreadsheet: the columns of the CSV and XLSX exports, which the import reads back.

A column is written here once; tracker.importing reads the same names, so
that an unchanged export imports as unchanged.
"""

import csv
import io

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tracker import selectors
from tracker.models import Commitment, ProgressUpdate, Status

# A spreadsheet runs a cell starting with one of these as a formula: OWASP's
# list (https://owasp.org/www-community/attacks/CSV_Injection: = + - @ tab CR
# LF), the fullwidth forms that the OWASP Testing Guide ("Testing for CSV
# Injection") warns some locales read as the ASCII ones, and ; which
# LibreOffice and Excel may take as a cell separator.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", ";", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# What neutralise puts before such a cell, and the import takes off again.
PROTECTION = "'"
LIST_SEPARATOR = "; "
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The columns the import reads, in the export's order.
PLEDGE_COLUMNS = (
    "id",
    "title",
    "status",
    "progress",
    "evidence_url",
    "made_by",
    "counterparts",
    "members",
    "event",
    "kind",
    "topics",
    "made_on",
    "due_on",
    "check_every_days",
    "next_check_on",
    "owner",
    "quote",
    "description",
    "source_url",
    "source_title",
    "pledged_amount",
    "pledged_currency",
    "renews",
)
# Written for the reader and not read back: they follow from the rest.
DERIVED_COLUMNS = ("maker_country", "overdue", "url")
EXPORT_COLUMNS = (*PLEDGE_COLUMNS[:6], "maker_country", *PLEDGE_COLUMNS[6:], "overdue", "url")


def neutralise(value):
    # Leading spaces protect nothing: LibreOffice can trim them on import.
    if isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(FORMULA_PREFIXES)):
        return PROTECTION + value
    return value


def commitments_for_spreadsheet(queryset):
    """The export's pledges: every column in the one query, whatever the number of rows."""
    latest_evidence = (
        ProgressUpdate.objects.filter(commitment_id=OuterRef("pk"))
        .exclude(evidence_url="")
        .order_by("-recorded_on", "-pk")
        .values("evidence_url")[:1]
    )
    return selectors.commitments_for_export(queryset).annotate(
        member_names=selectors.names_of(Commitment.members.through, "actor"),
        latest_evidence_url=Subquery(latest_evidence),
    )


def _names(annotated: str | None) -> str:
    return LIST_SEPARATOR.join(selectors.split_names(annotated))


def _date(value) -> str:
    return value.isoformat() if value else ""


def commitment_row(commitment, site_url: str) -> dict:
    """One pledge as the export writes it, keyed by column."""
    return {
        "id": commitment.pk,
        "title": commitment.title,
        "status": commitment.get_status_display(),
        "progress": commitment.progress,
        "evidence_url": commitment.latest_evidence_url or "",
        "made_by": commitment.made_by.name,
        "maker_country": commitment.made_by.country,
        "counterparts": _names(commitment.counterpart_names),
        "members": _names(commitment.member_names),
        "event": commitment.event.name if commitment.event else "",
        "kind": commitment.get_kind_display(),
        "topics": _names(commitment.topic_names),
        "made_on": _date(commitment.made_on),
        "due_on": _date(commitment.due_on),
        "check_every_days": commitment.check_every_days,
        "next_check_on": _date(commitment.next_check_on),
        "owner": commitment.owner.get_username() if commitment.owner else "",
        "quote": commitment.quote,
        "description": commitment.description,
        "source_url": commitment.source_url,
        "source_title": commitment.source_title,
        # Plain digits and a point, for a spreadsheet to read as a number; the currency in its own column.
        "pledged_amount": f"{commitment.pledged_amount:f}" if commitment.pledged_amount is not None else "",
        "pledged_currency": commitment.pledged_currency,
        "renews": commitment.renews_id or "",
        "overdue": "yes" if commitment.is_overdue else "no",
        "url": site_url + commitment.get_absolute_url(),
    }


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer's output."""

    def write(self, value):
        return value


def csv_lines(commitments, site_url: str):
    """The CSV export, line by line, for a streaming response."""
    # Every cell quoted, as OWASP advises: a ; inside a cell then cannot start
    # a new cell (and a formula) in a spreadsheet that splits on ;.
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield writer.writerow(EXPORT_COLUMNS)
    for commitment in commitments:
        row = commitment_row(commitment, site_url)
        yield writer.writerow([neutralise(row[column]) for column in EXPORT_COLUMNS])


def xlsx_bytes(rows, *, columns=EXPORT_COLUMNS, title: str | None = None) -> bytes:
    """An XLSX workbook of the rows (dicts keyed by column), every cell text or a number, never a formula.

    Written in openpyxl's write-only mode, which keeps memory flat however
    many rows there are. The sheet is named `title`, by default "Pledges" in
    the reader's language; the column names stay the codes the import reads.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title or _sheet_title(_("Pledges")))
    sheet.append([_header_cell(sheet, column) for column in columns])
    for row in rows:
        sheet.append([_xlsx_value(row.get(column, "")) for column in columns])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _sheet_title(title: str) -> str:
    """A translated sheet name as Excel takes one: at most 31 characters, none of []:*?/\\."""
    return "".join(" " if char in "[]:*?/\\" else char for char in str(title))[:31].strip() or "Sheet"


def _header_cell(sheet, column):
    cell = WriteOnlyCell(sheet, value=column)
    cell.font = Font(bold=True)
    return cell


def _xlsx_value(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # openpyxl writes a string starting with = as a formula: protected like the CSV's.
    return neutralise("" if value is None else str(value))


# The template's example: a pledge from TICAD 9 as the export would write it (the status and kind in the
# reader's language, as the export writes them; the pledge itself is content, as recorded).
TEMPLATE_EXAMPLE = {
    "title": "Statement of intent on a Kenyan Samurai Bond",
    "status": Status.ANNOUNCED.label,
    "progress": 0,
    "made_by": "Government of Japan",
    "counterparts": "Government of Kenya",
    "event": "TICAD 9",
    "kind": Commitment.Kind.INTENT.label,
    "topics": "Finance",
    "made_on": "2025-08-21",
    "check_every_days": 30,
    "quote": "Kenya and Japan signed a statement of intent on a Kenyan Samurai Bond.",
    "source_url": "https://www.mofa.go.jp/",
    "source_title": "TICAD 9 outcomes",
}


def template_xlsx() -> bytes:
    """The import's template: the columns it reads, one example row, and the allowed kinds and statuses."""
    workbook = Workbook(write_only=True)
    # Translators: the name of a spreadsheet's sheet: at most 31 characters.
    sheet = workbook.create_sheet(_sheet_title(_("Pledges")))
    sheet.append([_header_cell(sheet, column) for column in PLEDGE_COLUMNS])
    sheet.append([_xlsx_value(TEMPLATE_EXAMPLE.get(column, "")) for column in PLEDGE_COLUMNS])
    # Translators: the name of a spreadsheet's sheet: at most 31 characters.
    allowed = workbook.create_sheet(_sheet_title(_("Allowed values")))
    allowed.append([_header_cell(allowed, "kind"), _header_cell(allowed, "status")])
    kinds = [str(label) for _, label in Commitment.Kind.choices]
    statuses = [str(label) for _, label in Status.choices]
    for index in range(max(len(kinds), len(statuses))):
        allowed.append([kinds[index] if index < len(kinds) else "", statuses[index] if index < len(statuses) else ""])
    # Translators: the name of a spreadsheet's sheet: at most 31 characters.
    notes = workbook.create_sheet(_sheet_title(_("Notes")))
    for line in TEMPLATE_NOTES:
        notes.append([str(line)])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# The column names in them are the codes the import reads, and stay as they are in every language.
TEMPLATE_NOTES = (
    gettext_lazy("One pledge per row; the first row names the columns, in any order."),
    gettext_lazy("id: empty for a new pledge; a pledge's id to change it."),
    gettext_lazy("made_by, counterparts, members, event, topics: names (or an actor's alias); several separated by ;"),
    gettext_lazy(
        "Dates as 2026-03-31. Amounts with a point, such as 5500000000.00; currency as an ISO 4217 code (USD, JPY)."
    ),
    gettext_lazy("status and progress change through a timeline entry: Fulfilled and Broken need an evidence_url."),
    gettext_lazy("owner: a username. renews: the id of the earlier pledge this one renews."),
)
