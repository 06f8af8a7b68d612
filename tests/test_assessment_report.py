"""The report of an assessment cycle: the page, the CSV, the PDF, and the board's compliance panels."""

import builtins
import csv
import html
import io
import os
import re
import sys
import time
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone
from kombu.exceptions import OperationalError

from tests.factories import ActorFactory, CommitmentFactory, EventFactory, TopicFactory, UserFactory, cycle_with, score
from tracker import assessments, report_views, services, tasks
from tracker.assessment_report import cycle_report, report_as_dict
from tracker.models import AssessmentCycle, ComplianceScore

pytestmark = pytest.mark.django_db

MINUS = "\u2212"


def report_url(cycle, name="cycle-report"):
    return reverse(f"tracker:{name}", args=[cycle.pk])


def text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    inline = re.sub(r"</?(a|strong|span|time|em)\b[^>]*>", "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def section(body: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', body, re.S)
    assert found, f"no section {section_id}"
    return found.group(0)


def table_rows(fragment: str) -> list[str]:
    return [text(row) for row in re.findall(r"<tr[^>]*>.*?</tr>", fragment, re.S)[1:]]


def publish(cycle):
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED)
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def small(analyst):
    """A: +1 and -1 (0.0, 50%); B: +1 (1.0, 100%); C bound but never scored; the bond binds its maker alone."""
    a, b, c = ActorFactory(name="Japan"), ActorFactory(name="Kenya"), ActorFactory(name="Senegal")
    trade, finance = TopicFactory(name="Trade"), TopicFactory(name="Finance")
    tariffs = CommitmentFactory(title="Review tariffs on avocados", made_by=a, topics=[trade])
    tariffs.members.set([a, b, c])
    bond = CommitmentFactory(title="Samurai bond", made_by=a, topics=[finance])
    cycle = cycle_with([tariffs, bond], name="TICAD 9 interim", event=EventFactory(name="TICAD 9"))
    score(cycle, tariffs, a, 1, user=analyst)
    score(cycle, tariffs, b, 1, user=analyst)
    score(cycle, bond, a, -1, user=analyst)
    return {"cycle": cycle, "tariffs": tariffs, "bond": bond, "a": a, "b": b, "c": c}


def test_the_report_shows_the_hand_computed_averages(viewer_client, small):
    response = viewer_client.get(report_url(small["cycle"]))

    assert response.status_code == 200
    body = response.content.decode()
    summary = text(section(body, "summary"))
    assert "Pledges 2 Members 3 Scored cells 3 of 4 Not assessed 1" in summary
    # (1 + 1 - 1) / 3 = 0.333; (0.333 + 1) / 2 x 100 = 66.7%
    assert f"Overall average +0.33 on {MINUS}1..+1, 66.7%" in summary
    assert table_rows(section(body, "members")) == [
        "1 Kenya +1.00 100.0% 1/1",
        "2 Japan 0.00 50.0% 2/2",
        "— Senegal (no scores: unranked) — — 0/1",
    ]
    assert table_rows(section(body, "pledges")) == [
        "1 Review tariffs on avocados Japan +1.00 100.0% 2/3",
        "2 Samurai bond Japan -1.00 0.0% 1/1",
    ]
    assert table_rows(section(body, "topics")) == ["Finance 1 1 -1.00 0.0%", "Trade 1 2 +1.00 100.0%"]
    # The bars of the members' chart, each labelled with its average.
    assert '<desc id="chart-members-svg-desc">Kenya: 1.00. Japan: 0.00. Senegal: not scored. </desc>' in body
    assert 'class="bar-positive"' in body
    assert "Draft: numbers can change." in body
    assert reverse("tracker:cycle-detail", args=[small["cycle"].pk]) in body
    assert reverse("tracker:cycle-list") in body


def test_the_overall_percentage_is_that_of_the_exact_mean(viewer_client, small):
    body = viewer_client.get(report_url(small["cycle"])).content.decode()
    rows = csv_rows(viewer_client.get(report_url(small["cycle"], "cycle-report-csv")))

    # (1/3 + 1) / 2 x 100 = 66.67
    assert f"Overall average +0.33 on {MINUS}1..+1, 66.7%" in text(section(body, "summary"))
    assert [row["percentage"] for row in rows if row["row"] == "overall"] == ["66.7"]


