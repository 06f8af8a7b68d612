"""The public pages (tracker/public/): published pledges, their actors and published assessments, without a login.

The `world` fixture is a published pledge full of private data, each piece
with a marker of its own: every public page, in every language, is checked
for each marker, and for the public data it must show.
"""

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import (
    ActorFactory,
    CommitmentFactory,
    EventFactory,
    FollowUpFactory,
    ProgressUpdateFactory,
    TopicFactory,
    UserFactory,
    ViewerFactory,
    cycle_with,
    score,
)
from tracker import assessments
from tracker.models import AssessmentCycle, Contact, EvidenceRequest, Reply, Status

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "fr", "sw")

# Strings that exist only in private data: none may appear on a public page.
PRIVATE = {
    "owner username": "owner-qx81",
    "owner email": "owner-qx81@private.example",
    "watcher username": "watcher-qx81",
    "watcher email": "watcher-qx81@private.example",
    "internal note": "INTERNAL-NOTE-qx81",
    "contact name": "Press desk qx81",
    "contact email": "press-qx81@contact.example",
    "request message": "REQUEST-MESSAGE-qx81",
    "reply text": "REPLY-TEXT-qx81",
    "next check (ISO)": "2031-03-17",
    "next check": "17 Mar 2031",
    "next check (fr)": "17 mars 2031",
    "scorer": "scorer-qx81",
    "reviser": "reviser-qx81",
    "unpublished pledge": "Unpublished Toyota talks qx81",
    "unpublished maker": "Hidden Motors qx81",
    "assessed, unpublished pledge": "Assessed but unpublished qx81",
    "its correction": "Correction of a hidden score qx81",
    "draft cycle": "Draft cycle qx81",
    "review cycle": "Review cycle qx81",
}


def url(name, *args, language="en", query=""):
    with translation.override(language):
        return reverse(name, args=args) + query


@pytest.fixture
def world(db):
    owner = ViewerFactory(username=PRIVATE["owner username"], email=PRIVATE["owner email"])
    watcher = ViewerFactory(username=PRIVATE["watcher username"], email=PRIVATE["watcher email"])
    kenya = ActorFactory(name="Government of Kenya", kind="government", country="KE", role="Republic of Kenya")
    japan = ActorFactory(name="Government of Japan", kind="government", country="JP", role="State of Japan")
    bank = ActorFactory(name="Nairobi Securities Exchange", kind="organisation", country="KE", role="Exchange")
    event = EventFactory(name="TICAD 9", location="Yokohama")
    topic = TopicFactory(name="Finance")
    pledge = CommitmentFactory(
        is_public=True,
        title="Samurai Bond statement of intent",
        quote="We intend to issue a Samurai Bond within the year.",
        description="Kenya and Japan signed a statement of intent on a Samurai Bond.",
        source_url="https://news.example/samurai-bond",
        source_title="Kenya and Japan sign Samurai Bond statement",
        made_by=kenya,
        event=event,
        kind="intent",
        status=Status.STALLED,
        progress=40,
        due_on=date(2026, 8, 20),
        next_check_on=date(2031, 3, 17),
        check_every_days=37,
        owner=owner,
        watchers=[watcher],
        topics=[topic],
        pledged_amount=Decimal("1500000"),
        pledged_currency="USD",
    )
    pledge.counterparts.add(bank)
    pledge.members.add(kenya, japan)
    ProgressUpdateFactory(
        commitment=pledge,
        author=owner,
        recorded_on=date(2025, 10, 1),
        status_before=Status.ANNOUNCED,
        status_after=Status.IN_PROGRESS,
        progress=20,
        note="Treasury appointed arrangers for the bond.",
        note_is_internal=False,
        evidence_url="https://evidence.example/arrangers",
    )
    ProgressUpdateFactory(
        commitment=pledge,
        author=owner,
        recorded_on=date(2025, 12, 1),
        status_before=Status.IN_PROGRESS,
        status_after=Status.STALLED,
        progress=40,
        note=PRIVATE["internal note"],
        note_is_internal=True,
    )
    FollowUpFactory(commitment=pledge)
    contact = Contact.objects.create(actor=kenya, name=PRIVATE["contact name"], email=PRIVATE["contact email"])
    request = EvidenceRequest.objects.create(commitment=pledge, contact=contact, message=PRIVATE["request message"])
    Reply.objects.create(request=request, text=PRIVATE["reply text"])

    hidden_maker = ActorFactory(name=PRIVATE["unpublished maker"])
    unpublished = CommitmentFactory(title=PRIVATE["unpublished pledge"], made_by=hidden_maker, event=event)
    # Assessed in a published cycle, though the pledge itself is not public: the public report leaves it out.
    assessed_only = CommitmentFactory(
        title=PRIVATE["assessed, unpublished pledge"], made_by=japan, event=event, topics=[TopicFactory(name="Autos")]
    )
    assessed_only.members.add(japan, hidden_maker)

    scorer, reviser = UserFactory(username=PRIVATE["scorer"]), UserFactory(username=PRIVATE["reviser"])
    cycle = cycle_with([pledge, assessed_only], event=event, name="TICAD 9 interim")
    cells = {}
    for commitment in (pledge, assessed_only):
        for member in assessments.commitment_members(commitment):
            cells[commitment.pk, member.pk] = score(cycle, commitment, member, 1, user=scorer)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED)
    assessments.score_revise(
        score=cells[pledge.pk, japan.pk], user=reviser, data={"score": 0}, reason="The bond was delayed a year."
    )
    assessments.score_revise(
        score=cells[assessed_only.pk, hidden_maker.pk],
        user=reviser,
        data={"score": -1},
        reason=PRIVATE["its correction"],
    )
    draft = cycle_with([pledge], name=PRIVATE["draft cycle"])
    review = cycle_with([pledge], name=PRIVATE["review cycle"])
    assessments.cycle_move(cycle=review, state=AssessmentCycle.State.REVIEW)
    return SimpleNamespace(
        pledge=pledge,
        kenya=kenya,
        japan=japan,
        bank=bank,
        event=event,
        topic=topic,
        unpublished=unpublished,
        hidden_maker=hidden_maker,
        assessed_only=assessed_only,
        cycle=cycle,
        draft=draft,
        review=review,
    )


