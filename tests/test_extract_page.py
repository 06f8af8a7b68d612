"""The /extract/ page: paste an article, review its draft pledges, create the chosen ones."""

import json
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.factories import ActorFactory, CommitmentFactory, EventFactory, body, field_errors
from tracker import views
from tracker.extraction import MAX_TEXT_CHARS, ExtractionError
from tracker.forms import MAX_DRAFTS_SHOWN
from tracker.models import Actor, Commitment, Status

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "extraction"
TICAD_TEXT = (DATA / "ticad9_kenya_japan.txt").read_text()
TICAD_ACTORS = json.loads((DATA / "ticad9_kenya_japan.json").read_text())["actors"]
TICAD_DATE = date(2025, 8, 20)
SOURCE_URL = "https://example.org/news/ticad9-kenya-japan"

ISHIBA_SENTENCE = (
    "Mr Ishiba promised to study Kenya's concerns and to review the tariff and non-tariff restrictions "
    "on Kenyan avocados and tea."
)
BOND_SENTENCE = (
    "Kenya and Japan also signed a statement of intent on a yen-denominated Samurai Bond, which Nairobi seeks "
    "to issue in Japan's capital markets to widen its sources of financing."
)
URGED_SENTENCE = "He urged partners to keep the mission's financing predictable."
# One pledge and one reported fact about an old promise, which the engine shows with low confidence.
ROAD_PLEDGE = "Kenya will build a road from Nairobi to Mombasa within three years."
OLD_PROMISE = "Member states have so far paid less than a quarter of the contributions they promised in 2019."
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def ticad_actors(db):
    return {
        spec["name"]: ActorFactory(name=spec["name"], kind=spec["kind"], aliases="\n".join(spec["aliases"]))
        for spec in TICAD_ACTORS
    }


@pytest.fixture
def ticad9(db):
    return EventFactory(name="TICAD 9")


def extract_url():
    return reverse("tracker:extract")


def find(client, text, **source):
    return client.post(extract_url(), {"action": "find", "text": text, **source})


class FormValues(HTMLParser):
    """What a browser would submit from one form of a page: its inputs, selects and textareas."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.values = {}
        self.checkboxes = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind == "checkbox":
                self.checkboxes.append(name)
                if "checked" in attrs:
                    self.values[name] = "on"
            elif kind not in ("submit", "button"):
                self.values[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.values[name] = None
        elif tag == "option" and self._select:
            # The first option, unless another is selected.
            if self.values[self._select] is None or "selected" in attrs:
                self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def drafts_form(response, status=200):
    """The review form's values as the browser would post them, plus the names of its checkboxes."""
    assert response.status_code == status, body(response)[:3000]
    parser = FormValues("create-drafts")
    parser.feed(body(response))
    assert parser.checkboxes, "the page shows no drafts form"
    return parser.values, parser.checkboxes


def draft_index(response, sentence):
    """The formset index of the draft quoting this sentence."""
    texts = [form.initial["text"] for form in response.context["formset"].forms]
    return texts.index(sentence)


def create(client, values, **changes):
    data = {**values, **changes, "action": "create"}
    return client.post(extract_url(), {key: value for key, value in data.items() if value is not None})


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# ------------------------------------------------------------ who may use it


