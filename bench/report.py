"""docs/PERFORMANCE.md from a run's results (bench.run writes them to var/bench/results.json too)."""

import itertools
import json
import sys
from pathlib import Path

TARGET_SIZE = "100000"
# The import's target: a file of this many new pledges imported in under IMPORT_TARGET_SECONDS.
IMPORT_TARGET_ROWS = 10_000
IMPORT_TARGET_SECONDS = 60
# The public board's targets: served from the server's cache, and right after a change (cache missed).
PUBLIC_CACHED_TARGET_MS = 50
PUBLIC_MISSED_TARGET_MS = 200
# The scenarios' names (bench.scenarios.public_board), which the targets look up.
PUBLIC_BOARD = "public board"
PUBLIC_BOARD_MISSED = "public board after a change"
# Written by a person from a run's numbers: why a target is missed and what would meet it.
ANALYSIS = Path(__file__).with_name("ANALYSIS.md")


def _ms(value) -> str:
    return "—" if value is None else (f"{value:,.1f} ms" if value < 1000 else f"{value / 1000:,.2f} s")


def _ratio(scenario) -> str:
    floor = scenario.get("floor")
    if not floor or not floor.get("median_ms"):
        return "—"
    return f"{scenario['median_ms'] / floor['median_ms']:.1f}x"


def _slower(floor, delivery) -> str:
    return f"{floor['emails_per_second'] / max(delivery['emails_per_second'], 1e-9):.1f}x slower"


def _by_name(results) -> dict:
    names = {}
    for size, run in results["sizes"].items():
        for scenario in run["scenarios"]:
            names.setdefault(_base_name(scenario["name"]), {})[size] = scenario
    return names


def _base_name(name: str) -> str:
    return name.split(" (")[0] if name.startswith("sweep") else name


def _scenario_table(name, per_size) -> list[str]:
    lines = [f"### {name}", ""]
    first = next(iter(per_size.values()))
    if first.get("url"):
        how = {"token": " (token header)", "anonymous": " (anonymous)"}.get(first.get("auth"), "")
        lines += [f"`GET {first['url']}`{how}", ""]
    if first.get("floor"):
        lines += [f"Floor: {first['floor']['what']}.", ""]
    extra = "peak memory | rows | " if "peak_memory_mb" in first else ""
    extra += "due | rows queued | " if "due" in first else ""
    extra += "maker's pledges | trigram index read | " if "maker_pledges" in first else ""
    lines += [
        f"| pledges | rounds | median | p95 | queries | {extra}floor median | floor p95 | ratio |",
        "|---:|---:|---:|---:|---:|" + "---:|" * extra.count("|") + "---:|---:|---:|",
    ]
    for size, scenario in per_size.items():
        cells = [f"{int(size):,}", str(scenario["rounds"]), _ms(scenario["median_ms"]), _ms(scenario["p95_ms"])]
        cells.append(str(scenario["queries"]))
        if "peak_memory_mb" in scenario:
            cells += [f"{scenario['peak_memory_mb']:.1f} MB", f"{scenario['rows']:,}"]
        if "due" in scenario:
            cells += [f"{scenario['due']:,}", f"{scenario['queued']:,}"]
        if "maker_pledges" in scenario:
            cells += [f"{scenario['maker_pledges']:,}", _index_read(scenario)]
        floor = scenario.get("floor") or {}
        cells += [_ms(floor.get("median_ms")), _ms(floor.get("p95_ms")), _ratio(scenario)]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _index_read(scenario) -> str:
    if scenario.get("trigram_index_used") is None:
        return f"— ({scenario.get('database', 'not PostgreSQL')})"
    return "yes" if scenario["trigram_index_used"] else f"no: {', '.join(scenario['indexes']) or 'a table scan'}"


