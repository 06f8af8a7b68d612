"""The environment every bench process gets (the bench itself, gunicorn, the Celery workers)."""

import os
import socket
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_environment(smtp_port: int) -> dict:
    """Production-like settings (DEBUG off, manifest static files) against the bench database and Redis db."""
    VAR.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-key-not-for-production-" + "x" * 30,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(VAR / "static"),
        "VAR_DIR": str(VAR),
        "LOG_LEVEL": "WARNING",
        # The API's per-user throttle (2000/min) would turn a load test into 429s.
        "API_THROTTLE_USER": "100000000/min",
        # Likewise the public pages' limit per client address: every bench request comes from 127.0.0.1.
        "PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000",
        "PYTHONUNBUFFERED": "1",
    }
