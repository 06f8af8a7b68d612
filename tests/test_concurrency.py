"""Two analysts recording at once, on real PostgreSQL row locks."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from tests.factories import CommitmentFactory
from tracker import services
from tracker.models import Status

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL pointing to PostgreSQL"),
]


def test_concurrent_updates_each_see_the_other_as_before():
    commitment = CommitmentFactory()
    first_holds_lock = threading.Event()
    second_started = threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = services.progress_record(commitment=commitment, status=Status.IN_PROGRESS)
                first_holds_lock.set()
                second_started.wait(timeout=10)
                time.sleep(0.3)  # let the second block on the row lock before this commits
        finally:
            connections.close_all()

    def second():
        try:
            first_holds_lock.wait(timeout=10)
            second_started.set()
            results["second"] = services.progress_record(commitment=commitment, status=Status.STALLED)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results["first"].status_before == Status.ANNOUNCED
    assert results["second"].status_before == Status.IN_PROGRESS
    commitment.refresh_from_db()
    assert commitment.status == Status.STALLED
    assert commitment.updates.count() == 2
