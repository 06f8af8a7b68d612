"""The scenarios that run inside the bench process, on whatever database Django is configured with.

Each returns a dict: what was measured (`median_ms`, `p95_ms`, `rounds`),
the SQL query count, and the floor measured in the same run (`floor`).
"""

import csv
import datetime
import io
import random
import re
import time
import tracemalloc
from collections import Counter

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation

from bench.harness import cache_reads, count_queries, data_queries, measure, progress, replay, replay_with_cache
from bench.report import PUBLIC_BOARD, PUBLIC_BOARD_MISSED
from bench.urls import TRIVIAL_URL
from tracker import assessments, board_cache, continuity, importing, selectors, services
from tracker import followups as outbox
from tracker.exporting import PLEDGE_COLUMNS
from tracker.management.commands.seed_bench import MARK, PLACES, THINGS, VERBS
from tracker.models import (
    Actor,
    AssessmentCycle,
    Commitment,
    ComplianceScore,
    CycleCommitment,
    Event,
    FollowUp,
    ProgressUpdate,
    Status,
    Topic,
)

READER = "bench-reader"
READER_PASSWORD = "bench-reader-password"  # noqa: S105 - a generated account in a generated database
BOARD_URL = "/"
FILTERED_BOARD_URL = "/?status=in_progress&country=KE"
# Query strings of the public board (tracker.public.views.board): a filter, and a search of titles and quotes.
# Status and kind, whose choices are fixed: a maker's country is offered only where one has published a pledge,
# and any other answers 400.
PUBLIC_FILTERED_QUERY = "status=in_progress&kind=promise"
PUBLIC_SEARCHED_QUERY = "q=clinics"
API_LIST_URL = "/api/v1/commitments/"
API_FILTERED_URL = "/api/v1/commitments/?status=in_progress&country=KE&page_size=50"
API_TOKEN_URL = "/api/v1/auth/token/"  # noqa: S105 - a URL, not a password
CSV_URL = "/commitments.csv"
SWEEP_DUE = 10_000
PLEDGE_UPDATES = 50
REPORT_PLEDGES = 100
REPORT_MEMBERS = 30
REPORT_CYCLE = "Bench: assessment report"
SIMILAR_NAME = "similar earlier pledges"
IMPORTER = "bench-importer"
# The file the import target is about, and a smaller one to show that queries grow with the rows, not faster.
IMPORT_ROWS = 10_000
IMPORT_SMALL_ROWS = 1_000
IMPORT_TITLE = "Bench import"
# The GiST trigram index of migration 0013, on the maker and the text, which continuity._similar_postgresql reads.
TRIGRAM_INDEX = "commitment_maker_text_trgm"
PLAN_INDEX = re.compile(r"Bitmap Index Scan on (\S+)|Index (?:Only )?Scan(?: Backward)? using (\S+)")


def reader():
    """A logged-in Viewer: reads everything, writes nothing."""
    roles = services.roles_ensure()
    user, created = get_user_model().objects.get_or_create(
        username=READER, defaults={"email": "bench-reader@example.org"}
    )
    if created or not user.check_password(READER_PASSWORD):
        user.set_password(READER_PASSWORD)
        user.save()
    user.groups.add(roles[services.VIEWERS_GROUP])
    return user


def logged_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_available() -> bool:
    try:
        resolve(API_LIST_URL)
    except Resolver404:
        return False
    return True


def api_token(client: Client) -> str | None:
    """A token for the reader from the API's token endpoint, or None when the API has none."""
    response = Client().post(API_TOKEN_URL, {"username": READER, "password": READER_PASSWORD})
    if response.status_code != 200:
        return None
    return response.json().get("token")


def _get(client, url, expected=200, **headers):
    def action():
        response = client.get(url, **headers)
        if response.status_code != expected:
            raise AssertionError(f"GET {url} answered {response.status_code}, not {expected}")
        if response.streaming:
            for _ in response.streaming_content:
                pass
        return response

    return action


