"""`make run`: the whole tracker on one machine, in the foreground.

Checks the port first (so a clash changes nothing), migrates, loads the demo
with fresh passwords, starts web (runserver), worker and beat, waits until
the web answers /healthz and the worker answers a ping, and prints the
addresses and logins last. Ctrl-C (or SIGTERM) stops all three and exits 0.
"""

import contextlib
import errno
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

START_TIMEOUT = 120
STOP_TIMEOUT = 20


class Command(BaseCommand):
    help = "Start web, worker and beat with the demo data (make run); Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to serve on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to serve on (default 8000).")

    def handle(self, *args, host, port, **options):
        if not 0 < port < 65536:
            raise CommandError(f"PORT must be a number from 1 to 65535, not {port}.")
        problem = _port_problem(host, port)
        if problem:
            self.stderr.write(problem)
            raise SystemExit(1)

        call_command("migrate", interactive=False, stdout=self.stdout)
        logins = []
        for command in ("load_demo", "ensure_admin"):
            output = io.StringIO()
            call_command(command, reset_password=True, no_color=True, stdout=output)
            self.stdout.write(output.getvalue(), ending="")
            logins += [line for line in output.getvalue().splitlines() if "password" in line]

        address = f"http://{_browsable(host)}:{port}/"
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # Links in the emails point where this server really is.
        environment.setdefault("SITE_URL", address.rstrip("/"))
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        celery = [sys.executable, "-m", "celery", "-A", "config", "--quiet"]
        with _foreground_group(), Supervisor(self.stdout, environment) as supervisor:
            # The autoreloader's parent and its server child stop together.
            supervisor.start("web", [*manage, "runserver", f"{_bracketed(host)}:{port}"], stop_group=True)
            supervisor.start("worker", [*celery, "worker", "--loglevel=WARNING", "--concurrency=2"])
            supervisor.start("beat", [*celery, "beat", "--loglevel=WARNING"])
            if supervisor.wait_until_ready(address + "healthz"):
                supervisor.write(_banner(address, logins))
                supervisor.wait_for_stop()
        if supervisor.failure:
            self.stderr.write(supervisor.failure)
            raise SystemExit(1)


