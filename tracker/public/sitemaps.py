"""The public pages for search engines: each in English, French and Swahili, with the others as alternates.

Served as an index (sitemap.xml) of one sitemap per section, each split
into pages of at most PAGE_ADDRESSES addresses: at 10,000 published
pledges in three languages one file would hold 30,000 addresses and
90,000 alternates, and take seconds to write.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse
from django.utils import translation

from . import queries

# Addresses (a page in one language) per sitemap page; each comes with its three alternates.
PAGE_ADDRESSES = 3000
# Stands for the id in an address reversed once per language.
ID_PLACEHOLDER = 987654321


class PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    limit = PAGE_ADDRESSES
    # The URL name of an item's page, reversed with its id.
    url_name = ""

    def __init__(self):
        self._patterns = {}

    def location(self, item):
        # The active language is the item's (Sitemap._location activates it). One reverse per language rather
        # than four per address: reversing was most of the time of a page of 3,000 addresses.
        language = translation.get_language()
        pattern = self._patterns.get(language)
        if pattern is None:
            pattern = reverse(self.url_name, args=[ID_PLACEHOLDER]).replace(str(ID_PLACEHOLDER), "{}")
            self._patterns[language] = pattern
        return pattern.format(int(item.pk))


class PagesSitemap(Sitemap):
    """The public board and the list of published assessments."""

    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return ["public:board", "public:cycles"]

    def location(self, item):
        return reverse(item)


class CommitmentsSitemap(PublicSitemap):
    url_name = "public:commitment"

    def items(self):
        return queries.public_commitments().only("id", "updated_at").order_by("pk")

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        # One aggregate rather than Django's default, which reads every item.
        return queries.public_commitments().aggregate(latest=Max("updated_at"))["latest"]


class ActorsSitemap(PublicSitemap):
    url_name = "public:actor"

    def items(self):
        return queries.actors_with_public_pledges().only("id").order_by("pk")


class CyclesSitemap(PublicSitemap):
    url_name = "public:cycle"

    def items(self):
        return queries.published_cycles().select_related(None).only("id", "published_at").order_by("pk")

    def lastmod(self, item):
        return item.published_at

    def get_latest_lastmod(self):
        return queries.published_cycles().aggregate(latest=Max("published_at"))["latest"]


SITEMAPS = {
    "pages": PagesSitemap,
    "commitments": CommitmentsSitemap,
    "actors": ActorsSitemap,
    "assessments": CyclesSitemap,
}
