"""Atom feeds of public pledges' status changes: valid RFC 4287, public data only, per language and per actor."""

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from urllib.parse import urlsplit

import pytest
from django.utils import translation

from tests.factories import ActorFactory, CommitmentFactory, ProgressUpdateFactory, UserFactory
from tracker.models import Status
from tracker.public import feeds

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# RFC 3339 section 5.6 date-time, which RFC 4287 section 3.3 requires (an upper-case T and Z).
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def assert_rfc3339(text):
    assert text and RFC3339.match(text), text
    assert datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None


def assert_iri(text):
    parts = urlsplit(text or "")
    assert parts.scheme and (parts.netloc or parts.path), text


def only_child(element, name):
    found = element.findall(ATOM + name)
    assert len(found) == 1, f"{element.tag} has {len(found)} atom:{name}"
    return found[0]


def assert_person(author):
    assert (only_child(author, "name").text or "").strip()


def assert_valid_atom(content: bytes) -> ET.Element:
    """The checks RFC 4287 makes of a feed document, for what the tracker writes; returns the root."""
    root = ET.fromstring(content)  # noqa: S314 - the tracker's own response, not untrusted input
    assert root.tag == ATOM + "feed"
    assert_iri(only_child(root, "id").text)
    assert (only_child(root, "title").text or "").strip()
    assert_rfc3339(only_child(root, "updated").text)
    feed_authors = root.findall(ATOM + "author")
    for author in feed_authors:
        assert_person(author)
    links = root.findall(ATOM + "link")
    assert [link.get("href") for link in links if link.get("rel") == "self"], "a feed should link to itself"
    for link in links:
        assert_iri(link.get("href"))
    alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
    assert len(alternates) <= 1

    entry_ids = []
    for entry in root.findall(ATOM + "entry"):
        entry_ids.append(only_child(entry, "id").text)
        assert_iri(entry_ids[-1])
        assert (only_child(entry, "title").text or "").strip()
        assert_rfc3339(only_child(entry, "updated").text)
        for published in entry.findall(ATOM + "published"):
            assert_rfc3339(published.text)
        entry_links = entry.findall(ATOM + "link")
        entry_alternates = [link for link in entry_links if link.get("rel", "alternate") == "alternate"]
        assert len(entry_alternates) == 1
        for link in entry_links:
            assert_iri(link.get("href"))
        # Section 4.1.1: an author on the feed, or on every entry.
        entry_authors = entry.findall(ATOM + "author")
        assert feed_authors or entry_authors
        for author in entry_authors:
            assert_person(author)
        assert len(entry.findall(ATOM + "summary")) <= 1
    assert len(entry_ids) == len(set(entry_ids)), "entry ids must be unique"
    return root


def entries(root):
    return root.findall(ATOM + "entry")


def entry_titles(root):
    return [only_child(entry, "title").text for entry in entries(root)]


@pytest.fixture
def analyst_author(db):
    return UserFactory(username="private-analyst-7f3a", email="private-7f3a@example.org", first_name="Secretname")


