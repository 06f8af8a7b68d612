"""The public pages: published pledges, the actors behind them and published assessments, without a login.

Every page is the same for every reader of a language, so that a CDN or a
browser may keep it (`Cache-Control: public`): no view or template here
reads `request.user`, the session, the CSRF token or messages, any of which
would set a cookie or add `Vary: Cookie`. Every read starts from
tracker/public/queries.py, which knows what is published.
"""

import functools
import hashlib
import html
import logging
from decimal import Decimal

import django_filters
from django import forms
from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse, translate_url
from django.utils import formats, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.safestring import SafeString
from django.utils.text import normalize_newlines
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from .. import assessment_report, board_cache, charts, ratelimit
from ..filters import PAGE_PRESENTATION, SEARCH_MAX_LENGTH, CommitmentFilterBase, ListSelect
from ..models import Status, SummaryVersion
from ..report_views import SCORE_CLASSES, SCORE_LABELS
from ..views import CountedPaginator
from . import queries
from .sitemaps import SITEMAPS

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# The rendered board in the server's cache: retired at once by any change to pledges, actors or events
# (tracker/board_cache.py's token), and after this long whatever happens, for what the token does not follow
# (a topic renamed).
PAGE_CACHE_SECONDS = 600
# v1: the shape of the cached value; a change to it needs a new prefix.
PAGE_CACHE_KEY = "public-page:v1:{token}:{language}:{address}"
FILTER_CHOICES_KEY = "public-filter-choices:v1:{token}"


# What every page shares: the rate limit, the cache headers, its own 404 and the language links.


def public_page(view):
    """A public page: GET or HEAD, rate-limited per client address, cacheable by anyone, a 404 of its own."""

    @functools.wraps(view)
    @require_safe
    def wrapper(request, *args, **kwargs):
        wait = ratelimit.client_wait_seconds(request, "public", limit=settings.PUBLIC_RATE_LIMIT_PER_MINUTE)
        if wait:
            return too_many_requests(request, wait)
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            # An unpublished pledge is not found rather than forbidden: a 403 would say it exists.
            response = render_public(request, "public/404.html", {}, status=404)
        patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        return response

    return wrapper


def too_many_requests(request, wait: int) -> HttpResponse:
    response = render_public(request, "public/429.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    # Never kept by a shared cache: the refusal is this client's alone.
    add_never_cache_headers(response)
    return response


def render_public(request, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, template, {**language_links(request), **context}, status=status)


def language_links(request) -> dict:
    """The page's address in every language, for the header's links and the hreflang alternates.

    Plain links, not the analysts' switcher form: a form's CSRF token would
    set a cookie. x-default is the address without a language prefix, which
    LocaleMiddleware redirects by the reader's Accept-Language.
    """
    path = request.get_full_path()
    current = translation.get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(path, code)
        info = translation.get_language_info(code)
        links.append(
            {
                "code": code,
                "name": info["name_local"],
                "url": url,
                "absolute_url": request.build_absolute_uri(url),
                "current": code == current,
            }
        )
    default = links[0]
    prefix = f"/{default['code']}/"
    unprefixed = "/" + default["url"][len(prefix) :] if default["url"].startswith(prefix) else default["url"]
    return {"language_links": links, "x_default_url": request.build_absolute_uri(unprefixed)}


def cached_page(request, render_page) -> HttpResponse:
    """`render_page(token)`'s response, from the server's cache when no pledge, actor or event changed since.

    Keyed per language, address (path and query string, with scheme and
    host, which the page's absolute links hold) and the board cache's token
    (tracker/board_cache.py), which `render_page` may key its own parts on
    (None: nothing is to be cached). Only a 200 is kept.
    """
    token = _summary_token()
    if token is None:
        return render_page(None)
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    key = PAGE_CACHE_KEY.format(token=token.hex, language=translation.get_language(), address=address)
    stored = _cache_get(key)
    if stored is not None:
        content, content_type = stored
        return HttpResponse(content, content_type=content_type)
    response = render_page(token)
    if response.status_code == 200:
        _cache_set(key, (response.content, response["Content-Type"]))
    return response


def _summary_token():
    """The token of the pledges' current version, or None when nothing may be cached.

    None inside a transaction that changed pledges (its new token is
    written at commit: board_cache.summary_changed), and when the row is
    gone (a flushed database), until the next change.
    """
    if board_cache._change_pending():
        return None
    return SummaryVersion.objects.filter(pk=1).values_list("token", flat=True).first()


def _cache_get(key):
    try:
        return cache.get(key)
    except Exception:  # a shared cache (CACHES pointed at Redis) that is down: computed afresh
        logger.warning("Public page cache unreadable", exc_info=True)
        return None


def _cache_set(key, value) -> None:
    try:
        cache.set(key, value, PAGE_CACHE_SECONDS)
    except Exception:
        logger.warning("Public page cache unwritable", exc_info=True)


# The board


class PublicFilterForm(forms.Form):
    field_order = ["q", "status", "made_by", "country", "event", "topic", "kind", "due_after", "due_before"]


class PublicCommitmentFilter(CommitmentFilterBase):
    """The analysts' board's filters that read only public fields: no owner, no check dates, no "mine"."""

    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        help_text=gettext_lazy("Words from the title or the pledge's own words."),
    )
    made_by = django_filters.ChoiceFilter(
        label=gettext_lazy("Made by"), empty_label=gettext_lazy("Any actor"), widget=ListSelect
    )
    country = django_filters.ChoiceFilter(
        field_name="made_by__country",
        label=gettext_lazy("Country of the maker"),
        empty_label=gettext_lazy("Any country"),
        widget=ListSelect,
    )
    event = django_filters.ChoiceFilter(
        label=gettext_lazy("Event"), empty_label=gettext_lazy("Any event"), widget=ListSelect
    )
    topic = django_filters.ChoiceFilter(
        field_name="topics", label=gettext_lazy("Topic"), empty_label=gettext_lazy("Any topic"), widget=ListSelect
    )

    presentation = PAGE_PRESENTATION

    class Meta(CommitmentFilterBase.Meta):
        form = PublicFilterForm

    def __init__(self, data=None, *args, choices, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["made_by"].extra["choices"] = choices["actors"]
        self.filters["country"].extra["choices"] = [(code, code) for code in choices["countries"]]
        self.filters["event"].extra["choices"] = choices["events"]
        self.filters["topic"].extra["choices"] = choices["topics"]
        self.form.label_suffix = ""

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(quote__icontains=value))

    @property
    def is_filtered(self):
        return self.is_bound and any(value not in (None, "", []) for value in self.form.cleaned_data.values())