def test_the_page_needs_a_login(client):
    for response in (client.get(extract_url()), find(client, TICAD_TEXT)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert not Commitment.objects.exists()


def test_a_viewer_is_refused_on_get_and_post(client, viewer, ticad_actors):
    client.force_login(viewer)

    assert client.get(extract_url()).status_code == 403
    assert find(client, TICAD_TEXT).status_code == 403
    refused = client.post(
        extract_url(),
        {
            "action": "create",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-selected": "on",
            "form-0-title": "Study Kenya's concerns",
            "form-0-actor": "Shigeru Ishiba",
            "form-0-kind": "review",
            "form-0-text": ISHIBA_SENTENCE,
        },
    )
    assert refused.status_code == 403
    assert not Commitment.objects.exists()


def test_analysts_and_superusers_may_use_it(client, analyst, superuser):
    for user in (analyst, superuser):
        client.force_login(user)
        response = client.get(extract_url())
        assert response.status_code == 200
        assert 'id="id_text"' in body(response)


def test_the_nav_links_to_the_page_for_those_who_may_use_it(client, analyst, viewer):
    link = f'href="{extract_url()}"'
    client.force_login(viewer)
    assert link not in body(client.get(reverse("tracker:board")))
    client.force_login(analyst)
    assert link in body(client.get(reverse("tracker:board")))
    assert f'{link} aria-current="page"' in body(client.get(extract_url()))


# ------------------------------------------------------------ step 1: bad input


@pytest.mark.parametrize("text", ["", "   \n\t  "], ids=["empty", "whitespace"])
def test_empty_text_is_a_form_error_next_to_the_field(analyst_client, text):
    response = find(analyst_client, text)

    assert response.status_code == 400
    assert "The text is empty" in field_errors(body(response), "id_text")
    assert 'id="create-drafts"' not in body(response)


def test_text_over_the_limit_is_refused_with_the_limit_stated(analyst_client):
    response = find(analyst_client, "Kenya will build a road. " * (MAX_TEXT_CHARS // 25) + "x")

    assert response.status_code == 400
    errors = field_errors(body(response), "id_text")
    assert "too long" in errors
    assert f"the limit is {MAX_TEXT_CHARS:,} characters" in errors
    assert not Commitment.objects.exists()


def test_text_at_the_limit_is_read(analyst_client):
    text = ROAD_PLEDGE + " " + "The weather was fine. " * ((MAX_TEXT_CHARS - len(ROAD_PLEDGE) - 1) // 22)
    text += "x" * (MAX_TEXT_CHARS - len(text))
    assert len(text) == MAX_TEXT_CHARS

    response = find(analyst_client, text)

    assert response.status_code == 200
    assert ROAD_PLEDGE in [form.initial["text"] for form in response.context["formset"].forms]


def test_a_refusal_by_the_engine_is_shown_next_to_the_text(analyst_client, monkeypatch):
    def refuse(text, **kwargs):
        raise ExtractionError("text is too long: 1 character; the limit is 0 characters")

    monkeypatch.setattr(views, "extract_pledges", refuse)

    response = find(analyst_client, ROAD_PLEDGE)

    assert response.status_code == 400
    assert "Text is too long: 1 character; the limit is 0 characters" in field_errors(body(response), "id_text")


@pytest.mark.parametrize(
    "text",
    [
        "\x01\x02\x03\x04 ��� \x05\x06 \x07\x08 ",
        "Der Präsident versprach, die Zölle auf kenianischen Tee zu senken und die Handelsbeziehungen zu vertiefen. "
        "Die Regierung in Tokio prüft die Einfuhrbestimmungen für Avocados aus Kenia und weitere Fragen des Handels.",
        "石破首相はケニアの懸念を検討すると約束した。",
        "qwzx plmn vbcx rtyu lkjh",
    ],
    ids=["binary", "german", "japanese", "gibberish"],
)
def test_junk_or_another_language_finds_no_pledges_and_no_error(analyst_client, text):
    response = find(analyst_client, text)

    assert response.status_code == 200
    html = body(response)
    assert "No pledges found" in html
    assert 'class="errorlist"' not in html
    assert 'id="create-drafts"' not in html
    assert response.context["article_form"]["text"].value()  # the text stays in the box to correct


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/article", "not a url"], ids=["javascript", "ftp", "words"]
)
def test_a_source_url_must_be_a_web_address(analyst_client, url):
    response = find(analyst_client, TICAD_TEXT, source_url=url)

    assert response.status_code == 400
    assert field_errors(body(response), "id_source_url")
    assert 'id="create-drafts"' not in body(response)


def test_a_bad_article_date_or_event_is_a_form_error(analyst_client):
    response = find(analyst_client, TICAD_TEXT, article_date="2025-02-30", event="999999")

    assert response.status_code == 400
    assert "valid date" in field_errors(body(response), "id_article_date")
    assert "valid choice" in field_errors(body(response), "id_event")


# ------------------------------------------------------------ step 2: the drafts


def test_a_summit_report_shows_its_drafts_with_the_right_actors(analyst_client, ticad_actors, ticad9):
    response = find(
        analyst_client, TICAD_TEXT, source_url=SOURCE_URL, event=ticad9.pk, article_date=TICAD_DATE.isoformat()
    )

    assert response.status_code == 200
    forms = response.context["formset"].forms
    by_sentence = {form.initial["text"]: form.initial for form in forms}
    ishiba = ticad_actors["Shigeru Ishiba"]
    assert by_sentence[ISHIBA_SENTENCE]["actor"] == "Shigeru Ishiba"
    assert by_sentence[ISHIBA_SENTENCE]["actor_id"] == ishiba.pk
    assert by_sentence[ISHIBA_SENTENCE]["kind"] == Commitment.Kind.REVIEW
    assert by_sentence[BOND_SENTENCE]["actor_id"] == ticad_actors["Government of Kenya"].pk
    assert by_sentence[BOND_SENTENCE]["kind"] == Commitment.Kind.INTENT
    assert by_sentence[URGED_SENTENCE]["actor_id"] == ticad_actors["William Ruto"].pk
    assert by_sentence[URGED_SENTENCE]["kind"] == Commitment.Kind.REQUEST

    values, _ = drafts_form(response)
    index = draft_index(response, ISHIBA_SENTENCE)
    # What the page shows and will post back for that draft.
    assert values[f"form-{index}-actor"] == "Shigeru Ishiba"
    assert values[f"form-{index}-actor_id"] == str(ishiba.pk)
    assert values[f"form-{index}-kind"] == "review"
    assert values[f"form-{index}-selected"] == "on"
    assert values[f"form-{index}-title"].startswith("Study Kenya")
    # The article's source travels with the drafts as hidden fields.
    assert (values["source_url"], values["event"], values["article_date"]) == (
        SOURCE_URL,
        str(ticad9.pk),
        "2025-08-20",
    )
    html = body(response)
    assert "promised to study" in html  # the cue
    assert "TICAD 9" in html
    assert f"{len(forms)} possible pledges found" in html


def test_confident_drafts_are_ticked_and_doubtful_ones_are_not(analyst_client):
    response = find(analyst_client, f"{ROAD_PLEDGE} {OLD_PROMISE}", article_date="2025-08-20")

    values, checkboxes = drafts_form(response)
    pledge, fact = draft_index(response, ROAD_PLEDGE), draft_index(response, OLD_PROMISE)
    assert f"form-{pledge}-selected" in checkboxes and f"form-{fact}-selected" in checkboxes
    assert values.get(f"form-{pledge}-selected") == "on"
    assert f"form-{fact}-selected" not in values
    html = body(response)
    confidences = re.findall(r'<dd class="draft-confidence">(.*?)</dd>', html)
    assert float(confidences[pledge]) >= 0.5
    assert float(confidences[fact]) < 0.5
    # A relative deadline counts from the article date.
    assert values[f"form-{pledge}-due"] == "2028-08-20"


AMOUNT_PLEDGE = "Japan pledged $5.5 billion for African health systems over three years."


def test_the_amount_read_fills_the_pledged_amount_and_the_pledge_gets_it(analyst_client):
    values, _ = drafts_form(find(analyst_client, AMOUNT_PLEDGE))
    assert (values["form-0-pledged_amount"], values["form-0-pledged_currency"]) == ("5500000000.00", "USD")

    response = create(analyst_client, values, **{"form-0-selected": "on", "form-0-actor": "Japan"})

    assert response.status_code == 302
    pledge = Commitment.objects.get()
    assert (pledge.pledged_amount, pledge.pledged_currency) == (Decimal("5500000000.00"), "USD")


def test_the_analyst_corrects_or_clears_the_amount(analyst_client):
    values, _ = drafts_form(find(analyst_client, AMOUNT_PLEDGE))

    create(
        analyst_client,
        values,
        **{
            "form-0-selected": "on",
            "form-0-actor": "Japan",
            "form-0-pledged_amount": "",
            "form-0-pledged_currency": "",
        },
    )

    assert Commitment.objects.get().pledged_amount is None


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"form-0-pledged_currency": "XYZ"}, "pledged_currency", "not an ISO 4217 currency code"),
        ({"form-0-pledged_currency": ""}, "pledged_currency", "A pledged amount needs its currency"),
        ({"form-0-pledged_amount": "", "form-0-pledged_currency": "EUR"}, "pledged_amount", "needs its currency"),
        ({"form-0-pledged_amount": "-3"}, "pledged_amount", "greater than or equal to 0.01"),
        ({"form-0-pledged_amount": "lots"}, "pledged_amount", "Enter a number."),
    ],
)
def test_a_bad_amount_is_an_error_next_to_it_and_nothing_is_created(analyst_client, changes, field, message):
    values, _ = drafts_form(find(analyst_client, AMOUNT_PLEDGE))

    response = create(analyst_client, values, **{"form-0-selected": "on", "form-0-actor": "Japan", **changes})

    assert response.status_code == 400
    assert message in field_errors(body(response), f"id_form-0-{field}")
    assert not Commitment.objects.exists()


