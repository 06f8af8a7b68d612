"""`python -m bench` (`make bench`): every scenario at every size, then docs/PERFORMANCE.md.

Environment: BENCH_DATABASE_URL (PostgreSQL, created if missing), BENCH_REDIS_URL
(db 9 by default), BENCH_SIZES ("1000 100000"), BENCH_ROUNDS (20), BENCH_WARMUP (3),
BENCH_CSV_ROUNDS (5), BENCH_SWEEP_ROUNDS (5), BENCH_EMAILS (2000),
BENCH_HTTP_SECONDS (10), BENCH_IMPORT_ROWS ("1000 10000": the files the import scenario
checks and imports), BENCH_OUTPUT (docs/PERFORMANCE.md).

BENCH_SCENARIOS runs some of the scenarios only, for a quick look at one
part: a list of board (the cached board, the board after a change, the
filtered board), public (the public board for an anonymous reader: from its
cache, after a change, filtered and searched after a change), api, pledge,
csv, report (an assessment cycle's report of 100 pledges x 30 members),
similar (the earlier pledges that read like a new one, for the maker with the
most pledges), http, sweep, delivery, import (a generated file of new pledges
checked and imported, then removed). Such a run
writes no docs/PERFORMANCE.md and no var/bench/results.json, which need every
scenario: its raw results go to BENCH_OUTPUT (var/bench/partial-results.json
unless set) and a line per scenario to the output. With BENCH_REUSE_DATA=1 it
keeps the pledges an earlier run seeded, when there are as many as the size
asks for, instead of seeding them again (sweep and delivery change them).
"""

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
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


def reset_data(environment: dict, size: int, *, reuse: bool = False) -> dict:
    """An empty bench database seeded with `size` pledges and 5 updates each, timed; refuses real data.

    `reuse` keeps the pledges of an earlier run when there are `size` of them, a tenth published (untimed).
    """
    from django.core.management import call_command
    from django.db import connection

    from bench.harness import progress
    from tracker.management.commands.seed_bench import MARK, PUBLIC_SHARE
    from tracker.models import Commitment, ProgressUpdate

    if Commitment.objects.exclude(source_title=MARK).exists():
        raise SystemExit("The bench database holds pledges seed_bench did not generate; refusing to empty it.")
    published = len(range(0, size, PUBLIC_SHARE))
    if reuse and Commitment.objects.count() == size and Commitment.objects.filter(is_public=True).count() == published:
        progress(f"Reusing the {size:,} pledges already seeded (BENCH_REUSE_DATA); VACUUM ANALYZE")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        return {"pledges": size, "updates": ProgressUpdate.objects.count(), "seed_seconds": None, "reused": True}
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


# import runs last: it writes thousands of pledges (removed again after, leaving dead rows behind).
SCENARIOS = ("board", "public", "api", "pledge", "csv", "report", "similar", "http", "sweep", "delivery", "import")


def _words(name: str, default: str) -> list[str]:
    return os.environ.get(name, default).replace(",", " ").split()


def chosen_scenarios() -> tuple[str, ...]:
    chosen = tuple(_words("BENCH_SCENARIOS", " ".join(SCENARIOS)))
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown or not chosen:
        raise SystemExit(f"BENCH_SCENARIOS: {', '.join(unknown) or 'empty'}; choose among {', '.join(SCENARIOS)}")
    return chosen


