import datetime
import logging

import icalendar
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from . import (
    article_fetch,
    assessment_report,
    charts,
    continuity,
    exporting,
    languages,
    milestone_views,
    money_views,
    reply_views,
    selectors,
    services,
    timeline,
)
from .assessment_forms import MembersForm
from .extraction import ExtractionError, article_dateline_date, extract_pledges
from .filters import CommitmentFilter
from .forms import (
    MAX_DRAFTS_SHOWN,
    ArticleSourceForm,
    DraftForm,
    DraftFormSet,
    ExtractArticleForm,
    PreferencesForm,
    RecordUpdateForm,
    add_service_errors,
)
from .health import services_health
from .models import EARLIEST_DATE, LATEST_DATE, Commitment

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
CSV_CHUNK_SIZE = 500
RECORD_UPDATE_PERMISSION = "tracker.add_progressupdate"
# Reading pledges is a role too (Viewers, Analysts): an account alone is not enough.
VIEW_PERMISSION = "tracker.view_commitment"
EXTRACT_PERMISSION = "tracker.add_commitment"
MEMBERS_PERMISSION = "tracker.change_commitment"


@never_cache
@require_GET
def healthz(request):
    """Database and broker reachability for load balancers and compose; no login (no data in it)."""
    health = services_health()
    for part in ("database", "broker"):
        if not health[part]["ok"]:
            logger.warning("Health check: the %s is unreachable: %s", part, health[part]["error"])
    # Anyone may ask, so the answer names no host, address or user: the log has the details.
    public = {
        "status": health["status"],
        "database": {"ok": health["database"]["ok"]},
        "broker": {"ok": health["broker"]["ok"]},
    }
    return JsonResponse(public, status=200 if health["database"]["ok"] else 503)


class CountedPaginator(Paginator):
    """A paginator told the count it would otherwise query again (the board's summary has it)."""

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self):
        return self._known_count


def _board_filter(request, today):
    return CommitmentFilter(request.GET or None, queryset=Commitment.objects.all(), request=request, today=today)


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def board(request):
    today = timezone.localdate()
    filterset = _board_filter(request, today)
    context = {"filterset": filterset, "today": today}
    if filterset.is_bound and not filterset.is_valid():
        # The list is not shown rather than shown unfiltered: a reader
        # would take it for the filtered one.
        return render(
            request,
            "tracker/board.html",
            {**context, "invalid": True, "filter_errors": _filter_errors(filterset)},
            status=400,
        )

    filtered = filterset.qs
    summary = selectors.board_summary(
        today=today,
        queryset=filtered,
        display=selectors.commitments_for_list,
        charts=True,
        # The numbers over every pledge are cached; a filtered set's are not.
        cached=not filterset.is_filtered,
        money=True,
    )
    paginator = CountedPaginator(selectors.commitments_for_list(filtered), PAGE_SIZE, count=summary["total"])
    page = paginator.get_page(request.GET.get("page"))
    status_tiles = filterset.status_tiles(summary["counts"])
    context.update(
        summary=summary,
        status_tiles=status_tiles,
        page=page,
        actor_chart=charts.status_by_actor_chart(summary["status_by_actor"]),
        timeline_chart=charts.dates_timeline_chart(summary["dates_by_month"]),
        is_filtered=filterset.is_filtered,
        **_board_compliance(request, summary),
        **money_views.board_panels(
            summary,
            actor_names=_choice_names(filterset, "made_by"),
            event_names=_choice_names(filterset, "event"),
        ),
    )
    return render(request, "tracker/board.html", context)


def _choice_names(filterset, name) -> dict:
    """Every actor's or event's name by id, from the filter form's choices: read already, so no query."""
    return {int(pk): label for pk, label in filterset.filters[name].extra["choices"]}


def _board_compliance(request, summary) -> dict:
    """The compliance panels: live from the pledges' statuses, or the latest published cycle's (?compliance=cycle).

    The cycle is offered only when one is published; its numbers are the
    report's, over the cycle's pledges, whatever the board's filters.
    """
    latest = assessment_report.latest_published_cycle()
    live = {
        "latest_cycle": latest,
        "shown_cycle": None,
        "compliance_by_actor": summary["compliance_by_actor"],
        "compliance_by_event": summary["compliance_by_event"],
    }
    if latest is None or request.GET.get("compliance") != "cycle":
        return live
    report = assessment_report.cycle_report(latest)
    members = [
        {
            "name": row.actor.name,
            "mean": row.average,
            "percentage": row.percentage,
            "scored": row.scored,
            "total": row.cells,
        }
        for row in report.members
    ]
    event = {
        "name": latest.event.name if latest.event else _("No event"),
        "mean": report.average,
        "percentage": report.percentage,
        "scored": sum(1 for row in report.pledges if row.average is not None),
        "total": len(report.pledges),
    }
    return {**live, "shown_cycle": latest, "compliance_by_actor": members, "compliance_by_event": [event]}