def page(
    name, client, url, *, rounds, warmup, headers=None, before=None, floor_sql=None, floor_what=None, floor_action=None
):
    """A page or endpoint in the Django test client; floor: its own data SQL replayed through a raw cursor.

    `before` runs untimed before each request (and before the one whose
    queries are counted); `floor_sql` replaces the floor's statements, and
    `floor_action` the whole floor.
    """
    headers = headers or {}
    action = _get(client, url, **headers)
    action()  # compile templates, fill caches
    if before:
        before()
    _, statements = count_queries(action)
    progress(f"  {name}: {len(statements)} queries, {rounds} rounds after {warmup} warm-up")
    result = measure(action, rounds=rounds, warmup=warmup, before=before)
    floor_sql = data_queries(statements) if floor_sql is None else floor_sql
    floor = measure(floor_action or replay(floor_sql), rounds=rounds, warmup=warmup)
    floor["what"] = floor_what or f"{len(floor_sql)} data queries replayed through a raw cursor"
    return {"name": name, "url": url, **result, "queries": len(statements), "floor": floor}


MISSED_BOARD_FLOOR = (
    "the {count} data queries of a board whose cache missed (the numbers over every pledge, the three"
    " 20-row lists, the page, the filter form's choices and the cache's token), replayed through a raw cursor"
)


def board(client, *, rounds, warmup):
    """The board with its numbers cached, the same right after a change (the cache missed), and filtered.

    The floor of both unfiltered rows is the SQL of a board whose cache
    missed: the aggregates over every pledge and the top-20 lists, which is
    what the targets (bench.report.targets) measure the board against.
    """
    _get(client, BOARD_URL)()
    board_cache.summary_changed()
    _, missed = count_queries(_get(client, BOARD_URL))
    floor_sql = data_queries(missed)
    what = MISSED_BOARD_FLOOR.format(count=len(floor_sql))
    return [
        page("board", client, BOARD_URL, rounds=rounds, warmup=warmup, floor_sql=floor_sql, floor_what=what),
        page(
            "board after a change",
            client,
            BOARD_URL,
            rounds=rounds,
            warmup=warmup,
            before=board_cache.summary_changed,
            floor_sql=floor_sql,
            floor_what=what,
        ),
        page("filtered board", client, FILTERED_BOARD_URL, rounds=rounds, warmup=warmup),
    ]


MISSED_PUBLIC_FLOOR = (
    "the {count} data queries of a public board whose cache missed (the cache's token, the filter's choices,"
    " the numbers over the published pledges and the page of 50), replayed through a raw cursor"
)
CACHED_PUBLIC_FLOOR = (
    "what a public board served from its cache reads, replayed without the view: {count} SQL statement(s)"
    " (the cache's token) through a raw cursor and {reads} read(s) of the cache (the stored page)"
)


def public_board_url(query: str = "") -> str:
    """The public board's address in English, with `query` as its query string."""
    with translation.override("en"):
        path = reverse("public:board")
    return f"{path}?{query}" if query else path


def public_board(*, rounds, warmup):
    """The public board for an anonymous reader: from the server's cache, right after a change, filtered, searched.

    A change replaces board_cache's token, as any write to a pledge does,
    which retires the rendered page and the filter's choices that the view
    keeps under it: "after a change" is a request whose cache missed. The
    cached board's floor is its own SQL and cache reads without the view;
    `served_from_cache` says whether it read no pledge (a view that stopped
    caching would show here, not only in its time).
    """
    client = Client()
    url = public_board_url()
    fetch = _get(client, url)
    size = len(fetch().content)
    keys = cache_reads(fetch)
    _, cached = count_queries(fetch)
    served_from_cache = not any('"tracker_commitment' in sql for sql in cached)
    board_cache.summary_changed()
    _, missed = count_queries(fetch)
    missed_sql = data_queries(missed)
    cached_sql = data_queries(cached)
    hit = page(
        PUBLIC_BOARD,
        client,
        url,
        rounds=rounds,
        warmup=warmup,
        floor_sql=cached_sql,
        floor_action=replay_with_cache(cached_sql, keys),
        floor_what=CACHED_PUBLIC_FLOOR.format(count=len(cached_sql), reads=len(keys)),
    )
    if not served_from_cache:
        progress("  public board: the repeated request read pledges; the page was not served from its cache")
    hit |= {"served_from_cache": served_from_cache, "bytes": size}
    miss = page(
        PUBLIC_BOARD_MISSED,
        client,
        url,
        rounds=rounds,
        warmup=warmup,
        before=board_cache.summary_changed,
        floor_sql=missed_sql,
        floor_what=MISSED_PUBLIC_FLOOR.format(count=len(missed_sql)),
    )
    others = [
        page(
            f"{what} public board after a change",
            client,
            public_board_url(query),
            rounds=rounds,
            warmup=warmup,
            before=board_cache.summary_changed,
        )
        for what, query in (("filtered", PUBLIC_FILTERED_QUERY), ("searched", PUBLIC_SEARCHED_QUERY))
    ]
    return [{**measured, "auth": "anonymous"} for measured in (hit, miss, *others)]


