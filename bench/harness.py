"""Timing, query counting and the floors: the parts every scenario shares."""

import os
import platform
import statistics
import time
from collections.abc import Callable
from unittest import mock

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the value below which `fraction` of the rounds fall."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(seconds: list[float]) -> dict:
    return {
        "rounds": len(seconds),
        "median_ms": statistics.median(seconds) * 1000,
        "p95_ms": percentile(seconds, 0.95) * 1000,
        "min_ms": min(seconds) * 1000,
    }


def measure(action: Callable[[], object], *, rounds: int, warmup: int, before: Callable | None = None) -> dict:
    """Run `action` `warmup` times untimed, then `rounds` times timed; `before` runs untimed before each."""
    for _ in range(warmup):
        if before:
            before()
        action()
    seconds = []
    for _ in range(rounds):
        if before:
            before()
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return summarise(seconds)


def count_queries(action: Callable[[], object]) -> tuple[object, list[str]]:
    """Run `action` once and return its result and the SQL it executed, as executed (parameters bound)."""
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return result, [query["sql"] for query in captured.captured_queries]


def data_queries(statements: list[str]) -> list[str]:
    """The statements that read the tracker's own tables: the page's data, without session and permission checks.

    A UNION's first SELECT may be in parentheses (PostgreSQL).
    """
    return [sql for sql in statements if '"tracker_' in sql and sql.lstrip("( \n").upper().startswith("SELECT")]


def replay(statements: list[str]) -> Callable[[], None]:
    """A floor: the same SQL through a raw cursor, every row fetched, nothing rendered."""

    def run():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    return run


def cache_reads(action: Callable[[], object]) -> list[str]:
    """Run `action` once and return the keys it read from the default cache (`get`), in order."""
    backend = caches["default"]
    read = backend.get
    keys = []

    def get(key, *args, **kwargs):
        keys.append(key)
        return read(key, *args, **kwargs)

    with mock.patch.object(backend, "get", get):
        action()
    return keys


def replay_with_cache(statements: list[str], keys: list[str]) -> Callable[[], None]:
    """A floor: the same SQL through a raw cursor and the same cache reads, nothing rendered."""
    sql = replay(statements)

    def run():
        sql()
        backend = caches["default"]
        for key in keys:
            backend.get(key)

    return run


def machine() -> dict:
    info = {
        "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "memory_gb": None,
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal"):
                    info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            info["database"] = "PostgreSQL " + cursor.fetchone()[0]
        else:
            info["database"] = connection.vendor
    import django

    info["django"] = django.get_version()
    return info
