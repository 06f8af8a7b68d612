"""`python -m bench` (`make bench`): every scenario at every size, then docs/PERFORMANCE.md.

Environment: BENCH_DATABASE_URL (PostgreSQL, created if missing), BENCH_REDIS_URL
(db 9 by default), BENCH_SIZES ("1000 100000"), BENCH_ROUNDS (20), BENCH_WARMUP (3),
BENCH_CSV_ROUNDS (5), BENCH_SWEEP_ROUNDS (5), BENCH_EMAILS (2000),
BENCH_HTTP_SECONDS (10), BENCH_OUTPUT (docs/PERFORMANCE.md).
"""

import datetime
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from bench.env import BASE_DIR, VAR, bench_environment, free_port


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def ensure_database(url: str) -> None:
    """CREATE DATABASE when the bench database does not exist yet (PostgreSQL only)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            from bench.harness import progress

            progress(f"Creating database {name}")
            admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


def manage(environment: dict, *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=BASE_DIR, env=environment, check=True)  # noqa: S603


def reset_data(environment: dict, size: int) -> dict:
    """An empty bench database seeded with `size` pledges and 5 updates each, timed; refuses real data."""
    from django.core.management import call_command
    from django.db import connection

    from bench.harness import progress
    from tracker.management.commands.seed_bench import MARK
    from tracker.models import Commitment

    if Commitment.objects.exclude(source_title=MARK).exists():
        raise SystemExit("The bench database holds pledges seed_bench did not generate; refusing to empty it.")
    progress("Emptying the bench database (flush)")
    call_command("flush", interactive=False, verbosity=0)
    connection.close()
    updates = size * 5
    progress(f"Seeding {size:,} pledges and {updates:,} updates (seed_bench)")
    start = time.perf_counter()
    manage(environment, "seed_bench", "--commitments", str(size), "--updates", str(updates))
    seconds = time.perf_counter() - start
    progress(f"Seeded in {seconds:.1f} s; VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"pledges": size, "updates": updates, "seed_seconds": seconds}


def main() -> None:
    sizes = [int(size) for size in os.environ.get("BENCH_SIZES", "1000 100000").replace(",", " ").split()]
    rounds, warmup = _int("BENCH_ROUNDS", 20), _int("BENCH_WARMUP", 3)
    csv_rounds, sweep_rounds = _int("BENCH_CSV_ROUNDS", 5), _int("BENCH_SWEEP_ROUNDS", 5)
    emails, http_seconds = _int("BENCH_EMAILS", 2000), _int("BENCH_HTTP_SECONDS", 10)
    output = BASE_DIR / os.environ.get("BENCH_OUTPUT", "docs/PERFORMANCE.md")
    smtp_port, http_port = free_port(), free_port()
    environment = bench_environment(smtp_port)
    os.environ.update(environment)
    sys.path.insert(0, str(BASE_DIR))

    from bench.harness import progress

    progress(f"Sizes {sizes}, {rounds} rounds after {warmup} warm-up; database {environment['DATABASE_URL']}")
    ensure_database(environment["DATABASE_URL"])
    progress("Migrating and collecting static files")
    manage(environment, "migrate", "--noinput", "-v", "0")
    manage(environment, "collectstatic", "--noinput", "-v", "0")

    import django

    django.setup()
    from bench import processes, report, scenarios
    from bench.harness import machine

    results = {"machine": machine(), "started": datetime.datetime.now(datetime.UTC).isoformat(), "sizes": {}}
    results["settings"] = {"rounds": rounds, "warmup": warmup, "csv_rounds": csv_rounds, "sweep_rounds": sweep_rounds}
    for size in sizes:
        progress(f"=== {size:,} pledges ===")
        data = reset_data(environment, size)
        reads = scenarios.reads(rounds=rounds, warmup=warmup, csv_rounds=csv_rounds)
        progress("HTTP throughput under gunicorn (2 workers)")
        targets = processes.http_targets(reads["session_cookie"], reads.get("api_token"), reads["api"])
        http = processes.http_throughput(environment, http_port, targets, seconds=http_seconds)
        progress("Follow-up sweep")
        sweep = scenarios.sweep(rounds=sweep_rounds, warmup=1, due=min(scenarios.SWEEP_DUE, size))
        progress("Follow-up delivery")
        due = min(emails, size // 2)
        delivery = processes.delivery(environment, smtp_port, emails=due, warmup_emails=min(200, size // 10))
        delivery["floor"] = processes.smtplib_floor(environment, smtp_port, emails=due)
        delivery["profile"] = processes.profile_sends(environment, smtp_port, emails=min(200, size // 10))
        results["sizes"][str(size)] = {
            "load_average": [round(load, 2) for load in os.getloadavg()],
            "data": data,
            "scenarios": reads["scenarios"] + [sweep],
            "api": reads["api"],
            "http": http,
            "delivery": delivery,
        }
        (VAR / "results.json").write_text(json.dumps(results, indent=1, default=str))
    results["finished"] = datetime.datetime.now(datetime.UTC).isoformat()
    (VAR / "results.json").write_text(json.dumps(results, indent=1, default=str))
    output.write_text(report.render(results))
    written = output.relative_to(BASE_DIR) if output.is_relative_to(BASE_DIR) else output
    progress(f"Wrote {written} (raw results in {(VAR / 'results.json').relative_to(BASE_DIR)})")


if __name__ == "__main__":
    main()