class Supervisor:
    """Child processes, each in its own session, their output prefixed with their name."""

    def __init__(self, stdout, environment):
        self.stdout = stdout
        self.environment = environment
        self.processes = {}
        self.stop_groups = set()
        self.relays = []
        self.lock = threading.Lock()
        self.last_output = time.monotonic()
        self.stopping = threading.Event()
        self.failure = ""

    def __enter__(self):
        self.previous_handlers = {
            number: signal.signal(number, lambda *_: self.stopping.set()) for number in (signal.SIGINT, signal.SIGTERM)
        }
        return self

    def __exit__(self, *exc_info):
        try:
            self.stop()
        finally:
            for number, handler in self.previous_handlers.items():
                signal.signal(number, handler)

    def start(self, name, arguments, *, stop_group=False):
        process = subprocess.Popen(  # noqa: S603 - our own commands
            arguments,
            cwd=settings.BASE_DIR,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Out of the terminal's reach: Ctrl-C reaches this process alone,
            # which then stops each child once (a second SIGINT would make
            # the worker abandon its tasks).
            start_new_session=True,
        )
        self.processes[name] = process
        if stop_group:
            self.stop_groups.add(name)
        relay = threading.Thread(target=self._relay, args=(f"{name:<6} | ", process.stdout), daemon=True)
        relay.start()
        self.relays.append(relay)

    def _relay(self, prefix, stream):
        for line in iter(stream.readline, b""):
            self.write(prefix + line.decode(errors="replace").rstrip("\n"))

    def write(self, text):
        with self.lock:
            self.stdout.write(text)
            self.stdout.flush()
            self.last_output = time.monotonic()

    def _exited(self):
        for name, process in self.processes.items():
            if process.poll() is not None:
                others = " and ".join(other for other in self.processes if other != name)
                self.failure = f"{name} exited with status {process.returncode}; {others} stopped."
                return True
        return False

    def _running(self):
        return not self.stopping.is_set() and not self._exited()

    def wait_until_ready(self, health_url):
        from config.celery import app

        deadline = time.monotonic() + START_TIMEOUT
        ready = {"web": False, "worker": False}
        while self._running():
            if time.monotonic() > deadline:
                waiting = " and ".join(name for name, done in ready.items() if not done)
                self.failure = f"{waiting} did not start within {START_TIMEOUT} s; stopped everything."
                return False
            if not ready["web"]:
                ready["web"] = _answers(health_url)
            elif not ready["worker"]:
                ready["worker"] = bool(app.control.ping(timeout=1.0, limit=1))
            else:
                # The children's start-up lines come first, so that the banner stays last.
                if time.monotonic() - self.last_output > 0.5:
                    return True
            self.stopping.wait(0.2)
        return False

    def wait_for_stop(self):
        while self._running():
            self.stopping.wait(0.5)

    def stop(self):
        # SIGTERM is a warm shutdown for the worker and beat. Their main
        # process alone: the worker's pool processes, signalled too, would
        # die mid-task and be reported as errors.
        for name, process in self.processes.items():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    (os.killpg if name in self.stop_groups else os.kill)(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.failure = self.failure or f"{name} did not stop within {STOP_TIMEOUT} s; killed."
            # Whatever it left behind in its session (pool processes, the reloader's child).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for relay in self.relays:
            relay.join(timeout=5)


def _port_problem(host, port):
    """Why runserver could not listen on host:port, or "" if it can."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        return f"HOST {host!r} is not an address of this machine: {error.strerror}"
    with socket.socket(family, kind, protocol) as probe:
        # As runserver does, so that a port still in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"Port {port} is in use on {host}: stop what uses it or run make run PORT={_other_port(host, port)}"
                )
            return f"Cannot serve on {host} port {port}: {error.strerror}"
    return ""


def _other_port(host, port):
    for candidate in range(port + 1, min(port + 100, 65536)):
        if not _port_problem(host, candidate):
            return candidate
    return port + 1


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http:// address
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _browsable(host):
    """The address a browser on this machine uses for `host`."""
    return {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, _bracketed(host))  # noqa: S104


def _bracketed(host):
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _banner(address, logins):
    if hasattr(settings, "EMAIL_FILE_PATH"):
        folder = os.path.relpath(settings.EMAIL_FILE_PATH)
        mail = f"{settings.EMAIL_FILE_PATH if folder.startswith('..') else folder}/*.eml"
    else:
        mail = "sent through EMAIL_URL"
    rule = "=" * 72
    lines = [
        rule,
        "The tracker is running. Ctrl-C stops web, worker and beat.",
        f"  Status board: {address}",
        f"  Admin:        {address}admin/",
        *(f"  {login}" for login in logins),
        f"  Emails:       {mail}",
        rule,
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def _foreground_group():
    """Ctrl-C for this command alone, not for `make` above it.

    The terminal sends Ctrl-C to its whole foreground process group. make is
    in it, dies of it and reports "Interrupt" however cleanly everything
    stopped. In a group of its own, made the terminal's foreground group,
    this command gets Ctrl-C alone and make sees its exit status.
    """
    try:
        terminal = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        yield
        return
    try:
        previous = os.tcgetpgrp(terminal)
        if previous != os.getpgrp() or os.getpgrp() == os.getpid():
            yield  # in the background, or already a group of its own
            return
        # Changing the foreground group from outside it raises SIGTTOU; and
        # Ctrl-Z would stop this group while make waits in the background.
        saved = {number: signal.signal(number, signal.SIG_IGN) for number in (signal.SIGTTOU, signal.SIGTSTP)}
        os.setpgid(0, 0)
        os.tcsetpgrp(terminal, os.getpgrp())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(terminal, previous)
            for number, handler in saved.items():
                signal.signal(number, handler)
    finally:
        os.close(terminal)