def main() -> None:
    sizes = [int(size) for size in _words("BENCH_SIZES", "1000 100000")]
    only = chosen_scenarios()
    partial = set(only) != set(SCENARIOS)
    rounds, warmup = _int("BENCH_ROUNDS", 20), _int("BENCH_WARMUP", 3)
    csv_rounds, sweep_rounds = _int("BENCH_CSV_ROUNDS", 5), _int("BENCH_SWEEP_ROUNDS", 5)
    emails, http_seconds = _int("BENCH_EMAILS", 2000), _int("BENCH_HTTP_SECONDS", 10)
    import_rows = [int(rows) for rows in _words("BENCH_IMPORT_ROWS", "1000 10000")]
    default_output = "var/bench/partial-results.json" if partial else "docs/PERFORMANCE.md"
    output = BASE_DIR / os.environ.get("BENCH_OUTPUT", default_output)
    smtp_port, http_port = free_port(), free_port()
    environment = bench_environment(smtp_port)
    os.environ.update(environment)
    sys.path.insert(0, str(BASE_DIR))

    from bench.harness import progress

    progress(f"Sizes {sizes}, {rounds} rounds after {warmup} warm-up; database {environment['DATABASE_URL']}")
    if partial:
        progress(f"Scenarios {', '.join(only)} only (BENCH_SCENARIOS)")
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
        data = reset_data(environment, size, reuse=partial and os.environ.get("BENCH_REUSE_DATA") == "1")
        reads = scenarios.reads(rounds=rounds, warmup=warmup, csv_rounds=csv_rounds, only=only)
        run = {"data": data, "scenarios": reads["scenarios"], "api": reads["api"]}
        if "http" in only:
            progress("HTTP throughput under gunicorn (2 workers)")
            targets = processes.http_targets(reads["session_cookie"], reads.get("api_token"), reads["api"])
            run["http"] = processes.http_throughput(environment, http_port, targets, seconds=http_seconds)
        if "sweep" in only:
            progress("Follow-up sweep")
            run["scenarios"].append(scenarios.sweep(rounds=sweep_rounds, warmup=1, due=min(scenarios.SWEEP_DUE, size)))
        if "delivery" in only:
            progress("Follow-up delivery")
            due = min(emails, size // 2)
            delivery = processes.delivery(environment, smtp_port, emails=due, warmup_emails=min(200, size // 10))
            delivery["floor"] = processes.smtplib_floor(environment, smtp_port, emails=due)
            delivery["profile"] = processes.profile_sends(environment, smtp_port, emails=min(200, size // 10))
            run["delivery"] = delivery
        if "import" in only:
            progress(f"Import of pledges from a file ({', '.join(f'{rows:,}' for rows in import_rows)} rows)")
            run["import"] = scenarios.import_pledges(rows=import_rows)
        run["load_average"] = [round(load, 2) for load in os.getloadavg()]
        results["sizes"][str(size)] = run
        if partial:
            _print_scenarios(size, run)
        else:
            (VAR / "results.json").write_text(json.dumps(results, indent=1, default=str))
    results["finished"] = datetime.datetime.now(datetime.UTC).isoformat()
    if partial:
        output.write_text(json.dumps(results, indent=1, default=str))
        progress(f"Wrote {_shown(output)} (raw results of {', '.join(only)})")
        return
    (VAR / "results.json").write_text(json.dumps(results, indent=1, default=str))
    output.write_text(report.render(results))
    progress(f"Wrote {_shown(output)} (raw results in {_shown(VAR / 'results.json')})")


def _print_scenarios(size: int, run: dict) -> None:
    from bench.harness import progress

    for scenario in run["scenarios"]:
        floor = scenario.get("floor") or {}
        line = f"{size:,} pledges, {scenario['name']}: median {scenario['median_ms']:.1f} ms"
        line += f", p95 {scenario['p95_ms']:.1f} ms, {scenario['queries']} queries"
        if floor.get("median_ms"):
            ratio = scenario["median_ms"] / floor["median_ms"]
            line += f"; floor median {floor['median_ms']:.1f} ms (min {floor['min_ms']:.1f}), ratio {ratio:.1f}x"
        if "served_from_cache" in scenario:
            line += f"; {scenario['bytes'] / 1000:.0f} kB"
            line += ", served from its cache" if scenario["served_from_cache"] else ", NOT served from its cache"
        if "trigram_index_used" in scenario:
            line += f"; {scenario['maker_pledges']:,} pledges of the maker, indexes read: "
            line += ", ".join(scenario["indexes"]) or "none"
        progress(line)
        if scenario.get("plan"):
            progress("Plan of the similarity query:\n" + scenario["plan"])
    for measured in (run.get("import") or {}).get("files", []):
        for step in ("check", "import"):
            done = measured[step]
            progress(
                f"{size:,} pledges, {step} of {measured['rows']:,} rows: {done['seconds']:.1f} s"
                f" ({done['rows_per_second']:.0f} rows/s), {done['queries']:,} queries"
                f" ({done['queries_per_row']:.2f} per row), {done['sql_seconds']:.1f} s in SQL"
            )
    progress(f"Load average (1, 5, 15 min): {', '.join(map(str, run['load_average']))}")


def _shown(path: Path) -> str:
    """`path` relative to the project when it is inside it (BENCH_OUTPUT may point anywhere)."""
    return str(path.relative_to(BASE_DIR)) if path.is_relative_to(BASE_DIR) else str(path)


if __name__ == "__main__":
    main()
