import os
from pathlib import Path

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Reminders live in FollowUp rows (an outbox); broker messages are only
# wake-ups. So: acknowledge after the task ran (a killed worker's message is
# redelivered), take one message at a time, JSON only, and bound every task.
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=60,
    task_time_limit=90,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    # Beat's schedule in the project's time zone (TIME_ZONE), like the dates it works with.
    timezone=settings.TIME_ZONE,
)
app.autodiscover_tasks()


def _ensure_broker_folders():
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _create_broker_folders(sender, **kwargs):
    _ensure_broker_folders()