def test_each_pledge_shows_its_criteria_and_every_member_s_cell(viewer_client, small):
    cycle, tariffs = small["cycle"], small["tariffs"]
    assessments.criteria_set(
        entry=cycle.cycle_commitments.get(commitment=tariffs),
        data={"criteria_full": "Tariffs cut and quotas lifted.", "criteria_none": "No review started."},
    )

    body = viewer_client.get(report_url(cycle)).content.decode()

    details = section(body, "details")
    pledge = text(re.search(rf'<article[^>]*id="pledge-{tariffs.pk}".*?</article>', details, re.S).group(0))
    assert "+1 Full compliance Tariffs cut and quotas lifted." in pledge
    assert "0 Partial or in progress Under way." in pledge
    assert f"{MINUS}1 No compliance No review started." in pledge
    assert "Japan +1 Scored 1. https://example.org/evidence analyst" in pledge
    assert "Senegal Not assessed —" in pledge
    assert '<a href="https://example.org/evidence" rel="noopener noreferrer">' in details


def test_a_final_cycle_shows_the_change_since_its_interim(viewer_client, small, analyst):
    interim, tariffs, bond, a, b = small["cycle"], small["tariffs"], small["bond"], small["a"], small["b"]
    score(interim, tariffs, a, -1, user=analyst)
    score(interim, tariffs, b, 0, user=analyst)
    # Interim: Japan -1, -1 (-1.0); Kenya 0 (0.0); tariffs -0.5; bond -1.0.
    final = assessments.cycle_copy_to_final(
        cycle=interim,
        user=analyst,
        data={"name": "TICAD 9 final", "period_start": date(2026, 3, 1), "period_end": date(2026, 8, 1)},
    )
    score(final, tariffs, a, 1, user=analyst)
    score(final, tariffs, b, 0, user=analyst)
    score(final, bond, a, -1, user=analyst)

    body = viewer_client.get(report_url(final)).content.decode()

    assert "Change since TICAD 9 interim" in section(body, "members")
    assert table_rows(section(body, "members")) == [
        "1 Japan 0.00 50.0% 2/2 +1.00",
        "1 Kenya 0.00 50.0% 1/1 0.00",
        "— Senegal (no scores: unranked) — — 0/1 —",
    ]
    assert table_rows(section(body, "pledges")) == [
        "1 Review tariffs on avocados Japan +0.50 75.0% 2/3 +1.00",
        "2 Samurai bond Japan -1.00 0.0% 1/1 0.00",
    ]
    assert "Follows the interim cycle TICAD 9 interim." in body


def test_a_report_of_some_pledges_counts_only_theirs(small, analyst):
    cycle, tariffs, bond = publish(small["cycle"]), small["tariffs"], small["bond"]
    cell = ComplianceScore.objects.get(cycle=cycle, commitment=bond)
    assessments.score_revise(score=cell, user=analyst, data={"score": 0}, reason="Issued late.")
    full = cycle_report(cycle)

    bond_only = cycle_report(cycle, commitment_ids={bond.pk})
    tariffs_only = cycle_report(cycle, commitment_ids={tariffs.pk})

    # Japan alone is bound by the bond, now 0: Kenya and Senegal, bound by the tariffs alone, are left out.
    assert [(row.actor.name, row.rank, row.average, row.cells) for row in bond_only.members] == [("Japan", 1, 0.0, 1)]
    assert [row.title for row in bond_only.pledges] == ["Samurai bond"]
    assert [(row.name, row.pledges, row.scored) for row in bond_only.topics] == [("Finance", 1, 1)]
    assert (bond_only.cells, bond_only.scored, bond_only.average, bond_only.percentage) == (1, 1, 0.0, 50.0)
    assert [revision.reason for revision in bond_only.revisions] == ["Issued late."]
    # Japan's 0 on the bond no longer counts: Japan and Kenya share the first rank at +1.
    assert [(row.actor.name, row.rank, row.average) for row in tariffs_only.members] == [
        ("Japan", 1, 1.0),
        ("Kenya", 1, 1.0),
        ("Senegal", None, None),
    ]
    assert [row.name for row in tariffs_only.topics] == ["Trade"]
    assert (tariffs_only.cells, tariffs_only.scored, tariffs_only.average) == (3, 2, 1.0)
    assert tariffs_only.revisions == []
    # Both pledges: the whole report.
    assert report_as_dict(cycle_report(cycle, commitment_ids={tariffs.pk, bond.pk})) == report_as_dict(full)
    assert [(row.actor.name, row.rank, row.average) for row in full.members][:2] == [
        ("Kenya", 1, 1.0),
        ("Japan", 2, 0.5),
    ]
    assert cycle_report(cycle, commitment_ids=set()).members == []


