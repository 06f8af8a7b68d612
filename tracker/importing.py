"""Pledges from a spreadsheet: a CSV or XLSX file checked row by row, then imported whole or not at all.

The columns are the export's (tracker.exporting), matched by header name in
any order. django-import-export runs the rows: each in its own savepoint,
the whole file in one transaction, rolled back after a check (a dry run).
Every write goes through tracker.services, so a status or progress change
is a timeline entry by the importer, with the same rules as the board.

A row is new, changed (the fields and their values before and after),
unchanged, a duplicate (no id, and the maker already has a pledge with the
same quote) or an error (the reason per cell).
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import formats, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from import_export import resources, widgets
from openpyxl import load_workbook

from tracker import continuity, services
from tracker.exporting import DERIVED_COLUMNS, FORMULA_PREFIXES, LIST_SEPARATOR, PLEDGE_COLUMNS, PROTECTION
from tracker.extraction import guess_actor_kind
from tracker.models import EARLIEST_DATE, LATEST_DATE, MAX_CHECK_EVERY_DAYS, Actor, Commitment, Event, Status, Topic

NEW, CHANGED, UNCHANGED, DUPLICATE, ERROR = "new", "changed", "unchanged", "duplicate", "error"
KINDS = (NEW, CHANGED, UNCHANGED, DUPLICATE, ERROR)
# Rows listed one by one in a report (errors first); the counts cover them all.
ROWS_LISTED = 1000
# New rows for which the preview looks for earlier pledges that read alike.
SIMILAR_ROWS = 200
# New pledges are checked row by row and saved this many at a time (services.commitments_create_many).
CREATE_BATCH = 500
QUOTES_PER_QUERY = 5000
REQUIRED_FOR_NEW = ("title", "made_by", "made_on")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")
XLSX_SIGNATURE = b"PK\x03\x04"
# How a formula starts in a spreadsheet cell (= and its fullwidth form).
FORMULAS = ("=", "\uff1d")
XLS_SIGNATURE = b"\xd0\xcf\x11\xe0"
NAME_LISTS = ("counterparts", "members", "topics")
M2M_COLUMNS = ("counterparts", "members", "topics")
STATUS_COLUMNS = ("status", "progress", "evidence_url")
# A blank cell leaves these as they are (or as a new pledge starts): a pledge always has them.
KEPT_WHEN_BLANK = (*STATUS_COLUMNS, "kind", "check_every_days")
LABELS = {"status": dict(Status.choices), "kind": dict(Commitment.Kind.choices)}


class ImportFileError(Exception):
    """The file cannot be read at all: its message says why, for the analyst."""


@dataclass
class RowReport:
    number: int
    kind: str
    title: str = ""
    pledge_id: int | None = None
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    similar: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "row": self.number,
            "kind": self.kind,
            "title": self.title,
            "id": self.pledge_id,
            "changes": self.changes,
            "errors": self.errors,
            "warnings": self.warnings,
            "similar": self.similar,
        }


@dataclass(frozen=True)
class FileRow:
    """An earlier row of the same file, by its number: where a duplicate's quote first appeared."""

    number: int


# Reading the file


def max_bytes() -> int:
    return settings.IMPORT_MAX_MB * 1024 * 1024


def file_format(name: str, data: bytes) -> str:
    """ "csv" or "xlsx", from what the file holds rather than its name alone."""
    lowered = name.lower()
    if data.startswith(XLSX_SIGNATURE):
        return "xlsx"
    if data.startswith(XLS_SIGNATURE) or lowered.endswith(".xls"):
        raise ImportFileError(_("This is an old Excel file (.xls): save it as Excel Workbook (.xlsx) or CSV first."))
    if lowered.endswith(".xlsx"):
        raise ImportFileError(_("This file is named .xlsx but is not an Excel workbook."))
    if b"\x00" in data[:65536] or not lowered.endswith((".csv", ".txt")):
        raise ImportFileError(_("This file is neither CSV nor Excel (XLSX): export the list as one of those."))
    return "csv"