def test_only_the_first_drafts_are_shown_when_there_are_very_many(analyst_client):
    count = MAX_DRAFTS_SHOWN + 5
    text = " ".join(f"Kenya will build road number {n} across the country." for n in range(1, count + 1))

    response = find(analyst_client, text)

    assert response.status_code == 200
    assert len(response.context["formset"].forms) == MAX_DRAFTS_SHOWN
    assert f"{count} possible pledges found; the first {MAX_DRAFTS_SHOWN} are shown" in body(response)
    values, _ = drafts_form(response)
    # The full page stays under Django's limit on posted fields, or it could not be submitted at all.
    assert len(values) + 2 < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS

    created = create(analyst_client, values)

    assert created.status_code == 302
    assert Commitment.objects.count() == MAX_DRAFTS_SHOWN


# ------------------------------------------------------------ create selected


def test_create_selected_creates_exactly_the_ticked_drafts(analyst_client, analyst, ticad_actors, ticad9):
    found = find(
        analyst_client, TICAD_TEXT, source_url=SOURCE_URL, event=ticad9.pk, article_date=TICAD_DATE.isoformat()
    )
    values, _ = drafts_form(found)
    urged = draft_index(found, URGED_SENTENCE)
    ticked = [
        form.initial["text"]
        for index, form in enumerate(found.context["formset"].forms)
        if values.get(f"form-{index}-selected") and index != urged
    ]
    assert len(ticked) >= 5

    response = create(analyst_client, values, **{f"form-{urged}-selected": None})

    assert response.status_code == 302
    assert response.url == reverse("tracker:board")
    pledges = Commitment.objects.order_by("pk")
    assert [pledge.quote for pledge in pledges] == ticked
    for pledge in pledges:
        assert pledge.status == Status.ANNOUNCED
        assert pledge.owner == analyst
        assert pledge.source_url == SOURCE_URL
        assert pledge.event == ticad9
        assert pledge.made_on == TICAD_DATE
    ishiba_pledge = pledges.get(quote=ISHIBA_SENTENCE)
    assert ishiba_pledge.made_by == ticad_actors["Shigeru Ishiba"]
    assert ishiba_pledge.kind == Commitment.Kind.REVIEW
    bond = pledges.get(quote=BOND_SENTENCE)
    assert bond.made_by == ticad_actors["Government of Kenya"]
    assert list(bond.counterparts.all()) == [ticad_actors["Government of Japan"]]
    assert Actor.objects.count() == len(TICAD_ACTORS)  # every maker was a known actor

    board = analyst_client.get(response.url)
    (message,) = messages_of(board)
    assert message.startswith(f"Created {len(ticked)} pledges: ")
    for pledge in pledges:
        assert f'<a href="{pledge.get_absolute_url()}">' in body(board)