def test_a_report_of_some_pledges_compares_with_the_previous_cycle_on_those_pledges_alone(small, analyst):
    tariffs, bond, japan, kenya = small["tariffs"], small["bond"], small["a"], small["b"]
    interim = cycle_with([tariffs, bond], kind=AssessmentCycle.Kind.INTERIM)
    for pledge, member, value in ((tariffs, japan, -1), (tariffs, kenya, 0), (bond, japan, 1)):
        score(interim, pledge, member, value, user=analyst)
    # The bond is not assessed again in the final cycle.
    final = cycle_with([tariffs], kind=AssessmentCycle.Kind.FINAL, previous=interim)
    score(final, tariffs, japan, 1, user=analyst)
    score(final, tariffs, kenya, 0, user=analyst)

    tariffs_only = cycle_report(final, commitment_ids={tariffs.pk})
    with_the_bond = cycle_report(final, commitment_ids={tariffs.pk, bond.pk})

    # Japan: +1 now against -1 on the tariffs alone, or against the mean of -1 and +1 with the bond.
    assert {row.actor.name: row.change for row in tariffs_only.members} == {"Japan": 2.0, "Kenya": 0.0, "Senegal": None}
    assert {row.actor.name: row.change for row in with_the_bond.members}["Japan"] == 1.0
    assert {row.actor.name: row.change for row in cycle_report(final).members}["Japan"] == 1.0
    # A pledge's own change reads its own scores only: 0.5 now against -0.5.
    assert [row.change for row in tariffs_only.pledges] == [1.0]


def test_a_published_report_keeps_what_was_published_and_shows_a_revision(viewer_client, small, analyst):
    cycle, tariffs, b = small["cycle"], small["tariffs"], small["b"]
    publish(cycle)
    services.commitment_update(commitment=tariffs, user=analyst, data={"title": "Renamed after publishing"})
    before = viewer_client.get(report_url(cycle)).content.decode()

    assert "Draft: numbers can change." not in before
    assert "Renamed after publishing" not in before
    assert "Review tariffs on avocados" in before
    assert "No score has been corrected since the cycle was published." in before

    cell = ComplianceScore.objects.get(cycle=cycle, commitment=tariffs, member=b)
    assessments.score_revise(
        score=cell,
        user=analyst,
        data={"score": 0, "rationale": "Only a study was commissioned."},
        reason="The ministry's notice was a study, not a review.",
    )
    after = viewer_client.get(report_url(cycle)).content.decode()

    # Kenya is now 0 (50%): Japan and Kenya share the first rank.
    assert table_rows(section(after, "members"))[:2] == ["1 Japan 0.00 50.0% 2/2", "1 Kenya 0.00 50.0% 1/1"]
    cell_row = text(re.search(rf'<tr id="cell-{cell.pk}">.*?</tr>', after, re.S).group(0))
    assert "Kenya 0 Only a study was commissioned." in cell_row
    assert "by analyst: +1 → 0. Reason: The ministry's notice was a study, not a review." in cell_row
    revisions = text(section(after, "revisions"))
    assert "analyst: Review tariffs on avocados, Kenya: +1 → 0. Reason: The ministry's notice was a study" in revisions
    assert "Rationale before: Scored 1." in revisions


