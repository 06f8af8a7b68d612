"""`make run`'s embedded default delivers follow-ups too: no Redis, no SMTP, no PostgreSQL.

A worker with an embedded beat on kombu's filesystem transport, an SQLite
file database with the demo data, and the file email backend: the demo's due
pledges must produce check-up emails under var/mail/ within seconds.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def embedded_environment(var_dir):
    environment = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(var_dir),
        FOLLOWUP_SWEEP_SECONDS="1",
        DEMO_PASSWORD="demo-password-for-tests",
    )
    return environment


def test_worker_and_beat_on_the_filesystem_broker_write_emails_to_var_mail(tmp_path):
    environment = embedded_environment(tmp_path)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=environment, check=True, capture_output=True, timeout=120)
    log = tmp_path / "celery.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--concurrency=1", "--loglevel=INFO"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    mail = tmp_path / "mail"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            written = "".join(path.read_text() for path in mail.glob("*.eml"))
            if written.count("Subject: Time to check:") >= 3:
                break
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    assert written.count("Subject: Time to check:") >= 3, log.read_text()[-3000:]
    assert "analyst@localhost" in written
    assert "/commitments/" in written
