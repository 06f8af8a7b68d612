"""Atom feeds of the status changes of published pledges: all of them, and one actor's.

An entry is a progress update that moved a public pledge from one status to
another. It shows the pledge's title, both statuses in the reader's language,
the note when it is not internal, and the evidence link; never who recorded
it (analysts are not public).
"""

import re
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.formats import date_format
from django.utils.html import format_html, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Actor, ProgressUpdate
from .queries import public_commitments, public_note, public_updates

SITE_NAME = gettext_lazy("Policy Commitment Tracker")
FEED_ENTRIES = 50
# Characters XML 1.0 cannot hold, which Django's feed writer refuses with an error (a 500 for every reader
# of the feed). A vertical tab comes with text pasted from a word processor.
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_safe(text: str) -> str:
    return XML_UNSAFE.sub(" ", text)


class AtomWithEvidenceFeed(feedgenerator.Atom1Feed):
    """Atom, with each entry's evidence link as a `related` link beside its page."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("evidence_url"):
            handler.addQuickElement("link", "", {"rel": "related", "href": item["evidence_url"]})


@dataclass
class FeedScope:
    """What one request's feed covers: every public pledge, or one actor's."""

    request: object
    actor: Actor | None = None

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)


class StatusChangesFeed(Feed):
    """Served through views.public_page (feed_urls.py): rate-limited, cacheable by anyone, the public 404."""

    feed_type = AtomWithEvidenceFeed

    def get_object(self, request, *args, **kwargs):
        return FeedScope(request=request)

    def commitment_ids(self, scope: FeedScope):
        """The public pledges the feed covers, as a subquery; None for all of them."""
        return None

    def title(self, scope):
        return _("Status changes of public pledges")

    def subtitle(self, scope):
        return _("Each time a published pledge moves from one status to another, with its evidence.")

    def link(self, scope):
        return reverse("public:board")

    def feed_url(self, scope):
        return reverse("public:feed")

    def feed_guid(self, scope):
        # Atom's feed id: the feed's own address, in the language of its address.
        return scope.absolute(self.feed_url(scope))

    def author_name(self, scope):
        # The site, not a person: analysts' names are not public.
        return str(SITE_NAME)

    def items(self, scope):
        updates = (
            public_updates(self.commitment_ids(scope))
            .filter(~Q(status_before=F("status_after")))
            .annotate(commitment_title=F("commitment__title"))
            # The newest first by when it was recorded, read from progressupdate_created_at.
            .order_by("-created_at", "-id")[:FEED_ENTRIES]
        )
        entries = list(updates)
        for update in entries:
            page = scope.absolute(reverse("public:commitment", args=[update.commitment_id]))
            update.feed_link = page
            update.feed_guid = f"{page}#update-{update.pk}"
        return entries

    def item_title(self, update: ProgressUpdate):
        return _("%(title)s: %(before)s → %(after)s") % {
            "title": xml_safe(update.commitment_title),
            "before": update.get_status_before_display(),
            "after": update.get_status_after_display(),
        }

    def item_description(self, update: ProgressUpdate):
        parts = [
            format_html(
                "<p>{}</p>",
                _("Recorded on %(date)s; progress %(progress)s%%.")
                % {"date": date_format(update.recorded_on), "progress": update.progress},
            )
        ]
        note = public_note(update)
        if note:
            parts.append(linebreaks(note, autoescape=True))
        if update.evidence_url:
            parts.append(format_html('<p><a href="{}">{}</a></p>', update.evidence_url, _("Evidence")))
        return xml_safe("".join(parts))

    def item_link(self, update):
        return update.feed_link

    def item_guid(self, update):
        return update.feed_guid

    def item_guid_is_permalink(self, update):
        return False

    def item_pubdate(self, update):
        return update.created_at

    def item_updateddate(self, update):
        return update.created_at

    def item_extra_kwargs(self, update):
        return {"evidence_url": update.evidence_url}


class ActorStatusChangesFeed(StatusChangesFeed):
    """The status changes of the public pledges an actor made or is a member of."""

    def get_object(self, request, pk):
        actor = Actor.objects.filter(pk=pk).only("id", "name").first()
        # An actor with no published pledge is not public: the same 404 as an unknown one.
        if actor is None or not self._pledges_of(actor).exists():
            raise Http404
        return FeedScope(request=request, actor=actor)

    @staticmethod
    def _pledges_of(actor):
        return public_commitments().filter(Q(made_by=actor) | Q(members=actor))

    def commitment_ids(self, scope):
        return self._pledges_of(scope.actor).values("pk")

    def title(self, scope):
        return _("Status changes of pledges by %(actor)s") % {"actor": xml_safe(scope.actor.name)}

    def subtitle(self, scope):
        return _("Each time a published pledge %(actor)s made or is bound by moves from one status to another.") % {
            "actor": xml_safe(scope.actor.name)
        }

    def link(self, scope):
        return reverse("public:actor", args=[scope.actor.pk])

    def feed_url(self, scope):
        return reverse("public:actor-feed", args=[scope.actor.pk])
