"""Import pledges from a CSV or XLSX file, with the import page's checks: all rows or none.

python manage.py import_pledges pledges.xlsx --dry-run
python manage.py import_pledges pledges.csv --user analyst --create-missing
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker import importing


class Command(BaseCommand):
    help = "Import pledges from a CSV or XLSX file with the export's columns; --dry-run only checks."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .csv or .xlsx file, the first row naming the columns.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and save nothing.")
        parser.add_argument(
            "--create-missing", action="store_true", help="Create the actors, events and topics that do not exist."
        )
        parser.add_argument("--user", help="The username the changes and timeline entries are recorded under.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user is named {options['user']}.")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path} cannot be read: {error.strerror}.") from error
        try:
            dataset, warnings = importing.read_file(path.name, data)
            report = importing.run(
                dataset,
                user=user,
                file_name=path.name,
                create_missing=options["create_missing"],
                dry_run=options["dry_run"],
                warnings=warnings,
            )
        except importing.ImportFileError as error:
            raise CommandError(f"{path.name}: {error}") from error
        if report["file_errors"]:
            raise CommandError("; ".join(report["file_errors"]))
        for warning in report["file_warnings"]:
            self.stderr.write(warning)
        errors, error_rows = [], 0
        for row in report["rows"]:
            error_rows += row["kind"] == importing.ERROR
            for column, message in row["errors"]:
                where = f"row {row['row']}, {column}" if column else f"row {row['row']}"
                if row["kind"] == importing.DUPLICATE:
                    self.stderr.write(f"{where}: duplicate, {message}")
                else:
                    errors.append(f"{where}: {message}")
        counts = report["counts"]
        summary = ", ".join(f"{counts[kind]} {kind}" for kind in importing.KINDS)
        if counts[importing.ERROR]:
            if counts[importing.ERROR] > error_rows:
                errors.append(f"and {counts[importing.ERROR] - error_rows} more rows with errors")
            # The reasons in the error itself: a script or a cron mail that keeps only it still says what to fix.
            raise CommandError("\n".join([f"Nothing imported: {summary}.", *errors]))
        verb = "Checked (nothing saved)" if options["dry_run"] else "Imported"
        self.stdout.write(f"{verb}: {summary}.")