def public_urls(world, language):
    return [
        url("public:board", language=language),
        url("public:board", language=language, query=f"?made_by={world.kenya.pk}&status=stalled"),
        url("public:commitment", world.pledge.pk, language=language),
        url("public:actor", world.kenya.pk, language=language),
        url("public:actor", world.japan.pk, language=language),
        url("public:cycles", language=language),
        url("public:cycle", world.cycle.pk, language=language),
    ]


ROOT_URLS = ["/robots.txt", "/sitemap.xml", "/sitemap-pages.xml", "/sitemap-commitments.xml", "/sitemap-actors.xml"]
ROOT_URLS += ["/sitemap-assessments.xml"]


def every_public_url(world):
    return [address for language in LANGUAGES for address in public_urls(world, language)] + ROOT_URLS


# Nothing private, anywhere


def test_no_public_page_shows_private_data_in_any_language(client, world):
    for address in every_public_url(world):
        response = client.get(address)
        assert response.status_code == 200, address
        text = response.content.decode()
        for what, marker in PRIVATE.items():
            assert marker not in text, f"{what} ({marker}) on {address}"


def test_public_pages_link_to_no_analyst_page_and_offer_no_form_that_posts(client, world):
    for language in LANGUAGES:
        for address in public_urls(world, language):
            text = client.get(address).content.decode()
            links = re.findall(r'href="([^"]+)"', text)
            for link in links:
                if link.startswith("/static/"):
                    assert link.endswith(".css"), link
                elif link.startswith("/"):
                    assert link.startswith(("/en/public/", "/fr/public/", "/sw/public/")), link
            assert 'method="post"' not in text
            assert "csrfmiddlewaretoken" not in text
            assert "/admin/" not in text


def test_the_pledge_page_shows_everything_public(client, world):
    text = client.get(url("public:commitment", world.pledge.pk)).content.decode()

    for public in (
        "Samurai Bond statement of intent",
        "We intend to issue a Samurai Bond within the year.",
        "Kenya and Japan signed a statement of intent on a Samurai Bond.",
        'href="https://news.example/samurai-bond"',
        "Kenya and Japan sign Samurai Bond statement",
        "TICAD 9, Yokohama",
        "Finance",
        "Statement of intent",
        "Stalled",
        "40%",
        "20 Aug 2026",  # due
        "20 Aug 2025",  # made
        "1,500,000.00 USD",
        "Treasury appointed arrangers for the bond.",
        'href="https://evidence.example/arrangers"',
        "1 Oct 2025",
        "1 Dec 2025",
    ):
        assert public in text, public
    assert f'href="{url("public:actor", world.kenya.pk)}">Government of Kenya</a>' in text
    assert f'href="{url("public:actor", world.japan.pk)}">Government of Japan</a>' in text
    # A counterpart with no published pledge has no public page to link to.
    assert "Nairobi Securities Exchange" in text
    assert url("public:actor", world.bank.pk) not in text
    # The embed snippet, for other sites.
    assert "<textarea" in text and f"/embed/commitments/{world.pledge.pk}/" in text


def test_an_internal_note_is_hidden_while_its_status_change_is_shown(client, world):
    text = client.get(url("public:commitment", world.pledge.pk)).content.decode()

    timeline = text[text.index('id="timeline"') :]
    assert "In progress →" in timeline and "status-stalled" in timeline
    assert PRIVATE["internal note"] not in text


