"""Real processes for the integration tests: Celery workers and beat on the test database, and an SMTP sink."""

import asyncio
import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class SinkHandler:
    """Records each delivered message's follow-up key; optionally slow, like a real server."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.keys = []
        self.lock = threading.Lock()
        # Set while a message's DATA is in and its "250" not yet sent: a
        # worker killed then dies mid-send, with the message delivered.
        self.mid_send = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.keys.append(message["X-Tracker-Followup"])
        self.mid_send.set()
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.mid_send.clear()
        return "250 Message accepted for delivery"

    def checkups(self):
        with self.lock:
            return Counter(key for key in self.keys if key and key.startswith("checkup:"))


class SmtpSink:
    def __init__(self, port, delay=0.0):
        from aiosmtpd.controller import Controller

        self.handler = SinkHandler(delay)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, *, timeout, what, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tails}")


class Cluster:
    """The worker and beat processes of one test, each in its own process group."""

    def __init__(self, tmp_path, smtp_port):
        database = connection.settings_dict
        credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # The test database, which the transactional test commits to.
            "DATABASE_URL": f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "REDIS_URL": os.environ["REDIS_URL"],
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "2",
            "VAR_DIR": str(tmp_path / "var"),
            "FOLLOWUP_SWEEP_SECONDS": "1",
            "FOLLOWUP_LEASE_SECONDS": "5",
            "FOLLOWUP_RETRY_SECONDS": "1",
            "FOLLOWUP_RETRY_MAX_SECONDS": "2",
            "FOLLOWUP_MAX_ATTEMPTS": "100",
            "LOG_LEVEL": "INFO",
        }
        self.tmp_path = tmp_path
        self.processes = []
        self.logs = []
        self.workers_started = 0

    def _start(self, name, *arguments):
        log = self.tmp_path / f"{name}.log"
        self.logs.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments],
            cwd=ROOT,
            env=self.environment,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its pool children
        )
        self.processes.append(process)
        return process

    def start_worker(self, concurrency=2):
        self.workers_started += 1
        return self._start(
            f"worker{self.workers_started}",
            "worker",
            f"--concurrency={concurrency}",
            f"--hostname=worker{self.workers_started}@%h",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        )

    def start_beat(self):
        return self._start("beat", "beat", "--loglevel=INFO", f"--schedule={self.tmp_path / 'beat-schedule'}")

    @staticmethod
    def kill(process, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop(self):
        try:
            for process in self.processes:
                if process.poll() is None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self.kill(process, signal.SIGTERM)
        finally:
            for process in self.processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # and any pool child left behind
