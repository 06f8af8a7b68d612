"""Scenarios that need other processes: delivery by Celery workers to an SMTP sink, and HTTP under gunicorn."""

import cProfile
import io
import os
import pstats
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from django.db import close_old_connections
from django.db.models import Count

from bench.env import BASE_DIR, VAR
from bench.harness import progress
from bench.smtp_sink import accepted
from bench.urls import TRIVIAL_URL

DELIVERY_TIMEOUT = 300


def _wait_for_port(port: int, process: subprocess.Popen, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} (exit code {process.poll()})")


def _stop(process: subprocess.Popen, *, timeout: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def smtp_sink(port: int, environment: dict):
    """aiosmtpd in its own process, accepting and counting every message (bench.smtp_sink.CountingSink)."""
    count_file = VAR / f"sink-{port}.count"
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    command += ["-c", "bench.smtp_sink.CountingSink", str(count_file)]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=environment)  # noqa: S603
    try:
        _wait_for_port(port, process)
        yield count_file
    finally:
        _stop(process)


@contextmanager
def celery_workers(environment: dict, *, concurrency: int = 2):
    """`celery -A config worker --concurrency=2` on the bench Redis db, ready when it answers a ping."""
    from config.celery import app

    log = open(VAR / "worker.log", "w")  # noqa: SIM115 - closed below
    command = [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker"]
    command += [f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-gossip", "--without-mingle"]
    command += ["-n", f"bench-{time.time_ns()}@%h"]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start; see {VAR / 'worker.log'}")
        yield process
    finally:
        _stop(process, timeout=60)
        log.close()


def _flush_bench_redis() -> None:
    """Empty the bench's own Redis database (BENCH_REDIS_URL, db 9 by default) of leftover wake-ups."""
    from config.celery import app

    with app.connection_for_write() as broker:
        broker.default_channel.client.flushdb()


def _sent_count(ids) -> int:
    from tracker.models import FollowUp

    close_old_connections()
    return FollowUp.objects.filter(commitment_id__in=ids, state=FollowUp.State.SENT).count()


def _deliver(ids: list[int], received: Callable[[], int]) -> dict:
    """Queue check-ups for `ids` (all due today), wake the workers, and wait until every one is sent.

    `received` counts the sink's messages: the wait watches it (a file read)
    and asks the database only once the sink has had them all, or once a
    second otherwise (rows that fail never reach it), so that the waiting
    takes next to nothing from the workers' 2 cores.
    """
    from tracker import followups as outbox
    from tracker import tasks
    from tracker.models import FollowUp

    def unfinished():
        return FollowUp.objects.filter(
            commitment_id__in=ids, state__in=[FollowUp.State.PENDING, FollowUp.State.SENDING]
        ).exists()

    # The rows go into the outbox first, untimed (the sweep scenario times
    # that); the clock runs from the wake-up to the last row sent.
    queued = outbox.followups_sweep()["queued"]
    expected = received() + len(ids)
    start = time.perf_counter()
    # In this process: wake the rows, one followups_send message per FOLLOWUP_SEND_BATCH of them.
    swept = tasks.followups_sweep()
    queued_at = time.perf_counter()
    next_check = queued_at + 1.0
    while time.perf_counter() - start < DELIVERY_TIMEOUT:
        if received() >= expected or time.perf_counter() >= next_check:
            if not unfinished():
                break
            next_check = time.perf_counter() + 1.0
        time.sleep(0.02)
    done = _sent_count(ids)
    elapsed = time.perf_counter() - start
    states = dict(
        FollowUp.objects.filter(commitment_id__in=ids).values_list("state").annotate(count=Count("id")).order_by()
    )
    reasons = list(
        FollowUp.objects.filter(commitment_id__in=ids)
        .exclude(state=FollowUp.State.SENT)
        .values_list("last_error", flat=True)[:5]
    )
    return {
        "sent": done,
        "seconds": elapsed,
        "enqueue_seconds": queued_at - start,
        "queued": queued,
        "woken": swept["woken"],
        "states": states,
        "not_sent_because": reasons,
    }


def _vacuum(*tables: str) -> None:
    """VACUUM ANALYZE: staging a scenario rewrites tens of thousands of rows (make_due, the
    sweep's rounds), and autovacuum cleaning up after it would otherwise run during the
    timed part, on the same 2 cores."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def delivery(environment: dict, smtp_port: int, *, emails: int, warmup_emails: int = 200) -> dict:
    """Emails per second from the outbox through 2 Celery worker processes to a local SMTP sink."""
    from bench.scenarios import make_due
    from tracker import followups as outbox
    from tracker.models import FollowUp

    # No pledge due, and this week's digests already sent, so that only the rows made due below are sent.
    make_due(0)
    outbox.digests_queue_if_due()
    FollowUp.objects.filter(kind=FollowUp.Kind.DIGEST).update(state=FollowUp.State.SENT)
    _flush_bench_redis()
    with smtp_sink(smtp_port, environment) as count_file, celery_workers(environment):
        time.sleep(2)  # the worker's start-up sweep, which finds nothing
        progress(f"  delivery warm-up: {warmup_emails} emails")
        ids = make_due(emails + warmup_emails)
        # make_due empties the outbox; the digests go back in as sent.
        outbox.digests_queue_if_due()
        FollowUp.objects.filter(kind=FollowUp.Kind.DIGEST).update(state=FollowUp.State.SENT)
        warm, measured = ids[:warmup_emails], ids[warmup_emails:]
        from tracker.models import Commitment

        Commitment.objects.filter(pk__in=measured).update(next_check_on=_tomorrow())
        _deliver(warm, lambda: accepted(count_file))
        Commitment.objects.filter(pk__in=measured).update(next_check_on=_today())
        _vacuum("tracker_commitment", "tracker_followup")
        before = accepted(count_file)
        progress(f"  delivery: {len(measured):,} emails, 2 worker processes")
        result = _deliver(measured, lambda: accepted(count_file))
        received = accepted(count_file) - before
    rate = result["sent"] / result["seconds"] if result["seconds"] else 0
    progress(f"  delivery: {result['sent']:,} sent in {result['seconds']:.1f} s = {rate:.0f} emails/s")
    return {
        "name": f"delivery ({len(measured):,} emails, 2 worker processes)",
        "emails": len(measured),
        **result,
        "received_by_sink": received,
        "emails_per_second": rate,
    }


def _today():
    from django.utils import timezone

    return timezone.localdate()


def _tomorrow():
    import datetime

    return _today() + datetime.timedelta(days=1)


def smtplib_floor(environment: dict, smtp_port: int, *, emails: int) -> dict:
    """The same sink fed by a plain smtplib loop on one connection, with a real follow-up's bytes."""
    from tracker import emails as tracker_emails
    from tracker.models import FollowUp

    followup = FollowUp.objects.filter(state=FollowUp.State.SENT, kind=FollowUp.Kind.CHECKUP).first()
    # CRLF line endings, as Django's SMTP backend sends it.
    data = tracker_emails.followup_message(followup).message().as_bytes(linesep="\r\n")
    with smtp_sink(smtp_port, environment) as count_file:
        start = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp_port) as client:
            for _ in range(emails):
                client.sendmail("tracker@localhost", [followup.recipient.email], data)
        seconds = time.perf_counter() - start
        received = accepted(count_file)
    rate = emails / seconds
    progress(f"  smtplib floor: {emails:,} emails in {seconds:.1f} s = {rate:.0f} emails/s ({len(data)} bytes each)")
    return {"emails": emails, "seconds": seconds, "emails_per_second": rate, "bytes": len(data), "received": received}


# Where a send spends its time: cProfile buckets, by the function that owns the time.
PROFILE_BUCKETS = {
    "SMTP connection opened (connect, EHLO)": [("smtplib.py", "connect"), ("smtplib.py", "ehlo")],
    "SMTP message sent (MAIL, RCPT, DATA)": [("smtplib.py", "sendmail")],
    "SMTP connection closed (QUIT)": [("smtplib.py", "quit")],
    "SQL round trips (cursor.execute)": [("django/db/backends/utils.py", "execute")],
    "ORM (building, running and reading queries)": [("django/db/models/sql/compiler.py", "execute_sql")],
    "templates rendered": [("django/template/base.py", "render")],
    "MIME message built": [("django/core/mail/message.py", "message")],
}


def profile_sends(environment: dict, smtp_port: int, *, emails: int = 200) -> dict:
    """tasks.followups_send for `emails` rows in this process under cProfile, as one worker runs the sweep's batches."""
    from django.conf import settings
    from django.test import override_settings

    from bench.scenarios import make_due
    from tracker import followups as outbox
    from tracker import tasks
    from tracker.models import FollowUp

    make_due(emails)
    outbox.followups_queue_due()
    ids = list(
        FollowUp.objects.filter(kind=FollowUp.Kind.CHECKUP, state=FollowUp.State.PENDING).values_list("pk", flat=True)
    )
    profiler = cProfile.Profile()
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": smtp_port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    }
    with smtp_sink(smtp_port, environment), override_settings(**smtp):
        start = time.perf_counter()
        profiler.enable()
        # The task's body, as a worker runs it: batches as the sweep wakes them, one SMTP connection throughout.
        size = settings.FOLLOWUP_SEND_BATCH
        states = []
        for first in range(0, len(ids), size):
            states += tasks.followups_send(ids[first : first + size]).values()
        tasks.mail.drop()
        profiler.disable()
        seconds = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    buckets = {}
    for label, functions in PROFILE_BUCKETS.items():
        total = 0.0
        for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items():
            if name in {function for path, function in functions if filename.endswith(path)}:
                # cumulative time of the outermost frames only (callers outside the same function)
                total = max(total, cumulative) if name in {"execute", "render", "execute_sql"} else total + cumulative
        buckets[label] = total / len(ids) * 1000 if ids else 0
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    (VAR / "delivery-profile.txt").write_text(text.getvalue())
    per_send = seconds / len(ids) * 1000 if ids else 0
    progress(f"  profile: {len(ids)} sends in one process, {per_send:.1f} ms each")
    return {
        "sends": len(ids),
        "batch": size,
        "sent": states.count("sent"),
        "ms_per_send": per_send,
        "buckets_ms": buckets,
        "profile_file": str((VAR / "delivery-profile.txt").relative_to(BASE_DIR)),
    }


# HTTP throughput -------------------------------------------------------------------------------


@contextmanager
def gunicorn(environment: dict, port: int, *, workers: int = 2):
    command = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", f"--workers={workers}"]
    command += [f"--bind=127.0.0.1:{port}", "--log-level=warning"]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=environment)  # noqa: S603
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def ensure_wrk() -> str | None:
    """Debian's wrk, installed with apt-get when missing and allowed (root); None means the Python fallback."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        progress("  installing wrk (apt-get install -y wrk)")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)  # noqa: S607
    return shutil.which("wrk")


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]


def wrk(url: str, header: str, *, seconds: int, connections: int) -> dict:
    # A 30 s timeout: wrk's default (2 s) drops slow responses from the latency figures.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-H", header, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return parse_wrk(output)


def parse_wrk(output: str) -> dict:
    """Requests per second, latency percentiles and errors from wrk --latency's report."""
    latency = dict(re.findall(r"^\s*(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_ms": _seconds(latency["50"]) * 1000 if "50" in latency else None,
        "p90_ms": _seconds(latency["90"]) * 1000 if "90" in latency else None,
        "p99_ms": _seconds(latency["99"]) * 1000 if "99" in latency else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
        "tool": "wrk",
    }


def python_load(url: str, header: str, *, seconds: int, connections: int) -> dict:
    """A fallback load generator when wrk is missing: `connections` threads in a closed loop."""
    name, value = header.split(": ", 1)
    latencies, failures = [], []
    deadline = time.monotonic() + seconds

    def loop():
        while time.monotonic() < deadline:
            request = urllib.request.Request(url, headers={name: value})  # noqa: S310 - loopback only
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    response.read()
                latencies.append(time.perf_counter() - start)
            except Exception as error:
                failures.append(error)

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies) or [0]

    def at(fraction):
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    return {
        "requests_per_second": len(latencies) / seconds,
        "requests": len(latencies),
        "p50_ms": at(0.5),
        "p90_ms": at(0.9),
        "p99_ms": at(0.99),
        "non_2xx": len(failures),
        "socket_errors": "",
        "tool": "python threads (wrk missing)",
    }