def test_an_update_with_only_an_internal_note_is_left_off_the_timeline(client, world):
    ProgressUpdateFactory(
        commitment=world.pledge,
        recorded_on=date(2026, 1, 15),
        status_before=Status.STALLED,
        status_after=Status.STALLED,
        note="Called the treasury again.",
        note_is_internal=True,
    )

    text = client.get(url("public:commitment", world.pledge.pk)).content.decode()

    assert "15 Jan 2026" not in text
    assert "Called the treasury again." not in text


# Unpublished: not found, and nowhere listed


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unpublished_or_missing_pledge_is_a_404_never_a_403(client, world, language):
    def page_of(address):
        """The 404 page with its own address (in its language links) taken out."""
        response = client.get(address)
        return response, response.content.decode().replace(address[len(f"/{language}") :], "ADDRESS")

    for name, pk in (
        ("public:commitment", world.unpublished.pk),
        ("public:commitment", world.assessed_only.pk),
        ("public:actor", world.hidden_maker.pk),
        ("public:cycle", world.draft.pk),
        ("public:cycle", world.review.pk),
    ):
        _response, missing = page_of(url(name, 999999, language=language))
        address = url(name, pk, language=language)
        response, text = page_of(address)
        assert response.status_code == 404, address
        # The very page a missing one gets: nothing tells that something is there.
        assert text == missing, address
        assert f'<html lang="{language}"' in response.content.decode()
        assert_cacheable(response, address)


def test_unpublished_pledges_are_on_no_list(client, world):
    for address in (url("public:board"), url("public:actor", world.japan.pk), url("public:actor", world.kenya.pk)):
        text = client.get(address).content.decode()
        assert PRIVATE["unpublished pledge"] not in text
        assert url("public:commitment", world.unpublished.pk) not in text
        assert url("public:commitment", world.assessed_only.pk) not in text


def test_an_actor_whose_pledges_are_all_unpublished_has_no_page(client, world):
    assert client.get(url("public:actor", world.hidden_maker.pk)).status_code == 404
    # A counterpart alone is not enough either, nor an unknown id.
    assert client.get(url("public:actor", world.bank.pk)).status_code == 404
    assert client.get(url("public:actor", 999999)).status_code == 404


def test_publishing_a_pledge_shows_it_and_withdrawing_it_hides_it_again(client, world):
    world.unpublished.is_public = True
    world.unpublished.save()
    assert client.get(url("public:commitment", world.unpublished.pk)).status_code == 200
    assert client.get(url("public:actor", world.hidden_maker.pk)).status_code == 200
    assert PRIVATE["unpublished pledge"] in client.get(url("public:board")).content.decode()

    world.unpublished.is_public = False
    world.unpublished.save()
    assert client.get(url("public:commitment", world.unpublished.pk)).status_code == 404
    assert client.get(url("public:actor", world.hidden_maker.pk)).status_code == 404


# The actor page


def test_an_actor_page_shows_the_actor_and_the_pledges_it_made_or_is_bound_by(client, world):
    second = CommitmentFactory(is_public=True, title="Avocado tariff review", made_by=world.japan, status="fulfilled")

    text = client.get(url("public:actor", world.japan.pk)).content.decode()

    assert "<h1>Government of Japan</h1>" in text
    assert "Government" in text and "JP" in text and "State of Japan" in text
    # Its own pledge, and the one it is a member of.
    assert url("public:commitment", second.pk) in text
    assert url("public:commitment", world.pledge.pk) in text
    assert "2 published pledges made by this actor or binding it." in text
    # One fulfilled (+1), one stalled (-1): a mean of 0.00 over two; half fulfilled.
    assert re.search(r'id="share-fulfilled">\s*1 of 2 \(50\.0%\)', text)
    assert re.search(r'id="compliance-score">\s*0\.00 over 2 scored pledges', text)


def test_the_actor_pages_list_is_paginated(client, world):
    CommitmentFactory.create_batch(51, is_public=True, made_by=world.japan, made_on=date(2024, 1, 1))

    first = client.get(url("public:actor", world.japan.pk)).content.decode()
    second = client.get(url("public:actor", world.japan.pk, query="?page=2")).content.decode()

    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert first.count('<td class="pledge">') == 50
    assert second.count('<td class="pledge">') == 2


# The board


