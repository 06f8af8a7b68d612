import smtplib

from django.conf import settings
from django.core.mail import get_connection
from django.core.management.base import BaseCommand, CommandError

from tracker import followups
from tracker.models import FollowUp


class Command(BaseCommand):
    help = (
        "Run one follow-up sweep and send what is due, synchronously: the outbox without Celery "
        "(a cron job every minute does what the worker and beat do). This week's digests are queued "
        "from Monday at FOLLOWUP_DIGEST_HOUR on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--digests", action="store_true", help="Queue this week's digests now, whatever the day.")
        parser.add_argument(
            "--batch", type=int, default=None, help="Rows claimed at a time (default FOLLOWUP_SEND_BATCH, 25)."
        )

    def handle(self, *args, digests=False, batch=None, **options):
        if batch is None:
            batch = settings.FOLLOWUP_SEND_BATCH
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        sweep = followups.followups_sweep()
        queued = sweep["queued"]
        if digests:
            queued += followups.digests_queue()
        outcomes = {}
        # One SMTP connection for the run when the server answers; otherwise
        # each send opens its own and records the error on its row.
        connection = get_connection()
        self._open(connection)
        try:
            # Rows are claimed a batch at a time with a lease (renewed when it
            # runs short), so this can run beside Celery workers or another cron run.
            while claimed := followups.followups_claim_due(limit=batch):
                states = followups.followups_deliver(followup_ids=claimed, mail_connection=connection).values()
                for state in states:
                    outcomes[state] = outcomes.get(state, 0) + 1
                if {FollowUp.State.PENDING, FollowUp.State.FAILED} & set(states):
                    connection.close()  # perhaps broken: start the next batch on a fresh one
                    self._open(connection, quiet=True)
        finally:
            connection.close()
        summary = ", ".join(f"{count} {state}" for state, count in sorted(outcomes.items())) or "nothing to send"
        self.stdout.write(f"{queued} new follow-ups queued; {summary}.")

    def _open(self, connection, quiet=False):
        try:
            connection.open()
        except (OSError, smtplib.SMTPException) as error:
            if not quiet:
                self.stderr.write(f"The mail server did not answer ({error}); the follow-ups will be retried later.")
