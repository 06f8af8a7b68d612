"""Bulk import of pledges (tracker.importing): reading files, the row classification, all or none, the round trip."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from tests.factories import ActorFactory, CommitmentFactory, EventFactory, TopicFactory
from tracker import exporting, importing
from tracker.models import Actor, Commitment, ProgressUpdate, Status, Topic

pytestmark = pytest.mark.django_db

HEADER = ["title", "made_by", "made_on", "quote", "kind", "topics", "due_on"]


def csv_bytes(rows, header=HEADER, *, encoding="utf-8", delimiter=","):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def check(data, *, name="pledges.csv", user=None, create_missing=False, dry_run=True):
    dataset, warnings = importing.read_file(name, data)
    return importing.run(
        dataset, user=user, file_name=name, create_missing=create_missing, dry_run=dry_run, warnings=warnings
    )


@pytest.fixture
def kenya():
    return ActorFactory(name="Government of Kenya", aliases="Kenya\nNairobi", country="KE")


@pytest.fixture
def japan():
    return ActorFactory(name="Shigeru Ishiba", aliases="Ishiba", country="JP")


def test_a_new_row_is_checked_then_created_through_the_services(analyst, kenya):
    TopicFactory(name="Trade", slug="trade")
    data = csv_bytes([["Review avocado tariffs", "Kenya", "2025-08-21", "We will review it.", "Review", "Trade", ""]])

    report = check(data, user=analyst)

    assert report["counts"] == {"new": 1, "changed": 0, "unchanged": 0, "duplicate": 0, "error": 0}
    assert report["rows"][0]["title"] == "Review avocado tariffs"
    assert not Commitment.objects.exists(), "a check saves nothing"

    report = check(data, user=analyst, dry_run=False)

    assert report["saved"] is True
    pledge = Commitment.objects.get()
    assert pledge.made_by == kenya
    assert pledge.kind == Commitment.Kind.REVIEW
    assert [t.name for t in pledge.topics.all()] == ["Trade"]
    assert pledge.status == Status.ANNOUNCED
    assert pledge.history.get().history_user == analyst


def test_one_bad_row_among_many_saves_nothing_and_names_the_row_and_cell(analyst, kenya):
    rows = [[f"Pledge {n}", "Kenya", "2025-08-21", f"Quote {n}", "Promise", "", ""] for n in range(30)]
    rows[10][6] = "31/02/2026"

    report = check(csv_bytes(rows), user=analyst, dry_run=False)

    assert report["saved"] is False
    assert not Commitment.objects.exists()
    assert report["counts"]["error"] == 1
    assert report["counts"]["new"] == 29
    error = report["rows"][0]
    assert error["row"] == 12
    assert error["errors"] == [["due_on", "31/02/2026 is not a date (write it as 2026-03-31)"]]


def test_unknown_actor_is_a_row_error_unless_create_missing_is_ticked(analyst):
    data = csv_bytes([["Toyota EV talks", "Toyota", "2025-08-21", "", "", "Electric vehicles", ""]])

    report = check(data, user=analyst, dry_run=False)
    assert report["counts"]["error"] == 1
    messages = dict(report["rows"][0]["errors"])
    assert "no actor is named “Toyota”" in messages["made_by"]
    assert "no topic is named “Electric vehicles”" in messages["topics"]
    assert not Actor.objects.exists()

    report = check(data, user=analyst, create_missing=True, dry_run=False)
    assert report["saved"] is True
    assert report["created"] == {"actors": ["Toyota"], "events": [], "topics": ["Electric vehicles"]}
    assert Commitment.objects.get().made_by.name == "Toyota"
    assert Topic.objects.get().slug == "electric-vehicles"


def test_a_row_with_the_same_quote_and_maker_is_a_duplicate(analyst, kenya):
    existing = CommitmentFactory(made_by=kenya, quote="We will review the restrictions.")
    rows = [
        ["Again", "Government of Kenya", "2025-08-21", "We will review the restrictions.", "", "", ""],
        ["Bond", "Kenya", "2025-08-21", "A Samurai bond.", "", "", ""],
        ["Bond twice", "Kenya", "2025-08-21", "A Samurai bond.", "", "", ""],
    ]

    report = check(csv_bytes(rows), user=analyst, dry_run=False)

    assert report["counts"] == {"new": 1, "changed": 0, "unchanged": 0, "duplicate": 2, "error": 0}
    duplicates = {row["row"]: row for row in report["rows"] if row["kind"] == "duplicate"}
    assert duplicates[2]["id"] == existing.pk
    assert "row 3 of this file" in duplicates[4]["errors"][0][1]
    assert Commitment.objects.count() == 2


def test_an_update_row_that_changes_status_records_a_timeline_entry_by_the_importer(analyst, kenya):
    pledge = CommitmentFactory(made_by=kenya, title="Review tariffs")
    header = ["id", "title", "status", "progress"]

    report = check(csv_bytes([[pledge.pk, "Review tariffs", "In progress", "40"]], header), user=analyst)
    assert report["counts"]["changed"] == 1
    assert report["rows"][0]["changes"] == [["status", "Announced", "In progress"], ["progress", "0", "40"]]

    check(csv_bytes([[pledge.pk, "Review tariffs", "In progress", "40"]], header), user=analyst, dry_run=False)

    pledge.refresh_from_db()
    assert (pledge.status, pledge.progress) == (Status.IN_PROGRESS, 40)
    update = ProgressUpdate.objects.get(commitment=pledge)
    assert update.author == analyst
    assert (update.status_before, update.status_after) == (Status.ANNOUNCED, Status.IN_PROGRESS)
    assert update.note == "Imported from pledges.csv."


def test_fulfilled_without_evidence_is_refused_as_on_the_board(analyst, kenya):
    pledge = CommitmentFactory(made_by=kenya)
    header = ["id", "status", "evidence_url"]

    report = check(csv_bytes([[pledge.pk, "Fulfilled", ""]], header), user=analyst, dry_run=False)

    assert report["counts"]["error"] == 1
    assert report["rows"][0]["errors"][0][0] == "evidence_url"
    pledge.refresh_from_db()
    assert pledge.status == Status.ANNOUNCED
    assert not ProgressUpdate.objects.exists()

    report = check(
        csv_bytes([[pledge.pk, "Fulfilled", "https://example.org/done"]], header), user=analyst, dry_run=False
    )
    assert report["saved"] is True
    pledge.refresh_from_db()
    assert (pledge.status, pledge.progress) == (Status.FULFILLED, 100)


def test_an_unchanged_export_imports_as_unchanged_and_changes_nothing(analyst, kenya, japan):
    event = EventFactory(name="TICAD 9")
    trade = TopicFactory(name="Trade", slug="trade")
    first = CommitmentFactory(
        made_by=japan,
        event=event,
        quote="=We will study Kenya's concerns",
        pledged_amount=Decimal("5500000000.00"),
        pledged_currency="USD",
        due_on=date(2026, 3, 31),
        topics=[trade],
    )
    first.counterparts.add(kenya)
    first.members.add(japan, kenya)
    second = CommitmentFactory(made_by=kenya, event=None, renews=None, owner=None, quote="+ a bond", kind="intent")
    second.renews = first
    second.save()
    CommitmentFactory(made_by=kenya, status=Status.IN_PROGRESS, progress=30)
    before = list(Commitment.objects.order_by("pk").values())

    for name, body in (
        ("pledges.csv", b"".join(line.encode() for line in exporting.csv_lines(_exported(), "http://testserver"))),
        (
            "pledges.xlsx",
            exporting.xlsx_bytes(exporting.commitment_row(c, "http://testserver") for c in _exported()),
        ),
    ):
        report = check(body, name=name, user=analyst, dry_run=False)
        assert report["counts"] == {"new": 0, "changed": 0, "unchanged": 3, "duplicate": 0, "error": 0}, report
        assert report["saved"] is True

    assert list(Commitment.objects.order_by("pk").values()) == before
    assert not ProgressUpdate.objects.exists()


def _exported():
    return exporting.commitments_for_spreadsheet(Commitment.objects.order_by("pk"))


def test_the_export_protects_formulas_and_the_import_takes_the_apostrophe_off(analyst, kenya):
    data = csv_bytes([['\'=HYPERLINK("x")', "Kenya", "2025-08-21", "'@cmd", "", "", ""]])

    check(data, user=analyst, dry_run=False)

    pledge = Commitment.objects.get()
    assert (pledge.title, pledge.quote) == ('=HYPERLINK("x")', "@cmd")
    line = list(exporting.csv_lines(_exported(), ""))[1]
    assert '"\'=HYPERLINK(""x"")"' in line


def test_formulas_in_an_excel_file_are_read_as_text_with_a_warning(analyst, kenya):
    data = xlsx_bytes([["=1+1", "Kenya", date(2025, 8, 21), "We will.", "", "", ""]])

    report = check(data, name="pledges.xlsx", user=analyst)

    row = report["rows"][0]
    assert row["kind"] == "new"
    assert row["title"] == "=1+1"
    assert row["warnings"] == [["title", "a formula (=1+1) is read as its text, never computed"]]


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")], ids=["utf8", "bom", "1252"]
)
def test_csv_encodings_are_read(analyst, encoding, prefix):
    ActorFactory(name="Société Générale")
    data = prefix + csv_bytes([["Prêt à l'État", "Société Générale", "2025-08-21", "", "", "", ""]], encoding=encoding)

    report = check(data, user=analyst)

    assert report["counts"]["new"] == 1
    assert report["rows"][0]["title"] == "Prêt à l'État"


def test_semicolon_separated_csv_is_read(analyst, kenya):
    data = csv_bytes([["A pledge", "Kenya", "21/08/2025", "", "", "", ""]], delimiter=";")
    assert check(data, user=analyst)["counts"]["new"] == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("p.csv", b"", "The file is empty."),
        ("p.pdf", b"%PDF-1.4 binary", "neither CSV nor Excel"),
        ("p.csv", b"title\x00\x01", "neither CSV nor Excel"),
        ("p.xls", b"\xd0\xcf\x11\xe0rest", "old Excel file"),
        ("p.xlsx", b"title,made_by\n", "not an Excel workbook"),
        ("p.xlsx", b"PK\x03\x04broken", "cannot be read"),
        ("p.csv", b"title\n\x81\x8d", "neither UTF-8 nor Windows-1252"),
        ("p.csv", b"title,title\nA,B\n", "appears twice"),
        ("p.csv", b"title,made_by\nA,B,C\n", "Row 2 has more cells"),
    ],
)
def test_bad_files_get_a_clear_message(name, data, message):
    with pytest.raises(importing.ImportFileError, match=message):
        importing.read_file(name, data)


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_MB = 1
    with pytest.raises(importing.ImportFileError, match="the limit is 1 MB"):
        importing.read_file("p.csv", b"title\n" + b"x" * (1024 * 1024))


def test_a_file_over_the_row_limit_is_refused(settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(importing.ImportFileError, match="The file has 4 rows; the limit is 3"):
        importing.read_file("p.csv", b"title\na\nb\nc\nd\n")


def test_columns_that_cannot_make_a_pledge_are_refused(analyst):
    dataset, _ = importing.read_file("p.csv", b"name,age\nA,3\n")
    with pytest.raises(importing.ImportFileError, match="None of the columns"):
        importing.run(dataset, user=analyst, dry_run=True)
    dataset, _ = importing.read_file("p.csv", b"title,quote\nA,B\n")
    with pytest.raises(importing.ImportFileError, match="needs the columns made_by, made_on"):
        importing.run(dataset, user=analyst, dry_run=True)


def test_the_preview_suggests_earlier_pledges_that_read_alike(analyst, japan):
    earlier = CommitmentFactory(
        made_by=japan, title="Review restrictions on Kenyan avocados", made_on=date(2022, 8, 27), quote=""
    )
    data = csv_bytes([["Review restrictions on Kenyan avocados and tea", "Ishiba", "2025-08-21", "", "", "", ""]])

    report = check(data, user=analyst)

    assert report["rows"][0]["similar"][0][0] == earlier.pk


def test_queries_grow_no_faster_than_the_rows(analyst, kenya):
    TopicFactory(name="Trade", slug="trade")

    def queries(n):
        rows = [[f"P {i}", "Kenya", "2025-08-21", f"Q {i}", "Promise", "Trade", ""] for i in range(n)]
        dataset, _ = importing.read_file("p.csv", csv_bytes(rows))
        with CaptureQueriesContext(connection) as captured:
            importing.run(dataset, user=analyst, dry_run=False)
        Commitment.objects.all().delete()
        return len(captured)

    # At most 20 rows: SQLite takes 999 parameters a statement, so Django splits the history's INSERT of more
    # rows of ~30 columns in two, a split that owes nothing to the import.
    small, middle, large = queries(5), queries(10), queries(20)
    # Fixed lookups, and new pledges saved a batch at a time (CREATE_BATCH): no query per row or cell.
    assert small == middle == large


def test_new_pledges_are_saved_in_batches_with_their_relations_audit_and_timeline(analyst, kenya, japan, monkeypatch):
    monkeypatch.setattr(importing, "CREATE_BATCH", 3)
    TopicFactory(name="Trade", slug="trade")
    header = ["title", "made_by", "made_on", "quote", "topics", "counterparts", "status", "progress", "owner"]
    rows = [
        [f"P {i}", "Kenya", "2025-08-21", f"Q {i}", "Trade", "Ishiba", "In progress" if i % 2 else "", "", "analyst"]
        for i in range(7)
    ]

    report = check(csv_bytes(rows, header), user=analyst, dry_run=False)

    assert report["saved"] and report["counts"]["new"] == 7
    pledges = Commitment.objects.filter(title__startswith="P ")
    assert {row["id"] for row in report["rows"]} == set(pledges.values_list("pk", flat=True))
    for pledge in pledges:
        assert [topic.name for topic in pledge.topics.all()] == ["Trade"]
        assert list(pledge.counterparts.all()) == [japan]
        assert pledge.owner == analyst
        record = pledge.history.get()
        assert (record.history_type, record.history_user, record.status) == ("+", analyst, pledge.status)
        assert [link.actor_id for link in record.counterparts.all()] == [japan.pk]
    moved = pledges.filter(status=Status.IN_PROGRESS)
    assert moved.count() == 3
    for pledge in moved:
        update = pledge.updates.get()
        assert (update.author, update.status_before, update.note) == (
            analyst,
            Status.ANNOUNCED,
            "Imported from pledges.csv.",
        )
        assert pledge.next_check_on == update.recorded_on + timedelta(days=pledge.check_every_days)
    assert not ProgressUpdate.objects.filter(commitment__in=pledges.exclude(status=Status.IN_PROGRESS)).exists()


def test_a_file_with_an_error_saves_no_batch(analyst, kenya, monkeypatch):
    monkeypatch.setattr(importing, "CREATE_BATCH", 2)
    rows = [[f"P {i}", "Kenya", "2025-08-21", f"Q {i}", "", "", ""] for i in range(5)]
    rows.append(["Bad", "Nobody", "2025-08-21", "Q bad", "", "", ""])

    report = check(csv_bytes(rows), user=analyst, dry_run=False)

    assert not report["saved"] and report["counts"] == {**report["counts"], "new": 5, "error": 1}
    assert not Commitment.objects.exists()


def test_listing_is_capped_but_counts_cover_every_row(analyst, kenya, monkeypatch):
    monkeypatch.setattr(importing, "ROWS_LISTED", 5)
    rows = [[f"P {i}", "Kenya", "2025-08-21", f"Q {i}", "", "", ""] for i in range(8)]
    report = check(csv_bytes(rows), user=analyst)
    assert report["counts"]["new"] == 8
    assert len(report["rows"]) == 5
    assert report["rows_not_listed"] == 3


def test_xlsx_export_cells_are_never_formulas(kenya):
    CommitmentFactory(made_by=kenya, title="=cmd|' /C calc'!A0")
    book = load_workbook(io.BytesIO(exporting.xlsx_bytes(exporting.commitment_row(c, "") for c in _exported())))
    sheet = book.active
    title = sheet.cell(row=2, column=exporting.EXPORT_COLUMNS.index("title") + 1)
    assert title.data_type == "s"
    assert title.value == "'=cmd|' /C calc'!A0"


def test_duplicates_are_found_across_query_slices(analyst, kenya, monkeypatch):
    monkeypatch.setattr(importing, "QUOTES_PER_QUERY", 2)
    existing = [CommitmentFactory(made_by=kenya, quote=f"Quote {n}") for n in range(5)]
    rows = [[f"P {n}", "Kenya", "2025-08-21", f"Quote {n}", "", "", ""] for n in range(5)]

    report = check(csv_bytes(rows), user=analyst)

    assert report["counts"]["duplicate"] == 5
    assert sorted(row["id"] for row in report["rows"]) == [pledge.pk for pledge in existing]


def test_an_alias_of_two_actors_is_ambiguous_but_a_name_wins_over_an_alias(analyst):
    ActorFactory(name="Government of Kenya", aliases="Nairobi")
    ActorFactory(name="Nairobi County", aliases="Nairobi")
    ActorFactory(name="Kenya", aliases="")
    ActorFactory(name="Kenya Airways", aliases="Kenya")
    rows = [
        ["A", "Nairobi", "2025-08-21", "", "", "", ""],
        ["B", "Kenya", "2025-08-21", "", "", "", ""],
    ]

    report = check(csv_bytes(rows), user=analyst)

    by_row = {row["row"]: row for row in report["rows"]}
    assert by_row[2]["errors"] == [
        ["made_by", "“Nairobi” is an alias of more than one actor; write the actor's full name"]
    ]
    assert by_row[3]["kind"] == "new"


def test_an_update_row_changes_relations_owner_and_renewal_through_commitment_update(analyst, kenya, japan):
    trade = TopicFactory(name="Trade", slug="trade")
    TopicFactory(name="Finance", slug="finance")
    earlier = CommitmentFactory(made_by=japan, made_on=date(2022, 8, 27))
    pledge = CommitmentFactory(made_by=japan, topics=[trade], owner=None)
    header = ["id", "topics", "members", "owner", "renews", "kind"]

    report = check(
        csv_bytes([[pledge.pk, "Finance; Trade", "Kenya; Ishiba", "analyst", earlier.pk, ""]], header),
        user=analyst,
        dry_run=False,
    )

    assert report["counts"]["changed"] == 1, report
    changes = {column: (before, after) for column, before, after in report["rows"][0]["changes"]}
    assert changes["topics"] == ("Trade", "Finance; Trade")
    assert changes["owner"] == ("", "analyst")
    assert "kind" not in changes, "a blank kind keeps the pledge's"
    pledge.refresh_from_db()
    assert sorted(t.name for t in pledge.topics.all()) == ["Finance", "Trade"]
    assert set(pledge.members.all()) == {kenya, japan}
    assert pledge.owner == analyst
    assert pledge.renews == earlier
    assert pledge.history.latest().history_user == analyst


def test_service_rules_refuse_a_row_as_the_board_would(analyst, kenya):
    later = CommitmentFactory(made_by=kenya, made_on=date(2025, 9, 1))
    header = ["title", "made_by", "made_on", "renews", "owner"]
    rows = [
        ["Renews a later one", "Kenya", "2025-08-21", later.pk, ""],
        ["Unknown owner", "Kenya", "2025-08-21", "", "nobody"],
    ]

    report = check(csv_bytes(rows, header), user=analyst, dry_run=False)

    errors = {row["row"]: dict(row["errors"]) for row in report["rows"]}
    assert "a pledge renews an earlier one" in errors[2]["renews"]
    assert errors[3]["owner"] == "no user is named “nobody”"
    assert Commitment.objects.count() == 1


def test_an_id_that_is_not_a_pledge_is_a_row_error(analyst, kenya):
    header = ["id", "title", "made_by", "made_on"]
    rows = [["999", "A", "Kenya", "2025-08-21"], ["x1", "B", "Kenya", "2025-08-21"]]

    report = check(csv_bytes(rows, header), user=analyst)

    errors = {row["row"]: dict(row["errors"]) for row in report["rows"]}
    assert errors[2]["id"] == "no pledge has the id 999; leave id empty to create a pledge"
    assert errors[3]["id"] == "x1 is not a pledge's id (a whole number)"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("made_on", "2025-13-01", "2025-13-01 is not a date (write it as 2026-03-31)"),
        ("made_on", "", "a pledge needs the day it was made"),
        ("kind", "Wish", "Wish is not one of Promise, Review, Statement of intent, Agreement, Target, Request"),
        ("title", "", "a pledge needs a title"),
    ],
)
def test_cells_that_cannot_be_read_say_why(analyst, kenya, column, value, message):
    row = dict(zip(HEADER, ["A pledge", "Kenya", "2025-08-21", "", "", "", ""], strict=True))
    row[column] = value

    report = check(csv_bytes([[row[name] for name in HEADER]]), user=analyst)

    assert [column, message] in report["rows"][0]["errors"]


def test_amounts_and_currency_are_read_and_checked_by_the_service(analyst, kenya):
    header = ["title", "made_by", "made_on", "pledged_amount", "pledged_currency"]
    rows = [
        ["Good", "Kenya", "2025-08-21", "5500000000.00", "usd"],
        ["Bad code", "Kenya", "2025-08-21", "10", "XXQ"],
        ["Bad amount", "Kenya", "2025-08-21", "1,5", "USD"],
    ]

    report = check(csv_bytes(rows, header), user=analyst)

    by_row = {row["row"]: row for row in report["rows"]}
    assert by_row[2]["kind"] == "new"
    assert by_row[3]["errors"][0][0] == "pledged_currency"
    assert by_row[4]["errors"] == [["pledged_amount", "1,5 is not an amount (digits and a point, such as 5500000.00)"]]


def test_a_formula_written_into_a_csv_is_kept_as_text_with_a_warning(analyst, kenya):
    data = csv_bytes([["=SUM(A1:A2)", "Kenya", "2025-08-21", "We will.", "", "", ""]])

    report = check(data, user=analyst, dry_run=False)

    assert Commitment.objects.get().title == "=SUM(A1:A2)"
    assert report["rows"][0]["warnings"] == [["title", "a formula (=SUM(A1:A2)) is read as its text, never computed"]]