def test_the_board_counts_published_pledges_only_by_status_and_compliance(client, world):
    CommitmentFactory(is_public=True, made_by=world.japan, event=world.event, status=Status.FULFILLED)
    CommitmentFactory(made_by=world.japan, event=world.event, status=Status.FULFILLED)  # unpublished

    text = client.get(url("public:board")).content.decode()

    assert "2 published pledges." in text
    tiles = dict(re.findall(r'class="tile status-(\w+)"[^>]*><span class="tile-count">(\d+)</span>', text))
    assert tiles == {
        "announced": "0",
        "in_progress": "0",
        "stalled": "1",
        "partially_fulfilled": "0",
        "fulfilled": "1",
        "broken": "0",
        "withdrawn": "0",
    }
    actors = text[text.index('id="compliance-actor"') : text.index('id="compliance-event"')]
    assert re.search(r"Government of Japan</a></td>\s*<td class=\"number\">1\.00</td>", actors)
    assert re.search(r"Government of Kenya</a></td>\s*<td class=\"number\">-1\.00</td>", actors)
    events = text[text.index('id="compliance-event"') :]
    assert re.search(r"<td>TICAD 9</td>\s*<td class=\"number\">0\.00</td>\s*<td class=\"number\">2</td>", events)
    # The read-only list: no owner, no check date, no box to tick.
    assert "Owner" not in text and "Next check" not in text and 'type="checkbox" name="ids"' not in text
    # The tile of the status the filter asks for alone is the current one.
    current = r'class="tile status-(\w+)"[^>]*aria-current="true"'
    assert re.findall(current, text) == []
    assert re.findall(current, client.get(url("public:board", query="?status=stalled")).content.decode()) == ["stalled"]


def test_the_board_filters_by_status_maker_event_topic_country_and_words(client, world):
    other_event = EventFactory(name="KIICO 2026")
    us = ActorFactory(name="United States", country="US")
    toyota = CommitmentFactory(
        is_public=True, title="Toyota e-mobility talks", quote="electric minibuses", made_by=us, event=other_event
    )
    pledge_url, toyota_url = url("public:commitment", world.pledge.pk), url("public:commitment", toyota.pk)

    def listed(query):
        text = client.get(url("public:board", query=query)).content.decode()
        return pledge_url in text, toyota_url in text

    assert listed("") == (True, True)
    assert listed("?status=stalled") == (True, False)
    assert listed(f"?made_by={us.pk}") == (False, True)
    assert listed(f"?event={other_event.pk}") == (False, True)
    assert listed(f"?topic={world.topic.pk}") == (True, False)
    assert listed("?country=US") == (False, True)
    assert listed("?q=samurai") == (True, False)
    assert listed("?q=MINIBUSES") == (False, True)  # the quote, whatever the case
    assert listed("?kind=intent") == (True, False)


def test_the_board_offers_only_makers_events_and_topics_of_published_pledges(client, world):
    text = client.get(url("public:board")).content.decode()
    options = re.findall(r'<option value="(\d+)"', text)

    assert str(world.kenya.pk) in options
    assert str(world.hidden_maker.pk) not in options
    assert PRIVATE["unpublished maker"] not in text


def test_the_board_shows_the_shared_filters_as_the_analysts_board_does(client, world):
    text = client.get(url("public:board")).content.decode()
    form = text[text.index('id="filters"') : text.index("</form>")]

    assert re.search(r'<input type="checkbox" name="status" value="stalled"', form)
    assert re.search(r'<select name="kind"[^>]*>\s*<option value="" selected>Any kind</option>', form)
    assert '<input type="date" name="due_after"' in form and '<input type="date" name="due_before"' in form
    for label in ("Status", "Kind", "Due on or after", "Due on or before"):
        assert f">{label}</" in form, label


@pytest.mark.parametrize(
    "query", ["?made_by=999999", "?status=lost", "?due_after=someday", "?event=x", "?country=ZZ", "?q=" + "x" * 300]
)
def test_unreadable_filters_are_a_400_that_says_which(client, world, query):
    response = client.get(url("public:board", query=query))

    assert response.status_code == 400
    text = response.content.decode()
    assert "These filters could not be read" in text
    assert url("public:commitment", world.pledge.pk) not in text


def test_an_unreadable_filter_is_named_beside_its_error(client, world):
    text = client.get(url("public:board", query="?status=lost")).content.decode()

    assert "<li>Status: Select a valid choice. lost is not one of the available choices.</li>" in text


def test_the_board_is_paginated_and_a_bad_page_number_shows_a_page(client, world):
    CommitmentFactory.create_batch(50, is_public=True, made_on=date(2024, 1, 1))

    first = client.get(url("public:board")).content.decode()
    second = client.get(url("public:board", query="?page=2")).content.decode()
    wrong = client.get(url("public:board", query="?page=zebra"))

    assert first.count('<td class="pledge">') == 50 and second.count('<td class="pledge">') == 1
    # Newest first: the world's pledge (2025) on the first page.
    assert url("public:commitment", world.pledge.pk) in first
    assert 'rel="next"' in first and 'href="?page=2"' in first
    assert wrong.status_code == 200 and "Page 1 of 2" in wrong.content.decode()


# Published assessment cycles


