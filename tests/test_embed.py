"""Embeddable pledge cards, status badges and the code to copy: framable by other sites, and only these."""

import re
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from tests.factories import ActorFactory, CommitmentFactory
from tracker.models import Commitment, Status
from tracker.public import embed

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def csp_directives(header):
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each textarea."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.textareas = {}
        self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "textarea":
            self._textarea = attributes.get("id")
            self.textareas[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.textareas[self._textarea] += data

    def all(self, tag):
        return [attributes for name, attributes in self.tags if name == tag]


@pytest.fixture
def pledge(db):
    return CommitmentFactory(
        title="Review tariffs on Kenyan avocados",
        made_by=ActorFactory(name="Shigeru Ishiba"),
        is_public=True,
        status=Status.IN_PROGRESS,
        progress=40,
        due_on=date(2026, 3, 31),
    )


# The card


def test_the_card_shows_the_pledge_and_links_to_its_public_page(client, pledge):
    response = client.get(f"/embed/commitments/{pledge.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    page = Elements(html)
    assert "Review tariffs on Kenyan avocados" in html
    assert "Shigeru Ishiba" in html
    assert "In progress" in html
    assert page.all("progress")[0] == {"max": "100", "value": "40", "aria-labelledby": "embed-progress-label"}
    assert '<time datetime="2026-03-31">31 Mar 2026</time>' in html
    public_page = f"http://testserver/en/public/commitments/{pledge.pk}/"
    links = page.all("a")
    assert links and all(link == {"href": public_page, "target": "_blank", "rel": "noopener"} for link in links)
    assert "On Policy Commitment Tracker" in html
    assert page.all("link") == [{"rel": "stylesheet", "href": "/static/tracker/embed.css"}]
    assert {"name": "robots", "content": "noindex"} in page.all("meta")
    # A page of its own: no site header, navigation, form or script.
    for absent in ("site-header", "<nav", "<form", "<script", "style="):
        assert absent not in html


def test_the_card_without_a_due_date_leaves_it_out(client):
    pledge = CommitmentFactory(is_public=True, due_on=None)

    html = client.get(f"/embed/commitments/{pledge.pk}/").content.decode()

    assert "<time" not in html
    assert "Due" not in html


def test_the_card_speaks_the_readers_language(client, pledge):
    by_header = client.get(f"/embed/commitments/{pledge.pk}/", HTTP_ACCEPT_LANGUAGE="sw")
    by_query = client.get(f"/embed/commitments/{pledge.pk}/?lang=fr", HTTP_ACCEPT_LANGUAGE="sw")

    assert '<html lang="sw">' in by_header.text
    assert f"/sw/public/commitments/{pledge.pk}/" in by_header.text
    assert '<html lang="fr">' in by_query.text
    assert f'href="http://testserver/fr/public/commitments/{pledge.pk}/"' in by_query.text
    assert by_query["Content-Language"] == "fr"
    with translation.override("fr"):
        assert str(Status.IN_PROGRESS.label) in by_query.text


@pytest.mark.parametrize("lang", ["xx", "en-", "../", "x" * 1000, ""])
def test_an_unknown_lang_falls_back_to_the_readers_language(client, pledge, lang):
    response = client.get(f"/embed/commitments/{pledge.pk}/", {"lang": lang})

    assert response.status_code == 200
    assert '<html lang="en">' in response.text


def test_the_card_is_one_query(client, pledge, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get(f"/embed/commitments/{pledge.pk}/").status_code == 200


# The badge


def svg_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314 - the tracker's own response, not untrusted input


def test_the_badge_is_an_accessible_svg_of_the_status(client, pledge):
    root = svg_of(client.get(f"/embed/commitments/{pledge.pk}/badge.svg"))

    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "pledge: In progress"
    assert root.find(SVG + "title").text == "pledge: In progress"
    texts = [text.text for text in root.iter(SVG + "text")]
    assert texts == ["pledge", "In progress"]
    fills = [rect.get("fill") for rect in root.iter(SVG + "rect")]
    assert embed.STATUS_COLOURS[Status.IN_PROGRESS] in fills


def test_the_badges_width_follows_its_texts(client):
    widths = {}
    for status in (Status.BROKEN, Status.PARTIALLY_FULFILLED):
        pledge = CommitmentFactory(is_public=True, status=status)
        root = svg_of(client.get(f"/embed/commitments/{pledge.pk}/badge.svg"))
        label_rect, status_rect = list(root.iter(SVG + "rect"))[1:3]
        width = float(root.get("width"))
        assert width == pytest.approx(float(label_rect.get("width")) + float(status_rect.get("width")))
        assert float(status_rect.get("x")) == float(label_rect.get("width"))
        assert root.get("viewBox") == f"0 0 {root.get('width')} 20"
        widths[status] = width

    assert widths[Status.PARTIALLY_FULFILLED] > widths[Status.BROKEN] + 40


def test_text_width_grows_with_each_character_and_counts_wide_ones_wider():
    assert embed.text_width("") == 0
    assert embed.text_width("Fulfilled") < embed.text_width("Partially fulfilled")
    assert embed.text_width("ii") < embed.text_width("mm")
    assert embed.text_width("進行中") > embed.text_width("abc")
    # Combining accents take no room of their own.
    assert embed.text_width("e\u0301") == embed.text_width("e")


def test_each_status_has_its_own_colour(client):
    colours = set()
    for status in Status.values:
        pledge = CommitmentFactory(is_public=True, status=status)
        root = svg_of(client.get(f"/embed/commitments/{pledge.pk}/badge.svg"))
        colours.add(list(root.iter(SVG + "rect"))[2].get("fill"))

    assert colours == set(embed.STATUS_COLOURS.values())
    assert len(colours) == len(Status.values)


def test_the_badges_text_is_escaped_as_xml(client, pledge, monkeypatch):
    tricky = "<b>Fait</b> & \"fini\" 'ok'"
    monkeypatch.setattr(Commitment, "get_status_display", lambda self: tricky)

    response = client.get(f"/embed/commitments/{pledge.pk}/badge.svg")

    root = svg_of(response)  # well-formed XML despite the markup characters
    assert [text.text for text in root.iter(SVG + "text")][1] == tricky
    assert root.get("aria-label") == f"pledge: {tricky}"
    assert "<b>" not in response.content.decode()


def test_the_badge_numbers_stay_machine_readable_in_every_language(client, pledge):
    for language in ("en", "fr", "sw"):
        root = svg_of(client.get(f"/embed/commitments/{pledge.pk}/badge.svg?lang={language}"))
        for number in (root.get("width"), *(text.get("x") for text in root.iter(SVG + "text"))):
            float(number)  # "56,4" (a French decimal comma) would raise


def test_the_badge_speaks_the_readers_language(client, pledge):
    response = client.get(f"/embed/commitments/{pledge.pk}/badge.svg?lang=fr")

    with translation.override("fr"):
        expected = str(Status.IN_PROGRESS.label)
    assert [text.text for text in svg_of(response).iter(SVG + "text")][1] == expected
    assert response["Content-Language"] == "fr"


# Published pledges only


@pytest.mark.parametrize("suffix", ["", "badge.svg"])
def test_an_unpublished_or_missing_pledge_is_not_found(client, suffix):
    hidden = CommitmentFactory(is_public=False, title="Hidden pledge 4d1c")

    for pk in (hidden.pk, 987654321, 2**70):
        response = client.get(f"/embed/commitments/{pk}/{suffix}")
        assert response.status_code == 404
        assert "Hidden pledge 4d1c" not in response.content.decode()
        # Not kept by shared caches: the pledge may be published in a minute.
        assert "public" not in response.get("Cache-Control", "")


def test_a_missing_card_says_so_inside_the_frame(client):
    hidden = CommitmentFactory(is_public=False, title="Hidden pledge 4d1c")

    response = client.get(f"/embed/commitments/{hidden.pk}/?lang=fr")

    assert response.status_code == 404
    assert '<html lang="fr">' in response.text
    with translation.override("fr"):
        assert translation.gettext("Pledge not available") in response.text
    assert "Hidden pledge 4d1c" not in response.text
    assert "X-Frame-Options" not in response.headers
    assert csp_directives(response["Content-Security-Policy"])["frame-ancestors"] == "*"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("suffix", ["", "badge.svg"])
def test_embeds_answer_reads_only(client, pledge, suffix):
    response = client.post(f"/embed/commitments/{pledge.pk}/{suffix}")

    assert response.status_code == 405
    assert client.head(f"/embed/commitments/{pledge.pk}/{suffix}").status_code == 200


# Framing and caching


@pytest.mark.parametrize("suffix", ["", "badge.svg"])
def test_embeds_may_be_framed_by_any_site_by_default(client, pledge, suffix):
    response = client.get(f"/embed/commitments/{pledge.pk}/{suffix}")

    assert "X-Frame-Options" not in response.headers
    directives = csp_directives(response["Content-Security-Policy"])
    assert directives["frame-ancestors"] == "*"
    # The rest of the policy stays as strict as everywhere else.
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_embeds_may_be_framed_by_the_configured_sites_only(client, pledge, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["https://news.example.org", "https://blog.example.com"]

    for suffix in ("", "badge.svg"):
        response = client.get(f"/embed/commitments/{pledge.pk}/{suffix}")
        frame_ancestors = csp_directives(response["Content-Security-Policy"])["frame-ancestors"]
        assert frame_ancestors == "https://news.example.org https://blog.example.com"

    settings.EMBED_ALLOWED_ORIGINS = []
    response = client.get(f"/embed/commitments/{pledge.pk}/")
    assert csp_directives(response["Content-Security-Policy"])["frame-ancestors"] == "'none'"


def test_one_allowed_origin_opens_the_embeds_to_it_and_leaves_every_other_page_closed(client, pledge, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["https://news.example.org"]

    for suffix in ("", "badge.svg"):
        response = client.get(f"/embed/commitments/{pledge.pk}/{suffix}")
        assert "X-Frame-Options" not in response.headers
        assert csp_directives(response["Content-Security-Policy"])["frame-ancestors"] == "https://news.example.org"
    for path in ("/en/public/", f"/en/public/commitments/{pledge.pk}/", "/en/public/feed/", "/accounts/login/"):
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert csp_directives(response["Content-Security-Policy"])["frame-ancestors"] == "'none'", path


def test_every_other_page_refuses_to_be_framed(client, pledge, analyst):
    anonymous = [
        "/accounts/login/",
        "/admin/login/",
        "/en/public/",
        f"/en/public/commitments/{pledge.pk}/",
        "/fr/public/feed/",
        "/api/v1/public/commitments/",
        f"/api/v1/public/commitments/{pledge.pk}/",
    ]
    for path in anonymous:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["X-Frame-Options"] == "DENY", path
        assert csp_directives(response["Content-Security-Policy"])["frame-ancestors"] == "'none'", path

    client.force_login(analyst)
    for path in ["/", f"/commitments/{pledge.pk}/", "/api/v1/commitments/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["X-Frame-Options"] == "DENY", path
        assert csp_directives(response["Content-Security-Policy"])["frame-ancestors"] == "'none'", path


@pytest.mark.parametrize("suffix", ["", "badge.svg"])
def test_embeds_are_publicly_cacheable_and_set_no_cookie(client, pledge, analyst, suffix):
    for reader in ("anonymous", "analyst"):
        if reader == "analyst":
            client.force_login(analyst)
        response = client.get(f"/embed/commitments/{pledge.pk}/{suffix}")

        assert response.status_code == 200
        assert "public" in response["Cache-Control"]
        assert "max-age=300" in response["Cache-Control"]
        assert "Set-Cookie" not in response.headers
        assert not response.cookies
        # Each language's answer is cached apart.
        assert "Accept-Language" in response["Vary"]
        if reader == "anonymous":
            # Another site's readers send no cookie of this site: one cached answer per language serves them all.
            assert "Cookie" not in response["Vary"]


@pytest.mark.parametrize("suffix", ["", "badge.svg"])
def test_embeds_count_against_the_public_rate_limit(client, pledge, settings, suffix):
    settings.PUBLIC_RATE_LIMIT_PER_MINUTE = 2
    assert client.get(f"/en/public/commitments/{pledge.pk}/").status_code == 200
    assert client.get(f"/embed/commitments/{pledge.pk}/{suffix}").status_code == 200

    refused = client.get(f"/embed/commitments/{pledge.pk}/{suffix}")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    assert f"Try again in {refused['Retry-After']} second" in refused.text
    # This client's refusal alone: never kept by a shared cache, and still shown inside the frame.
    assert "public" not in refused["Cache-Control"] and "no-store" in refused["Cache-Control"]
    assert "X-Frame-Options" not in refused.headers
    assert csp_directives(refused["Content-Security-Policy"])["frame-ancestors"] == "*"
    # Another address is still served.
    assert client.get(f"/embed/commitments/{pledge.pk}/{suffix}", REMOTE_ADDR="203.0.113.9").status_code == 200


# The code to copy, on the public pledge page and the analysts' pledge page


def render_snippet(commitment, *, language="en", secure=False):
    request = RequestFactory().get(f"/{language}/public/commitments/{commitment.pk}/", secure=secure)
    with translation.override(language):
        return render_to_string("public/embed/_snippet.html", {"commitment": commitment, "request": request})


def test_the_snippet_gives_the_iframe_and_badge_code_with_absolute_addresses(pledge):
    snippet = Elements(render_snippet(pledge, language="fr"))
    card_code, badge_code = (snippet.textareas[f"embed-{kind}-code-{pledge.pk}"] for kind in ("card", "badge"))

    iframe = Elements(card_code).all("iframe")[0]
    assert iframe["src"] == f"http://testserver/embed/commitments/{pledge.pk}/?lang=fr"
    assert iframe["title"] == "Review tariffs on Kenyan avocados"
    assert (iframe["width"], iframe["height"]) == ("400", "220")
    badge = Elements(badge_code)
    assert badge.all("a")[0]["href"] == f"http://testserver/fr/public/commitments/{pledge.pk}/"
    image = badge.all("img")[0]
    assert image["src"] == f"http://testserver/embed/commitments/{pledge.pk}/badge.svg?lang=fr"
    with translation.override("fr"):
        assert str(Status.IN_PROGRESS.label) in image["alt"]
    # Every textarea is labelled and read-only; no script (the CSP forbids inline script).
    labels = {label["for"] for label in snippet.all("label")}
    for textarea in snippet.all("textarea"):
        assert textarea["id"] in labels
        assert "readonly" in textarea
    assert not snippet.all("script")


def test_the_snippet_uses_https_addresses_on_a_secure_request(pledge):
    card_code = Elements(render_snippet(pledge, secure=True)).textareas[f"embed-card-code-{pledge.pk}"]

    assert Elements(card_code).all("iframe")[0]["src"] == f"https://testserver/embed/commitments/{pledge.pk}/?lang=en"


def test_the_copied_code_keeps_markup_in_titles_as_text(pledge):
    pledge.title = 'Tariffs & "quotas" <script>alert(1)</script> it\'s'
    pledge.save()

    html = render_snippet(pledge)
    snippet = Elements(html)

    # The page itself holds no live markup from the title.
    assert "<script>" not in html
    assert not snippet.all("script")
    # The copied code, parsed as the embedding site would, gives the title back exactly.
    iframe = Elements(snippet.textareas[f"embed-card-code-{pledge.pk}"]).all("iframe")[0]
    assert iframe["title"] == pledge.title
    assert len(Elements(snippet.textareas[f"embed-card-code-{pledge.pk}"]).tags) == 1


def test_each_code_box_follows_its_label_without_an_empty_line(pledge):
    snippet = render_snippet(pledge)

    for name in ("card", "badge"):
        assert re.search(rf'</label>\s*<textarea id="embed-{name}-code-{pledge.pk}"', snippet), name


def test_the_public_pledge_page_shows_the_snippet(client, pledge):
    response = client.get(f"/en/public/commitments/{pledge.pk}/")

    assert response.status_code == 200
    snippet = Elements(response.content.decode())
    assert f"embed-card-code-{pledge.pk}" in snippet.textareas
    assert (
        f"http://testserver/embed/commitments/{pledge.pk}/?lang=en" in snippet.textareas[f"embed-card-code-{pledge.pk}"]
    )


def test_the_analysts_pledge_page_shows_the_snippet_once_the_pledge_is_public(client, pledge, analyst):
    client.force_login(analyst)

    published = Elements(client.get(f"/commitments/{pledge.pk}/").content.decode())
    pledge.is_public = False
    pledge.save(update_fields=["is_public"])
    unpublished = Elements(client.get(f"/commitments/{pledge.pk}/").content.decode())

    card_code = published.textareas[f"embed-card-code-{pledge.pk}"]
    assert Elements(card_code).all("iframe")[0]["src"] == f"http://testserver/embed/commitments/{pledge.pk}/?lang=en"
    assert f"embed-badge-code-{pledge.pk}" in published.textareas
    assert not [name for name in unpublished.textareas if name.startswith("embed-")]