def http_throughput(environment: dict, port: int, targets: list[tuple[str, str, str]], *, seconds: int) -> list:
    """Requests per second and latency of each (name, path, header) under gunicorn with 2 workers."""
    load = wrk if ensure_wrk() else python_load
    results = []
    with gunicorn(environment, port) as base:
        for name, path, header in targets:
            load(base + path, header, seconds=2, connections=4)  # warm-up: imports, templates, connections
            progress(f"  HTTP {name}: {seconds} s, 8 connections")
            result = load(base + path, header, seconds=seconds, connections=8)
            progress(f"  HTTP {name}: {result['requests_per_second']:.1f} req/s, p50 {result['p50_ms']} ms")
            results.append({"name": name, "path": path, **result})
    return results


def http_targets(session_cookie: str, token: str | None, api: bool) -> list:
    from bench.scenarios import API_FILTERED_URL, BOARD_URL

    cookie = f"Cookie: sessionid={session_cookie}"
    targets = [("board", BOARD_URL, cookie)]
    if api:
        auth = f"Authorization: Token {token}" if token else cookie
        targets.append(("API list (filtered, page of 50)", API_FILTERED_URL, auth))
        targets.append(("trivial DRF view (floor)", TRIVIAL_URL, auth))
    else:
        targets.append(("trivial DRF view (floor)", TRIVIAL_URL, cookie))
    return targets