def test_only_published_cycles_are_listed_and_a_draft_or_review_cycle_is_a_404(client, world):
    text = client.get(url("public:cycles")).content.decode()

    assert "TICAD 9 interim" in text and url("public:cycle", world.cycle.pk) in text
    assert PRIVATE["draft cycle"] not in text and PRIVATE["review cycle"] not in text
    for cycle in (world.draft, world.review):
        assert client.get(url("public:cycle", cycle.pk)).status_code == 404
    assert client.get(url("public:cycle", 999999)).status_code == 404


def test_a_published_report_shows_scores_rationales_evidence_and_averages_but_not_who_scored(client, world):
    text = client.get(url("public:cycle", world.cycle.pk)).content.decode()

    assert "<h1>TICAD 9 interim</h1>" in text
    assert "Scored 1." in text  # the rationale
    assert 'href="https://example.org/evidence"' in text
    assert "Done in full." in text  # criteria
    assert "The bond was delayed a year." in text
    assert "Corrected once since publishing." in text
    assert PRIVATE["scorer"] not in text and PRIVATE["reviser"] not in text
    # No column for who scored and when: member, score, rationale.
    assert 'scope="col">Rationale and evidence</th></tr>' in text
    assert url("public:commitment", world.pledge.pk) in text
    assert "/assessments/" not in text.replace("/public/assessments/", "")


def test_a_published_report_counts_only_the_published_pledges(client, world):
    text = client.get(url("public:cycle", world.cycle.pk)).content.decode()

    # Kenya +1 and Japan 0 (corrected from +1) on the published pledge; the unpublished pledge's cells (Japan +1,
    # its hidden member -1) count nowhere: a mean of +0.50, Japan's 0.00 over one cell, its member not listed.
    assert re.search(r'class="report-average">\+0\.50<', text)
    members = text[text.index('id="members"') : text.index('id="pledges"')]
    assert re.search(r"Government of Japan</th>\s*<td class=\"number\">0\.00</td>", members)
    assert "1/1" in members and "1/2" not in members
    assert PRIVATE["assessed, unpublished pledge"] not in text and PRIVATE["unpublished maker"] not in text
    assert "Autos" not in text  # its topic
    assert PRIVATE["its correction"] not in text
    assert url("public:commitment", world.assessed_only.pk) not in text
    assert text.count('class="panel report-pledge"') == 1


def test_the_change_since_the_interim_assessment_counts_only_published_pledges(client, world):
    maker = ActorFactory(name="Kenya Revenue Authority")
    shown, hidden = CommitmentFactory(is_public=True, made_by=maker), CommitmentFactory(made_by=maker)
    cycles = []
    for kind, scores in ((AssessmentCycle.Kind.INTERIM, (-1, 1)), (AssessmentCycle.Kind.FINAL, (1, 1))):
        cycle = cycle_with([shown, hidden], kind=kind, previous=cycles[-1] if cycles else None)
        for pledge, value in zip((shown, hidden), scores, strict=True):
            score(cycle, pledge, maker, value)
        assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
        assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED)
        cycles.append(cycle)

    text = client.get(url("public:cycle", cycles[-1].pk)).content.decode()

    # From -1 to +1 on the published pledge; with the hidden one (+1 both times) it would read +1.00.
    members = text[text.index('id="members"') : text.index('id="pledges"')]
    assert re.search(r"Kenya Revenue Authority</th>\s*<td class=\"number\">\+1\.00</td>", members)
    assert re.search(r'<td class="number">\+2\.00</td>\s*</tr>', members)


def test_the_change_since_the_interim_assessment_counts_its_published_pledges_not_assessed_again(client, world):
    maker = ActorFactory(name="Kenya Revenue Authority")
    again, dropped = CommitmentFactory(is_public=True, made_by=maker), CommitmentFactory(is_public=True, made_by=maker)
    interim = cycle_with([again, dropped])
    score(interim, again, maker, -1)
    score(interim, dropped, maker, 1)
    final = cycle_with([again], kind=AssessmentCycle.Kind.FINAL, previous=interim)
    score(final, again, maker, 1)
    for cycle in (interim, final):
        assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
        assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED)

    text = client.get(url("public:cycle", final.pk)).content.decode()

    # +1 now against the interim's mean of -1 and +1, as the analysts' report compares; +2.00 without the dropped one.
    members = text[text.index('id="members"') : text.index('id="pledges"')]
    assert re.search(r'<td class="number">\+1\.00</td>\s*</tr>', members)


def test_a_published_cycle_with_no_published_pledge_shows_none(client, world):
    world.pledge.is_public = False
    world.pledge.save()

    response = client.get(url("public:cycle", world.cycle.pk))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Samurai Bond statement of intent" not in text and "Government of Kenya" not in text
    assert "No pledges in this cycle yet." in text and 'class="panel report-pledge"' not in text


