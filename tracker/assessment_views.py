"""The assessment pages: cycles, picking their pledges, the scoring grid, review and publishing, corrections.

Every write goes through tracker.assessments (or tracker.services for a
pledge's members); a rule it refuses comes back as a form error and a 400.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import assessments, evidence, selectors, services, views
from .assessment_forms import (
    AddPledgesForm,
    CopyToFinalForm,
    CriteriaForm,
    CycleForm,
    DraftScoresForm,
    MembersForm,
    RemovePledgeForm,
    ReviseScoreForm,
    RowScoresForm,
)
from .assessment_report import cycle_report
from .filters import CommitmentFilter
from .forms import RecordUpdateForm, add_service_errors
from .models import (
    AssessmentCycle,
    Commitment,
    ComplianceScore,
    Contact,
    CycleCommitment,
    EvidenceRequest,
    Reply,
    Score,
)

VIEW_PERMISSION = "tracker.view_assessmentcycle"
CYCLE_ADD_PERMISSION = "tracker.add_assessmentcycle"
CYCLE_CHANGE_PERMISSION = "tracker.change_assessmentcycle"
SCORE_PERMISSION = "tracker.change_compliancescore"
REQUEST_PERMISSION = "tracker.add_evidencerequest"
# Offices' addresses and their replies are internal: read with the requests' own permission.
REQUEST_VIEW_PERMISSION = "tracker.view_evidencerequest"
CONTACT_ADD_PERMISSION = "tracker.add_contact"
MEMBERS_PERMISSION = views.MEMBERS_PERMISSION
PAGE_SIZE = views.PAGE_SIZE
# Review lists what is missing; past this many a list says how many more.
MISSING_SHOWN = 25

SCORE_CLASSES = {Score.FULL: "full", Score.PARTIAL: "partial", Score.NONE: "none"}
STATE_MESSAGES = {
    AssessmentCycle.State.DRAFT: gettext_lazy("The cycle is back in draft."),
    AssessmentCycle.State.REVIEW: gettext_lazy(
        "The cycle is in review: nothing is locked yet; what is missing is listed below."
    ),
    AssessmentCycle.State.PUBLISHED: gettext_lazy(
        "Published: the cycle is frozen. A score can now be corrected only with a revision that gives the reason."
    ),
}


def _require(request, permission, message):
    if not request.user.has_perm(permission):
        raise PermissionDenied(message)


def _cycle_or_404(pk):
    return get_object_or_404(AssessmentCycle.objects.select_related("event", "previous"), pk=pk)


# The list of cycles and a new cycle


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def cycle_list(request):
    cycles = list(AssessmentCycle.objects.select_related("event", "previous"))
    counts = _cycle_counts(cycles)
    rows = [{"cycle": cycle, **counts[cycle.pk]} for cycle in cycles]
    context = {"rows": rows, "can_create": request.user.has_perm(CYCLE_ADD_PERMISSION)}
    return render(request, "tracker/assessments/cycle_list.html", context)


def _cycle_counts(cycles) -> dict:
    """Pledges, cells and scored cells of each cycle: two queries for any number of cycles and cells.

    A published cycle's cells are its rows (publishing wrote one for every
    cell); an open cycle's are one per member of each pledge, the maker when
    it names none, and only the scores of those members count.
    """
    counts = {cycle.pk: {"pledges": 0, "cells": 0, "scored": 0} for cycle in cycles}
    if not counts:
        return counts
    published = {cycle.pk for cycle in cycles if cycle.is_published}
    entries = (
        CycleCommitment.objects.filter(cycle_id__in=counts)
        .annotate(members=Count("commitment__members"))
        .values_list("cycle_id", "members")
    )
    for cycle_id, members in entries:
        counts[cycle_id]["pledges"] += 1
        if cycle_id not in published:
            counts[cycle_id]["cells"] += max(members, 1)
    bound = (
        Q(cycle__state=AssessmentCycle.State.PUBLISHED)
        | Q(commitment__members=F("member"))
        | Q(commitment__members__isnull=True, member=F("commitment__made_by"))
    )
    scores = (
        ComplianceScore.objects.filter(bound, cycle_id__in=counts)
        .values("cycle_id")
        .annotate(
            cells=Count("id", distinct=True),
            scored=Count("id", filter=Q(score__isnull=False), distinct=True),
        )
        .order_by()
    )
    for row in scores:
        counts[row["cycle_id"]]["scored"] = row["scored"]
        if row["cycle_id"] in published:
            counts[row["cycle_id"]]["cells"] = row["cells"]
    return counts


@login_required
@require_http_methods(["GET", "POST"])
def cycle_create(request):
    _require(request, CYCLE_ADD_PERMISSION, _("Only analysts create assessment cycles."))
    status = 200
    if request.method == "POST":
        form = CycleForm(request.POST)
        if form.is_valid():
            try:
                cycle = assessments.cycle_create(user=request.user, data=form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Cycle “%(name)s” created. Now choose its pledges.") % {"name": cycle.name})
                return redirect("tracker:cycle-pledges", cycle.pk)
        status = 400
    else:
        form = CycleForm()
    return render(request, "tracker/assessments/cycle_form.html", {"form": form}, status=status)


# Choosing a cycle's pledges


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def cycle_pledges(request, pk):
    """The cycle's pledges, and the board's filters to find more and add them (POST: add, add_all, remove)."""
    cycle = _cycle_or_404(pk)
    if request.method == "GET":
        return _render_pledges(request, cycle)
    _require(request, CYCLE_CHANGE_PERMISSION, _("Only analysts choose a cycle's pledges."))
    action = request.POST.get("action")
    try:
        if action == "add":
            form = AddPledgesForm(request.POST)
            if not form.is_valid():
                return _render_pledges(request, cycle, errors=form.errors["commitments"], status=400)
            added = assessments.cycle_add_commitments(
                cycle=cycle, commitments=form.cleaned_data["commitments"], user=request.user
            )
            messages.success(request, _added_message(added, len(form.cleaned_data["commitments"])))
        elif action == "add_all":
            filterset = _pledge_filter(request)
            if filterset.is_bound and not filterset.is_valid():
                return _render_pledges(request, cycle, status=400)
            added = assessments.cycle_add_commitments(cycle=cycle, commitments=filterset.qs, user=request.user)
            messages.success(request, _added_message(added, None))
        elif action == "remove":
            form = RemovePledgeForm(request.POST, cycle=cycle)
            if not form.is_valid():
                return _render_pledges(request, cycle, errors=form.errors["commitment"], status=400)
            commitment = form.cleaned_data["commitment"]
            assessments.cycle_remove_commitment(cycle=cycle, commitment=commitment, user=request.user)
            messages.success(
                request,
                _("“%(title)s” taken out of the cycle, with its criteria and scores.") % {"title": commitment.title},
            )
        else:
            return _render_pledges(request, cycle, errors=[_("Choose to add or to remove pledges.")], status=400)
    except ValidationError as error:
        return _render_pledges(request, cycle, errors=error.messages, status=400)
    url = reverse("tracker:cycle-pledges", args=[cycle.pk])
    return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


def _added_message(added, chosen):
    if chosen is not None and added < chosen:
        return ngettext(
            "%(count)s pledge added; the others were already in the cycle.",
            "%(count)s pledges added; the others were already in the cycle.",
            added,
        ) % {"count": added}
    return ngettext("%(count)s pledge added.", "%(count)s pledges added.", added) % {"count": added}


def _pledge_filter(request):
    return CommitmentFilter(
        request.GET or None, queryset=Commitment.objects.all(), request=request, today=timezone.localdate()
    )


def _render_pledges(request, cycle, *, errors=(), status=200):
    entries = assessments.cycle_entries(cycle)
    can_change = not cycle.is_published and request.user.has_perm(CYCLE_CHANGE_PERMISSION)
    context = {
        "cycle": cycle,
        "entries": entries,
        "chosen": {entry.commitment_id for entry in entries},
        "errors": errors,
        "can_change": can_change,
    }
    if not can_change:
        # Nothing to add: the pledges to pick from are not looked up.
        return render(request, "tracker/assessments/cycle_pledges.html", context, status=status)
    filterset = context["filterset"] = _pledge_filter(request)
    if filterset.is_bound and not filterset.is_valid():
        context.update(invalid=True, filter_errors=views._filter_errors(filterset))
        status = 400
    else:
        paginator = Paginator(selectors.commitments_for_list(filterset.qs), PAGE_SIZE)
        context.update(page=paginator.get_page(request.GET.get("page")), is_filtered=filterset.is_filtered)
    return render(request, "tracker/assessments/cycle_pledges.html", context, status=status)


# The scoring grid


@dataclass
class GridCell:
    member: object  # Actor: the column
    cell: object  # assessment_report.Cell, or None where the pledge does not bind the member
    fields: tuple | None = None  # the row form's score, rationale and evidence inputs for this cell
    replies: list = field(default_factory=list)  # the member's offices' replies about this cell

    @property
    def score_label(self):
        return Score.__empty__ if self.cell.score is None else Score(self.cell.score).label

    @property
    def score_class(self):
        return SCORE_CLASSES.get(self.cell.score, "unassessed")


@dataclass
class GridRow:
    row: object  # assessment_report.PledgeRow
    cells: list
    form: RowScoresForm | None = None
    criteria_form: CriteriaForm | None = None


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def cycle_detail(request, pk):
    return _render_grid(request, _cycle_or_404(pk))


def _render_grid(
    request, cycle, *, rows_bound=None, criteria_bound=None, draft_scores_form=None, page_errors=(), status=200
):
    """The cycle's pledges as rows and its members as columns; forms for an analyst while it is open.

    A fixed number of queries: the report's, the missing list's, the right of
    reply's and the user's time zone, however many cells.
    """
    rows_bound, criteria_bound = rows_bound or {}, criteria_bound or {}
    report = cycle_report(cycle)
    can_score = not cycle.is_published and request.user.has_perm(SCORE_PERMISSION)
    can_change = not cycle.is_published and request.user.has_perm(CYCLE_CHANGE_PERMISSION)
    columns = {cell.member.pk: cell.member for row in report.pledges for cell in row.cells}
    columns = sorted(columns.values(), key=lambda actor: (actor.name, actor.pk))
    right_of_reply = _right_of_reply(request, cycle, columns, report.pledges, form=draft_scores_form)
    grid = []
    for row in report.pledges:
        by_member = {cell.member.pk: cell for cell in row.cells}
        form = None
        if can_score:
            form = rows_bound.get(row.commitment_id) or RowScoresForm(
                commitment_id=row.commitment_id, members=[cell.member for cell in row.cells], cells=by_member
            )
        cells = []
        for member in columns:
            cell = by_member.get(member.pk)
            fields = form.cell_fields(member) if form is not None and cell is not None else None
            replies = right_of_reply.by_cell.get((row.commitment_id, member.pk), []) if right_of_reply else []
            cells.append(GridCell(member=member, cell=cell, fields=fields, replies=replies))
        criteria_form = None
        if can_change:
            criteria_form = criteria_bound.get(row.commitment_id) or CriteriaForm.for_entry(row.entry)
        grid.append(GridRow(row=row, cells=cells, form=form, criteria_form=criteria_form))
    missing = None if cycle.is_published else assessments.cycle_missing(cycle)
    context = {
        "cycle": cycle,
        "report": report,
        "columns": columns,
        "grid": grid,
        "can_score": can_score,
        "can_change": can_change,
        "can_move": request.user.has_perm(CYCLE_CHANGE_PERMISSION),
        "can_revise": cycle.is_published and request.user.has_perm(SCORE_PERMISSION),
        "can_copy": cycle.kind == AssessmentCycle.Kind.INTERIM and request.user.has_perm(CYCLE_ADD_PERMISSION),
        "missing": missing,
        "missing_parts": _missing_parts(missing) if missing else [],
        "page_errors": page_errors,
        "time_zone": selectors.user_time_zone(request.user),
        "right_of_reply": right_of_reply,
    }
    return render(request, "tracker/assessments/cycle_detail.html", context, status=status)


def _missing_parts(missing) -> list[dict]:
    """cycle_missing's lists as the page shows them: a count, and the first MISSING_SHOWN items.

    "label" follows the count in the template; "summary" is the count and
    the label in one phrase, for a language that words the number its own way.
    """
    not_assessed, no_rationale = missing["not_assessed"], missing["no_rationale"]
    no_criteria = [(commitment, None) for commitment in missing["no_criteria"]]
    parts = [
        (
            "not_assessed",
            not_assessed,
            ngettext("cell not assessed", "cells not assessed", len(not_assessed)),
            ngettext("%(count)s cell not assessed", "%(count)s cells not assessed", len(not_assessed)),
            _("Cells not assessed"),
        ),
        (
            "no_rationale",
            no_rationale,
            ngettext("scored cell without a rationale", "scored cells without a rationale", len(no_rationale)),
            ngettext(
                "%(count)s scored cell without a rationale",
                "%(count)s scored cells without a rationale",
                len(no_rationale),
            ),
            _("Scored cells without a rationale"),
        ),
        (
            "no_criteria",
            no_criteria,
            ngettext("pledge without all three criteria", "pledges without all three criteria", len(no_criteria)),
            ngettext(
                "%(count)s pledge without all three criteria",
                "%(count)s pledges without all three criteria",
                len(no_criteria),
            ),
            _("Pledges without all three criteria"),
        ),
    ]
    return [
        {
            "key": key,
            "count": len(items),
            "label": label,
            "summary": summary % {"count": len(items)},
            "title": title,
            "items": items[:MISSING_SHOWN],
            "more": max(len(items) - MISSING_SHOWN, 0),
        }
        for key, items, label, summary, title in parts
    ]


# The right of reply: draft scores sent to the members' offices, and their replies


@dataclass
class OfficeRow:
    contact: Contact
    requests: list  # this cycle's draft scores sent to the office, newest first


@dataclass
class MemberReplies:
    member: object  # Actor
    offices: list  # OfficeRow: its active contacts, then any other the draft scores went to
    replies: list  # about the scores as a whole, or about a pledge no longer in the grid
    add_contact_url: str = ""  # for an analyst, when the member has no active contact

    @property
    def has_active_contact(self):
        return any(office.contact.is_active for office in self.offices)


@dataclass
class RightOfReply:
    members: list  # MemberReplies, by name
    by_cell: dict  # (commitment id, member id) -> the replies about that cell, oldest first
    form: DraftScoresForm | None  # while in review, for those who may send
    sent: int  # draft-score requests made so far


def _right_of_reply(request, cycle, columns, pledges, *, form=None) -> RightOfReply | None:
    """Each member's offices, the draft scores sent to them and their replies: four queries however many cells."""
    if not request.user.has_perm(REQUEST_VIEW_PERMISSION):
        return None
    requests = list(
        EvidenceRequest.objects.filter(cycle=cycle, kind=EvidenceRequest.Kind.DRAFT_SCORES).select_related(
            "contact", "member", "requested_by"
        )
    )
    members = {member.pk: member for member in columns}
    # A member whose pledges left the cycle keeps its requests and replies in view.
    for sent in requests:
        members.setdefault(sent.member_id, sent.member)
    offices = defaultdict(dict)
    for contact in Contact.objects.filter(actor_id__in=members, is_active=True):
        offices[contact.actor_id][contact.pk] = OfficeRow(contact=contact, requests=[])
    for sent in requests:
        offices[sent.member_id].setdefault(sent.contact_id, OfficeRow(contact=sent.contact, requests=[]))
        offices[sent.member_id][sent.contact_id].requests.append(sent)

    cells = {(row.commitment_id, member.pk) for row in pledges for member in columns}
    by_cell, elsewhere = defaultdict(list), defaultdict(list)
    replies = (
        Reply.objects.filter(request__cycle=cycle, request__kind=EvidenceRequest.Kind.DRAFT_SCORES)
        .select_related("request__contact", "commitment")
        .prefetch_related("files")
        .order_by("created_at", "id")
    )
    for reply in replies:
        key = (reply.commitment_id, reply.request.member_id)
        if key in cells:
            by_cell[key].append(reply)
        else:
            elsewhere[reply.request.member_id].append(reply)

    can_add_contact = request.user.has_perm(CONTACT_ADD_PERMISSION)
    rows = []
    for member in sorted(members.values(), key=lambda actor: (actor.name, actor.pk)):
        member_offices = list(offices[member.pk].values())
        row = MemberReplies(member=member, offices=member_offices, replies=elsewhere[member.pk])
        if can_add_contact and not row.has_active_contact:
            row.add_contact_url = f"{reverse('admin:tracker_contact_add')}?actor={member.pk}"
        rows.append(row)
    if cycle.state == AssessmentCycle.State.REVIEW and request.user.has_perm(REQUEST_PERMISSION):
        form = form or DraftScoresForm()
    else:
        form = None
    return RightOfReply(members=rows, by_cell=by_cell, form=form, sent=len(requests))