def test_the_same_drafts_sent_again_are_skipped_as_duplicates(analyst_client, ticad_actors):
    found = find(analyst_client, TICAD_TEXT, article_date=TICAD_DATE.isoformat())
    values, _ = drafts_form(found)
    first = create(analyst_client, values)
    assert messages_of(analyst_client.get(first.url))[0].startswith("Created ")
    count = Commitment.objects.count()
    assert count >= 6

    again = create(analyst_client, values)

    assert Commitment.objects.count() == count
    assert again.url == extract_url()
    page = analyst_client.get(again.url)
    (message,) = messages_of(page)
    assert message.startswith(f"Skipped {count} drafts:")
    ishiba_pledge = Commitment.objects.get(quote=ISHIBA_SENTENCE)
    assert escape(f"Already recorded as “{ishiba_pledge.title}” (#{ishiba_pledge.pk}).") in message


def test_some_created_and_some_skipped_are_both_reported(analyst_client, ticad_actors):
    existing = CommitmentFactory(title="Ishiba's review", quote=ISHIBA_SENTENCE)
    found = find(analyst_client, TICAD_TEXT)
    values, _ = drafts_form(found)

    response = create(analyst_client, values)

    created, skipped = messages_of(analyst_client.get(response.url))
    assert created.startswith("Created ")
    assert skipped.startswith("Skipped 1 draft:")
    assert f"Already recorded as “Ishiba&#x27;s review” (#{existing.pk})" in skipped
    assert Commitment.objects.filter(quote=ISHIBA_SENTENCE).count() == 1