def test_user_written_text_is_escaped(viewer_client, analyst):
    maker = ActorFactory(name="<b>Maker</b>")
    pledge = CommitmentFactory(title="<script>alert('title')</script>", made_by=maker)
    cycle = cycle_with([pledge], name="<i>cycle</i>")
    assessments.score_set(
        cycle=cycle,
        commitment=pledge,
        member=maker,
        score=1,
        rationale="<script>alert('rationale')</script>",
        evidence_urls=['https://example.org/?q="><script>alert(1)</script>'],
        user=analyst,
    )
    publish(cycle)
    assessments.score_revise(
        score=cycle.scores.get(),
        user=analyst,
        data={"rationale": "Line one\n<script>alert('revised')</script>"},
        reason="<script>alert('reason')</script>",
    )

    body = viewer_client.get(report_url(cycle)).content.decode()

    assert "<script>" not in body
    assert "<b>Maker</b>" not in body
    assert "<i>cycle</i>" not in body
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in body
    assert "Line one<br>&lt;script&gt;alert(&#x27;revised&#x27;)&lt;/script&gt;" in body
    assert "Reason: &lt;script&gt;alert(&#x27;reason&#x27;)&lt;/script&gt;" in body
    assert '<th scope="row">&lt;b&gt;Maker&lt;/b&gt;</th>' in body
    assert 'href="https://example.org/?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in body