def _filter_errors(filterset):
    """(label, message) pairs, for a notice that names each filter it could not read."""
    fields = filterset.form.fields
    return [
        (fields[name].label if name in fields else "", message)
        for name, messages in filterset.errors.items()
        for message in messages
    ]


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def commitments_csv(request):
    """The board's filtered list as CSV, streamed: the same query string gives the same pledges."""
    return _export(request, "csv")


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def commitments_xlsx(request):
    """The board's filtered list as an Excel workbook, with the CSV's columns."""
    return _export(request, "xlsx")


def _export(request, file_format: str):
    filterset = _board_filter(request, timezone.localdate())
    if filterset.is_bound and not filterset.is_valid():
        return _unreadable_filters(filterset)
    commitments = exporting.commitments_for_spreadsheet(filterset.qs).iterator(chunk_size=CSV_CHUNK_SIZE)
    site_url = request.build_absolute_uri("/").rstrip("/")
    if file_format == "csv":
        response = StreamingHttpResponse(
            exporting.csv_lines(commitments, site_url), content_type="text/csv; charset=utf-8"
        )
    else:
        rows = (exporting.commitment_row(commitment, site_url) for commitment in commitments)
        response = HttpResponse(exporting.xlsx_bytes(rows), content_type=exporting.XLSX_CONTENT_TYPE)
    name = f"pledges-{timezone.localdate().isoformat()}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _unreadable_filters(filterset):
    problems = "; ".join(
        _("%(filter)s: %(message)s") % {"filter": label, "message": message} if label else str(message)
        for label, message in _filter_errors(filterset)
    )
    return HttpResponseBadRequest(
        _("These filters could not be read: %(problems)s") % {"problems": problems},
        content_type="text/plain; charset=utf-8",
    )


def _render_detail(
    request,
    commitment,
    form,
    *,
    status=200,
    members_form=None,
    panel_forms=None,
    money_forms=None,
    milestone_forms=None,
):
    """The pledge page; `panel_forms` are the requests panel's forms that failed (reply_views.requests_panel),
    `money_forms` the money panel's (money_views.money_panel), `milestone_forms` the milestones panel's
    (milestone_views.milestone_panel)."""
    if members_form is None and request.user.has_perm(MEMBERS_PERMISSION):
        members_form = MembersForm.for_commitment(commitment)
    context = {
        "commitment": commitment,
        "form": form,
        "can_record": form is not None,
        "members_form": members_form,
        "timeline": timeline.commitment_timeline(commitment),
        "time_zone": selectors.user_time_zone(request.user),
        "money_panel": money_views.money_panel(request, commitment, **(money_forms or {})),
        "milestone_panel": milestone_views.milestone_panel(request, commitment, **(milestone_forms or {})),
        "renewals": money_views.renewal_panel(commitment),
    }
    if request.user.has_perm(reply_views.VIEW_REQUESTS_PERMISSION):
        context["requests_panel"] = reply_views.requests_panel(request, commitment, **(panel_forms or {}))
    return render(request, "tracker/commitment_detail.html", context, status=status)


def commitment_for_page():
    """The pledge page's pledge: what the detail shows, its members, the pledge it renews with that one's event, and
    its milestones (read by the milestones panel, the update form's suggestion and the timeline) with whether one is
    overdue (read by `is_overdue`), so that none of them is a query of its own."""
    return selectors.with_milestone_overdue(
        selectors.commitment_for_detail()
        .select_related("renews__event", "renews__made_by")
        .prefetch_related("members", "milestones")
    )


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def commitment_detail(request, pk):
    commitment = get_object_or_404(commitment_for_page(), pk=pk)
    form = RecordUpdateForm.for_commitment(commitment) if request.user.has_perm(RECORD_UPDATE_PERMISSION) else None
    return _render_detail(request, commitment, form)


