"""Assessment cycles: chosen pledges, written criteria, a score per member, review, publishing, revisions.

The G7 Research Group's way of assessing summit pledges: for each chosen
pledge, criteria for full (+1), partial (0) and no compliance (-1); for each
member the pledge binds, a score with its rationale and evidence. A cycle is
drafted, reviewed (nothing is locked; what is missing is listed), then
published, which freezes it: the pledges as they stood, their criteria and
their scores. A correction afterwards is a ScoreRevision with its reason.

Views, the admin, the API and load_demo call these functions; a rule that
refuses input raises ValidationError keyed by the field it is about.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from tracker.models import (
    Actor,
    AssessmentCycle,
    Commitment,
    ComplianceScore,
    CycleCommitment,
    Score,
    ScoreRevision,
    web_url_validator,
)

CYCLE_FIELDS = ("name", "event", "kind", "period_start", "period_end", "previous")
CRITERIA_FIELDS = ("criteria_full", "criteria_partial", "criteria_none")
MAX_EVIDENCE_LINKS = 20
# Scores that say something happened or did not: like Fulfilled and Broken
# for statuses, they need the reason and a source a reader can check.
SCORES_NEEDING_EVIDENCE = frozenset({Score.FULL, Score.NONE})

PUBLISHED_MESSAGE = gettext_lazy(
    "This cycle is published and frozen; correct a score with a revision, giving the reason."
)
TRANSITIONS = {
    AssessmentCycle.State.DRAFT: {AssessmentCycle.State.REVIEW},
    AssessmentCycle.State.REVIEW: {AssessmentCycle.State.DRAFT, AssessmentCycle.State.PUBLISHED},
    AssessmentCycle.State.PUBLISHED: frozenset(),
}


def commitment_members(commitment: Commitment) -> list[Actor]:
    """Whose compliance is assessed: the pledge's members, or its maker alone when it names none.

    Reads `members` through the prefetch cache when the caller prefetched it.
    """
    members = sorted(commitment.members.all(), key=lambda actor: actor.name)
    return members or [commitment.made_by]


def evidence_urls_parse(text: str) -> list[str]:
    """Links written one per line (a form's textarea) as a list."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _refuse_if_published(cycle: AssessmentCycle, field: str = "cycle") -> None:
    if cycle.is_published:
        raise ValidationError({field: PUBLISHED_MESSAGE})


def _refuse_null_characters(fields: dict) -> None:
    errors = {name: _("Null characters are not allowed.") for name, value in fields.items() if "\x00" in str(value)}
    if errors:
        raise ValidationError(errors)


def _locked(cycle: AssessmentCycle) -> AssessmentCycle:
    """The cycle's row, locked: a write checks the state that publishing changes under the same lock."""
    return AssessmentCycle.objects.select_for_update().get(pk=cycle.pk)


# Cycles


def cycle_create(*, user=None, data: dict) -> AssessmentCycle:
    unknown = set(data) - set(CYCLE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    _refuse_null_characters({"name": data.get("name", "")})
    cycle = AssessmentCycle(**data, state=AssessmentCycle.State.DRAFT, created_by=user)
    cycle_validate_previous(cycle)
    cycle.full_clean()
    cycle._history_user = user
    cycle.save()
    return cycle


def cycle_update(*, cycle: AssessmentCycle, user=None, data: dict) -> AssessmentCycle:
    unknown = set(data) - set(CYCLE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    _refuse_null_characters({"name": data.get("name", "")})
    with transaction.atomic():
        locked = _locked(cycle)
        _refuse_if_published(locked)
        for name, value in data.items():
            setattr(locked, name, value)
        cycle_validate_previous(locked)
        locked.full_clean()
        locked._history_user = user
        locked.save()
    return locked


def cycle_validate_previous(cycle: AssessmentCycle) -> None:
    """Only a final cycle follows an earlier one, and that one is an interim (forms show it by the field)."""
    previous = cycle.previous
    if previous is None:
        return
    if cycle.pk and previous.pk == cycle.pk:
        raise ValidationError({"previous": _("A cycle cannot follow itself.")})
    if cycle.kind != AssessmentCycle.Kind.FINAL or previous.kind != AssessmentCycle.Kind.INTERIM:
        raise ValidationError(
            {"previous": _("Only a final cycle follows an earlier cycle, and that one is an interim.")}
        )


def cycle_add_commitments(*, cycle: AssessmentCycle, commitments, user=None) -> int:
    """Add pledges (a queryset or a list) to a cycle after those it has; returns how many were new."""
    with transaction.atomic():
        locked = _locked(cycle)
        _refuse_if_published(locked, "commitments")
        present = set(locked.cycle_commitments.values_list("commitment_id", flat=True))
        position = locked.cycle_commitments.aggregate(last=Max("position"))["last"] or 0
        new = []
        for commitment_id in _ids(commitments):
            if commitment_id not in present:
                present.add(commitment_id)
                position += 1
                new.append(CycleCommitment(cycle=locked, commitment_id=commitment_id, position=position))
        bulk_create_with_history(new, CycleCommitment, default_user=user)
    return len(new)


def _ids(commitments) -> list[int]:
    if hasattr(commitments, "values_list"):
        return list(commitments.order_by().values_list("pk", flat=True).distinct())
    return [getattr(commitment, "pk", commitment) for commitment in commitments]


def cycle_remove_commitment(*, cycle: AssessmentCycle, commitment: Commitment, user=None) -> None:
    """Take a pledge out of a cycle with its criteria and scores (their history keeps them)."""
    with transaction.atomic():
        locked = _locked(cycle)
        _refuse_if_published(locked, "commitment")
        for score in ComplianceScore.objects.filter(cycle=locked, commitment=commitment):
            score._history_user = user
            score.delete()
        for entry in CycleCommitment.objects.filter(cycle=locked, commitment=commitment):
            entry._history_user = user
            entry.delete()


def criteria_set(*, entry: CycleCommitment, user=None, data: dict) -> CycleCommitment:
    """Write the criteria for +1, 0 and -1 of a pledge in a cycle."""
    unknown = set(data) - set(CRITERIA_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    _refuse_null_characters(data)
    with transaction.atomic():
        _refuse_if_published(_locked(entry.cycle), next(iter(data), "criteria_full"))
        for name, value in data.items():
            setattr(entry, name, (value or "").strip())
        entry._history_user = user
        entry.save()
    return entry


def cycle_copy_to_final(*, cycle: AssessmentCycle, user=None, data: dict) -> AssessmentCycle:
    """A final cycle with the interim's pledges, in its order, and their criteria; no scores."""
    if cycle.kind != AssessmentCycle.Kind.INTERIM:
        raise ValidationError({"cycle": _("Only an interim cycle is copied into a final one.")})
    data = {"event": cycle.event, **data, "kind": AssessmentCycle.Kind.FINAL, "previous": cycle}
    with transaction.atomic():
        final = cycle_create(user=user, data=data)
        bulk_create_with_history(
            [
                CycleCommitment(
                    cycle=final,
                    commitment_id=entry.commitment_id,
                    position=entry.position,
                    **{name: getattr(entry, name) for name in CRITERIA_FIELDS},
                )
                for entry in cycle.cycle_commitments.all()
            ],
            CycleCommitment,
            default_user=user,
        )
    return final


# Scores


def score_validate(
    *, cycle: AssessmentCycle, commitment: Commitment, member: Actor, score, rationale: str, evidence_urls
) -> list[str]:
    """Check a cell against the rules; return its evidence links, cleaned."""
    _refuse_null_characters({"rationale": rationale, "evidence_urls": " ".join(map(str, evidence_urls or ()))})
    errors = {}
    if cycle.is_published:
        errors["cycle"] = PUBLISHED_MESSAGE
    if not CycleCommitment.objects.filter(cycle=cycle, commitment=commitment).exists():
        errors["commitment"] = _("“%(pledge)s” is not one of this cycle's pledges; add it to the cycle first.") % {
            "pledge": commitment
        }
    else:
        members = commitment_members(commitment)
        if member not in members:
            names = ", ".join(actor.name for actor in members)
            errors["member"] = _("%(member)s is not a member of this pledge; its members are: %(members)s.") % {
                "member": member,
                "members": names,
            }
    if score is not None and (isinstance(score, bool) or score not in Score.values):
        errors["score"] = _("%(score)s is not a score; choose -1, 0 or +1, or leave it not assessed.") % {
            "score": repr(score)
        }
    if isinstance(evidence_urls, str):
        evidence_urls = evidence_urls_parse(evidence_urls)
    links = [str(link).strip() for link in evidence_urls or () if str(link).strip()]
    if len(links) > MAX_EVIDENCE_LINKS:
        errors["evidence_urls"] = _("Give at most %(limit)s evidence links.") % {"limit": MAX_EVIDENCE_LINKS}
    else:
        for link in links:
            try:
                web_url_validator(link)
            except ValidationError:
                errors["evidence_urls"] = _("%(link)s is not a web address starting with http:// or https://.") % {
                    "link": repr(link)
                }
                break
    if score in SCORES_NEEDING_EVIDENCE and "score" not in errors:
        label = Score(score).label
        if not (rationale or "").strip():
            errors["rationale"] = _("A score of %(score)s needs a rationale saying why.") % {"score": label}
        if not links and "evidence_urls" not in errors:
            errors["evidence_urls"] = _("A score of %(score)s needs at least one evidence link.") % {"score": label}
    if errors:
        raise ValidationError(errors)
    return links


def score_set(
    *,
    cycle: AssessmentCycle,
    commitment: Commitment,
    member: Actor,
    score=None,
    rationale: str = "",
    evidence_urls=(),
    user=None,
) -> ComplianceScore:
    """Score one member on one pledge of a cycle that is not published; an unchanged cell is left as it was."""
    with transaction.atomic():
        locked = _locked(cycle)
        links = score_validate(
            cycle=locked,
            commitment=commitment,
            member=member,
            score=score,
            rationale=rationale,
            evidence_urls=evidence_urls,
        )
        # The cycle's lock serialises writers, so two first scores of one cell cannot both insert.
        cell = ComplianceScore.objects.filter(cycle=locked, commitment=commitment, member=member).first()
        created = cell is None
        if created:
            cell = ComplianceScore(cycle=locked, commitment=commitment, member=member)
        rationale = (rationale or "").strip()
        if created or (cell.score, cell.rationale, cell.evidence_urls) != (score, rationale, links):
            cell.score, cell.rationale, cell.evidence_urls = score, rationale, links
            cell.scored_by, cell.scored_at = user, timezone.now()
            cell._history_user = user
            cell.save()
    return cell


def score_revise(*, score: ComplianceScore, user=None, data: dict, reason: str) -> ScoreRevision:
    """Correct a published cycle's cell; the revision keeps what it was, who changed it, when and why."""
    reason = (reason or "").strip()
    _refuse_null_characters({"reason": reason})
    with transaction.atomic():
        cycle = _locked(score.cycle)
        cell = ComplianceScore.objects.select_for_update().get(pk=score.pk)
        errors = {}
        if not cycle.is_published:
            errors["cycle"] = _("This cycle is not published; change the score itself.")
        if not reason:
            errors["reason"] = _("Say why the published score is corrected; the report shows it.")
        if errors:
            raise ValidationError(errors)
        new_score = data.get("score", cell.score)
        rationale = data.get("rationale", cell.rationale)
        # Validated as an unpublished cell would be: the same rules hold for a correction.
        cycle.state = AssessmentCycle.State.REVIEW
        links = score_validate(
            cycle=cycle,
            commitment=cell.commitment,
            member=cell.member,
            score=new_score,
            rationale=rationale,
            evidence_urls=data.get("evidence_urls", cell.evidence_urls),
        )
        revision = ScoreRevision.objects.create(
            score=cell,
            score_before=cell.score,
            score_after=new_score,
            rationale_before=cell.rationale,
            rationale_after=(rationale or "").strip(),
            reason=reason,
            revised_by=user,
        )
        cell.score, cell.rationale, cell.evidence_urls = new_score, (rationale or "").strip(), links
        cell.scored_by, cell.scored_at = user, revision.revised_at
        cell._history_user = user
        cell.save()
    score.refresh_from_db()
    return revision


# Review and publishing


def cycle_missing(cycle: AssessmentCycle) -> dict:
    """What review shows: cells not assessed, and scored cells without a rationale, pledge by pledge."""
    entries = cycle_entries(cycle)
    scores = {(cell.commitment_id, cell.member_id): cell for cell in cycle.scores.all()}
    not_assessed, no_rationale, no_criteria = [], [], []
    for entry in entries:
        commitment = entry.commitment
        if not all(getattr(entry, name).strip() for name in CRITERIA_FIELDS):
            no_criteria.append(commitment)
        for member in commitment_members(commitment):
            cell = scores.get((commitment.pk, member.pk))
            if cell is None or cell.score is None:
                not_assessed.append((commitment, member))
            elif not cell.rationale.strip():
                no_rationale.append((commitment, member))
    return {
        "pledges": len(entries),
        "not_assessed": not_assessed,
        "no_rationale": no_rationale,
        "no_criteria": no_criteria,
        "complete": not (not_assessed or no_rationale or no_criteria),
    }


def cycle_entries(cycle: AssessmentCycle, *, frozen: bool = False):
    """The cycle's pledges in order, each with its maker, members and topics: four queries for any number.

    `frozen`: only what a published cycle's report reads (its own frozen
    fields, not the pledges' members and topics as they are now), in one query.
    """
    entries = cycle.cycle_commitments.select_related("commitment__made_by")
    if not frozen:
        entries = entries.prefetch_related(
            Prefetch("commitment__members", queryset=Actor.objects.only("id", "name")),
            "commitment__topics",
        )
    return list(entries)


def cycle_move(*, cycle: AssessmentCycle, state: str, user=None) -> AssessmentCycle:
    """Draft to review, review back to draft, review to published (cycle_publish)."""
    if state not in AssessmentCycle.State.values:
        choices = ", ".join(AssessmentCycle.State.values)
        raise ValidationError(
            {
                "state": _("%(state)s is not a state; choose one of: %(choices)s.")
                % {"state": repr(state), "choices": choices}
            }
        )
    if state == AssessmentCycle.State.PUBLISHED:
        return cycle_publish(cycle=cycle, user=user)
    with transaction.atomic():
        locked = _locked(cycle)
        current = AssessmentCycle.State(locked.state)
        if state != current:
            if state not in TRANSITIONS[current]:
                raise ValidationError({"state": _transition_refusal(current, state)})
            locked.state = state
            locked._history_user = user
            locked.save(update_fields=["state"])
    cycle.state = locked.state
    return cycle


def _transition_refusal(current, target) -> str:
    if current == AssessmentCycle.State.PUBLISHED:
        return PUBLISHED_MESSAGE
    return _("A cycle in %(current)s cannot move to %(target)s.") % {
        "current": current.label,
        "target": AssessmentCycle.State(target).label,
    }


def cycle_publish(*, cycle: AssessmentCycle, user=None) -> AssessmentCycle:
    """Freeze the cycle: each pledge's title, maker, status, progress and topics as they stand, and every cell.

    A cell never scored becomes a "not assessed" row, so that the report's
    members no longer follow the pledges' member lists; scores of actors who
    are no longer members are dropped (their history keeps them).
    """
    with transaction.atomic():
        locked = _locked(cycle)
        current = AssessmentCycle.State(locked.state)
        if AssessmentCycle.State.PUBLISHED not in TRANSITIONS[current]:
            raise ValidationError({"state": _transition_refusal(current, AssessmentCycle.State.PUBLISHED)})
        entries = cycle_entries(locked)
        existing = defaultdict(dict)
        for cell in locked.scores.all():
            existing[cell.commitment_id][cell.member_id] = cell
        now = timezone.now()
        missing = []
        for entry in entries:
            commitment = entry.commitment
            members = commitment_members(commitment)
            entry.published_title = commitment.title
            entry.published_maker = commitment.made_by.name
            entry.published_status = commitment.status
            entry.published_progress = commitment.progress
            entry.published_topics = sorted(topic.name for topic in commitment.topics.all())
            cells = existing.pop(commitment.pk, {})
            for member in members:
                if member.pk not in cells:
                    missing.append(ComplianceScore(cycle=locked, commitment=commitment, member=member))
            for member_id, cell in cells.items():
                if member_id not in {member.pk for member in members}:
                    cell._history_user = user
                    cell.delete()
        for cells in existing.values():  # pledges taken out of the cycle
            for cell in cells.values():
                cell._history_user = user
                cell.delete()
        bulk_update_with_history(
            entries,
            CycleCommitment,
            ["published_title", "published_maker", "published_status", "published_progress", "published_topics"],
            default_user=user,
        )
        bulk_create_with_history(missing, ComplianceScore, default_user=user)
        locked.state = AssessmentCycle.State.PUBLISHED
        locked.published_at = now
        locked._history_user = user
        locked.save(update_fields=["state", "published_at"])
    cycle.state, cycle.published_at = locked.state, locked.published_at
    return cycle