def csv_rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_has_a_row_per_cell_then_the_averages(viewer_client, small):
    response = viewer_client.get(report_url(small["cycle"], "cycle-report-csv"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="assessment-report-{small["cycle"].pk}-ticad-9-interim.csv"'
    )
    rows = csv_rows(response)
    assert list(rows[0]) == list(report_views.CSV_HEADER)
    cells = [row for row in rows if row["row"] == "cell"]
    assert [(row["pledge"], row["member"], row["score"]) for row in cells] == [
        ("Review tariffs on avocados", "Japan", "1"),
        ("Review tariffs on avocados", "Kenya", "1"),
        ("Review tariffs on avocados", "Senegal", ""),
        ("Samurai bond", "Japan", "-1"),
    ]
    first = cells[0]
    assert first["cycle"] == "TICAD 9 interim"
    assert first["pledge_id"] == str(small["tariffs"].pk)
    assert first["maker"] == "Japan"
    assert first["topic"] == "Trade"
    assert first["rationale"] == "Scored 1."
    assert first["evidence_urls"] == "https://example.org/evidence"
    assert first["scored_by"] == "analyst"
    assert first["scored_at"].startswith("20")
    members = {row["member"]: row for row in rows if row["row"] == "member"}
    assert (members["Japan"]["average"], members["Japan"]["percentage"], members["Japan"]["rank"]) == (
        "0.0",
        "50.0",
        "2",
    )
    assert (members["Kenya"]["average"], members["Kenya"]["rank"]) == ("1.0", "1")
    assert (members["Senegal"]["average"], members["Senegal"]["rank"], members["Senegal"]["cells"]) == ("", "", "1")
    pledges = {row["pledge"]: row for row in rows if row["row"] == "pledge"}
    assert pledges["Samurai bond"]["average"] == "-1.0"
    assert (pledges["Review tariffs on avocados"]["scored"], pledges["Review tariffs on avocados"]["cells"]) == (
        "2",
        "3",
    )
    assert {row["topic"]: row["average"] for row in rows if row["row"] == "topic"} == {
        "Finance": "-1.0",
        "Trade": "1.0",
    }
    [overall] = [row for row in rows if row["row"] == "overall"]
    assert (overall["average"], overall["percentage"], overall["scored"], overall["cells"]) == (
        "0.333",
        "66.7",
        "3",
        "4",
    )


def test_the_csv_neutralises_formulas(viewer_client, analyst):
    maker = ActorFactory(name="@SUM(A1)")
    pledge = CommitmentFactory(title='=HYPERLINK("https://evil.example")', made_by=maker)
    cycle = cycle_with([pledge])
    assessments.score_set(
        cycle=cycle, commitment=pledge, member=maker, score=0, rationale="-2+3", evidence_urls=[], user=analyst
    )

    rows = csv_rows(viewer_client.get(report_url(cycle, "cycle-report-csv")))

    [cell] = [row for row in rows if row["row"] == "cell"]
    assert cell["pledge"] == '\'=HYPERLINK("https://evil.example")'
    assert cell["maker"] == cell["member"] == "'@SUM(A1)"
    assert cell["rationale"] == "'-2+3"
    # Numbers are numbers, not neutralised text.
    assert cell["score"] == "0"


def test_the_pdf_is_a_pdf_attachment(viewer_client, small):
    publish(small["cycle"])

    response = viewer_client.get(report_url(small["cycle"], "cycle-report-pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="assessment-report-{small["cycle"].pk}-ticad-9-interim.pdf"'
    )
    assert response.content.startswith(b"%PDF-")


def test_the_pdf_fetches_nothing(viewer_client, small, monkeypatch):
    fetcher_class = report_views._pdf_response_class().url_fetcher_class
    for url in ("https://example.org/logo.png", "file:///etc/passwd", "http://127.0.0.1:8000/static/x.css"):
        with pytest.raises(ValueError, match="fetches nothing"):
            fetcher_class().fetch(url)
    asked = []
    original = fetcher_class.fetch
    monkeypatch.setattr(
        fetcher_class, "fetch", lambda self, url, headers=None: asked.append(url) or original(self, url)
    )

    assert viewer_client.get(report_url(small["cycle"], "cycle-report-pdf")).status_code == 200
    assert asked == []


def pdf_html(cycle, user) -> str:
    """The HTML WeasyPrint is given for a cycle's PDF, as its view renders it."""
    request = RequestFactory().get("/")
    request.user = user
    context = report_views._report_context(request, cycle, cells=report_views._pdf_cells)
    return render_to_string(report_views.PDF_TEMPLATE, {**context, "generated": "now"})


def test_the_pdf_has_every_pledge_s_criteria_and_every_cell_as_a_paragraph(small, viewer):
    cycle, tariffs, bond = small["cycle"], small["tariffs"], small["bond"]
    assessments.criteria_set(
        entry=cycle.cycle_commitments.get(commitment=tariffs),
        data={"criteria_full": "Tariffs cut and quotas lifted.", "criteria_none": "No review started."},
    )

    body = pdf_html(cycle, viewer)

    for section_id in ("summary", "members", "topics", "pledges", "details", "revisions"):
        section(body, section_id)
    details = section(body, "details")
    # The cells are paragraphs: WeasyPrint lays out a long table many times slower.
    assert "<table" not in details
    pledge = re.search(rf'<article class="pdf-pledge" id="pledge-{tariffs.pk}">.*?</article>', details, re.S).group(0)
    assert "<b>+1 Full compliance:</b> Tariffs cut and quotas lifted.</p>" in pledge
    assert "<b>0 Partial or in progress:</b> Under way.</p>" in pledge
    assert f"<b>{MINUS}1 No compliance:</b> No review started.</p>" in pledge
    cells = re.findall(r'<p class="pdf-cell pdf-score-([^"]+)">(.*?)</p>', pledge)
    assert [(kind, cell.split(" (")[0]) for kind, cell in cells] == [
        ("1", "Japan · +1 · Scored 1. Evidence: https://example.org/evidence."),
        ("1", "Kenya · +1 · Scored 1. Evidence: https://example.org/evidence."),
        ("missing", "Senegal · Not assessed"),
    ]
    assert cells[0][1].endswith("(analyst, " + formats.date_format(timezone.localdate()) + ")")
    bond_cells = re.search(rf'id="pledge-{bond.pk}">.*?</article>', details, re.S).group(0)
    assert f'<p class="pdf-cell pdf-score--1">Japan · {MINUS}1 · Scored -1.' in bond_cells


def test_the_pdf_escapes_user_written_text(viewer, analyst):
    maker = ActorFactory(name="<b>Maker</b>")
    pledge = CommitmentFactory(title="<script>alert('title')</script>", made_by=maker)
    cycle = cycle_with([pledge], name="<i>cycle</i>")
    assessments.score_set(
        cycle=cycle,
        commitment=pledge,
        member=maker,
        score=1,
        rationale="<script>alert('rationale')</script>",
        evidence_urls=['https://example.org/?q="><script>alert(1)</script>'],
        user=analyst,
    )
    publish(cycle)
    assessments.score_revise(
        score=cycle.scores.get(),
        user=analyst,
        data={"rationale": "Line one\r\n<script>alert('revised')</script>"},
        reason="<script>alert('reason')</script>",
    )

    body = pdf_html(cycle, viewer)

    assert "<script>" not in body
    assert "<b>Maker</b>" not in body
    assert "<i>cycle</i>" not in body
    assert "<h3>1. &lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;</h3>" in body
    # The line break is kept as a character (the paragraph is `white-space: pre-line`).
    assert (
        '<p class="pdf-cell pdf-score-1">&lt;b&gt;Maker&lt;/b&gt; · +1 · '
        "Line one\n&lt;script&gt;alert(&#x27;revised&#x27;)&lt;/script&gt; "
        "Evidence: https://example.org/?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;."
    ) in body
    assert "Reason: &lt;script&gt;alert(&#x27;reason&#x27;)&lt;/script&gt;" in body


@pytest.fixture
def large(monkeypatch, settings, tmp_path):
    """A cycle of 4 cells counts as large, its PDF stored under tmp_path; the queued tasks are listed, not run."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(report_views, "PDF_SYNC_MAX_CELLS", 3)
    queued = []
    monkeypatch.setattr(tasks.report_pdf_write, "delay", lambda *args: queued.append(args))
    return {"queued": queued, "directory": tmp_path / report_views.PDF_DIRECTORY}


def test_a_large_report_s_pdf_is_written_by_a_worker_then_downloaded(viewer_client, small, analyst, large):
    cycle, queued = publish(small["cycle"]), large["queued"]
    url = report_url(cycle, "cycle-report-pdf")

    waiting = viewer_client.get(url)
    again = viewer_client.get(url)

    for response in (waiting, again):
        assert response.status_code == 202
        body = response.content.decode()
        assert "The PDF is being prepared" in body
        assert '<meta http-equiv="refresh" content="10">' in body
    assert len(queued) == 1  # the second request found it queued
    source, target = queued[0]
    assert (large["directory"] / source.split("/")[-1]).read_text().startswith("<!doctype html>")

    tasks.report_pdf_write(source, target)

    ready = viewer_client.get(url)
    assert ready.status_code == 200
    assert ready["Content-Type"] == "application/pdf"
    assert ready["Content-Disposition"] == f'attachment; filename="{report_views._filename(cycle, "pdf")}"'
    first_pdf = b"".join(ready.streaming_content)
    assert first_pdf.startswith(b"%PDF-")
    assert sorted(path.name for path in large["directory"].iterdir()) == [target.split("/")[-1]]

    # A revision changes the report: a new PDF is written and the old one dropped.
    assessments.score_revise(
        score=cycle.scores.get(member=small["b"]), user=analyst, data={"score": 0}, reason="A typo."
    )
    assert viewer_client.get(url).status_code == 202
    assert len(queued) == 2 and queued[1][1] != target
    tasks.report_pdf_write(*queued[1])
    assert sorted(path.name for path in large["directory"].iterdir()) == [queued[1][1].split("/")[-1]]
    assert viewer_client.get(url).status_code == 200


def test_a_large_report_s_pdf_lost_with_its_worker_is_queued_again(viewer_client, small, large):
    url, queued = report_url(small["cycle"], "cycle-report-pdf"), large["queued"]
    viewer_client.get(url)
    source = large["directory"] / queued[0][0].split("/")[-1]
    viewer_client.get(url)
    assert len(queued) == 1

    long_ago = time.time() - report_views.PDF_RETRY_AFTER.total_seconds() - 60
    os.utime(source, (long_ago, long_ago))

    assert viewer_client.get(url).status_code == 202
    assert queued == [queued[0], queued[0]]
    assert source.stat().st_mtime > long_ago


def test_a_large_report_s_pdf_says_so_when_it_cannot_be_queued(viewer_client, small, large, monkeypatch):
    def unreachable(*args):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.report_pdf_write, "delay", unreachable)

    response = viewer_client.get(report_url(small["cycle"], "cycle-report-pdf"))

    assert response.status_code == 503
    assert response.content.decode() == report_views.PDF_NOT_QUEUED
    # Nothing left behind that would make the next request wait for a task never queued.
    assert list(large["directory"].iterdir()) == []


@pytest.fixture
def without_pango(monkeypatch):
    """WeasyPrint as where Pango is missing: cffi's dlopen raises OSError when WeasyPrint is imported."""
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name.split(".")[0] in ("weasyprint", "django_weasyprint"):
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    for module in [name for name in sys.modules if name.split(".")[0] in ("weasyprint", "django_weasyprint")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", failing_import)
    report_views.pdf_unavailable.cache_clear()
    report_views._pdf_response_class.cache_clear()
    yield
    report_views.pdf_unavailable.cache_clear()
    report_views._pdf_response_class.cache_clear()


def test_without_pango_the_pdf_link_says_how_to_get_it(viewer_client, small, without_pango):
    page = viewer_client.get(report_url(small["cycle"]))
    pdf = viewer_client.get(report_url(small["cycle"], "cycle-report-pdf"))

    body = page.content.decode()
    assert page.status_code == 200
    assert "PDF needs the Pango library" in body
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in body
    assert report_url(small["cycle"], "cycle-report-pdf") not in body
    assert pdf.status_code == 503
    assert pdf["Content-Type"] == "text/plain; charset=utf-8"
    assert pdf.content.decode() == report_views.PDF_NEEDS_PANGO


def test_with_weasyprint_the_report_links_its_pdf(viewer_client, small):
    body = viewer_client.get(report_url(small["cycle"])).content.decode()

    assert f'<a href="{report_url(small["cycle"], "cycle-report-pdf")}">Download as PDF</a>' in body
    assert "PDF needs" not in body


@pytest.mark.parametrize("name", ["cycle-report", "cycle-report-csv", "cycle-report-pdf"])
def test_the_report_needs_a_login_and_a_role(client, small, name, viewer):
    url = report_url(small["cycle"], name)

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))

    client.force_login(UserFactory(username="no-role"))
    assert client.get(url).status_code == 403

    client.force_login(viewer)
    assert client.get(url).status_code == 200


def test_an_unknown_cycle_is_a_404(viewer_client):
    assert viewer_client.get(reverse("tracker:cycle-report", args=[999999])).status_code == 404
    assert viewer_client.get(reverse("tracker:cycle-report-csv", args=[999999])).status_code == 404


def scored_cycle(pledges: int, members: int, analyst) -> AssessmentCycle:
    """A published final cycle of `pledges` x `members` cells, all scored, following an interim."""
    actors = ActorFactory.create_batch(members)
    topic = TopicFactory()
    commitments = []
    for _ in range(pledges):
        commitment = CommitmentFactory(made_by=actors[0], topics=[topic])
        commitment.members.set(actors)
        commitments.append(commitment)
    interim = cycle_with(commitments)
    final = assessments.cycle_copy_to_final(
        cycle=interim,
        user=analyst,
        data={"name": f"Final {pledges}x{members}", "period_start": date(2026, 3, 1), "period_end": date(2026, 8, 1)},
    )
    for index, commitment in enumerate(commitments):
        for number, actor in enumerate(actors):
            score(interim, commitment, actor, 0, user=analyst)
            score(final, commitment, actor, (index + number) % 3 - 1, user=analyst)
    publish(final)
    assessments.score_revise(
        score=final.scores.first(), user=analyst, data={"score": 0, "rationale": "Corrected."}, reason="A typo."
    )
    return final


# Session and user (2), permissions (1), the cycle with its event and previous
# cycle (1), the pledges with their makers and what publishing froze of them
# (1), the revisions (1), the cells (1), the previous cycle's scores (1), the
# reader's time zone (1).
REPORT_QUERIES = 9


def test_the_report_s_queries_do_not_grow_with_the_cells(viewer_client, analyst):
    counts = {}
    for pledges, members in ((2, 2), (10, 6)):
        cycle = scored_cycle(pledges, members, analyst)
        for name in ("cycle-report", "cycle-report-csv", "cycle-report-pdf"):
            with CaptureQueriesContext(connection) as queries:
                response = viewer_client.get(report_url(cycle, name))
            assert response.status_code == 200
            counts[(name, pledges)] = len(queries)
        assert f"Scored cells {pledges * members} of {pledges * members}" in text(
            section(viewer_client.get(report_url(cycle)).content.decode(), "summary")
        )

    assert counts[("cycle-report", 2)] == counts[("cycle-report", 10)] == REPORT_QUERIES
    assert counts[("cycle-report-pdf", 2)] == counts[("cycle-report-pdf", 10)] == REPORT_QUERIES
    # The CSV does not read the reader's time zone.
    assert counts[("cycle-report-csv", 2)] == counts[("cycle-report-csv", 10)] == REPORT_QUERIES - 1


# The board's compliance panels


def board(client, query=""):
    response = client.get(reverse("tracker:board") + query)
    assert response.status_code == 200
    return response.content.decode()


def compliance_panel(body, table_id="compliance-actor"):
    return re.search(rf'<section[^>]*aria-labelledby="{table_id}-title".*?</section>', body, re.S).group(0)


def test_without_a_published_cycle_the_board_shows_live_compliance_and_offers_no_cycle(viewer_client, small):
    body = board(viewer_client)
    cycle_view = board(viewer_client, "?compliance=cycle")

    for page in (body, cycle_view):
        panel = text(compliance_panel(page))
        assert panel.startswith("Compliance by actor Live: from pledges' current statuses.")
        assert "Show the latest published cycle" not in page
        assert 'href="?compliance=cycle#' not in page
        assert "Published cycle" not in page


def test_the_board_offers_the_latest_published_cycle(viewer_client, small):
    publish(small["cycle"])
    older = cycle_with([small["bond"]], name="An older cycle")
    publish(older)
    AssessmentCycle.objects.filter(pk=older.pk).update(published_at=small["cycle"].published_at.replace(year=2020))

    body = board(viewer_client)

    for table_id in ("compliance-actor", "compliance-event"):
        panel = compliance_panel(body, table_id)
        assert "Live: from pledges' current statuses." in panel
        assert f'href="?compliance=cycle#{table_id}-title"' in panel
        assert "Show the latest published cycle (TICAD 9 interim)" in panel


def test_the_board_shows_the_published_cycle_s_member_averages(viewer_client, small):
    cycle = publish(small["cycle"])
    small["tariffs"].members.clear()  # a change after publishing changes nothing shown

    body = board(viewer_client, "?compliance=cycle")

    actors = compliance_panel(body)
    assert f'<a href="{report_url(cycle)}">TICAD 9 interim</a>' in actors
    assert "Published cycle: TICAD 9 interim, published" in text(actors)
    assert "Show live statuses" in actors
    assert table_rows(actors) == ["Kenya 1.00 (100.0%) 1 1", "Japan 0.00 (50.0%) 2 2", "Senegal — 0 1"]
    events = compliance_panel(body, "compliance-event")
    # The event's row is the cycle's: 3 scored cells of 4, mean 0.33, over 2 pledges, both with a score.
    assert table_rows(events) == ["TICAD 9 0.33 (66.7%) 2 2"]
    assert "Live: from" not in actors + events


def test_the_board_with_the_published_cycle_has_a_fixed_number_of_queries(viewer_client, analyst):
    counts = []
    for pledges, members in ((2, 2), (10, 6)):
        AssessmentCycle.objects.filter(state=AssessmentCycle.State.PUBLISHED).update(
            published_at=datetime(2020, 1, 1, tzinfo=UTC)
        )
        cycle = scored_cycle(pledges, members, analyst)
        with CaptureQueriesContext(connection) as queries:
            body = board(viewer_client, "?compliance=cycle")
        assert f"Published cycle: {cycle.name}" in text(compliance_panel(body))
        counts.append(len(queries))

    # The live board's, plus its report of the latest published cycle (the
    # cycle's previous one, the pledges with makers and frozen fields, the
    # cells, the revisions, the previous cycle's scores: 5).
    live = CaptureQueriesContext(connection)
    with live:
        board(viewer_client)
    assert counts[0] == counts[1] == len(live) + 5


def test_the_bench_scenario_times_a_published_report_with_every_cell_scored(viewer_client, viewer):
    from bench import scenarios

    CommitmentFactory.create_batch(4)
    ActorFactory.create_batch(3)

    result = scenarios.report(viewer_client, rounds=2, warmup=1, pledges=4, members=3)

    cycle = AssessmentCycle.objects.get(name=scenarios.REPORT_CYCLE)
    assert cycle.is_published
    assert result["cells"] == cycle.scores.exclude(score=None).count() == 12
    assert result["name"] == "assessment report (4 pledges x 3 members)"
    assert result["url"] == report_url(cycle)
    assert result["rounds"] == 2
    assert 0 < result["median_ms"] <= result["p95_ms"]
    assert result["queries"] == REPORT_QUERIES - 1  # no previous cycle whose scores to read
    assert result["floor"]["median_ms"] > 0