def read_file(name: str, data: bytes) -> tuple[tablib.Dataset, list]:
    """The file's rows as a Dataset with lower-case headers, and warnings about cells (row, column, message)."""
    if len(data) > max_bytes():
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {
                "size": formats.number_format(len(data) / 1024 / 1024, decimal_pos=1),
                "limit": settings.IMPORT_MAX_MB,
            }
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    rows, warnings = _xlsx_rows(data) if file_format(name, data) == "xlsx" else _csv_rows(data)
    return _dataset(rows), warnings


def _csv_rows(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                _("The file is neither UTF-8 nor Windows-1252 text: save it as CSV UTF-8 from your spreadsheet.")
            ) from error
    first_line = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows, formulas = [], []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
            cells = [cell.strip() for cell in row]
            # Text that a spreadsheet would run, as the export never writes it (it adds an apostrophe): kept as
            # text, and said so.
            formulas.extend((number, column, cell) for column, cell in enumerate(cells) if cell.startswith(FORMULAS))
            rows.append(cells)
    except csv.Error as error:
        raise ImportFileError(_("The CSV cannot be read: %(error)s.") % {"error": error}) from error
    return rows, formulas


def _xlsx_rows(data: bytes):
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportFileError(_("This Excel file cannot be read; save it again as Excel Workbook (.xlsx).")) from error
    sheet = workbook.active
    rows, formulas = [], []
    for number, cells in enumerate(sheet.iter_rows(), 1):
        row = []
        for cell in cells:
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f":
                # Never evaluated: its text is what the file says.
                formulas.append((number, len(row), str(value)))
            row.append(_xlsx_cell(value))
        rows.append(row)
    workbook.close()
    return rows, formulas