@public_page
def board(request):
    return cached_page(request, lambda token: _board(request, token))


def _filter_choices(token) -> dict:
    """The filter's choices, the same for every address of the board: cached apart, under the same token."""
    if token is None:
        return queries.public_filter_choices()
    key = FILTER_CHOICES_KEY.format(token=token.hex)
    choices = _cache_get(key)
    if choices is None:
        choices = queries.public_filter_choices()
        _cache_set(key, choices)
    return choices


def _board(request, token) -> HttpResponse:
    choices = _filter_choices(token)
    filterset = PublicCommitmentFilter(request.GET or None, queryset=queries.public_commitments(), choices=choices)
    context = {"filterset": filterset}
    if filterset.is_bound and not filterset.is_valid():
        # No list rather than the unfiltered one, which a reader would take for the filtered one.
        errors = [
            (str(filterset.form.fields[name].label) if name in filterset.form.fields else "", message)
            for name, messages in filterset.errors.items()
            for message in messages
        ]
        return render_public(request, "public/board.html", {**context, "filter_errors": errors}, status=400)

    filtered = filterset.qs
    numbers = queries.public_board_numbers(
        filtered,
        actor_names={int(pk): name for pk, name in choices["actors"]},
        event_names={int(pk): name for pk, name in choices["events"]},
    )
    paginator = CountedPaginator(queries.public_commitments_for_list(filtered), PAGE_SIZE, count=numbers["total"])
    page = paginator.get_page(request.GET.get("page"))
    context.update(
        total=numbers["total"],
        is_filtered=filterset.is_filtered,
        status_tiles=filterset.status_tiles(numbers["counts"]),
        compliance_by_actor=numbers["compliance_by_actor"],
        compliance_by_event=numbers["compliance_by_event"],
        actor_chart=charts.status_by_actor_chart(numbers["status_by_actor"]),
        page=page,
    )
    return render_public(request, "public/board.html", context)


# A pledge


@public_page
def commitment(request, pk):
    pledge = queries.public_commitment_for_page(pk)
    if pledge is None:
        raise Http404("No published pledge at this address.")
    context = {
        "commitment": pledge,
        "counterparts": list(pledge.counterparts.all()),
        "members": list(pledge.members.all()),
        "topics": list(pledge.topics.all()),
        "pledged": _money(pledge.pledged_amount),
        "timeline": queries.public_timeline(pledge.pk),
    }
    return render_public(request, "public/commitment.html", context)


def _money(amount: Decimal | None) -> str:
    """An amount in the reader's locale, grouped (1,500,000.00; 1 500 000,00 in French)."""
    if amount is None:
        return ""
    return formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


# An actor


