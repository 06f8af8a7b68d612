from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from tracker.models import Actor, Commitment


class Command(BaseCommand):
    help = "Load a file written by `backup` into an empty, migrated database (refuses a database with data)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file (.json, .json.gz, .json.bz2, .json.xz).")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        try:
            occupied = [
                str(model._meta.verbose_name_plural)
                for model in (get_user_model(), Actor, Commitment)
                if model.objects.exists()
            ]
        except DatabaseError as error:
            raise CommandError(f"The database is not ready ({error}); run `python manage.py migrate` first.") from None
        if occupied:
            raise CommandError(
                f"The database already holds {', '.join(occupied)}: restore only into an empty database, "
                "so that nothing in it is overwritten or mixed with the backup."
            )
        try:
            # The history is in the backup: loading the pledges' relations must
            # not write history records of its own on top of it.
            history_enabled = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
            settings.SIMPLE_HISTORY_ENABLED = False
            try:
                call_command("loaddata", str(path), verbosity=0)  # one transaction: all or nothing
            finally:
                settings.SIMPLE_HISTORY_ENABLED = history_enabled
        except Exception as error:
            raise CommandError(f"{path} could not be loaded, and nothing was: {error}") from None
        counts = {
            model._meta.label: model._default_manager.count()
            for model in apps.get_models()
            if model._meta.app_label in {"tracker", "auth"}
        }
        summary = ", ".join(f"{count} {label}" for label, count in counts.items() if count)
        self.stdout.write(f"Restored from {path}: {summary}.")