@pytest.fixture
def pledges(analyst_author):
    """A public pledge with a public and an internal status change, a note-only update, and an unpublished pledge."""
    maker = ActorFactory(name="Shigeru Ishiba")
    member = ActorFactory(name="Government of Kenya")
    owner = UserFactory(username="owner-b81c")
    watcher = UserFactory(username="watcher-c92d")
    public = CommitmentFactory(
        title="Review tariffs on Kenyan avocados", made_by=maker, is_public=True, owner=owner, watchers=[watcher]
    )
    bound = CommitmentFactory(title="Samurai Bond", made_by=ActorFactory(name="Toyota"), is_public=True)
    bound.members.add(member)
    hidden = CommitmentFactory(title="Unpublished pledge 55e1", made_by=maker, is_public=False)

    moved = ProgressUpdateFactory(
        commitment=public,
        author=analyst_author,
        status_before=Status.ANNOUNCED,
        status_after=Status.IN_PROGRESS,
        progress=30,
        recorded_on=date(2025, 10, 1),
        note="Talks <began> & went well.",
        note_is_internal=False,
        evidence_url="https://example.org/news?id=1&lang=en",
    )
    internal = ProgressUpdateFactory(
        commitment=public,
        author=analyst_author,
        status_before=Status.IN_PROGRESS,
        status_after=Status.STALLED,
        progress=30,
        recorded_on=date(2025, 11, 1),
        note="INTERNAL-MARKER-91d2 do not publish",
        note_is_internal=True,
    )
    note_only = ProgressUpdateFactory(
        commitment=public,
        author=analyst_author,
        status_before=Status.STALLED,
        status_after=Status.STALLED,
        recorded_on=date(2025, 11, 2),
        note="No status change here",
        note_is_internal=False,
    )
    bound_moved = ProgressUpdateFactory(
        commitment=bound, status_before=Status.ANNOUNCED, status_after=Status.FULFILLED, progress=100
    )
    hidden_moved = ProgressUpdateFactory(
        commitment=hidden, status_before=Status.ANNOUNCED, status_after=Status.BROKEN, note_is_internal=False
    )
    return {
        "maker": maker,
        "member": member,
        "public": public,
        "bound": bound,
        "hidden": hidden,
        "moved": moved,
        "internal": internal,
        "note_only": note_only,
        "bound_moved": bound_moved,
        "hidden_moved": hidden_moved,
    }


