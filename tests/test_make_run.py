"""`make run`'s embedded mode: the run_local supervisor as a newcomer meets it, and emails as .eml files.

The supervisor runs for real (web, worker and beat on SQLite and the
filesystem broker) in a temporary VAR_DIR, under a shell on a pseudo-terminal
as under make, so that Ctrl-C is the terminal's.
"""

import email
import json
import os
import pty
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from tests.factories import CommitmentFactory, today
from tests.processes import ROOT, free_port, wait_until
from tracker.models import FollowUp

RULE = "=" * 72


def embedded_environment(tmp_path, **variables):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'db.sqlite3'}",
        DEMO_PASSWORD="demo-password-for-tests",
        ADMIN_PASSWORD="admin-password-for-tests",
        **variables,
    )
    return environment


class Terminal:
    """A shell command on a pseudo-terminal, as `make run` is in a terminal window."""

    def __init__(self, command, environment):
        self.pid, self.master = pty.fork()
        if self.pid == 0:  # the child: a session of its own with this terminal
            try:
                os.chdir(ROOT)
                os.execve("/bin/sh", ["sh", "-c", command], environment)  # noqa: S606
            finally:
                os._exit(127)
        self.chunks = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the terminal closed: everything on it exited
                return
            if not chunk:
                return
            self.chunks.append(chunk)

    @property
    def output(self):
        return b"".join(self.chunks).decode(errors="replace").replace("\r\n", "\n")

    def ctrl_c(self):
        os.write(self.master, b"\x03")

    def close(self):
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            pass
        else:
            os.killpg(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.master)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the test's own server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_make_run_prints_the_addresses_and_logins_last_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    command = f"{sys.executable} manage.py run_local --port {port}; echo exit-status=$?"
    terminal = Terminal(command, embedded_environment(tmp_path))
    try:
        wait_until(lambda: terminal.output.count(RULE) == 2, timeout=120, what="the banner")
        time.sleep(1.5)
        output = terminal.output
        banner = output[output.index(RULE) :]
        assert output.rstrip().endswith(RULE), output[-2000:]
        assert f"Status board: http://127.0.0.1:{port}/\n" in banner
        assert f"Admin:        http://127.0.0.1:{port}/admin/\n" in banner
        assert "Demo analyst created: username 'analyst', password 'demo-password-for-tests'" in banner
        assert "Admin account created: username 'admin', password 'admin-password-for-tests'" in banner
        assert f"{tmp_path / 'var' / 'mail'}/*.eml" in banner
        assert "No hostname was supplied" not in output
        assert "celery@" not in output  # Celery's start-up banners stay quiet

        status, health = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(health)["status"] == "ok", health
        status, page = get(f"http://127.0.0.1:{port}/accounts/login/?next=/")
        assert status == 200 and "password" in page.lower()

        started = time.monotonic()
        terminal.ctrl_c()
        wait_until(lambda: "exit-status=" in terminal.output, timeout=30, what="run_local to stop")
        stopped_in = time.monotonic() - started
    finally:
        terminal.close()
    output = terminal.output
    # The shell, like make, was spared Ctrl-C: it lived on to print the status.
    assert "exit-status=0" in output, output[-3000:]
    assert stopped_in < 20
    assert "ERROR" not in output
    assert "Traceback" not in output
    assert "killed" not in output
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # nothing left listening


def test_a_taken_port_is_refused_before_any_password_is_reset(tmp_path):
    environment = embedded_environment(tmp_path)
    for arguments in (["migrate", "--noinput", "-v", "0"], ["ensure_admin"]):
        subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment, check=True, timeout=120)

    def admin_password_hash():
        with sqlite3.connect(tmp_path / "var" / "db.sqlite3") as database:
            return database.execute("SELECT password FROM auth_user WHERE username = 'admin'").fetchone()[0]

    before = admin_password_hash()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "run_local", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode != 0
    assert f"Port {port} is in use on 127.0.0.1: stop what uses it or run make run PORT=" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # no migration, no demo, nothing started
    assert admin_password_hash() == before


def test_a_port_out_of_range_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "run_local", "--port", "70000"],
        cwd=ROOT,
        env=embedded_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "PORT must be a number from 1 to 65535, not 70000." in result.stderr
    assert "Traceback" not in result.stderr


# Emails as files


@pytest.fixture
def eml_backend(settings, tmp_path):
    settings.EMAIL_BACKEND = "tracker.mailfiles.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return tmp_path / "mail"


def test_eml_backend_writes_each_message_to_its_own_file(eml_backend):
    first = EmailMultiAlternatives("Time to check: Samurai Bond", "Plain text", "tracker@localhost", ["a@example.org"])
    first.attach_alternative("<p>HTML</p>", "text/html")
    second = EmailMultiAlternatives(
        "Overdue: Toyota", "Plain", "tracker@localhost", ["b@example.org"], headers={"Message-ID": "<x/1@tracker>"}
    )

    assert mail.get_connection().send_messages([first, second]) == 2

    files = sorted(eml_backend.iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    messages = [email.message_from_bytes(path.read_bytes()) for path in files]
    assert [message["Subject"] for message in messages] == ["Time to check: Samurai Bond", "Overdue: Toyota"]
    assert [message["To"] for message in messages] == ["a@example.org", "b@example.org"]
    assert messages[0]["From"] == "tracker@localhost"
    assert messages[1]["Message-ID"] == "<x/1@tracker>"
    assert files[1].name.endswith("-x-1@tracker.eml")
    assert [part.get_content_type() for part in messages[0].walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]


@pytest.mark.django_db
def test_a_follow_up_in_the_embedded_mode_is_an_eml_file(eml_backend, analyst):
    CommitmentFactory(title="Kenyan Samurai Bond", next_check_on=today(), owner=analyst)

    call_command("send_due_followups", stdout=StringIO())

    messages = [email.message_from_bytes(path.read_bytes()) for path in eml_backend.glob("*.eml")]
    (message,) = [message for message in messages if message["X-Tracker-Followup"].startswith("checkup:")]
    followup = FollowUp.objects.get(dedupe_key=message["X-Tracker-Followup"])
    assert message["Subject"].startswith("Time to check: Kenyan Samurai Bond")
    assert followup.state == FollowUp.State.SENT
    assert message["Message-ID"] == followup.message_id
    assert message["To"] == analyst.email
    assert mail.outbox == []


def test_the_embedded_default_writes_eml_files(tmp_path):
    script = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=embedded_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "tracker.mailfiles.EmlFileBackend"