def api_list(client, token, *, rounds, warmup):
    """A filtered API page of 50, token-authenticated; floor: a trivial DRF view with the same authentication."""
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    action = _get(client, API_FILTERED_URL, **headers)
    response = action()
    body = response.json()
    rows = len(body.get("results", body)) if isinstance(body, dict) else len(body)
    _, statements = count_queries(action)
    progress(f"  API list: {len(statements)} queries, {rows} rows, {rounds} rounds after {warmup} warm-up")
    result = measure(action, rounds=rounds, warmup=warmup)
    trivial = _get(client, TRIVIAL_URL, **headers)
    trivial()
    floor = measure(trivial, rounds=rounds, warmup=warmup)
    floor["what"] = "a trivial DRF APIView (same authentication) returning a tiny JSON"
    return {
        "name": "API list (filtered, page of 50)",
        "url": API_FILTERED_URL,
        **result,
        "queries": len(statements),
        "rows": rows,
        "auth": "token" if token else "session",
        "floor": floor,
    }


def pledge_with_updates(count=PLEDGE_UPDATES) -> Commitment:
    """A pledge with exactly `count` progress updates (its own replaced), for the pledge page."""
    commitment = Commitment.objects.filter(status=Status.IN_PROGRESS, owner__isnull=False).order_by("pk").first()
    ProgressUpdate.objects.filter(commitment=commitment).delete()
    today = timezone.localdate()
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(
            commitment=commitment,
            author_id=commitment.owner_id,
            recorded_on=today - datetime.timedelta(days=count - number),
            status_before=Status.IN_PROGRESS,
            status_after=Status.IN_PROGRESS,
            progress=min(90, number),
            note=f"Update {number}: officials met; generated for the benchmarks.",
        )
        for number in range(count)
    )
    return commitment


def pledge_page(client, *, rounds, warmup):
    commitment = pledge_with_updates()
    return page(
        f"pledge page ({PLEDGE_UPDATES} updates)", client, commitment.get_absolute_url(), rounds=rounds, warmup=warmup
    )