def test_a_rationale_cannot_write_markup_into_the_report(client, world):
    cell = world.cycle.scores.filter(member=world.kenya, commitment=world.pledge).get()
    assessments.score_revise(
        score=cell, data={"rationale": "<script>alert(1)</script>\nSecond line"}, reason="<b>Fixed</b>"
    )

    text = client.get(url("public:cycle", world.cycle.pk)).content.decode()

    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Second line" in text
    assert "<b>Fixed</b>" not in text and "&lt;b&gt;Fixed&lt;/b&gt;" in text


def test_the_change_since_an_unpublished_previous_cycle_is_not_shown(client, world):
    pledge = CommitmentFactory(is_public=True)
    interim = cycle_with([pledge], name="Interim still in draft")
    score(interim, pledge, pledge.made_by, -1)
    final = cycle_with([pledge], name="Final published", kind=AssessmentCycle.Kind.FINAL, previous=interim)
    score(final, pledge, pledge.made_by, 1)
    assessments.cycle_move(cycle=final, state=AssessmentCycle.State.REVIEW)
    assessments.cycle_move(cycle=final, state=AssessmentCycle.State.PUBLISHED)

    text = client.get(url("public:cycle", final.pk)).content.decode()

    assert "Interim still in draft" not in text
    assert "+2.00" not in text  # the change from -1 to +1


# Languages


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_renders_every_page_with_its_lang_and_alternates(client, world, language):
    for address in public_urls(world, language):
        text = client.get(address).content.decode()
        assert f'<html lang="{language}"' in text, address
        path = address.split("?")[0][len(f"/{language}") :]
        for other in LANGUAGES:
            assert f'<link rel="alternate" hreflang="{other}" href="http://testserver/{other}{path}' in text
            # The header's plain link to the same page in that language.
            assert re.search(rf'<a href="/{other}{re.escape(path)}[^"]*" hreflang="{other}" lang="{other}"', text)
        assert f'<link rel="alternate" hreflang="x-default" href="http://testserver{path}' in text


def test_the_x_default_address_sends_a_reader_to_their_language(client, world):
    response = client.get("/public/", headers={"accept-language": "fr"})

    assert response.status_code == 302
    assert response["Location"] == "/fr/public/"


def test_dates_and_numbers_follow_the_language_of_the_address(client, world):
    french = client.get(url("public:commitment", world.pledge.pk, language="fr")).content.decode()
    english = client.get(url("public:commitment", world.pledge.pk, language="en")).content.decode()

    assert "20 août 2026" in french and "20 Aug 2026" in english
    assert "1\xa0500\xa0000,00 USD" in french and "1,500,000.00 USD" in english


def test_a_language_cookie_or_header_does_not_change_a_prefixed_page(client, world):
    client.cookies["django_language"] = "sw"
    text = client.get(url("public:board", language="fr"), headers={"accept-language": "en"}).content.decode()

    assert '<html lang="fr"' in text


# Sitemap and robots.txt


def sitemap_locations(client, address):
    """Every <loc> of a sitemap, and for an index every <loc> of the sitemaps it names."""
    namespace = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}
    response = client.get(address)
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 - the tracker's own response, not untrusted input
    if root.tag.endswith("sitemapindex"):
        found = []
        for loc in root.findall("sm:sitemap/sm:loc", namespace):
            found += sitemap_locations(client, loc.text.replace("http://testserver", ""))
        return found
    entries = []
    for entry in root.findall("sm:url", namespace):
        alternates = {link.get("hreflang"): link.get("href") for link in entry.findall("xhtml:link", namespace)}
        entries.append((entry.find("sm:loc", namespace).text, alternates))
    return entries


def test_the_sitemap_lists_exactly_the_public_pages_in_every_language(client, world):
    entries = sitemap_locations(client, "/sitemap.xml")

    locations = sorted(location.replace("http://testserver", "") for location, _ in entries)
    expected = []
    for language in LANGUAGES:
        expected += [
            url("public:board", language=language),
            url("public:cycles", language=language),
            url("public:commitment", world.pledge.pk, language=language),
            url("public:actor", world.kenya.pk, language=language),
            url("public:actor", world.japan.pk, language=language),
            url("public:cycle", world.cycle.pk, language=language),
        ]
    assert locations == sorted(expected)
    for location, alternates in entries:
        path = location.replace("http://testserver", "")[3:]
        assert alternates == {language: f"http://testserver/{language}{path}" for language in LANGUAGES}


def test_robots_txt_allows_the_public_pages_and_points_to_the_sitemap(client, world):
    response = client.get("/robots.txt")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for language in LANGUAGES:
        assert f"Allow: /{language}/public/" in lines
    assert "Disallow: /" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_an_unknown_sitemap_section_is_a_404(client, world):
    assert client.get("/sitemap-owners.xml").status_code == 404
    assert client.get("/sitemap-commitments.xml?p=9").status_code == 404


# What shared caches may keep, and cookies