def _delivery_table(results) -> list[str]:
    lines = [
        "### Follow-up delivery (2 Celery worker processes → local SMTP sink)",
        "",
        "Rows are made due and put in the outbox (`followups.followups_sweep`, untimed: the sweep scenario"
        " times it), and the pledge and outbox tables vacuumed after that staging; the clock starts as"
        " `tasks.followups_sweep` (in the bench process) wakes them, one"
        " `followups_send` message per `FOLLOWUP_SEND_BATCH` rows, and stops when every row is `sent`."
        " Floor: the same sink (aiosmtpd in its own process) fed by a plain `smtplib` loop on one"
        " connection with the same message bytes.",
        "",
        "| pledges | emails | seconds | emails/s | received by sink | smtplib floor emails/s | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, run in results["sizes"].items():
        delivery = run["delivery"]
        floor = delivery["floor"]
        lines.append(
            f"| {int(size):,} | {delivery['sent']:,} / {delivery['emails']:,} | {delivery['seconds']:.1f} "
            f"| {delivery['emails_per_second']:.0f} | {delivery['received_by_sink']:,} "
            f"| {floor['emails_per_second']:.0f} | {_slower(floor, delivery)} |"
        )
    for size, run in results["sizes"].items():
        delivery = run["delivery"]
        if delivery.get("states") and set(delivery["states"]) != {"sent"}:
            states = ", ".join(f"{count:,} {state}" for state, count in sorted(delivery["states"].items()))
            reasons = "; ".join(sorted(set(delivery.get("not_sent_because") or [])))
            lines.append(f"\nAt {int(size):,} pledges the rows ended {states}" + (f" ({reasons})." if reasons else "."))
    size, run = list(results["sizes"].items())[-1]
    profile = run["delivery"]["profile"]
    lines += [
        "",
        f"Where one send's time goes (cProfile of the `tasks.followups_send` task body for {profile['sends']} rows"
        f" in batches of {profile.get('batch', 1)}"
        f" in one process at {int(size):,} pledges, SMTP to the sink on one reused connection, as a worker does;"
        f" no broker round trip): {profile['ms_per_send']:.1f} ms per send.",
        "",
        "| part | ms per send | share |",
        "|---|---:|---:|",
    ]
    for label, milliseconds in profile["buckets_ms"].items():
        share = milliseconds / profile["ms_per_send"] * 100 if profile["ms_per_send"] else 0
        lines.append(f"| {label} | {milliseconds:.2f} | {share:.0f}% |")
    lines += ["", f"Full profile: `{profile['profile_file']}` (not committed; re-run to see it).", ""]
    return lines


def _http_table(results) -> list[str]:
    first = next(iter(results["sizes"].values()))["http"]
    tool = first[0]["tool"] if first else "wrk"
    lines = [
        "### HTTP throughput (gunicorn, 2 sync workers, loopback)",
        "",
        f"Load generator: {tool}, 2 threads, 8 connections, on the same 2 cores as gunicorn and PostgreSQL;"
        " authenticated (session cookie for the board, token header for the API).",
        "",
        "| pledges | target | requests/s | p50 | p90 | p99 | requests | non-2xx |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size, run in results["sizes"].items():
        for item in run["http"]:
            lines.append(
                f"| {int(size):,} | {item['name']} (`{item['path']}`) | {item['requests_per_second']:.1f} "
                f"| {_ms(item['p50_ms'])} | {_ms(item['p90_ms'])} | {_ms(item['p99_ms'])} | {item['requests']:,} "
                f"| {item['non_2xx']} |"
            )
    return [*lines, ""]


def _import_table(results) -> list[str]:
    lines = [
        "### Import of pledges from a file (check, then import)",
        "",
        "A generated CSV of new pledges in the export's columns (the seeded makers, events, topics and owners"
        " by name; every title and quote different; three in ten with a status beyond Announced, which the"
        " import records as a timeline entry), read with `importing.read_file` and run with `importing.run`, as the"
        " import page does: first the check (`dry_run=True`, rolled back), then the import (`dry_run=False`)."
        " One round each; queries counted with an execute wrapper on the same rounds (savepoints included)."
        " The imported pledges are removed after each file.",
        "",
        "| pledges | file rows | step | seconds | rows/s | queries | queries per row | waiting for SQL |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size, run in results["sizes"].items():
        for measured in (run.get("import") or {}).get("files", []):
            for step in ("check", "import"):
                done = measured[step]
                lines.append(
                    f"| {int(size):,} | {measured['rows']:,} | {step} | {done['seconds']:.1f} "
                    f"| {done['rows_per_second']:.0f} | {done['queries']:,} | {done['queries_per_row']:.2f} "
                    f"| {done['sql_seconds']:.1f} s ({done['sql_seconds'] / done['seconds']:.0%}) |"
                )
    size, run = next(
        ((size, run) for size, run in reversed(results["sizes"].items()) if run.get("import")), (None, None)
    )
    largest = max(run["import"]["files"], key=lambda measured: measured["rows"]) if run else None
    if largest:
        done = largest["import"]
        lines += [
            "",
            f"The import of {largest['rows']:,} rows at {int(size):,} pledges, by statement (the most frequent):",
            "",
            "| statement | queries | per row | ms |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| `{item['statement']}` | {item['queries']:,} | {item['per_row']:.2f} | {item['ms']:,.0f} |"
            for item in done["statements"]
        ]
    return [*lines, ""]


def _import_files(run) -> dict:
    return {measured["rows"]: measured for measured in (run.get("import") or {}).get("files", [])}


def _import_targets(run, add) -> None:
    files = _import_files(run)
    measured = files.get(IMPORT_TARGET_ROWS)
    target = f"Import of {IMPORT_TARGET_ROWS:,} pledges < {IMPORT_TARGET_SECONDS} s"
    if measured is None:
        add(target, "not run: no import of that many rows in this run", None)
        add("Import queries grow no faster than the rows", "not run", None)
        return
    seconds = measured["import"]["seconds"]
    add(
        target,
        f"{seconds:.1f} s ({measured['import']['rows_per_second']:.0f} rows/s); the check before it"
        f" {measured['check']['seconds']:.1f} s",
        seconds < IMPORT_TARGET_SECONDS,
        f"{seconds - IMPORT_TARGET_SECONDS:.0f} s over ({seconds / IMPORT_TARGET_SECONDS:.1f}x the target)",
    )
    if len(files) < 2:
        add("Import queries grow no faster than the rows", "not run: one size of file only", None)
        return
    ordered = [files[rows] for rows in sorted(files)]
    shown, linear = [], True
    for step in ("check", "import"):
        per_row = [measured[step]["queries_per_row"] for measured in ordered]
        # Fixed lookups spread over more rows: per row, a larger file may cost less, never more (5% for the
        # files' slightly different mixes of statuses and relations).
        linear = linear and all(later <= earlier * 1.05 for earlier, later in itertools.pairwise(per_row))
        shown.append(f"{step}: " + ", ".join(f"{value:.2f}" for value in per_row))
    add(
        "Import queries grow no faster than the rows",
        "queries per row at " + " and ".join(f"{rows:,}" for rows in sorted(files)) + " rows: " + "; ".join(shown),
        linear,
        "more queries per row in the larger file",
    )


def _public_targets(sizes, by_name, add) -> None:
    """The public board from its cache < 50 ms, after a change < 200 ms, and its query counts."""
    cached, missed = by_name.get(PUBLIC_BOARD), by_name.get(PUBLIC_BOARD_MISSED)
    cached_target = f"Public board from its cache median < {PUBLIC_CACHED_TARGET_MS} ms"
    missed_target = f"Public board after a change (cache missed) median < {PUBLIC_MISSED_TARGET_MS} ms"
    queries_target = "Public board from its cache ≤ 1 query; after a change, queries independent of N"
    if not cached or not missed:
        for target in (cached_target, missed_target, queries_target):
            add(target, "not run: the public scenario was not in this run", None)
        return
    served = cached.get("served_from_cache", True)
    add(
        cached_target,
        f"{_ms(cached['median_ms'])} (p95 {_ms(cached['p95_ms'])})" + ("" if served else ", not from its cache"),
        served and cached["median_ms"] < PUBLIC_CACHED_TARGET_MS,
        f"{cached['median_ms'] - PUBLIC_CACHED_TARGET_MS:,.0f} ms over"
        if served
        else "the repeated request read pledges: the page was not served from its cache",
    )
    add(
        missed_target,
        f"{_ms(missed['median_ms'])} (p95 {_ms(missed['p95_ms'])})",
        missed["median_ms"] < PUBLIC_MISSED_TARGET_MS,
        f"{missed['median_ms'] - PUBLIC_MISSED_TARGET_MS:,.0f} ms over"
        f" ({missed['median_ms'] / PUBLIC_MISSED_TARGET_MS:.0%} of the target)",
    )
    counts = {
        name: sorted({x["queries"] for run in sizes.values() for x in run["scenarios"] if x["name"] == name})
        for name in (PUBLIC_BOARD, PUBLIC_BOARD_MISSED)
    }
    add(
        queries_target,
        "; ".join(f"{name}: {', '.join(map(str, found))}" for name, found in counts.items()),
        max(counts[PUBLIC_BOARD]) <= 1 and len(counts[PUBLIC_BOARD_MISSED]) == 1,
        f"from its cache {max(counts[PUBLIC_BOARD])} queries"
        if max(counts[PUBLIC_BOARD]) > 1
        else "the queries after a change vary with N",
    )


def targets(results) -> list[dict]:
    """The performance targets at 100,000 pledges (or the largest size run), measured against this run."""
    sizes = results["sizes"]
    size = TARGET_SIZE if TARGET_SIZE in sizes else list(sizes)[-1]
    run = sizes[size]
    by_name = {_base_name(scenario["name"]): scenario for scenario in run["scenarios"]}
    board = by_name["board"]
    rows = []

    def add(target, measured, met, shortfall=""):
        rows.append({"target": target, "measured": measured, "met": met, "shortfall": shortfall})

    add(
        "Board median ≤ 150 ms",
        _ms(board["median_ms"]),
        board["median_ms"] <= 150,
        f"{board['median_ms'] - 150:,.0f} ms over ({board['median_ms'] / 150:.1f}x the target)",
    )
    ratio = board["median_ms"] / board["floor"]["median_ms"]
    add("Board ≤ 5x its SQL floor", f"{ratio:.1f}x", ratio <= 5, f"{ratio:.1f}x instead of 5x")
    missed = by_name.get("board after a change")
    if missed:
        ratio = missed["median_ms"] / missed["floor"]["median_ms"]
        add(
            "Board after a change (cache missed) ≤ 5x its SQL floor",
            f"{_ms(missed['median_ms'])}, {ratio:.1f}x",
            ratio <= 5,
            f"{ratio:.1f}x instead of 5x",
        )
    board_names = [name for name in ("board", "board after a change", "filtered board") if name in by_name]
    queries = max(by_name[name]["queries"] for name in board_names)
    counts_by_size = {
        name: {
            scenario["queries"]
            for run_ in sizes.values()
            for scenario in run_["scenarios"]
            if _base_name(scenario["name"]) == name
        }
        for name in board_names
    }
    add(
        "Board queries ≤ 15, independent of N",
        "; ".join(f"{name}: {', '.join(map(str, sorted(counts)))}" for name, counts in counts_by_size.items()),
        queries <= 15 and all(len(counts) == 1 for counts in counts_by_size.values()),
        f"{queries} queries",
    )
    _public_targets(sizes, by_name, add)
    api = by_name.get("API list (filtered, page of 50)")
    if api:
        add(
            "API list median ≤ 40 ms",
            _ms(api["median_ms"]),
            api["median_ms"] <= 40,
            f"{api['median_ms'] - 40:,.0f} ms over",
        )
        api_counts = sorted(
            {s_["queries"] for r in sizes.values() for s_ in r["scenarios"] if s_["name"] == api["name"]}
        )
        add(
            "API list queries ≤ 6, independent of N",
            ", ".join(map(str, api_counts)),
            max(api_counts) <= 6 and len(api_counts) == 1,
            f"{max(api_counts)} queries instead of 6" + ("" if len(api_counts) == 1 else ", and it varies with N"),
        )
    else:
        add("API list median ≤ 40 ms", "not run: the API scenario was not in this run", None)
        add("API list queries ≤ 6, independent of N", "not run", None)
    report = next((x for x in run["scenarios"] if x["name"].startswith("assessment report")), None)
    if report:
        report_counts = sorted(
            {x["queries"] for r in sizes.values() for x in r["scenarios"] if x["name"].startswith("assessment report")}
        )
        add(
            f"Assessment report of {report['cells']:,} cells median < 500 ms, queries independent of the cells",
            f"{_ms(report['median_ms'])}, {', '.join(map(str, report_counts))} queries",
            report["median_ms"] < 500 and len(report_counts) == 1,
            f"{_ms(report['median_ms'])}" + ("" if len(report_counts) == 1 else ", and its queries vary"),
        )
    similar = by_name.get("similar earlier pledges")
    if similar:
        add(
            f"Similar earlier pledges of a maker with {similar['maker_pledges']:,} pledges median < 200 ms",
            f"{_ms(similar['median_ms'])} (p95 {_ms(similar['p95_ms'])}); trigram index read: {_index_read(similar)}",
            similar["median_ms"] < 200,
            f"{similar['median_ms'] - 200:,.0f} ms over",
        )
    peaks = {
        s_: next(x for x in r["scenarios"] if x["name"].startswith("CSV"))["peak_memory_mb"] for s_, r in sizes.items()
    }
    flat = max(peaks.values()) <= 2 * min(peaks.values()) + 1
    add(
        "CSV export peak memory independent of N",
        ", ".join(f"{mb:.1f} MB at {int(s_):,}" for s_, mb in peaks.items()),
        flat if len(peaks) > 1 else None,
        "grows with N",
    )
    sweep = next(x for x in run["scenarios"] if x["name"].startswith("sweep"))
    add(
        f"Sweep of {sweep['due']:,} due < 3 s",
        _ms(sweep["median_ms"]),
        sweep["median_ms"] < 3000,
        f"{sweep['median_ms'] - 3000:,.0f} ms over",
    )
    seed = run["data"]["seed_seconds"]
    add(
        f"`seed_bench` of {int(size):,} pledges and {run['data']['updates']:,} updates < 2 min",
        f"{seed:.1f} s",
        seed < 120,
        f"{seed - 120:.0f} s over",
    )
    rate = run["delivery"]["emails_per_second"]
    add(
        "Delivery ≥ 200 emails/s",
        f"{rate:.0f} emails/s",
        rate >= 200,
        f"{200 - rate:.0f} emails/s short ({rate / 200:.0%} of the target)",
    )
    _import_targets(run, add)
    return rows


def render(results) -> str:
    machine = results["machine"]
    settings = results["settings"]
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (bench/) from the run that started"
        f" {results['started'][:16].replace('T', ' ')} UTC. Every number below was measured in that run;"
        " re-run `make bench` to refresh the page (`BENCH_SIZES=1000` for a quick run).",
        "",
        "## Machine",
        "",
        f"- {machine['cores']} cores, {machine['memory_gb']} GB memory, {machine['cpu']}",
        f"- {machine['database']} on the same machine; Redis for the Celery broker; Python {machine['python']},"
        f" Django {machine['django']}",
        f"- {machine['os']}",
        "- Settings as in production (DEBUG off, manifest static files, CONN_MAX_AGE 60); the bench process,"
        " gunicorn, the workers, PostgreSQL and the load generator share the same cores.",
        "",
        "## Data",
        "",
        "| pledges | progress updates | `seed_bench` time |",
        "|---:|---:|---:|",
    ]
    for size, run in results["sizes"].items():
        data = run["data"]
        lines.append(f"| {int(size):,} | {data['updates']:,} | {data['seed_seconds']:.1f} s |")
    loads = [(size, run["load_average"]) for size, run in results["sizes"].items() if run.get("load_average")]
    if loads:
        shown = "; ".join(f"{', '.join(map(str, load))} after {int(size):,}" for size, load in loads)
        lines += ["", f"Load average (1, 5, 15 min) when each size finished: {shown}."]
    lines += [
        "",
        "`seed_bench` time is the whole command (start-up included); its target is under 2 minutes for"
        " 100,000 pledges and 500,000 updates. Each size starts from an emptied database, then `VACUUM ANALYZE`.",
        "",
        "## Method",
        "",
        f"Each in-process scenario runs {settings['warmup']} warm-up rounds, then {settings['rounds']} timed rounds"
        f" (CSV export: {settings['csv_rounds']}, sweep: {settings['sweep_rounds']}), in the Django test client"
        " in the bench process, logged in as a Viewer (the public board: anonymous). Median and p95 (nearest"
        " rank) of the rounds; queries are counted with `CaptureQueriesContext` on one more request. Each floor"
        " is measured in the same run, right after its scenario, so that the ratio means something on a noisy"
        " machine. The API's per-user throttle is raised for the bench (`API_THROTTLE_USER`), so that the load"
        " test measures the API rather than its 429s; the throttle's own bookkeeping is still done on every"
        " request. So is the public pages' limit per client address (`PUBLIC_RATE_LIMIT_PER_MINUTE`).",
        "",
    ]
    lines += ["## Targets (at 100,000 pledges on PostgreSQL)", ""]
    lines += ["| target | measured | verdict |", "|---|---|---|"]
    for row in targets(results):
        verdict = "not run" if row["met"] is None else ("met" if row["met"] else f"**missed**: {row['shortfall']}")
        lines.append(f"| {row['target']} | {row['measured']} | {verdict} |")
    lines.append("")
    if ANALYSIS.exists():
        lines += [ANALYSIS.read_text().strip(), ""]
    lines += ["## Scenarios", ""]
    for name, per_size in _by_name(results).items():
        lines += _scenario_table(name, per_size)
    if not next(iter(results["sizes"].values()))["api"]:
        lines += [
            "### API list (filtered, page of 50)",
            "",
            "**Not run**: `/api/v1/commitments/` does not exist on the branch that was measured (the REST API"
            " had not been merged). The scenario is implemented against the documented URL"
            " (`/api/v1/commitments/?status=in_progress&country=KE&page_size=50`, token from"
            " `POST /api/v1/auth/token/`) and runs as soon as the API is there.",
            "",
        ]
    lines += _delivery_table(results)
    lines += _http_table(results)
    if any(run.get("import") for run in results["sizes"].values()):
        lines += _import_table(results)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    # python -m bench.report var/bench/results.json > docs/PERFORMANCE.md: the page again from saved results.
    with open(sys.argv[1]) as saved:
        sys.stdout.write(render(json.load(saved)))