@login_required
@require_POST
def commitment_record_update(request, pk):
    if not request.user.has_perm(RECORD_UPDATE_PERMISSION):
        raise PermissionDenied(_("Only analysts record progress updates."))
    commitment = get_object_or_404(selectors.commitment_for_detail(), pk=pk)
    form = RecordUpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.progress_record(
                commitment=commitment,
                author=request.user,
                status=data["status"],
                progress=data["progress"],
                note=data["note"],
                note_is_internal=not data["publish_note"],
                evidence_url=data["evidence_url"],
                expected_status=data["expected_status"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Update recorded."))
            return redirect(f"{commitment.get_absolute_url()}#timeline")
    # The page now shows the pledge as it stands: sending the form again is
    # a deliberate update against that status, not the stale one.
    form.data = form.data.copy()
    form.data["expected_status"] = commitment.status
    return _render_detail(request, commitment, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    preference = services.notification_preference_get(user=request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                services.notification_preference_update(user=request.user, data=form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                languages.remember(request, form.cleaned_data["language"])
                translation.activate(form.cleaned_data["language"])
                messages.success(request, _("Preferences saved."))
                return redirect("tracker:preferences")
        status = 400
    else:
        form = PreferencesForm(
            initial={
                "reminders_enabled": preference.reminders_enabled,
                "digest_enabled": preference.digest_enabled,
                "time_zone": preference.time_zone,
                "language": preference.language,
            }
        )
        status = 200
    calendar_url = request.build_absolute_uri(reverse("tracker:calendar", args=[preference.calendar_token]))
    return render(request, "tracker/preferences.html", {"form": form, "calendar_url": calendar_url}, status=status)


@login_required
@require_POST
def calendar_token_reset(request):
    services.notification_preference_reset_calendar_token(user=request.user)
    messages.success(request, _("New calendar link made: the old one no longer works. Subscribe to the new one."))
    return redirect("tracker:preferences")


@never_cache
@require_safe
def calendar_feed(request, token):
    """A personal iCalendar feed; no login, as calendar apps cannot log in: the token is the secret."""
    user = selectors.calendar_owner_by_token(token)
    if user is None or not user.has_perm(VIEW_PERMISSION):
        raise Http404(_("No calendar at this address; the link may have been reset."))
    host = request.get_host().split(":")[0]
    stamp = timezone.now()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Policy Commitment Tracker//calendar//EN")
    calendar.add("version", "2.0")
    # A calendar app fetches the feed without the owner's session: the feed is in the owner's language.
    with translation.override(languages.of_user(user)):
        calendar.add("x-wr-calname", _("Pledges followed by %(username)s") % {"username": user.get_username()})
        for commitment in selectors.commitments_for_calendar(user):
            url = request.build_absolute_uri(commitment.get_absolute_url())
            if _on_calendar(commitment.next_check_on) and not commitment.is_terminal:
                summary = _("Check: %(title)s") % {"title": commitment.title}
                calendar.add_component(
                    _calendar_event(
                        commitment, "check", summary, commitment.next_check_on, url=url, host=host, stamp=stamp
                    )
                )
            if _on_calendar(commitment.due_on):
                summary = _("Due: %(title)s") % {"title": commitment.title}
                calendar.add_component(
                    _calendar_event(commitment, "due", summary, commitment.due_on, url=url, host=host, stamp=stamp)
                )
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="pledges.ics"'
    return response


def _on_calendar(day):
    # A date the validators would refuse can still be in the table (written
    # before them, or by raw SQL); one such row must not break the whole feed,
    # and 9999-12-31 has no next day to end its event on.
    return day is not None and EARLIEST_DATE <= day <= LATEST_DATE


def _calendar_event(commitment, kind, summary, day, *, url, host, stamp):
    event = icalendar.Event()
    # One stable UID per pledge and kind: a moved date updates the event.
    event.add("uid", f"commitment-{commitment.pk}-{kind}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + datetime.timedelta(days=1))
    event.add("summary", summary)
    event.add(
        "description",
        _("%(maker)s. Status: %(status)s, %(progress)s%%.")
        % {
            "maker": commitment.made_by.name,
            "status": commitment.get_status_display(),
            "progress": commitment.progress,
        },
    )
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


@login_required
@require_http_methods(["GET", "POST"])
def extract(request):
    """Paste an article, review its draft pledges, create the chosen ones."""
    if not request.user.has_perm(EXTRACT_PERMISSION):
        raise PermissionDenied(_("Only analysts create pledges from articles."))
    if request.method == "GET":
        return _render_extract(request, article_form=ExtractArticleForm())
    if request.POST.get("action") == "create":
        return _extract_create(request)
    return _extract_find(request)


def _render_extract(request, *, status=200, **context):
    return render(request, "tracker/extract.html", context, status=status)


def _extract_find(request):
    form = ExtractArticleForm(request.POST)
    if not form.is_valid():
        return _render_extract(request, article_form=form, status=400)
    # The source title is not a step-1 field: only a fetched page has one.
    source = {name: form.cleaned_data.get(name, "") for name in ArticleSourceForm.base_fields}
    text = form.cleaned_data["text"]
    url = form.cleaned_data["url"]
    if url:
        try:
            article = article_fetch.fetch_article(url)
        except article_fetch.FetchError as error:
            form.add_error("url", error.message)
            return _render_extract(request, article_form=form, status=400)
        text = article.text
        source = _source_from_article(source, article, requested=url)
    if not source["article_date"]:
        # A dated dateline ("NAIROBI, 21 August 2025 -") is the article's date when the analyst gave none.
        source = {**source, "article_date": article_dateline_date(text, today=timezone.localdate())}
    try:
        drafts = extract_pledges(
            text,
            article_date=source["article_date"] or timezone.localdate(),
            actors=selectors.actors_for_extraction(),
        )
    except ExtractionError as error:
        form.add_error("url" if url else "text", _extraction_refusal(error))
        return _render_extract(request, article_form=form, status=400)
    if not drafts:
        return _render_extract(request, article_form=form, nothing_found=True, fetched=source if url else None)
    shown = drafts[:MAX_DRAFTS_SHOWN]
    suggestions = _earlier_pledges_alike(shown, source["article_date"] or timezone.localdate())
    formset = DraftFormSet(
        initial=[
            {**DraftForm.initial_for(draft), "suggested": DraftForm.suggested_value(found)}
            for draft, found in zip(shown, suggestions, strict=True)
        ]
    )
    for form, found in zip(formset.forms, suggestions, strict=True):
        form.set_suggestions(found)
    return _render_extract(
        request,
        formset=formset,
        source_form=ArticleSourceForm.hidden_for(source),
        source=source,
        found_count=len(drafts),
    )


def _source_from_article(source: dict, article, *, requested: str) -> dict:
    """The fetched page's address (after redirects), title and date, where the analyst gave none."""
    fields = ArticleSourceForm.base_fields
    fetched_url = article.url if len(article.url) <= fields["source_url"].max_length else requested
    return {
        **source,
        "source_url": source["source_url"] or fetched_url,
        "source_title": article.title[: fields["source_title"].max_length],
        "article_date": source["article_date"] or article.date,
    }


def _extraction_refusal(error: ExtractionError) -> str:
    """The engine's reason, in the page's language; its numbers grouped as the language groups them."""
    params = {
        name: formats.number_format(value, force_grouping=True) if isinstance(value, int) else value
        for name, value in error.params.items()
    }
    text = _(error.message) % params if params else _(error.message)
    return text[:1].upper() + text[1:]


def _html_message(text: str, **values) -> str:
    """A translated message with %(name)s placeholders as HTML: its text escaped, each value escaped unless safe."""
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(conditional_escape(text) % escaped)  # noqa: S308 - the text and every value are escaped


def _earlier_pledges_alike(drafts, made_on) -> list[list]:
    """Per draft, its known maker's earlier pledges that read like it, most alike first.

    One query finds the makers with earlier pledges; then a similarity query
    and a load per draft of those makers only (at most MAX_DRAFTS_SHOWN).
    """
    known = {draft.actor_id for draft in drafts if draft.actor_id}
    with_pledges = set(
        Commitment.objects.filter(made_by_id__in=known, made_on__lte=made_on)
        .order_by()
        .values_list("made_by_id", flat=True)
        .distinct()
        if known
        else ()
    )
    return [
        continuity.similar_earlier_pledges(made_by=draft.actor_id, title=draft.title, quote=draft.text, made_on=made_on)
        if draft.actor_id in with_pledges
        else []
        for draft in drafts
    ]


def _extract_create(request):
    source_form = ArticleSourceForm(request.POST, hidden=True)
    formset = DraftFormSet(request.POST)
    formset.load_suggestions()
    source_valid = source_form.is_valid()
    if not (formset.is_valid() and source_valid):
        return _render_extract(
            request,
            formset=formset,
            source_form=source_form,
            source=source_form.cleaned_data if source_valid else None,
            found_count=formset.total_form_count(),
            status=400,
        )
    source = source_form.cleaned_data
    created, skipped = services.commitments_create_from_drafts(
        user=request.user,
        drafts=formset.selected_drafts(),
        source_url=source["source_url"],
        source_title=source["source_title"],
        event=source["event"],
        made_on=source["article_date"] or timezone.localdate(),
    )
    if created:
        links = format_html_join(
            ", ", '<a href="{}">{}</a>', ((pledge.get_absolute_url(), pledge.title) for pledge in created)
        )
        count = len(created)
        text = ngettext("Created %(count)s pledge: %(links)s.", "Created %(count)s pledges: %(links)s.", count)
        messages.success(request, _html_message(text, count=count, links=links))
    if skipped:
        count = len(skipped)
        items = format_html_join(
            "",
            "<li>{}</li>",
            (
                (
                    _html_message(
                        _("“%(title)s”: %(reason)s"),
                        title=item["draft"].get("title") or item["draft"].get("text"),
                        reason=item["reason"],
                    ),
                )
                for item in skipped
            ),
        )
        heading = ngettext("Skipped %(count)s draft:", "Skipped %(count)s drafts:", count) % {"count": count}
        messages.warning(request, format_html('{}<ul class="skipped">{}</ul>', heading, items))
    # Straight to the board to see the new pledges; back to the page when
    # nothing was created, ready for the next article.
    return redirect("tracker:board" if created else "tracker:extract")