def assert_cacheable(response, address):
    assert response["Cache-Control"] == "public, max-age=300", address
    assert not response.cookies, f"{address} set {list(response.cookies)}"
    assert "Set-Cookie" not in response.headers, address
    assert "cookie" not in response.get("Vary", "").lower(), address


def test_every_public_page_is_cacheable_by_anyone_and_sets_no_cookie(client, world):
    for address in every_public_url(world):
        assert_cacheable(client.get(address), address)
    for address in (url("public:commitment", world.unpublished.pk), url("public:board", query="?status=lost")):
        assert_cacheable(client.get(address), address)


def test_a_signed_in_analyst_gets_the_same_cacheable_pages_and_no_cookie(client, world, analyst):
    client.force_login(analyst)
    for language in LANGUAGES:
        for address in public_urls(world, language):
            response = client.get(address)
            assert response.status_code == 200
            assert_cacheable(response, address)
            assert "analyst" not in response.content.decode().lower()


def test_the_cache_lifetime_is_a_setting(client, world, settings):
    settings.PUBLIC_CACHE_SECONDS = 60

    assert client.get(url("public:board"))["Cache-Control"] == "public, max-age=60"


def test_public_pages_answer_get_and_head_only(client, world):
    assert client.head(url("public:board")).status_code == 200
    assert client.post(url("public:board")).status_code == 405
    assert client.post(url("public:commitment", world.pledge.pk)).status_code == 405


# Rate limit


def test_too_many_requests_from_one_address_are_refused_with_retry_after(client, world, settings):
    settings.PUBLIC_RATE_LIMIT_PER_MINUTE = 3
    pages = [url("public:board"), url("public:commitment", world.pledge.pk), "/robots.txt"]
    assert [client.get(address).status_code for address in pages] == [200, 200, 200]

    refused = client.get(url("public:actor", world.kenya.pk, language="fr"))

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # In the language of the refused address.
    assert "Trop de requêtes" in refused.content.decode()
    assert '<html lang="fr"' in refused.content.decode()
    # Never kept by a shared cache, which would refuse everyone.
    assert "no-store" in refused["Cache-Control"] and "public" not in refused["Cache-Control"]
    assert not refused.cookies
    # Another address is still served.
    assert client.get(url("public:board"), REMOTE_ADDR="203.0.113.9").status_code == 200


def test_the_rate_limit_counts_the_address_the_trusted_proxy_saw(client, world, settings):
    settings.PUBLIC_RATE_LIMIT_PER_MINUTE = 1
    settings.TRUSTED_PROXIES = 1

    first = client.get(url("public:board"), headers={"x-forwarded-for": "198.51.100.1"})
    same = client.get(url("public:board"), headers={"x-forwarded-for": "198.51.100.1"})
    other = client.get(url("public:board"), headers={"x-forwarded-for": "198.51.100.2"})

    assert (first.status_code, same.status_code, other.status_code) == (200, 429, 200)


def test_over_the_limit_the_next_window_serves_again(client, world, settings, time_machine):
    settings.PUBLIC_RATE_LIMIT_PER_MINUTE = 1
    time_machine.move_to("2026-03-02 10:00:10Z", tick=False)
    assert client.get(url("public:board")).status_code == 200
    refused = client.get(url("public:board"))
    assert refused.status_code == 429 and refused["Retry-After"] == "50"

    time_machine.move_to("2026-03-02 10:01:00Z", tick=False)

    assert client.get(url("public:board")).status_code == 200


def test_a_pledge_without_published_updates_says_so(client, world):
    quiet = CommitmentFactory(is_public=True, made_on=date(2025, 8, 22))

    text = client.get(url("public:commitment", quiet.pk)).content.decode()

    assert "no progress published since" in text


def test_the_french_board_groups_numbers_as_french_readers_do(client, world):
    CommitmentFactory.create_batch(2, is_public=True, made_by=world.japan)
    with pytest.MonkeyPatch.context() as patch:
        # A thousand pledges without writing a thousand rows: the count is all the sentence reads.
        patch.setattr("tracker.public.queries.compliance_of", _counted_as(1234))
        french = client.get(url("public:actor", world.japan.pk, language="fr")).content.decode()
        english = client.get(url("public:actor", world.japan.pk, language="en")).content.decode()

    assert "1\xa0234" in french and "1,234" in english


def _counted_as(total):
    from tracker.public import queries

    original = queries.compliance_of

    def compliance_of(counts):
        return {**original(counts), "total": total}

    return compliance_of


# The server's cache of the board, and the queries each page costs


# These commit for real (`transaction=True`): the board cache's token is renewed when a write commits, which a test
# wrapped in one transaction never does; there the board is computed afresh on every request.