@public_page
def actor(request, pk):
    found = queries.public_actor_or_none(pk)
    if found is None:
        raise Http404("No actor with published pledges at this address.")
    pledges = queries.actor_public_commitments(found.pk)
    counts = queries.status_counts(pledges)
    compliance = queries.compliance_of(counts)
    paginator = CountedPaginator(queries.public_commitments_for_list(pledges), PAGE_SIZE, count=compliance["total"])
    context = {
        "actor": found,
        "compliance": compliance,
        "status_counts": [
            {"status": status.value, "label": status.label, "count": counts[status.value]} for status in Status
        ],
        "page": paginator.get_page(request.GET.get("page")),
    }
    return render_public(request, "public/actor.html", context)


# Published assessment cycles


@public_page
def cycles(request):
    return render_public(request, "public/cycles.html", {"cycles": list(queries.published_cycles())})


@public_page
def cycle(request, pk):
    found = queries.published_cycle_or_none(pk)
    if found is None:
        raise Http404("No published assessment at this address.")
    if found.previous_id is not None and not found.previous.is_published:
        # The change since an unpublished cycle would show its draft scores: the report is read without it
        # (on this instance only, never saved).
        found.previous = None
    # Only published pledges count, in this cycle and in the previous one it is compared with.
    compared = [found] if found.previous is None else [found, found.previous]
    report = assessment_report.cycle_report(found, commitment_ids=queries.public_ids_in_cycles(*compared))
    titles = {row.commitment_id: row.title for row in report.pledges}
    context = {
        "cycle": found,
        "report": report,
        "has_previous": report.previous is not None,
        "details": [{"row": row, "cells": _cell_rows(row.cells)} for row in report.pledges],
        "members_chart": charts.average_bars_chart(
            [{"name": row.actor.name, "average": row.average} for row in report.members]
        ),
        "topics_chart": charts.average_bars_chart(
            [{"name": row.name, "average": row.average} for row in report.topics]
        ),
        # Corrections are public, with their reason; who made them is not (the template's `public`).
        "revisions": [
            {"revision": revision, "pledge": titles.get(revision.score.commitment_id, "")}
            for revision in report.revisions
        ],
    }
    return render_public(request, "public/cycle.html", context)


def _cell_rows(cells) -> SafeString:
    """A pledge's cells as table rows: member, score, rationale, evidence links and the number of corrections.

    Never who scored or corrected. Written with html.escape rather than a
    template, as the analysts' report does (report_views._cell_rows): a
    cycle has thousands of cells. Every value that is not a constant here
    is escaped.
    """
    escape = html.escape
    labels = {score: escape(str(label)) for score, label in SCORE_LABELS.items()}
    rows = []
    for cell in cells:
        name = escape(cell.member.name)
        if cell.pk is None:
            rows.append(
                f'<tr><th scope="row">{name}</th>'
                f'<td class="number score score-missing">{labels[None]}</td><td></td></tr>'
            )
            continue
        evidence = "".join(
            f'<li><a href="{escape(url)}" rel="noopener noreferrer">{escape(url)}</a></li>'
            for url in cell.evidence_urls
        )
        if evidence:
            evidence = f'<ul class="evidence small">{evidence}</ul>'
        corrected = ""
        if cell.revisions:
            count = len(cell.revisions)
            corrected = escape(
                ngettext("Corrected once since publishing.", "Corrected %(count)s times since publishing.", count)
                % {"count": count}
            )
            corrected = f'<p class="small cell-revised">{corrected}</p>'
        rationale = escape(normalize_newlines(cell.rationale)).replace("\n", "<br>")
        rows.append(
            f'<tr id="cell-{int(cell.pk)}"><th scope="row">{name}</th>'
            f'<td class="number score score-{SCORE_CLASSES[cell.score]}">{labels[cell.score]}</td>'
            f'<td><p class="rationale">{rationale}</p>{evidence}{corrected}</td></tr>'
        )
    return SafeString("".join(rows))


# For crawlers, at the site's root


@public_page
def robots_txt(request):
    """Crawlers may read the public pages (each language's) and the static files; nothing else."""
    lines = ["User-agent: *"]
    lines += [f"Allow: /{code}/public/" for code, _name in settings.LANGUAGES]
    lines += ["Allow: /static/", "Disallow: /", "", f"Sitemap: {request.build_absolute_uri(reverse('public-sitemap'))}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@public_page
def sitemap_index(request):
    return sitemap_views.index(request, SITEMAPS, sitemap_url_name="public-sitemap-section")


@public_page
def sitemap_section(request, section):
    # An unknown section or page is Django's 404, which public_page answers with its own.
    return sitemap_views.sitemap(request, SITEMAPS, section=section)