def test_edited_title_kind_due_date_and_actor_are_used(analyst_client, ticad_actors):
    found = find(analyst_client, TICAD_TEXT, article_date=TICAD_DATE.isoformat())
    values, checkboxes = drafts_form(found)
    ishiba, bond = draft_index(found, ISHIBA_SENTENCE), draft_index(found, BOND_SENTENCE)
    only_two = dict.fromkeys(checkboxes) | {f"form-{ishiba}-selected": "on", f"form-{bond}-selected": "on"}

    create(
        analyst_client,
        values,
        **only_two,
        **{
            f"form-{ishiba}-title": "Review tariffs on Kenyan avocados and tea",
            f"form-{ishiba}-kind": "promise",
            f"form-{ishiba}-due": "2026-03-31",
            f"form-{bond}-actor": "National Treasury of Kenya",
        },
    )

    assert Commitment.objects.count() == 2
    review = Commitment.objects.get(quote=ISHIBA_SENTENCE)
    assert (review.title, review.kind, review.due_on) == (
        "Review tariffs on Kenyan avocados and tea",
        Commitment.Kind.PROMISE,
        date(2026, 3, 31),
    )
    assert review.made_by == ticad_actors["Shigeru Ishiba"]
    # A name changed by hand no longer stands for the matched actor: it names a new one.
    bond_pledge = Commitment.objects.get(quote=BOND_SENTENCE)
    assert bond_pledge.made_by.name == "National Treasury of Kenya"
    assert bond_pledge.made_by != ticad_actors["Government of Kenya"]


def test_an_actor_typed_for_an_unmatched_draft_is_created(analyst_client):
    found = find(analyst_client, ROAD_PLEDGE)
    values, _ = drafts_form(found)
    assert values["form-0-actor_id"] == ""

    create(analyst_client, values, **{"form-0-actor": "Kenya National Highways Authority"})

    pledge = Commitment.objects.get()
    assert pledge.made_by.name == "Kenya National Highways Authority"
    assert pledge.made_on == timezone.localdate()  # no article date: today


def test_a_bad_due_date_is_an_error_next_to_it_and_nothing_is_created(analyst_client, ticad_actors):
    found = find(analyst_client, TICAD_TEXT)
    values, _ = drafts_form(found)
    bond = draft_index(found, BOND_SENTENCE)

    response = create(analyst_client, values, **{f"form-{bond}-due": "2026-02-30"})

    assert response.status_code == 400
    html = body(response)
    assert "Enter a valid date." in field_errors(html, f"id_form-{bond}-due")
    assert not Commitment.objects.exists()
    # The drafts are still there to correct, with the analyst's input kept.
    again, _ = drafts_form(response, status=400)
    assert again[f"form-{bond}-due"] == "2026-02-30"
    assert again[f"form-{bond}-text"] == BOND_SENTENCE


def test_a_ticked_draft_needs_a_title_and_an_actor(analyst_client):
    values, _ = drafts_form(find(analyst_client, ROAD_PLEDGE))

    response = create(analyst_client, values, **{"form-0-title": " ", "form-0-actor": ""})

    assert response.status_code == 400
    assert "Give the pledge a title" in field_errors(body(response), "id_form-0-title")
    assert "Name who made the pledge" in field_errors(body(response), "id_form-0-actor")
    assert not Commitment.objects.exists()


def test_selecting_nothing_creates_nothing_and_says_so(analyst_client, ticad_actors):
    values, checkboxes = drafts_form(find(analyst_client, TICAD_TEXT))

    response = create(analyst_client, values, **dict.fromkeys(checkboxes))

    assert response.status_code == 400
    assert "Select at least one draft" in body(response)
    assert not Commitment.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"form-TOTAL_FORMS": None, "form-INITIAL_FORMS": None},
        {"form-TOTAL_FORMS": str(MAX_DRAFTS_SHOWN + 1)},
        {"form-0-text": ""},
        {"form-0-actor_id": "abc"},
        {"form-0-kind": "threat"},
        {"form-0-confidence": "7"},
        {"source_url": "javascript:alert(1)"},
        {"event": "999999"},
    ],
    ids=[
        "no management form",
        "too many forms",
        "no sentence",
        "bad actor id",
        "bad kind",
        "bad confidence",
        "bad source",
        "unknown event",
    ],
)
def test_a_tampered_drafts_form_is_refused_without_creating_anything(analyst_client, changes):
    values, _ = drafts_form(find(analyst_client, ROAD_PLEDGE))

    response = create(analyst_client, values, **changes)

    assert response.status_code == 400
    assert 'class="errorlist"' in body(response)
    assert not Commitment.objects.exists()


