"""The numbers of an assessment cycle's report, in the G7 Research Group's manner.

A member's average is the mean of its scores (-1..+1) over the pledges that
bind it; a pledge's, the mean over its members; the overall average, the mean
of every scored cell. "Not assessed" cells count as cells, never as scores.
Each average is also given as a percentage, (mean + 1) / 2 x 100.

A published cycle is read from what publishing froze (the pledges' title,
maker, status, progress and topics, and every cell); a draft or a cycle in
review from the pledges as they stand. The whole report is a fixed number of
queries, however many cells it has.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean

from django.db.models import F

from tracker.assessments import commitment_members, cycle_entries
from tracker.models import Actor, AssessmentCycle, ScoreRevision, Status


def percentage(mean: float | None) -> float | None:
    return None if mean is None else round((mean + 1) / 2 * 100, 1)


def _mean(scores) -> float | None:
    """The mean of the scores given, unrounded: percentages and changes are computed from it."""
    scores = [score for score in scores if score is not None]
    return fmean(scores) if scores else None


def _shown(mean: float | None) -> float | None:
    """An average as the report shows it: three decimals."""
    return None if mean is None else round(mean, 3)


@dataclass
class Cell:
    member: Actor
    score: int | None = None
    rationale: str = ""
    evidence_urls: list = field(default_factory=list)
    scored_by: str = ""
    scored_at: object = None
    pk: int | None = None
    revisions: list = field(default_factory=list)


@dataclass
class PledgeRow:
    entry: object  # CycleCommitment
    commitment_id: int
    title: str
    maker: str
    status: str
    progress: int
    topics: list
    cells: list  # Cell, by member name
    average: float | None = None  # rounded for showing; `mean` is the exact one
    percentage: float | None = None
    change: float | None = None  # against the previous (interim) cycle
    mean: float | None = None

    @property
    def status_label(self):
        return Status(self.status).label if self.status else ""

    @property
    def scored(self):
        return sum(1 for cell in self.cells if cell.score is not None)


@dataclass
class MemberRow:
    actor: Actor
    scores: list = field(default_factory=list)
    cells: int = 0
    average: float | None = None  # rounded for showing; `mean` is the exact one
    percentage: float | None = None
    rank: int | None = None
    change: float | None = None
    mean: float | None = None

    @property
    def scored(self):
        return len(self.scores)


@dataclass
class TopicRow:
    name: str
    pledges: int
    scored: int
    average: float | None
    percentage: float | None


@dataclass
class Report:
    cycle: AssessmentCycle
    pledges: list
    members: list  # ranked: by average, then name; members with no score last, unranked
    topics: list
    cells: int
    scored: int
    average: float | None
    percentage: float | None
    previous: AssessmentCycle | None
    revisions: list

    @property
    def not_assessed(self):
        return self.cells - self.scored


def cycle_report(cycle: AssessmentCycle, *, commitment_ids: set[int] | None = None) -> Report:
    """The cycle's report; with `commitment_ids`, the report of those of its pledges alone.

    A pledge not in `commitment_ids` counts nowhere: not its row, its cells,
    its topics or its corrections, nor a member that only such pledges bind,
    and the change since the previous cycle compares with that cycle's
    scores on the pledges in `commitment_ids` alone (so give the ids of the
    previous cycle's pledges that may count too).
    """
    entries = cycle_entries(cycle, frozen=cycle.is_published)
    scores = cycle.scores.all()
    corrections = ScoreRevision.objects.filter(score__cycle=cycle)
    if commitment_ids is not None:
        entries = [entry for entry in entries if entry.commitment_id in commitment_ids]
        scores = scores.filter(commitment_id__in=commitment_ids)
        corrections = corrections.filter(score__commitment_id__in=commitment_ids)
    cells_by_key = {}
    revisions_by_score = defaultdict(list)
    # The scorer's name, not their whole row: a big cycle has thousands of cells.
    scores = scores.select_related("member").annotate(scored_by_name=F("scored_by__username"))
    if cycle.is_published:
        revisions = list(
            corrections.select_related("revised_by", "score__member", "score__commitment").order_by("revised_at", "id")
        )
        for revision in revisions:
            revisions_by_score[revision.score_id].append(revision)
    else:
        revisions = []
    members_by_pledge = defaultdict(list)
    for score in scores:
        cells_by_key[(score.commitment_id, score.member_id)] = score
        members_by_pledge[score.commitment_id].append(score.member)

    rows, members = [], {}
    for entry in entries:
        commitment = entry.commitment
        if cycle.is_published:
            # The cells frozen at publishing name the members.
            row_members = sorted(members_by_pledge[commitment.pk], key=lambda actor: actor.name)
            title, maker = entry.published_title, entry.published_maker
            status, progress, topics = entry.published_status, entry.published_progress, entry.published_topics
        else:
            row_members = commitment_members(commitment)
            title, maker = commitment.title, commitment.made_by.name
            status, progress = commitment.status, commitment.progress
            topics = sorted(topic.name for topic in commitment.topics.all())
        cells = []
        for member in row_members:
            score = cells_by_key.get((commitment.pk, member.pk))
            cell = Cell(member=member)
            if score is not None:
                cell = Cell(
                    member=member,
                    score=score.score,
                    rationale=score.rationale,
                    evidence_urls=score.evidence_urls,
                    scored_by=score.scored_by_name or "",
                    scored_at=score.scored_at,
                    pk=score.pk,
                    revisions=revisions_by_score.get(score.pk, []),
                )
            cells.append(cell)
            member_row = members.setdefault(member.pk, MemberRow(actor=member))
            member_row.cells += 1
            if cell.score is not None:
                member_row.scores.append(cell.score)
        row = PledgeRow(
            entry=entry,
            commitment_id=commitment.pk,
            title=title,
            maker=maker,
            status=status,
            progress=progress if progress is not None else 0,
            topics=list(topics),
            cells=cells,
        )
        mean = _mean(cell.score for cell in cells)
        row.average, row.percentage, row.mean = _shown(mean), percentage(mean), mean
        rows.append(row)

    for member_row in members.values():
        mean = _mean(member_row.scores)
        member_row.average, member_row.percentage, member_row.mean = _shown(mean), percentage(mean), mean
    ranked = _ranked(members.values())

    topics = defaultdict(list)
    for row in rows:
        for name in row.topics:
            topics[name].append(row)
    topic_rows = []
    for name in sorted(topics):
        topic_scores = [cell.score for row in topics[name] for cell in row.cells if cell.score is not None]
        mean = _mean(topic_scores)
        topic_rows.append(TopicRow(name, len(topics[name]), len(topic_scores), _shown(mean), percentage(mean)))

    all_scores = [cell.score for row in rows for cell in row.cells]
    mean = _mean(all_scores)
    previous = cycle.previous if cycle.previous_id else None
    if previous is not None:
        _compare(rows, ranked, previous, commitment_ids)
    return Report(
        cycle=cycle,
        pledges=rows,
        members=ranked,
        topics=topic_rows,
        cells=len(all_scores),
        scored=sum(1 for score in all_scores if score is not None),
        average=_shown(mean),
        percentage=percentage(mean),
        previous=previous,
        revisions=revisions,
    )


def _ranked(members) -> list:
    """By average, best first, ties sharing a rank (1, 2, 2, 4); members with no score last, unranked."""
    scored = sorted((row for row in members if row.mean is not None), key=lambda row: (-row.mean, row.actor.name))
    unscored = sorted((row for row in members if row.mean is None), key=lambda row: row.actor.name)
    for index, row in enumerate(scored):
        if index and row.mean == scored[index - 1].mean:
            row.rank = scored[index - 1].rank
        else:
            row.rank = index + 1
    return scored + unscored


def _compare(rows, members, previous: AssessmentCycle, commitment_ids: set[int] | None) -> None:
    """The change of each pledge's and member's average since the previous cycle: one query."""
    by_pledge, by_member = defaultdict(list), defaultdict(list)
    before = previous.scores.exclude(score=None)
    if commitment_ids is not None:
        before = before.filter(commitment_id__in=commitment_ids)
    for commitment_id, member_id, score in before.values_list("commitment_id", "member_id", "score"):
        by_pledge[commitment_id].append(score)
        by_member[member_id].append(score)
    for row in [*rows, *members]:
        key = row.commitment_id if isinstance(row, PledgeRow) else row.actor.pk
        before = _mean((by_pledge if isinstance(row, PledgeRow) else by_member).get(key, ()))
        if before is not None and row.mean is not None:
            row.change = _shown(row.mean - before)


def report_as_dict(report: Report) -> dict:
    """The report's numbers for the API and the CSV: plain values, English codes."""
    cycle = report.cycle
    return {
        "cycle": {
            "id": cycle.pk,
            "name": cycle.name,
            "kind": cycle.kind,
            "state": cycle.state,
            "event": cycle.event_id,
            "period_start": cycle.period_start,
            "period_end": cycle.period_end,
            "published_at": cycle.published_at,
            "previous": cycle.previous_id,
        },
        "summary": {
            "pledges": len(report.pledges),
            "members": len(report.members),
            "cells": report.cells,
            "scored": report.scored,
            "not_assessed": report.not_assessed,
            "average": report.average,
            "percentage": report.percentage,
        },
        "members": [
            {
                "id": row.actor.pk,
                "name": row.actor.name,
                "rank": row.rank,
                "cells": row.cells,
                "scored": row.scored,
                "average": row.average,
                "percentage": row.percentage,
                "change": row.change,
            }
            for row in report.members
        ],
        "pledges": [
            {
                "id": row.commitment_id,
                "title": row.title,
                "maker": row.maker,
                "status": row.status,
                "progress": row.progress,
                "topics": row.topics,
                "criteria_full": row.entry.criteria_full,
                "criteria_partial": row.entry.criteria_partial,
                "criteria_none": row.entry.criteria_none,
                "average": row.average,
                "percentage": row.percentage,
                "change": row.change,
                "scores": [
                    {
                        "member": cell.member.pk,
                        "member_name": cell.member.name,
                        "score": cell.score,
                        "rationale": cell.rationale,
                        "evidence_urls": cell.evidence_urls,
                    }
                    for cell in row.cells
                ],
            }
            for row in report.pledges
        ],
        "topics": [
            {
                "name": row.name,
                "pledges": row.pledges,
                "scored": row.scored,
                "average": row.average,
                "percentage": row.percentage,
            }
            for row in report.topics
        ],
        "revisions": [
            {
                "pledge": revision.score.commitment_id,
                "member": revision.score.member_id,
                "member_name": revision.score.member.name,
                "score_before": revision.score_before,
                "score_after": revision.score_after,
                "reason": revision.reason,
                "revised_by": revision.revised_by.get_username() if revision.revised_by else None,
                "revised_at": revision.revised_at,
            }
            for revision in report.revisions
        ],
    }


def latest_published_cycle() -> AssessmentCycle | None:
    return (
        AssessmentCycle.objects.filter(state=AssessmentCycle.State.PUBLISHED)
        .select_related("event")
        .order_by("-published_at", "-id")
        .first()
    )
