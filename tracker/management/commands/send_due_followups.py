import smtplib

from django.core.mail import get_connection
from django.core.management.base import BaseCommand

from tracker import services
from tracker.models import FollowUp


class Command(BaseCommand):
    help = (
        "Run one follow-up sweep and send what is due, synchronously: the outbox without Celery "
        "(a cron job every minute does what the worker and beat do)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--digests", action="store_true", help="Also queue this week's digests (once a week, on Monday)."
        )
        parser.add_argument("--batch", type=int, default=100, help="Rows claimed at a time (default 100).")

    def handle(self, *args, digests=False, batch=100, **options):
        queued = services.followups_queue_due()
        if digests:
            queued += services.digests_queue()
        outcomes = {}
        # One SMTP connection for the run when the server answers; otherwise
        # each send opens its own and records the error on its row.
        connection = get_connection()
        try:
            connection.open()
        except (OSError, smtplib.SMTPException) as error:
            self.stderr.write(f"The mail server did not answer ({error}); the follow-ups will be retried later.")
        try:
            # Rows are claimed with a lease, so this can run beside Celery workers.
            while claimed := services.followups_claim_batch(limit=max(batch, 1)):
                for followup_id in claimed:
                    state = services.followup_deliver(followup_id=followup_id, mail_connection=connection)
                    outcomes[state] = outcomes.get(state, 0) + 1
                    if state in (FollowUp.State.PENDING, FollowUp.State.FAILED):
                        connection.close()  # a broken connection is reopened by the next send
        finally:
            connection.close()
        summary = ", ".join(f"{count} {state}" for state, count in sorted(outcomes.items())) or "nothing to send"
        self.stdout.write(f"{queued} new follow-ups queued; {summary}.")
