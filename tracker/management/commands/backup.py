from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

# Rebuilt by `migrate` on the restoring side, or worthless there.
# tracker.summaryversion is a cache key, not data: a restored database gets its own.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes", "tracker.summaryversion"]


class Command(BaseCommand):
    help = (
        "Write every record (pledges, timeline, history, follow-ups, users and groups) to a compressed JSON "
        "file under VAR_DIR/backups/, named with the time; `restore` loads it into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write (.json, .json.gz, .json.bz2, .json.xz).")

    def handle(self, *args, output=None, **options):
        if output:
            path = Path(output)
        else:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            path = Path(settings.VAR_DIR) / "backups" / f"tracker-{stamp}.json.gz"
        if not path.name.endswith((".json", ".json.gz", ".json.bz2", ".json.xz")):
            raise CommandError(f"--output must end in .json, .json.gz, .json.bz2 or .json.xz, not {path.name!r}.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot create the folder for the backup: {error}") from None
        installed = {app.split(".")[-1] for app in settings.INSTALLED_APPS}
        excluded = [label for label in EXCLUDED if label.split(".")[0] in installed]
        call_command(
            "dumpdata",
            # Primary keys are kept: follow-up dedupe keys and links in sent
            # emails name pledges and users by id, and must still match.
            natural_foreign=True,
            exclude=excluded,
            output=str(path),
            verbosity=0,
        )
        self.stdout.write(f"Backup written to {path}")