def test_an_actor_id_that_no_longer_exists_is_reported_as_skipped(analyst_client):
    actor = ActorFactory(name="Government of Kenya", aliases="Kenya")
    found = find(analyst_client, ROAD_PLEDGE)
    values, _ = drafts_form(found)
    actor_id = actor.pk
    assert values["form-0-actor_id"] == str(actor_id)
    actor.delete()

    response = create(analyst_client, values)

    (message,) = messages_of(analyst_client.get(response.url))
    assert "Skipped 1 draft" in message
    assert f"Actor #{actor_id} does not exist." in message
    assert not Commitment.objects.exists()


# ------------------------------------------------------------ escaping


def test_a_script_in_the_article_is_shown_as_text(analyst_client):
    text = f"Kenya will build a {SCRIPT} road within three years. Japan pledged to fund {SCRIPT} clinics."

    response = find(analyst_client, text)

    html = body(response)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    values, _ = drafts_form(response)
    assert SCRIPT in values["form-0-text"]  # the parser unescapes what the browser would post back

    created = create(analyst_client, values, **{"form-0-title": f"Road {SCRIPT}"})
    board = analyst_client.get(created.url)
    assert SCRIPT not in body(board)
    assert "Road &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body(board)
    assert Commitment.objects.filter(title=f"Road {SCRIPT}", quote__contains=SCRIPT).exists()


def test_a_script_in_text_that_finds_nothing_is_shown_as_text(analyst_client):
    response = find(analyst_client, f"{SCRIPT} qwzx plmn")

    assert "No pledges found" in body(response)
    assert SCRIPT not in body(response)
    assert "&lt;script&gt;" in body(response)


def test_the_page_has_no_inline_script_or_style(analyst_client, ticad_actors):
    for response in (analyst_client.get(extract_url()), find(analyst_client, TICAD_TEXT)):
        html = body(response)
        assert "<script" not in html
        assert "style=" not in html
        assert " onclick=" not in html
        assert "script-src 'self'" in response["Content-Security-Policy"]


# ------------------------------------------------------------ queries and the board


def test_finding_drafts_takes_the_same_queries_with_5_or_50_actors(analyst_client, analyst, ticad_actors):
    def queries_for_find():
        with CaptureQueriesContext(connection) as queries:
            response = find(analyst_client, TICAD_TEXT)
        assert response.status_code == 200
        assert response.context["formset"].forms
        return len(queries)

    with_five = queries_for_find()
    ActorFactory.create_batch(45)
    with_fifty = queries_for_find()

    assert Actor.objects.count() == 50
    assert with_five == with_fifty
    assert with_fifty <= 6


def test_created_pledges_appear_on_the_board(analyst_client, ticad_actors):
    found = find(analyst_client, TICAD_TEXT, article_date=TICAD_DATE.isoformat())
    values, _ = drafts_form(found)
    create(analyst_client, values, **{f"form-{draft_index(found, BOND_SENTENCE)}-title": "Samurai Bond statement"})

    board = analyst_client.get(reverse("tracker:board"))

    assert "Samurai Bond statement" in [pledge.title for pledge in board.context["page"].object_list]
    assert "Samurai Bond statement" in body(board)


def test_a_datelines_date_is_the_articles_date_and_never_the_deadline(analyst_client, ticad_actors):
    text = (
        "NAIROBI, 21 August 2025 - Prime Minister Shigeru Ishiba promised to review the restrictions on Kenyan "
        "avocados by March 2026."
    )

    found = find(analyst_client, text)

    values, _ = drafts_form(found)
    assert values["article_date"] == "2025-08-21"
    (draft,) = [form.initial for form in found.context["formset"].forms]
    assert not draft["text"].startswith("NAIROBI")
    assert str(draft["due"]) == "2026-03-31"
    create(analyst_client, values)
    assert Commitment.objects.get().made_on == date(2025, 8, 21)