def test_the_feed_is_valid_atom_listing_status_changes_of_public_pledges_newest_first(client, pledges):
    response = client.get("/en/public/feed/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = assert_valid_atom(response.content)
    assert root.get(XML_LANG) == "en"
    assert entry_titles(root) == [
        "Samurai Bond: Announced → Fulfilled",
        "Review tariffs on Kenyan avocados: In progress → Stalled",
        "Review tariffs on Kenyan avocados: Announced → In progress",
    ]
    assert only_child(root, "id").text == "http://testserver/en/public/feed/"
    assert root.find(ATOM + "link[@rel='alternate']").get("href") == "http://testserver/en/public/"
    assert only_child(only_child(root, "author"), "name").text == "Policy Commitment Tracker"
    # The feed is as new as its newest entry.
    assert only_child(root, "updated").text == only_child(entries(root)[0], "updated").text


def test_an_entry_links_to_the_public_pledge_page_with_its_public_note_and_evidence(client, pledges):
    root = assert_valid_atom(client.get("/en/public/feed/").content)
    moved = pledges["moved"]
    entry = entries(root)[-1]

    page = f"http://testserver/en/public/commitments/{pledges['public'].pk}/"
    assert entry.find(ATOM + "link[@rel='alternate']").get("href") == page
    assert only_child(entry, "id").text == f"{page}#update-{moved.pk}"
    assert entry.find(ATOM + "link[@rel='related']").get("href") == "https://example.org/news?id=1&lang=en"
    summary = only_child(entry, "summary")
    assert summary.get("type") == "html"
    # The summary is HTML, carried as text: the note is escaped inside it.
    assert "<p>Talks &lt;began&gt; &amp; went well.</p>" in summary.text
    assert '<a href="https://example.org/news?id=1&amp;lang=en">Evidence</a>' in summary.text
    assert "progress 30%" in summary.text
    moved.refresh_from_db()
    assert_rfc3339(only_child(entry, "updated").text)
    assert datetime.fromisoformat(only_child(entry, "updated").text) == moved.created_at


def test_the_feed_never_shows_internal_notes_authors_owners_or_unpublished_pledges(client, pledges):
    body = client.get("/en/public/feed/").content.decode()

    for private in (
        "INTERNAL-MARKER-91d2",
        "private-analyst-7f3a",
        "private-7f3a@example.org",
        "Secretname",
        "owner-b81c",
        "watcher-c92d",
        "Unpublished pledge 55e1",
        f"/commitments/{pledges['hidden'].pk}/",
        "No status change here",
    ):
        assert private not in body
    # The internal update's status change is public, its note is not.
    assert "In progress → Stalled" in body


def test_the_feed_speaks_the_language_of_its_address(client, pledges):
    response = client.get("/fr/public/feed/")

    root = assert_valid_atom(response.content)
    assert root.get(XML_LANG) == "fr"
    assert only_child(root, "id").text == "http://testserver/fr/public/feed/"
    assert root.find(ATOM + "link[@rel='self']").get("href") == "http://testserver/fr/public/feed/"
    assert root.find(ATOM + "link[@rel='alternate']").get("href") == "http://testserver/fr/public/"
    links = [entry.find(ATOM + "link[@rel='alternate']").get("href") for entry in entries(root)]
    assert all(link.startswith("http://testserver/fr/public/commitments/") for link in links)
    with translation.override("fr"):
        words = translation.gettext("%(title)s: %(before)s → %(after)s")
        expected = words % {"title": "Samurai Bond", "before": Status.ANNOUNCED.label, "after": Status.FULFILLED.label}
    assert words != "%(title)s: %(before)s → %(after)s"  # the French catalogue's own words, not the English
    assert entry_titles(root)[0] == expected
    assert response["Content-Language"] == "fr"


def test_the_feed_keeps_the_newest_fifty(client, django_assert_num_queries):
    pledge = CommitmentFactory(is_public=True)
    updates = [
        ProgressUpdateFactory(commitment=pledge, status_before=Status.ANNOUNCED, status_after=Status.IN_PROGRESS)
        for _ in range(feeds.FEED_ENTRIES + 5)
    ]

    with django_assert_num_queries(1):
        root = assert_valid_atom(client.get("/en/public/feed/").content)

    ids = [only_child(entry, "id").text.rsplit("-", 1)[1] for entry in entries(root)]
    assert ids == [str(update.pk) for update in reversed(updates)][: feeds.FEED_ENTRIES]


@pytest.mark.parametrize("count", [2, 20])
def test_the_feed_reads_one_query_however_many_entries(client, django_assert_num_queries, count):
    for _ in range(count):
        ProgressUpdateFactory(commitment=CommitmentFactory(is_public=True), status_after=Status.STALLED)

    with django_assert_num_queries(1):
        response = client.get("/en/public/feed/")

    assert len(entries(assert_valid_atom(response.content))) == count


def test_an_empty_feed_is_still_valid_atom(client):
    root = assert_valid_atom(client.get("/sw/public/feed/").content)

    assert entries(root) == []
    assert root.get(XML_LANG) == "sw"


def test_control_characters_from_pasted_text_do_not_break_the_feeds(client):
    # A vertical tab, a form feed and other C0 controls, which XML 1.0 cannot hold; pasted text brings them.
    maker = ActorFactory(name="Ministry\x0bof Trade")
    pledge = CommitmentFactory(title="Open\x0ba trade\x0coffice\x01", made_by=maker, is_public=True)
    ProgressUpdateFactory(
        commitment=pledge,
        status_before=Status.ANNOUNCED,
        status_after=Status.IN_PROGRESS,
        note="Lease\x0bsigned\x1f",
        note_is_internal=False,
    )

    for path in ("/en/public/feed/", f"/en/public/actors/{maker.pk}/feed/"):
        root = assert_valid_atom(client.get(path).content)

        assert entry_titles(root) == ["Open a trade office : Announced → In progress"]
        assert "Lease signed" in only_child(entries(root)[0], "summary").text
    actor_feed = assert_valid_atom(client.get(f"/en/public/actors/{maker.pk}/feed/").content)
    assert "Ministry of Trade" in only_child(actor_feed, "title").text


def test_an_actors_feed_covers_pledges_it_made_or_is_bound_by(client, pledges):
    made = assert_valid_atom(client.get(f"/en/public/actors/{pledges['maker'].pk}/feed/").content)
    bound = assert_valid_atom(client.get(f"/en/public/actors/{pledges['member'].pk}/feed/").content)

    assert entry_titles(made) == [
        "Review tariffs on Kenyan avocados: In progress → Stalled",
        "Review tariffs on Kenyan avocados: Announced → In progress",
    ]
    assert "Shigeru Ishiba" in only_child(made, "title").text
    assert only_child(made, "id").text == f"http://testserver/en/public/actors/{pledges['maker'].pk}/feed/"
    assert (
        made.find(ATOM + "link[@rel='alternate']").get("href")
        == f"http://testserver/en/public/actors/{pledges['maker'].pk}/"
    )
    assert entry_titles(bound) == ["Samurai Bond: Announced → Fulfilled"]
    assert "Unpublished pledge 55e1" not in client.get(f"/en/public/actors/{pledges['maker'].pk}/feed/").text


def test_an_actor_without_public_pledges_or_unknown_has_no_feed(client, pledges):
    only_hidden = ActorFactory()
    CommitmentFactory(made_by=only_hidden, is_public=False)
    counterpart_only = ActorFactory()
    pledges["public"].counterparts.add(counterpart_only)

    for actor_id in (only_hidden.pk, counterpart_only.pk, 987654321, 2**70):
        assert client.get(f"/en/public/actors/{actor_id}/feed/").status_code == 404


def test_an_actors_feed_takes_three_queries(client, pledges, django_assert_num_queries):
    with django_assert_num_queries(3):
        assert client.get(f"/en/public/actors/{pledges['maker'].pk}/feed/").status_code == 200


@pytest.mark.parametrize("path", ["/en/public/feed/", "/fr/public/feed/"])
def test_feeds_are_publicly_cacheable_and_set_no_cookie(client, pledges, analyst, path):
    for reader in ("anonymous", "analyst"):
        if reader == "analyst":
            client.force_login(analyst)
        response = client.get(path)

        assert response.status_code == 200
        assert "public" in response["Cache-Control"]
        assert "max-age=300" in response["Cache-Control"]
        assert "Set-Cookie" not in response.headers
        assert not response.cookies
        assert "Cookie" not in response.get("Vary", "")


def test_the_cache_lifetime_follows_the_public_setting(client, settings):
    settings.PUBLIC_CACHE_SECONDS = 60

    assert "max-age=60" in client.get("/en/public/feed/")["Cache-Control"]


def test_actor_feed_of_a_public_pledge_made_public_later_and_hidden_again(client):
    maker = ActorFactory()
    pledge = CommitmentFactory(made_by=maker, is_public=True)
    ProgressUpdateFactory(commitment=pledge, status_after=Status.IN_PROGRESS)
    assert client.get(f"/en/public/actors/{maker.pk}/feed/").status_code == 200

    pledge.is_public = False
    pledge.save(update_fields=["is_public"])

    assert client.get(f"/en/public/actors/{maker.pk}/feed/").status_code == 404
    assert entries(assert_valid_atom(client.get("/en/public/feed/").content)) == []


def test_an_actor_without_a_feed_gets_the_public_not_found_page(client):
    response = client.get("/fr/public/actors/987654321/feed/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="fr"' in response.text
    assert not response.cookies


def test_feeds_count_against_the_public_rate_limit(client, pledges, settings):
    settings.PUBLIC_RATE_LIMIT_PER_MINUTE = 2
    assert client.get("/en/public/feed/").status_code == 200
    assert client.get(f"/en/public/actors/{pledges['maker'].pk}/feed/").status_code == 200

    refused = client.get("/en/public/feed/")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "public" not in refused["Cache-Control"]
    # Another address is still served.
    assert client.get("/en/public/feed/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_feeds_answer_get_and_head_only(client, pledges):
    assert client.head("/en/public/feed/").status_code == 200
    assert client.post("/en/public/feed/").status_code == 405
    assert client.post(f"/en/public/actors/{pledges['maker'].pk}/feed/").status_code == 405
