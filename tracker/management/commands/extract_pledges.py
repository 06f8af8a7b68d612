"""Draft pledges from an article: `python manage.py extract_pledges FILE [--json] [--date YYYY-MM-DD]`."""

import datetime
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.extraction import MAX_TEXT_CHARS, PROPOSE_THRESHOLD, ExtractionError, extract_pledges
from tracker.selectors import actors_for_extraction


class Command(BaseCommand):
    help = (
        "Print the draft pledges found in an article (a text file, or - for standard input), "
        "linked to the actors the tracker knows."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The article as a UTF-8 text file; - reads standard input.")
        parser.add_argument("--json", action="store_true", help="Print a JSON list of drafts instead of text.")
        parser.add_argument(
            "--date",
            help="The article's date, YYYY-MM-DD; relative deadlines count from it (default: today).",
        )

    def handle(self, *args, file, json: bool, date, **options):
        article_date = self._parse_date(date)
        text = self._read(file)
        try:
            drafts = extract_pledges(text, article_date=article_date, actors=actors_for_extraction())
        except ExtractionError as exc:
            raise CommandError(f"{self._label(file)}: {exc}") from None
        if json:
            self.stdout.write(_json_dumps([draft.to_dict() for draft in drafts]))
            return
        if not drafts:
            self.stdout.write("No pledges found.")
            return
        for number, draft in enumerate(drafts, start=1):
            self.stdout.write(_describe(number, draft))
        proposed = sum(draft.confidence >= PROPOSE_THRESHOLD for draft in drafts)
        self.stdout.write(
            f"{len(drafts)} draft(s); {proposed} with confidence {PROPOSE_THRESHOLD} or more, "
            f"{len(drafts) - proposed} below (shown with ?)."
        )

    def _parse_date(self, value):
        if value is None:
            return timezone.localdate()
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--date must be a date as YYYY-MM-DD, such as 2025-08-20; not {value!r}.") from None

    def _read(self, file) -> str:
        if file == "-":
            data = sys.stdin.buffer.read(MAX_TEXT_CHARS * 4 + 1) if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        else:
            path = Path(file)
            if not path.exists():
                raise CommandError(f"No such file: {file}")
            if not path.is_file():
                raise CommandError(f"Not a file: {file}")
            try:
                with path.open("rb") as handle:
                    # Enough bytes for the longest text allowed, so a huge file is refused without reading it all.
                    data = handle.read(MAX_TEXT_CHARS * 4 + 1)
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        return data

    @staticmethod
    def _label(file) -> str:
        return "standard input" if file == "-" else file


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _describe(number, draft) -> str:
    marker = "" if draft.confidence >= PROPOSE_THRESHOLD else "?"
    lines = [f"{number}.{marker} [{draft.kind}] {draft.actor or '(unknown)'}"]
    if draft.counterpart:
        lines[0] += f" -> {draft.counterpart}"
    details = [f"confidence {draft.confidence:.2f}", f"cue {draft.cue!r}"]
    if draft.due:
        details.append(f"due {draft.due}")
    if draft.amount:
        details.append(f"amount {draft.amount['text']} ({draft.amount['currency']} {draft.amount['value']:,})")
    lines.append("   " + "; ".join(details))
    lines.append(f"   {draft.text}")
    return "\n".join(lines)