@pytest.mark.django_db(transaction=True)
def test_the_board_is_served_from_the_servers_cache_until_a_pledge_changes(client, django_assert_num_queries):
    pledge = CommitmentFactory(is_public=True, title="Avocado tariff review")
    first = client.get(url("public:board"))
    assert "Avocado tariff review" in first.content.decode()

    # Only the token that says whether anything changed is read: nothing of the page is computed again.
    with django_assert_num_queries(1):
        second = client.get(url("public:board"))
    assert second.content == first.content
    assert_cacheable(second, "the cached board")

    # Each language and each query string has its own page; the filter's choices, kept apart, are shared.
    with django_assert_num_queries(3):
        assert '<html lang="sw"' in client.get(url("public:board", language="sw")).content.decode()
    with django_assert_num_queries(3):
        assert "Avocado" in client.get(url("public:board", query="?q=avocado")).content.decode()

    pledge.title = "Tea tariff review"
    pledge.save()

    renamed = client.get(url("public:board")).content.decode()
    assert "Tea tariff review" in renamed and "Avocado tariff review" not in renamed


@pytest.mark.django_db(transaction=True)
def test_an_unpublished_pledge_leaves_the_cached_board_at_once(client):
    pledge = CommitmentFactory(is_public=True, title="Kenya tea levy review")
    assert "Kenya tea levy review" in client.get(url("public:board")).content.decode()

    pledge.is_public = False
    pledge.save()

    assert "Kenya tea levy review" not in client.get(url("public:board")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_refused_filter_is_not_kept_in_the_servers_cache(client, django_assert_num_queries):
    CommitmentFactory(is_public=True)
    assert client.get(url("public:board", query="?status=lost")).status_code == 400

    # The token and the filter's choices (kept apart), read afresh; not the stored page, which does not exist.
    with django_assert_num_queries(1):
        assert client.get(url("public:board", query="?status=lost")).status_code == 400


def public_pledges(count):
    """`count` published pledges, each with members, a counterpart, a topic and a published update."""
    event = EventFactory()
    for _ in range(count):
        pledge = CommitmentFactory(is_public=True, event=event, topics=[TopicFactory()])
        pledge.members.add(ActorFactory(), ActorFactory())
        pledge.counterparts.add(ActorFactory())
        ProgressUpdateFactory(commitment=pledge, note="Public note.", note_is_internal=False)
        ProgressUpdateFactory(commitment=pledge, evidence_url="https://evidence.example/", note_is_internal=True)
    return pledge


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [1, 12])
def test_the_board_costs_the_same_queries_whatever_the_number_of_pledges(client, django_assert_num_queries, count):
    public_pledges(count)

    # The token, the filter's choices, the numbers (one GROUP BY) and the page of the list.
    with django_assert_num_queries(4):
        response = client.get(url("public:board", query="?status=announced&status=in_progress"))
    assert response.content.decode().count('<td class="pledge">') == count


@pytest.mark.parametrize("count", [1, 12])
def test_a_pledge_page_costs_the_same_queries_whatever_its_members_and_updates(
    client, django_assert_num_queries, count
):
    pledge = public_pledges(1)
    for _ in range(count):
        pledge.members.add(ActorFactory())
        pledge.counterparts.add(ActorFactory())
        ProgressUpdateFactory(commitment=pledge, note="Another public note.", note_is_internal=False)

    # The pledge with its maker and event, its counterparts, members and topics, and its timeline.
    with django_assert_num_queries(5):
        response = client.get(url("public:commitment", pledge.pk))
    assert response.content.decode().count("Another public note.") == count


@pytest.mark.parametrize("count", [1, 12])
def test_an_actor_page_costs_the_same_queries_whatever_the_number_of_its_pledges(
    client, django_assert_num_queries, count
):
    maker = ActorFactory()
    CommitmentFactory.create_batch(count, is_public=True, made_by=maker, event=EventFactory())

    # The actor, its pledges per status, and the page of the list.
    with django_assert_num_queries(3):
        response = client.get(url("public:actor", maker.pk))
    assert response.content.decode().count('<td class="pledge">') == count


@pytest.mark.parametrize("count", [1, 8])
def test_a_published_report_costs_the_same_queries_whatever_its_size(client, django_assert_num_queries, count):
    pledges = CommitmentFactory.create_batch(count, is_public=True)
    hidden = CommitmentFactory()
    cycle = cycle_with([*pledges, hidden])
    for pledge in [*pledges, hidden]:
        pledge.members.add(ActorFactory())
        for member in assessments.commitment_members(pledge):
            cell = score(cycle, pledge, member, 1)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW)
    assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED)
    assessments.score_revise(score=cell, data={"score": 0}, reason="Corrected.")

    # The cycle, its pledges as published, their cells, the corrections, and which pledges are published now.
    with django_assert_num_queries(5):
        response = client.get(url("public:cycle", cycle.pk))
    assert response.status_code == 200
    assert response.content.decode().count('class="panel report-pledge"') == count