def _row_url(cycle, commitment_id):
    return f"{cycle.get_absolute_url()}#pledge-{commitment_id}"


@login_required
@require_POST
def cycle_score(request, pk, commitment_id):
    """Save one row of the grid: every changed cell, or none of them when one is refused."""
    _require(request, SCORE_PERMISSION, _("Only analysts score pledges."))
    cycle = _cycle_or_404(pk)
    entry = get_object_or_404(
        CycleCommitment.objects.select_related("commitment__made_by").prefetch_related("commitment__members"),
        cycle=cycle,
        commitment_id=commitment_id,
    )
    if cycle.is_published:
        return _render_grid(request, cycle, page_errors=[assessments.PUBLISHED_MESSAGE], status=400)
    commitment = entry.commitment
    members = assessments.commitment_members(commitment)
    current = {cell.member_id: cell for cell in ComplianceScore.objects.filter(cycle=cycle, commitment=commitment)}
    form = RowScoresForm(request.POST, commitment_id=commitment.pk, members=members, cells=current)
    if form.is_valid():
        changed = _save_row(
            form, cycle=cycle, commitment=commitment, members=members, current=current, user=request.user
        )
        if not form.errors:
            if changed:
                saved = ngettext(
                    "Saved %(count)s cell of “%(title)s”.", "Saved %(count)s cells of “%(title)s”.", changed
                )
                messages.success(request, saved % {"count": changed, "title": commitment.title})
            else:
                messages.info(request, _("Nothing changed in “%(title)s”.") % {"title": commitment.title})
            return redirect(_row_url(cycle, commitment.pk))
    return _render_grid(request, cycle, rows_bound={commitment.pk: form}, status=400)