def _xlsx_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time() else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _dataset(rows) -> tablib.Dataset:
    while rows and not any(cell != "" for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError(_("The file is empty."))
    header = [str(cell).strip().lower() for cell in rows[0]]
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise ImportFileError(_("The first row must name the columns (id, title, made_by...)."))
    seen = set()
    for name in header:
        if name in seen:
            raise ImportFileError(_("The column “%(name)s” appears twice in the first row.") % {"name": name})
        seen.add(name)
    if "" in header:
        raise ImportFileError(_("Column %(number)s has no name in the first row.") % {"number": header.index("") + 1})
    width = len(header)
    dataset = tablib.Dataset(headers=header)
    for number, row in enumerate(rows[1:], 2):
        if not any(cell != "" for cell in row):
            continue
        if any(cell != "" for cell in row[width:]):
            raise ImportFileError(
                _("Row %(number)s has more cells than the first row has column names.") % {"number": number}
            )
        dataset.append(tuple(row[:width]) + ("",) * (width - len(row)))
    if len(dataset) > settings.IMPORT_MAX_ROWS:
        raise ImportFileError(
            _("The file has %(rows)s rows; the limit is %(limit)s. Split it into smaller files.")
            % {
                "rows": formats.number_format(len(dataset), force_grouping=True),
                "limit": formats.number_format(settings.IMPORT_MAX_ROWS, force_grouping=True),
            }
        )
    # Each data row's number in the file, for messages: blank lines are skipped above.
    dataset.file_rows = [number for number, row in enumerate(rows[1:], 2) if any(cell != "" for cell in row)]
    return dataset


def check_columns(dataset: tablib.Dataset) -> list:
    """Refuse a file whose columns cannot make a pledge; warn about columns that are not read."""
    headers = set(dataset.headers)
    if not headers & set(PLEDGE_COLUMNS):
        raise ImportFileError(
            _(
                "None of the columns is one the import reads; the first row must name them as the export does: "
                "%(columns)s."
            )
            % {"columns": ", ".join(PLEDGE_COLUMNS)}
        )
    if "id" not in headers:
        missing = [name for name in REQUIRED_FOR_NEW if name not in headers]
        if missing:
            raise ImportFileError(
                _("Without an id column every row is a new pledge, which needs the columns %(columns)s.")
                % {"columns": ", ".join(missing)}
            )
    ignored = sorted(headers - set(PLEDGE_COLUMNS) - set(DERIVED_COLUMNS))
    if ignored:
        return [_("These columns are not read: %(columns)s.") % {"columns": ", ".join(ignored)}]
    return []


def unprotect(value):
    """The cell without the apostrophe that the export puts before what a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(PROTECTION):
        rest = value[len(PROTECTION) :]
        if rest.startswith(FORMULA_PREFIXES) or rest.lstrip().startswith(FORMULA_PREFIXES):
            return rest
    return value


# Reading cells


class CellError(ValueError):
    pass


def _text(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def read_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        day = value
    else:
        text = _text(value)
        if not text:
            return None
        day = None
        for pattern in DATE_FORMATS:
            try:
                # A calendar day: no time, so no time zone.
                day = datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007
                break
            except ValueError:
                continue
        if day is None:
            raise CellError(_("%(value)s is not a date (write it as 2026-03-31)") % {"value": text})
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(
            _("%(day)s is outside %(earliest)s to %(latest)s")
            % {"day": day.isoformat(), "earliest": EARLIEST_DATE.year, "latest": LATEST_DATE.year}
        )
    return day


def read_whole(value, *, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a whole number") % {"value": value})
    if isinstance(value, int):
        number = value
    else:
        text = _text(value)
        if not text:
            return None
        if not re.fullmatch(r"\d{1,9}", text):
            raise CellError(_("%(value)s is not a whole number") % {"value": text})
        number = int(text)
    if not low <= number <= high:
        raise CellError(_("%(value)s is not from %(low)s to %(high)s") % {"value": number, "low": low, "high": high})
    return number


def read_amount(value) -> Decimal | None:
    text = _text(value)
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise CellError(
            _("%(value)s is not an amount (digits and a point, such as 5500000.00)") % {"value": text}
        ) from error
    if not amount.is_finite() or amount <= 0:
        raise CellError(_("%(value)s is not an amount above zero") % {"value": text})
    return amount


def read_choice(value, choices) -> str | None:
    """The code of a choice written as its code or its label, the label in any of the interface's languages.

    An export writes the labels in its reader's language; the file may be
    imported by someone reading another.
    """
    text = _text(value)
    if not text:
        return None
    wanted = text.casefold()
    for code, label in choices:
        if wanted in (code.casefold(), str(label).casefold()):
            return code
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in choices:
                if wanted == str(label).casefold():
                    return code
    raise CellError(
        _("%(value)s is not one of %(choices)s")
        % {"value": text, "choices": ", ".join(str(label) for _code, label in choices)}
    )


def split_list(value) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class Lookups:
    """Every actor, event, topic, user and pledge the file names, each read in one query, not one per cell."""

    def __init__(self, dataset: tablib.Dataset, *, create_missing: bool):
        self.create_missing = create_missing
        self.created = {"actors": [], "events": [], "topics": []}
        column = {name: dataset[name] if name in dataset.headers else [] for name in dataset.headers}
        actor_names = {_text(unprotect(v)) for v in column.get("made_by", [])} - {""}
        for name in ("counterparts", "members"):
            for cell in column.get(name, []):
                actor_names.update(split_list(unprotect(cell)))
        event_names = {_text(unprotect(v)) for v in column.get("event", [])} - {""}
        topic_names = {name for cell in column.get("topics", []) for name in split_list(unprotect(cell))}
        usernames = {_text(v) for v in column.get("owner", [])} - {""}

        self.actors, self.ambiguous = self._actors()
        self.events = {_key(event.name): event for event in Event.objects.all()}
        self.topics = {}
        for topic in Topic.objects.all():
            self.topics[_key(topic.name)] = topic
            self.topics.setdefault(_key(topic.slug), topic)
        self.users = {
            user.get_username().casefold(): user
            for user in get_user_model().objects.filter(username__in=usernames)
            if user.get_username().casefold() in {name.casefold() for name in usernames}
        }
        # Who may own a pledge, for every owner the file names: one query, not one per row.
        self.viewers = services.pledge_viewers(self.users.values())
        if create_missing:
            self._create_missing(column, actor_names, event_names, topic_names)
        ids = set()
        for name in ("id", "renews"):
            for cell in column.get(name, []):
                text = _text(cell)
                if text.isdigit() and len(text) <= 18:
                    ids.add(int(text))
        self.pledges = (
            Commitment.objects.select_related("made_by", "event", "owner", "renews")
            .prefetch_related("counterparts", "members", "topics")
            .in_bulk(ids)
        )
        self.quotes = self._quotes(column)

    def _actors(self):
        actors, ambiguous = {}, set()
        aliases = {}
        for actor in Actor.objects.only("id", "name", "aliases", "country"):
            actors[_key(actor.name)] = actor
            for alias in actor.aliases.splitlines():
                if alias.strip():
                    aliases.setdefault(_key(alias), []).append(actor)
        for alias, found in aliases.items():
            if alias in actors:
                continue
            if len({actor.pk for actor in found}) == 1:
                actors[alias] = found[0]
            else:
                ambiguous.add(alias)
        return actors, ambiguous

    def _create_missing(self, column, actor_names, event_names, topic_names):
        countries = {}
        if "maker_country" in column:
            for maker, country in zip(column.get("made_by", []), column["maker_country"], strict=False):
                countries.setdefault(_key(_text(unprotect(maker))), _text(country).upper())
        for name in sorted(actor_names):
            key = _key(name)
            if key in self.actors or key in self.ambiguous or len(name) > Actor._meta.get_field("name").max_length:
                continue
            country = countries.get(key, "")
            actor = Actor(name=name, kind=guess_actor_kind(name), country=country if len(country) == 2 else "")
            try:
                actor.full_clean()
            except ValidationError:
                actor.country = ""
            actor.save()
            self.actors[key] = actor
            self.created["actors"].append(name)
        for name in sorted(event_names):
            if _key(name) not in self.events and len(name) <= Event._meta.get_field("name").max_length:
                self.events[_key(name)] = Event.objects.create(name=name)
                self.created["events"].append(name)
        slugs = set(Topic.objects.values_list("slug", flat=True))
        for name in sorted(topic_names):
            if _key(name) in self.topics or len(name) > Topic._meta.get_field("name").max_length:
                continue
            base = slugify(name)[:90] or "topic"
            slug, n = base, 2
            while slug in slugs:
                slug, n = f"{base}-{n}", n + 1
            slugs.add(slug)
            self.topics[_key(name)] = Topic.objects.create(name=name, slug=slug)
            self.created["topics"].append(name)

    def _quotes(self, column):
        """The makers' existing pledges by quote, for the duplicate check: one query."""
        makers = {
            self.actors[_key(_text(unprotect(v)))].pk
            for v in column.get("made_by", [])
            if _key(_text(unprotect(v))) in self.actors
        }
        quotes = {_text(unprotect(v)) for v in column.get("quote", [])} - {""}
        if not makers or not quotes:
            return {}
        found, quotes = {}, sorted(quotes)
        # In slices: SQLite takes at most 32,766 parameters a query.
        for start in range(0, len(quotes), QUOTES_PER_QUERY):
            chosen = Commitment.objects.filter(
                made_by_id__in=makers, quote__in=quotes[start : start + QUOTES_PER_QUERY]
            )
            for pk, maker_id, quote in chosen.values_list("pk", "made_by_id", "quote"):
                found.setdefault((maker_id, _key(quote)), pk)
        return found

    def actor(self, name: str) -> Actor:
        key = _key(name)
        if key in self.ambiguous:
            raise CellError(
                _("“%(name)s” is an alias of more than one actor; write the actor's full name") % {"name": name}
            )
        if key not in self.actors:
            if self.create_missing:
                raise CellError(_("no actor is named “%(name)s”") % {"name": name})
            raise CellError(_("no actor is named “%(name)s” (tick “create missing” to create it)") % {"name": name})
        return self.actors[key]

    def event(self, name: str) -> Event:
        if _key(name) not in self.events:
            if self.create_missing:
                raise CellError(_("no event is named “%(name)s”") % {"name": name})
            raise CellError(_("no event is named “%(name)s” (tick “create missing” to create it)") % {"name": name})
        return self.events[_key(name)]

    def topic(self, name: str) -> Topic:
        if _key(name) not in self.topics:
            if self.create_missing:
                raise CellError(_("no topic is named “%(name)s”") % {"name": name})
            raise CellError(_("no topic is named “%(name)s” (tick “create missing” to create it)") % {"name": name})
        return self.topics[_key(name)]

    def user(self, username: str):
        if username.casefold() not in self.users:
            raise CellError(_("no user is named “%(name)s”") % {"name": username})
        return self.users[username.casefold()]

    def pledge(self, value) -> Commitment | None:
        text = _text(value)
        if not text:
            return None
        if not (text.isdigit() and len(text) <= 18):
            raise CellError(_("%(value)s is not a pledge's id (a whole number)") % {"value": text})
        if int(text) not in self.pledges:
            raise CellError(_("no pledge has the id %(value)s") % {"value": text})
        return self.pledges[int(text)]


def _read_cell(lookups: Lookups, column: str, value):
    """A cell as the service's value for its field, or CellError with the reason."""
    value = unprotect(value)
    if column in ("title", "description", "quote", "source_url", "source_title", "evidence_url"):
        text = _text(value)
        if column == "title" and not text:
            raise CellError(_("a pledge needs a title"))
        return text
    if column == "made_by":
        text = _text(value)
        if not text:
            raise CellError(_("a pledge needs its maker"))
        return lookups.actor(text)
    if column in ("counterparts", "members"):
        return [lookups.actor(name) for name in split_list(value)]
    if column == "topics":
        return [lookups.topic(name) for name in split_list(value)]
    if column == "event":
        text = _text(value)
        return lookups.event(text) if text else None
    if column in ("made_on", "due_on", "next_check_on"):
        day = read_date(value)
        if column == "made_on" and day is None:
            raise CellError(_("a pledge needs the day it was made"))
        return day
    if column == "kind":
        return read_choice(value, Commitment.Kind.choices)
    if column == "status":
        return read_choice(value, Status.choices)
    if column == "progress":
        return read_whole(value, low=0, high=100)
    if column == "check_every_days":
        return read_whole(value, low=1, high=MAX_CHECK_EVERY_DAYS)
    if column == "owner":
        text = _text(value)
        return lookups.user(text) if text else None
    if column == "pledged_amount":
        return read_amount(value)
    if column == "pledged_currency":
        return _text(value).upper()
    if column == "renews":
        return lookups.pledge(value)
    raise AssertionError(column)


def _shown(value, column: str = "") -> str:
    """A value as the preview shows it before and after: names, labels, ISO dates."""
    if column in LABELS and value:
        return str(LABELS[column].get(value, value))
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return LIST_SEPARATOR.join(sorted(_shown(item) for item in value))
    if isinstance(value, Actor | Event | Topic):
        return value.name
    if isinstance(value, Commitment):
        return str(value.pk)
    if hasattr(value, "get_username"):
        return value.get_username()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _current(commitment: Commitment, column: str):
    if column in M2M_COLUMNS:
        # From the prefetch of Lookups: no query.
        return list(getattr(commitment, column).all())
    if column == "evidence_url":
        return ""
    return getattr(commitment, column)


def _same(column: str, before, after) -> bool:
    if column in M2M_COLUMNS:
        return {item.pk for item in before} == {item.pk for item in after}
    if column in ("made_by", "event", "owner", "renews"):
        return getattr(before, "pk", None) == getattr(after, "pk", None)
    if column == "pledged_amount":
        return before == after
    return (before if before is not None else "") == (after if after is not None else "")


class PledgeResource(resources.ModelResource):
    """django-import-export's row machinery with this tracker's rules: services write, rows are classified."""

    id = resources.Field(attribute="id", column_name="id", widget=widgets.IntegerWidget())

    class Meta:
        model = Commitment
        fields = ("id",)
        import_id_fields = ("id",)
        # Rows are compared and written by the code below, through the services.
        skip_diff = True
        clean_model_instances = False
        use_transactions = True
        # No savepoint per row: the file is imported whole or not at all, and
        # each service call that writes has its own. New pledges are saved in
        # batches (save_instance, flush); django-import-export's own bulk
        # lists stay empty, as save_instance is this class's.
        use_bulk = True

    def __init__(self, *, user=None, file_name: str = "", create_missing: bool = False, on_row=None):
        super().__init__()
        self.user = user
        self.file_name = file_name
        self.create_missing = create_missing
        self.on_row = on_row
        self.reports: list[RowReport] = []
        self.lookups: Lookups | None = None
        self.seen_quotes: dict = {}
        self.similar_left = SIMILAR_ROWS
        # New pledges checked and not yet saved, with their rows' reports, which get the ids once saved.
        self.pending: list[tuple[services.NewPledge, RowReport]] = []
        self.has_errors = False
        self.flush_error: Exception | None = None
        # Pledges this run created: a check rolls them back, so they are never suggested.
        self.created_ids: set[int] = set()

    # Rows are looked up in Lookups, read once for the whole file.
    def before_import(self, dataset, **kwargs):
        if "id" not in dataset.headers:
            # Every row is then a new pledge; django-import-export wants the column anyway.
            dataset.append_col([""] * len(dataset), header="id")
        self.dataset = dataset
        self.lookups = Lookups(dataset, create_missing=self.create_missing)

    def get_instance(self, instance_loader, row):
        text = _text(row.get("id"))
        if text.isdigit() and len(text) <= 18:
            return self.lookups.pledges.get(int(text))
        return None

    def import_instance(self, instance, row, **kwargs):
        number = kwargs["row_number"]
        new = instance.pk is None
        errors, values = {}, {}
        id_text = _text(row.get("id"))
        if id_text and new:
            errors["id"] = (
                _("%(value)s is not a pledge's id (a whole number)") % {"value": id_text}
                if not (id_text.isdigit() and len(id_text) <= 18)
                else _("no pledge has the id %(value)s; leave id empty to create a pledge") % {"value": id_text}
            )
        for column in PLEDGE_COLUMNS:
            if column == "id" or column not in row:
                continue
            if column in KEPT_WHEN_BLANK and _text(row[column]) == "":
                continue
            try:
                values[column] = _read_cell(self.lookups, column, row[column])
            except CellError as error:
                errors[column] = str(error)
        if new:
            for column in REQUIRED_FOR_NEW:
                if column not in row and column not in errors:
                    errors[column] = _("a new pledge needs %(column)s") % {"column": column}
        instance._import_values = values
        instance._import_row = number
        if errors:
            raise ValidationError({column: [message] for column, message in errors.items()})

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        values = instance._import_values
        if instance.pk is None:
            quote = _key(values.get("quote", ""))
            maker = values.get("made_by")
            if quote and maker is not None:
                key = (maker.pk, quote)
                earlier = self.lookups.quotes.get(key) or self.seen_quotes.get(key)
                if earlier:
                    instance._import_kind = DUPLICATE
                    instance._duplicate_of = earlier
                    return True
                self.seen_quotes[key] = FileRow(self.file_row(instance._import_row))
            instance._import_kind = NEW
            return False
        changes = []
        for column, after in values.items():
            if column == "evidence_url":
                continue
            before = _current(instance, column)
            if not _same(column, before, after):
                changes.append((column, before, after))
        instance._import_changes = changes
        instance._import_kind = CHANGED if changes else UNCHANGED
        return not changes

    def save_instance(self, instance, is_create, row, **kwargs):
        values = instance._import_values
        fields = {name: value for name, value in values.items() if name not in STATUS_COLUMNS}
        if is_create:
            try:
                pledge = services.commitment_prepare(
                    user=self.user,
                    data=fields,
                    status=values.get("status"),
                    progress=values.get("progress"),
                    evidence_url=values.get("evidence_url", ""),
                    note=self._note(),
                    viewers=self.lookups.viewers,
                    relations_read=True,
                )
            except ValidationError as error:
                raise ValidationError(_columns_of_update(error)) from error
            instance._created = pledge.commitment
            instance._pending = pledge
            return
        changed = {column for column, _before, _after in instance._import_changes}
        if changed & {"status", "progress"}:
            self._record(
                instance,
                values.get("status") or instance.status,
                values.get("progress") if "progress" in changed else None,
                values.get("evidence_url", ""),
            )
        data = {name: value for name, value in fields.items() if name in changed}
        if data:
            services.commitment_update(commitment=instance, user=self.user, data=data)

    def _record(self, commitment, status, progress, evidence_url):
        try:
            services.progress_record(
                commitment=commitment,
                author=self.user,
                status=status,
                progress=progress,
                evidence_url=evidence_url,
                note=self._note(),
            )
        except ValidationError as error:
            # The timeline's rules name the update's fields; the file's columns are status, progress, evidence_url.
            raise ValidationError(_columns_of_update(error)) from error

    def _note(self) -> str:
        return _("Imported from %(file)s.") % {"file": self.file_name} if self.file_name else _("Imported.")

    def save_m2m(self, instance, row, **kwargs):
        # The services set the relations with the pledge.
        return

    def import_row(self, row, instance_loader, **kwargs):
        # Reported here rather than in after_import_row, which a row with an error never reaches.
        row_result = super().import_row(row, instance_loader, **kwargs)
        report = self._report(row, row_result, kwargs["row_number"], dry_run=kwargs.get("dry_run"))
        self.reports.append(report)
        self.has_errors = self.has_errors or report.kind == ERROR
        pledge = getattr(row_result.instance, "_pending", None)
        if pledge is not None and report.kind == NEW:
            self.pending.append((pledge, report))
            if len(self.pending) >= CREATE_BATCH:
                self.flush()
        if self.on_row:
            self.on_row(len(self.reports), len(self.dataset))
        return row_result

    def flush(self):
        """Save the pledges checked so far, unless a row has an error: then nothing is kept anyway."""
        pending, self.pending = self.pending, []
        if self.has_errors or self.flush_error is not None or not pending:
            return
        try:
            services.commitments_create_many(user=self.user, pledges=[pledge for pledge, _ in pending])
        except Exception as error:  # reported by after_import, as the import's own error
            self.flush_error = error
            return
        for pledge, report in pending:
            report.pledge_id = pledge.commitment.pk
            self.created_ids.add(pledge.commitment.pk)

    def after_import(self, dataset, result, **kwargs):
        self.flush()
        if self.flush_error is not None:
            raise self.flush_error

    def _report(self, row, row_result, row_number: int, *, dry_run) -> RowReport:
        instance = row_result.instance
        title = _text(unprotect(row.get("title", ""))) or (row_result.object_repr or "")
        report = RowReport(number=self.file_row(row_number), kind=ERROR, title=title[:200])
        if row_result.validation_error is not None or row_result.errors:
            report.errors = _row_errors(row_result)
            return report
        report.kind = getattr(instance, "_import_kind", NEW)
        report.pledge_id = instance.pk
        if report.kind == DUPLICATE:
            earlier = instance._duplicate_of
            if isinstance(earlier, int):
                report.errors = [
                    [
                        "quote",
                        _("the same maker already has a pledge with this quote (id %(id)s)") % {"id": earlier},
                    ]
                ]
                report.pledge_id = earlier
            else:
                report.errors = [
                    ["quote", _("the same maker and quote are in row %(row)s of this file") % {"row": earlier.number}]
                ]
                report.pledge_id = None
        elif report.kind == CHANGED:
            report.changes = [
                [column, _shown(before, column), _shown(after, column)]
                for column, before, after in instance._import_changes
            ]
        elif report.kind == NEW and dry_run and self.similar_left > 0:
            self.similar_left -= 1
            report.similar = self._similar(instance)
        return report

    def file_row(self, row_number: int) -> int:
        """The row's number in the file as a spreadsheet shows it: the header is row 1, blank rows count."""
        file_rows = getattr(self.dataset, "file_rows", None)
        return file_rows[row_number - 1] if file_rows else row_number + 1

    def _similar(self, instance) -> list:
        created = getattr(instance, "_created", None)
        if created is None:
            return []
        found = continuity.similar_earlier_pledges(
            made_by=created.made_by_id,
            title=created.title,
            quote=created.quote,
            made_on=created.made_on,
            exclude=created,
        )
        return [
            [s.commitment.pk, s.commitment.title, s.similarity]
            for s in found
            if s.commitment.pk not in self.created_ids
        ]


def _columns_of_update(error: ValidationError) -> dict:
    if not hasattr(error, "error_dict"):
        return {"status": error.messages}
    renamed = {"status_after": "status", "recorded_on": "status", NON_FIELD_ERRORS: "status"}
    result = {}
    for name, messages in error.message_dict.items():
        result.setdefault(renamed.get(name, name), []).extend(messages)
    return result


def _row_errors(row_result) -> list:
    errors = []
    if row_result.validation_error is not None:
        error = row_result.validation_error
        if hasattr(error, "error_dict"):
            for column, messages in error.message_dict.items():
                name = "" if column == NON_FIELD_ERRORS else column
                errors.extend([name, message] for message in messages)
        else:
            errors.extend(["", message] for message in error.messages)
    for error in row_result.errors:
        errors.append(["", _("could not be saved: %(error)s") % {"error": error.error}])
    return errors


def run(
    dataset: tablib.Dataset,
    *,
    user,
    file_name: str = "",
    create_missing: bool = False,
    dry_run: bool,
    on_row=None,
    warnings: list | None = None,
) -> dict:
    """Check (dry_run) or import every row in one transaction; the report of what each row is or became.

    Nothing is saved when a row has an error: all rows or none.
    """
    file_warnings = check_columns(dataset)
    resource = PledgeResource(user=user, file_name=file_name, create_missing=create_missing, on_row=on_row)
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        retain_instance_in_row_result=True,
    )
    reports = resource.reports
    if result.base_errors:
        # Not a row's fault (the database went away, say): nothing was saved.
        return {
            "saved": False,
            "file_errors": [
                _("The import stopped: %(error)s") % {"error": error.error} for error in result.base_errors
            ],
            "counts": dict.fromkeys(KINDS, 0),
            "rows": [],
            "total": len(dataset),
        }
    for number, column, formula in warnings or []:
        if column < len(dataset.headers):
            header = dataset.headers[column]
        else:
            header = _("column %(number)s") % {"number": column + 1}
        for report in reports:
            if report.number == number:
                report.warnings.append(
                    [header, _("a formula (%(formula)s) is read as its text, never computed") % {"formula": formula}]
                )
    counts = dict.fromkeys(KINDS, 0)
    for report in reports:
        counts[report.kind] += 1
    has_errors = counts[ERROR] > 0
    listed = sorted((r for r in reports if r.kind != UNCHANGED), key=lambda r: (r.kind != ERROR, r.number))
    return {
        "saved": not dry_run and not has_errors,
        "file_errors": [],
        "file_warnings": file_warnings + _header_formula_warnings(warnings or []),
        "counts": counts,
        "total": len(dataset),
        "rows": [report.as_dict() for report in listed[:ROWS_LISTED]],
        "rows_not_listed": max(0, len(listed) - ROWS_LISTED),
        "created": resource.lookups.created if resource.lookups else {},
        "create_missing": create_missing,
    }


def _header_formula_warnings(warnings) -> list:
    return [
        _("A formula in the first row (%(formula)s) is read as its text.") % {"formula": formula}
        for number, _column, formula in warnings
        if number == 1
    ]


# Actors, events and topics in the admin: matched by name, a row without a match is a new one.


class ActorResource(resources.ModelResource):
    class Meta:
        model = Actor
        fields = ("name", "kind", "country", "role", "aliases")
        import_id_fields = ("name",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class EventResource(resources.ModelResource):
    class Meta:
        model = Event
        fields = ("name", "location", "country", "starts_on", "ends_on", "url")
        import_id_fields = ("name",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class TopicResource(resources.ModelResource):
    class Meta:
        model = Topic
        fields = ("name", "slug")
        import_id_fields = ("name",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