def csv_export(client, *, rounds, warmup):
    """Every pledge as CSV: time per export, and peak Python memory while streaming it (tracemalloc)."""
    action = _get(client, CSV_URL)
    measured = {}

    def export_once():
        tracemalloc.start()
        response = client.get(CSV_URL)
        rows = size = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
        measured.update(rows=rows, size=size, peak=tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()

    _, statements = count_queries(export_once)
    rows, size, peak = measured["rows"], measured["size"], measured["peak"]
    progress(f"  CSV: {rows - 1:,} rows, {size / 1e6:.1f} MB, peak {peak / 1e6:.1f} MB; {rounds} rounds")
    result = measure(action, rounds=rounds, warmup=warmup)
    sql, params = selectors.commitments_for_export(Commitment.objects.all()).query.sql_with_params()

    def fetch_export_rows():
        # A server-side cursor in chunks, as the export's .iterator() reads.
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while cursor.fetchmany(500):
                pass

    floor = measure(fetch_export_rows, rounds=rounds, warmup=warmup)
    floor["what"] = "the export's SQL replayed through a raw cursor (all rows fetched, no CSV written)"
    return {
        "name": "CSV export (all rows)",
        "url": CSV_URL,
        **result,
        "queries": len(statements),
        "rows": rows - 1,
        "bytes": size,
        "peak_memory_mb": peak / 1e6,
        "floor": floor,
    }


def make_due(count: int, *, today=None) -> list[int]:
    """Exactly `count` open pledges with owners due for a check today; every other open pledge due later.

    Target dates in the past are moved a year ahead, so that the sweep finds
    check-ups only, and the follow-up outbox is emptied.
    """
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tracker_followup")
    open_pledges = Commitment.objects.open()
    open_pledges.update(next_check_on=today + datetime.timedelta(days=30))
    open_pledges.filter(due_on__lt=today).update(due_on=today + datetime.timedelta(days=365))
    ids = list(open_pledges.filter(owner__isnull=False).order_by("pk").values_list("pk", flat=True)[:count])
    for start in range(0, len(ids), 5000):
        Commitment.objects.filter(pk__in=ids[start : start + 5000]).update(next_check_on=today)
    board_cache.summary_changed()  # QuerySet.update sends no signal
    return ids


def sweep(*, rounds, warmup, due=SWEEP_DUE):
    """outbox.followups_sweep + followups_wake finding `due` check-ups, from an empty outbox each round."""
    ids = make_due(due)

    def empty_outbox():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM tracker_followup")

    found = {}

    def action():
        found.update(outbox.followups_sweep())
        found["woken"] = len(outbox.followups_wake())

    _, statements = count_queries(lambda: (empty_outbox(), action()))
    progress(f"  sweep: {len(ids):,} due, {found['queued']:,} rows queued, {found['woken']:,} woken; {rounds} rounds")
    result = measure(action, rounds=rounds, warmup=warmup, before=empty_outbox)
    return {
        "name": f"sweep ({len(ids):,} due)",
        **result,
        "queries": len(statements) - 1,
        "due": len(ids),
        "queued": found["queued"],
        "woken": found["woken"],
        "followups": FollowUp.objects.count(),
        "floor": None,
    }


def report_cycle(*, pledges=REPORT_PLEDGES, members=REPORT_MEMBERS) -> AssessmentCycle:
    """A published cycle of `pledges` seeded pledges, each binding the same `members` actors, every cell scored.

    The cycle of an earlier run is replaced. The cells are written in bulk
    (score_set would take a transaction per cell); publishing goes through
    the service, as an analyst's would.
    """
    AssessmentCycle.objects.filter(name=REPORT_CYCLE).delete()
    actors = list(Actor.objects.order_by("pk")[:members])
    commitments = list(Commitment.objects.order_by("pk")[:pledges])
    through = Commitment.members.through
    through.objects.filter(commitment__in=commitments).delete()
    through.objects.bulk_create(
        through(commitment_id=commitment.pk, actor_id=actor.pk) for commitment in commitments for actor in actors
    )
    today = timezone.localdate()
    cycle = assessments.cycle_create(
        data={"name": REPORT_CYCLE, "period_start": today - datetime.timedelta(days=180), "period_end": today}
    )
    assessments.cycle_add_commitments(cycle=cycle, commitments=commitments)
    CycleCommitment.objects.filter(cycle=cycle).update(
        criteria_full="The pledge is carried out in full within the period, as the summit's text says.",
        criteria_partial="Work has started: a law drafted, funds budgeted, talks opened.",
        criteria_none="Nothing done, or a step back.",
    )
    user = reader()
    now = timezone.now()
    ComplianceScore.objects.bulk_create(
        ComplianceScore(
            cycle=cycle,
            commitment=commitment,
            member=actor,
            score=(row + column) % 3 - 1,
            rationale=f"{actor.name}: the ministry's statement of {today:%B %Y} and the budget line it cites.",
            evidence_urls=[f"https://example.org/evidence/{commitment.pk}/{actor.pk}"],
            scored_by=user,
            scored_at=now,
        )
        for row, commitment in enumerate(commitments)
        for column, actor in enumerate(actors)
    )
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    return assessments.cycle_publish(cycle=cycle)


def report(client, *, rounds, warmup, pledges=REPORT_PLEDGES, members=REPORT_MEMBERS):
    """An assessment cycle's report page: every pledge with every member's cell, rationale and evidence."""
    cycle = report_cycle(pledges=pledges, members=members)
    pledges = cycle.cycle_commitments.count()
    cells = cycle.scores.count()
    result = page(
        f"assessment report ({pledges} pledges x {cells // max(pledges, 1)} members)",
        client,
        f"/assessments/{cycle.pk}/report/",
        rounds=rounds,
        warmup=warmup,
    )
    return {**result, "cells": cells}


def similar_case() -> tuple[Commitment, dict]:
    """The maker with the most pledges, and a new pledge's text close to its latest one (a renewal reworded)."""
    maker_id = (
        Commitment.objects.order_by()
        .values("made_by")
        .annotate(pledges=Count("id"))
        .order_by("-pledges", "made_by")
        .values_list("made_by", flat=True)
        .first()
    )
    latest = Commitment.objects.filter(made_by_id=maker_id).order_by("-made_on", "-pk").first()
    asked = {
        "made_by": maker_id,
        "title": latest.title.replace("Bench pledge", "Renewed:", 1),
        "quote": f"{latest.quote.rstrip('.')} and more, as agreed at the last summit.",
        "made_on": timezone.localdate(),
    }
    return latest, asked


def explain(statement: str) -> tuple[str, list[str]]:
    """PostgreSQL's plan of a captured statement, as run (EXPLAIN ANALYZE), and the indexes it reads."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return plan, [on or using for on, using in PLAN_INDEX.findall(plan)]


def similar(*, rounds, warmup):
    """continuity.similar_earlier_pledges for the maker with the most pledges; floor: its SQL through a raw cursor.

    On PostgreSQL the similarity query is explained, to tell whether the
    trigram index is read; elsewhere the portable comparison is timed.
    """
    latest, asked = similar_case()
    maker_pledges = Commitment.objects.filter(made_by_id=asked["made_by"]).count()
    found, statements = count_queries(lambda: continuity.similar_earlier_pledges(**asked))
    progress(f"  similar: {maker_pledges:,} pledges of the maker, {len(statements)} queries, {rounds} rounds")
    result = measure(lambda: continuity.similar_earlier_pledges(**asked), rounds=rounds, warmup=warmup)
    plan, indexes = explain(statements[0]) if connection.vendor == "postgresql" else (None, [])
    floor = measure(replay(statements), rounds=rounds, warmup=warmup)
    floor["what"] = f"its {len(statements)} queries replayed through a raw cursor"
    return {
        "name": SIMILAR_NAME,
        **result,
        "queries": len(statements),
        "maker_pledges": maker_pledges,
        "suggested": len(found),
        "latest_first": bool(found) and found[0].commitment.pk == latest.pk,
        "similarity": found[0].similarity if found else None,
        "database": connection.vendor,
        "indexes": indexes,
        "trigram_index_used": TRIGRAM_INDEX in indexes if plan else None,
        "plan": plan,
        "floor": floor,
    }


IMPORT_STATUSES = {Status.ANNOUNCED: 70, Status.IN_PROGRESS: 20, Status.PARTIALLY_FULFILLED: 5, Status.FULFILLED: 5}
IMPORT_CURRENCIES = ("USD", "EUR", "JPY", "KES")
SAVEPOINT_STATEMENTS = {"SAVEPOINT": "SAVEPOINT", "RELEASE": "RELEASE SAVEPOINT", "ROLLBACK": "ROLLBACK TO SAVEPOINT"}
STATEMENT_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"(\w+)"', re.IGNORECASE)


def importer():
    """An Analyst: the import's timeline entries and audit records are written under this account."""
    roles = services.roles_ensure()
    user, _ = get_user_model().objects.get_or_create(
        username=IMPORTER, defaults={"email": "bench-importer@example.org"}
    )
    user.groups.add(roles[services.ANALYSTS_GROUP])
    return user


def import_file(rows: int, *, seed: int = 2025) -> bytes:
    """A CSV of `rows` new pledges in the export's columns, naming the seeded makers, events, topics and owners.

    No two rows share a title or a quote, so none is a duplicate. Three in
    ten start beyond Announced (the import records a timeline entry for
    those, with evidence where the status needs it); some name counterparts,
    members, topics and money, as a real spreadsheet would.
    """
    pick = random.Random(seed + rows)  # noqa: S311 - test data, not secrets
    actors = list(Actor.objects.order_by("pk").values_list("name", flat=True))
    events = list(Event.objects.order_by("pk").values_list("name", flat=True))
    topics = list(Topic.objects.order_by("pk").values_list("name", flat=True))
    owners = list(
        get_user_model()
        .objects.filter(username__startswith="bench-analyst-")
        .order_by("pk")
        .values_list("username", flat=True)
    )
    statuses, weights = list(IMPORT_STATUSES), list(IMPORT_STATUSES.values())
    kinds = [str(label) for label in Commitment.Kind.labels]
    today = timezone.localdate()
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(PLEDGE_COLUMNS)
    for number in range(1, rows + 1):
        verb, things, place = pick.choice(VERBS), pick.choice(THINGS), pick.choice(PLACES)
        status = pick.choices(statuses, weights)[0]
        made_on = today - datetime.timedelta(days=pick.randint(30, 2000))
        due_on = made_on + datetime.timedelta(days=pick.randint(90, 1500)) if pick.random() < 0.6 else None
        maker = pick.choice(actors)
        others = [name for name in pick.sample(actors, 4) if name != maker]
        money = pick.random() < 0.1
        row = {
            "id": "",
            "title": f"{IMPORT_TITLE} {number}: {verb} {things} in {place}",
            "status": Status(status).label,
            "progress": {Status.ANNOUNCED: 0, Status.FULFILLED: 100}.get(status, pick.randint(5, 90)),
            "evidence_url": f"https://example.org/evidence/{number}" if status != Status.ANNOUNCED else "",
            "made_by": maker,
            "counterparts": "; ".join(others[: pick.randint(0, 2)]),
            "members": "; ".join([maker, *others[:2]]) if pick.random() < 0.1 else "",
            "event": pick.choice(events) if events and pick.random() < 0.8 else "",
            "kind": pick.choice(kinds),
            "topics": "; ".join(pick.sample(topics, min(len(topics), pick.randint(0, 2)))),
            "made_on": made_on.isoformat(),
            "due_on": due_on.isoformat() if due_on else "",
            "check_every_days": pick.choice((14, 30, 60, 90)),
            "next_check_on": "",
            "owner": pick.choice(owners) if owners and pick.random() < 0.9 else "",
            "quote": f"We will {verb} {pick.randint(2, 400)} {things} in {place} by {made_on.year + pick.randint(1, 6)}"
            f" (row {number} of the import).",
            "description": "Imported for the benchmarks.",
            "source_url": f"https://example.org/bench-import/{number}",
            "source_title": MARK,
            "pledged_amount": f"{pick.randint(1_000_000, 5_000_000_000)}.00" if money else "",
            "pledged_currency": pick.choice(IMPORT_CURRENCIES) if money else "",
            "renews": "",
        }
        writer.writerow([row[column] for column in PLEDGE_COLUMNS])
    return out.getvalue().encode()


def statement_kind(sql: str) -> str:
    """What a statement does and to which table: INSERT tracker_commitment, SELECT auth_user, SAVEPOINT..."""
    words = sql.lstrip("( \n").split(None, 1)
    verb = words[0].upper() if words else ""
    if verb in SAVEPOINT_STATEMENTS:
        return SAVEPOINT_STATEMENTS[verb]
    table = STATEMENT_TABLE.search(sql)
    # A SELECT of no table: Django checking a CheckConstraint (SELECT 1 WHERE ...), or a function's value.
    return f"{verb} {table.group(1)}" if table else f"{verb} (no table)"


class QueryTally:
    """An execute wrapper: every statement counted by kind, with the time spent waiting for the database.

    Lighter than CaptureQueriesContext, which keeps every statement's text
    (hundreds of megabytes for an import of 10,000 rows) and formats it.
    """

    def __init__(self):
        self.counts, self.seconds = Counter(), Counter()

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = statement_kind(sql)
            self.counts[kind] += 1
            self.seconds[kind] += time.perf_counter() - start

    def top(self, rows: int, limit: int = 15) -> list[dict]:
        return [
            {"statement": kind, "queries": count, "per_row": count / rows, "ms": self.seconds[kind] * 1000}
            for kind, count in self.counts.most_common(limit)
        ]


def import_once(data: bytes, *, name: str, user, dry_run: bool) -> dict:
    """importing.read_file and importing.run on the file, as the import page does, timed and its queries counted."""
    tally = QueryTally()
    start = time.perf_counter()
    with connection.execute_wrapper(tally):
        dataset, warnings = importing.read_file(name, data)
        read = time.perf_counter() - start
        result = importing.run(dataset, user=user, file_name=name, dry_run=dry_run, warnings=warnings)
    seconds = time.perf_counter() - start
    rows = len(dataset)
    if result["file_errors"] or result["counts"][importing.NEW] != rows or result["saved"] == dry_run:
        problems = [f"row {row['row']}: {row['errors']}" for row in result["rows"][:5] if row["errors"]]
        raise AssertionError(f"{name}: {result['counts']}, {result['file_errors']} {'; '.join(problems)}")
    queries = sum(tally.counts.values())
    sql_seconds = sum(tally.seconds.values())
    return {
        "rows": rows,
        "seconds": seconds,
        "read_seconds": read,
        "rows_per_second": rows / seconds,
        "queries": queries,
        "queries_per_row": queries / rows,
        "sql_seconds": sql_seconds,
        "statements": tally.top(rows),
        "counts": result["counts"],
    }


def imported_pledges_delete() -> int:
    """Remove the import scenario's pledges, with their timeline, relations and audit records.

    The removal itself writes no audit record (simple-history would write
    one per pledge), so that the other scenarios see the seeded data as it was.
    """
    ids = list(Commitment.objects.filter(title__startswith=IMPORT_TITLE).values_list("pk", flat=True))
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        for start in range(0, len(ids), 2000):
            Commitment.objects.filter(pk__in=ids[start : start + 2000]).delete()
    for start in range(0, len(ids), 2000):
        Commitment.history.model.objects.filter(id__in=ids[start : start + 2000]).delete()
    board_cache.summary_changed()
    return len(ids)


def import_pledges(*, rows=(IMPORT_SMALL_ROWS, IMPORT_ROWS)) -> dict:
    """Check (a dry run), then import, a generated file of each size in `rows`; the pledges removed after each.

    One round of each: a round is thousands of rows, and every round
    writes them. Two sizes of file, so that the queries per row show that
    queries grow with the rows and not faster.
    """
    user = importer()
    leftover = imported_pledges_delete()  # from a run that stopped half-way
    if leftover:
        progress(f"  import: removed {leftover:,} pledges an earlier run left")
    files = []
    for count in rows:
        data = import_file(count)
        name = f"bench-import-{count}.csv"
        measured = {"rows": count, "bytes": len(data)}
        for step, dry_run in (("check", True), ("import", False)):
            measured[step] = import_once(data, name=name, user=user, dry_run=dry_run)
            done = measured[step]
            progress(
                f"  {step} of {count:,} rows: {done['seconds']:.1f} s ({done['rows_per_second']:.0f} rows/s),"
                f" {done['queries']:,} queries ({done['queries_per_row']:.2f} per row),"
                f" {done['sql_seconds']:.1f} s waiting for the database"
            )
        start = time.perf_counter()
        removed = imported_pledges_delete()
        measured["cleanup_seconds"] = time.perf_counter() - start
        if removed != count:
            raise AssertionError(f"{name}: {removed:,} pledges to remove after the import, not {count:,}")
        files.append(measured)
    return {"name": "import", "files": files, "pledges_after": Commitment.objects.count()}


READ_SCENARIOS = ("board", "public", "api", "pledge", "csv", "report", "similar")


def reads(*, rounds: int, warmup: int, csv_rounds: int, only=READ_SCENARIOS) -> dict:
    """The read scenarios named in `only`: board, public board, API list, pledge page, CSV export, report, similar.

    They change no pledge; the report's scenario makes its own cycle.
    """
    user = reader()
    client = logged_in_client(user)
    results = {"scenarios": [], "api": False}
    if "board" in only:
        progress("Board, logged in")
        results["scenarios"] += board(client, rounds=rounds, warmup=warmup)
    if "public" in only:
        progress("Public board, anonymous")
        results["scenarios"] += public_board(rounds=rounds, warmup=warmup)
    if "api" in only and api_available():
        token = api_token(client)
        results["api_token"] = token
        progress(f"API list ({'token' if token else 'session'} authentication)")
        results["scenarios"].append(api_list(client, token, rounds=rounds, warmup=warmup))
        results["api"] = True
    elif "api" in only:
        progress(f"API list: {API_LIST_URL} does not resolve on this branch; not run")
    if "pledge" in only:
        progress("Pledge page")
        results["scenarios"].append(pledge_page(client, rounds=rounds, warmup=warmup))
    if "csv" in only:
        progress("CSV export")
        results["scenarios"].append(csv_export(client, rounds=csv_rounds, warmup=1))
    if "report" in only:
        progress("Assessment report")
        results["scenarios"].append(report(client, rounds=rounds, warmup=warmup))
    if "similar" in only:
        progress("Similar earlier pledges")
        results["scenarios"].append(similar(rounds=rounds, warmup=warmup))
    results["session_cookie"] = client.cookies["sessionid"].value
    return results