def _save_row(form, *, cycle, commitment, members, current, user) -> int:
    changed = 0
    with transaction.atomic():
        for member in members:
            score, rationale, links = form.cell_values(member)
            cell = current.get(member.pk)
            before = (cell.score, cell.rationale, cell.evidence_urls) if cell else (None, "", [])
            # An untouched cell is not written: that would record a scorer who never scored it.
            if (score, rationale, links) == before:
                continue
            try:
                assessments.score_set(
                    cycle=cycle,
                    commitment=commitment,
                    member=member,
                    score=score,
                    rationale=rationale,
                    evidence_urls=links,
                    user=user,
                )
            except ValidationError as error:
                form.add_cell_errors(member, error)
            else:
                changed += 1
        if form.errors:
            # One refused cell refuses the row: the analyst sees it saved whole or not at all.
            transaction.set_rollback(True)
    return changed


@login_required
@require_POST
def cycle_criteria(request, pk, commitment_id):
    _require(request, CYCLE_CHANGE_PERMISSION, _("Only analysts write a cycle's criteria."))
    cycle = _cycle_or_404(pk)
    entry = get_object_or_404(CycleCommitment.objects.select_related("cycle"), cycle=cycle, commitment_id=commitment_id)
    if cycle.is_published:
        return _render_grid(request, cycle, page_errors=[assessments.PUBLISHED_MESSAGE], status=400)
    form = CriteriaForm.for_entry(entry, request.POST)
    if form.is_valid():
        try:
            assessments.criteria_set(entry=entry, user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Criteria saved."))
            return redirect(_row_url(cycle, commitment_id))
    return _render_grid(request, cycle, criteria_bound={commitment_id: form}, status=400)


# Review, publishing, corrections, the final cycle


@login_required
@require_POST
def cycle_draft_scores(request, pk):
    """Send each member's offices their draft scores and a link to reply; an office already asked is not asked twice."""
    _require(request, REQUEST_PERMISSION, _("Only analysts send draft scores to the members' offices."))
    cycle = _cycle_or_404(pk)
    form = DraftScoresForm(request.POST)
    if form.is_valid():
        try:
            sent = evidence.draft_scores_send(cycle=cycle, user=request.user, message=form.cleaned_data["message"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if sent:
                members = len({each.member_id for each in sent})
                # Two counts, each with its plural: the offices' phrase, then the sentence by the members'.
                offices = ngettext("%(count)s office", "%(count)s offices", len(sent)) % {"count": len(sent)}
                messages.success(
                    request,
                    ngettext(
                        "Draft scores sent to %(offices)s of %(count)s member; each can reply through its link.",
                        "Draft scores sent to %(offices)s of %(count)s members; each can reply through its link.",
                        members,
                    )
                    % {"offices": offices, "count": members},
                )
            else:
                messages.info(
                    request,
                    _(
                        "No office was written to: every member's active offices already have the draft scores, "
                        "or the members have no active contact."
                    ),
                )
            return redirect(f"{cycle.get_absolute_url()}#right-of-reply")
    # The cycle's errors go above the page: the panel has no form outside review.
    return _render_grid(request, cycle, draft_scores_form=form, page_errors=form.non_field_errors(), status=400)


@login_required
@require_POST
def cycle_state(request, pk):
    """Draft to review and back, review to published; publishing asks first, as it cannot be undone."""
    _require(request, CYCLE_CHANGE_PERMISSION, _("Only analysts move a cycle to review or publish it."))
    cycle = _cycle_or_404(pk)
    state = request.POST.get("state", "")
    confirmed = request.POST.get("confirm") == "yes"
    if state == AssessmentCycle.State.PUBLISHED and cycle.state == AssessmentCycle.State.REVIEW and not confirmed:
        context = {"cycle": cycle, "missing": assessments.cycle_missing(cycle)}
        return render(request, "tracker/assessments/publish_confirm.html", context)
    try:
        assessments.cycle_move(cycle=cycle, state=state, user=request.user)
    except ValidationError as error:
        return _render_grid(request, cycle, page_errors=error.messages, status=400)
    messages.success(request, STATE_MESSAGES[AssessmentCycle.State(state)])
    return redirect(cycle)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_copy(request, pk):
    """A final cycle with this interim cycle's pledges and criteria."""
    _require(request, CYCLE_ADD_PERMISSION, _("Only analysts create assessment cycles."))
    cycle = _cycle_or_404(pk)
    status = 200
    if request.method == "POST":
        form = CopyToFinalForm(request.POST)
        if form.is_valid():
            try:
                final = assessments.cycle_copy_to_final(cycle=cycle, user=request.user, data=form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Final cycle “%(final)s” created with the pledges and criteria of “%(interim)s”.")
                    % {"final": final.name, "interim": cycle.name},
                )
                return redirect(final)
        status = 400
    else:
        name = re.sub(r"\binterim\b", "final", cycle.name, flags=re.IGNORECASE)
        form = CopyToFinalForm(initial={"name": name if name != cycle.name else "", "period_start": cycle.period_start})
    context = {"cycle": cycle, "form": form, "is_interim": cycle.kind == AssessmentCycle.Kind.INTERIM}
    return render(request, "tracker/assessments/cycle_copy.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_revise(request, pk, score_id):
    """Correct a published score: the new values and the reason, kept as a revision."""
    _require(request, SCORE_PERMISSION, _("Only analysts correct published scores."))
    cycle = _cycle_or_404(pk)
    score = get_object_or_404(
        ComplianceScore.objects.select_related("commitment", "member", "scored_by"), pk=score_id, cycle=cycle
    )
    status = 200
    if request.method == "POST":
        form = ReviseScoreForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessments.score_revise(
                    score=score,
                    user=request.user,
                    data={
                        "score": data["score"],
                        "rationale": data["rationale"],
                        "evidence_urls": assessments.evidence_urls_parse(data["evidence"]),
                    },
                    reason=data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error, renamed={"evidence_urls": "evidence"})
            else:
                messages.success(
                    request,
                    _("Score of %(member)s corrected; the report shows the revision.") % {"member": score.member.name},
                )
                return redirect(_row_url(cycle, score.commitment_id))
        status = 400
    else:
        form = ReviseScoreForm.for_score(score)
    entry = CycleCommitment.objects.filter(cycle=cycle, commitment_id=score.commitment_id).first()
    context = {
        "cycle": cycle,
        "score": score,
        "title": (entry.published_title if entry else "") or score.commitment.title,
        "revisions": score.revisions.select_related("revised_by"),
        "form": form,
    }
    return render(request, "tracker/assessments/score_revise.html", context, status=status)


# A pledge's members, edited on the pledge page


@login_required
@require_POST
def commitment_members(request, pk):
    _require(request, MEMBERS_PERMISSION, _("Only analysts change whose compliance a pledge assesses."))
    commitment = get_object_or_404(selectors.commitment_for_detail().prefetch_related("members"), pk=pk)
    form = MembersForm(request.POST)
    if form.is_valid():
        try:
            services.commitment_update(
                commitment=commitment, user=request.user, data={"members": list(form.cleaned_data["members"])}
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Assessed members saved."))
            return redirect(f"{commitment.get_absolute_url()}#members")
    record_form = (
        RecordUpdateForm.for_commitment(commitment) if request.user.has_perm(views.RECORD_UPDATE_PERMISSION) else None
    )
    return views._render_detail(request, commitment, record_form, members_form=form, status=400)
