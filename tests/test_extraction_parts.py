"""Each part of the extraction package on its own: core, sentences, cues, dates, money, names and titles.

tests/test_extraction.py runs the engine end to end; these call each module's functions directly.
"""

import datetime
from types import SimpleNamespace

import pytest

from tracker.extraction.attribution import Attributor
from tracker.extraction.core import (
    MAX_TEXT_CHARS,
    TITLE_MAX_CHARS,
    Draft,
    ExtractionError,
    KnownActor,
    text_too_long,
)
from tracker.extraction.cues import (
    CONDITION_BEFORE,
    CUES,
    GENERIC_SUBJECT,
    HEDGE_BEFORE,
    NEGATION,
    NON_PLEDGE_AFTER_MODAL,
    PASSIVE_AFTER,
    PAST_AFTER,
    QUESTION_BEFORE,
    REPORTING_VERB,
)
from tracker.extraction.dates import resolve_due
from tracker.extraction.engine import _remember_pair
from tracker.extraction.money import find_amounts, local_currencies
from tracker.extraction.names import Context, _mentions_in, guess_actor_kind
from tracker.extraction.sentences import DATELINE_LINE, _looks_like_english, article_dateline_date, split_sentences
from tracker.extraction.titles import draft_title

ARTICLE_DAY = datetime.date(2025, 8, 20)


# core -----------------------------------------------------------------------------


def test_an_extraction_error_fills_in_its_params_with_thousands_separators():
    error = ExtractionError("The text is over %(limit)s characters.", limit=MAX_TEXT_CHARS)

    assert str(error) == "The text is over 200,000 characters."
    assert error.message == "The text is over %(limit)s characters."
    assert error.params == {"limit": 200_000}


def test_an_extraction_error_without_params_is_its_message():
    assert str(ExtractionError("The text is empty.")) == "The text is empty."


def test_text_is_too_long_only_past_the_limit():
    assert text_too_long("x" * MAX_TEXT_CHARS) is False
    assert text_too_long("x" * (MAX_TEXT_CHARS + 1)) is True


def test_a_known_actor_is_read_from_a_dict_an_object_or_itself():
    from_dict = KnownActor.from_any({"id": 3, "name": "Japan", "kind": "government", "aliases": "Tokyo\n \nNippon"})
    from_row = KnownActor.from_any(SimpleNamespace(pk=7, name="JICA", kind="organisation", alias_list=[" Jica "]))
    from_plain = KnownActor.from_any(SimpleNamespace(id=9, name="Ruto", aliases=["William Ruto", ""]))

    assert from_dict == KnownActor(3, "Japan", "government", ("Tokyo", "Nippon"))
    assert from_row == KnownActor(7, "JICA", "organisation", ("Jica",))
    assert from_plain == KnownActor(9, "Ruto", "", ("William Ruto",))
    assert KnownActor.from_any(from_dict) is from_dict


def test_a_draft_is_a_plain_dict():
    draft = Draft(text="Japan will fund it.", actor="Japan", due="2026-03-31", cue="will", confidence=0.7)

    assert draft.to_dict() == {
        "text": "Japan will fund it.",
        "actor": "Japan",
        "actor_id": None,
        "counterpart": "",
        "counterpart_id": None,
        "kind": "promise",
        "due": "2026-03-31",
        "amount": None,
        "cue": "will",
        "confidence": 0.7,
        "title": "",
    }


# sentences: splitting ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("Mr. Smith said Japan will help. He left.", ["Mr. Smith said Japan will help.", "He left."]),
        (
            "Mrs. Mori and Dr. Otieno met Gen. Ogolla. They agreed.",
            ["Mrs. Mori and Dr. Otieno met Gen. Ogolla.", "They agreed."],
        ),
        (
            "The U.S. Treasury will lend $5.5 billion. Officials agreed.",
            ["The U.S. Treasury will lend $5.5 billion.", "Officials agreed."],
        ),
        # An acronym with dots ends the sentence when a usual opening word follows it.
        ("Aid came from the U.S. The rest came later.", ["Aid came from the U.S.", "The rest came later."]),
        ("Talks begin Jan. 5 in Tokyo. They end Feb. 6.", ["Talks begin Jan. 5 in Tokyo.", "They end Feb. 6."]),
        ("Prices rose in Sept. Kenya reacted.", ["Prices rose in Sept.", "Kenya reacted."]),
        ("It is in Vol. 3 of the report. The end.", ["It is in Vol. 3 of the report.", "The end."]),
        ("Growth was 5.5 percent. Inflation fell.", ["Growth was 5.5 percent.", "Inflation fell."]),
        ("Is it? Yes! Fine.", ["Is it?", "Yes!", "Fine."]),
        ("He met Ms. Wanjiru. she agreed.", ["He met Ms. Wanjiru. she agreed."]),
        (
            '"We will build it. We will pay for it," the minister said. Then he left.',
            ['"We will build it. We will pay for it," the minister said.', "Then he left."],
        ),
        (
            "\u201cWe will build it. We will pay for it,\u201d Ruto said. He left.",
            ["\u201cWe will build it. We will pay for it,\u201d Ruto said.", "He left."],
        ),
        ("Japan will   fund\n the   railway.  Kenya agreed.", ["Japan will fund the railway.", "Kenya agreed."]),
        ("", []),
        ("   \n\n  ", []),
    ],
)
def test_split_sentences_keeps_abbreviations_decimals_and_quotations_whole(text, sentences):
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("Kenya will build roads\n\nJapan will pay.", ["Kenya will build roads", "Japan will pay."]),
        ("Kenya said so.\n\n\nJapan agreed.", ["Kenya said so.", "Japan agreed."]),
        # Even inside an open quotation.
        (
            '"We will build it. We will pay for it.\n\nThe road is long," he said.',
            ['"We will build it. We will pay for it.', 'The road is long," he said.'],
        ),
    ],
)
def test_split_sentences_always_breaks_at_a_paragraph(text, sentences):
    assert split_sentences(text) == sentences


# sentences: datelines ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, sentences",
    [
        (
            "NAIROBI, 21 August 2025 - Kenya will build a road. It will be long.",
            ["Kenya will build a road.", "It will be long."],
        ),
        ("TOKYO, Aug 20 (Kyodo) - Japan will lend.", ["Japan will lend."]),
        ("WASHINGTON (Reuters) - The US will pay.", ["The US will pay."]),
        ("NAIROBI, Kenya, Aug 19 (Reuters) - Kenya will build.", ["Kenya will build."]),
        ("Tokyo, 21 August 2025: Japan will lend.", ["Japan will lend."]),
        ("Headline here\nLONDON \u2014 Britain will act.", ["Headline here", "Britain will act."]),
        ("TBILISI, GEORGIA (3 May 2024) \u2014 Donors agreed.", ["Donors agreed."]),
        ("NEW YORK / BUENOS AIRES, March 11, 2026 \u2013 Mercado Libre will invest.", ["Mercado Libre will invest."]),
        (
            "Tokyo, Nairobi and Accra - the three capitals - agreed.",
            ["Tokyo, Nairobi and Accra - the three capitals - agreed."],
        ),
    ],
)
def test_split_sentences_drops_the_dateline(text, sentences):
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    "line, dateline",
    [
        ("Belém do Pará, Brazil, 8 August 2023", True),
        ("Vientiane, Lao PDR, 10 October 2024", True),
        ("Lusaka, 19 July 2024", True),
        ("Sundar Pichai, CEO of Google and Alphabet October 6, 2021", False),
        ("Kenya will pay, 5 May 2024", False),
    ],
)
def test_a_place_and_a_date_on_a_line_of_their_own_is_a_dateline(line, dateline):
    assert bool(DATELINE_LINE.fullmatch(line)) == dateline


@pytest.mark.parametrize(
    "text, date",
    [
        ("NAIROBI, 21 August 2025 - Kenya will build a road.", datetime.date(2025, 8, 21)),
        ("TOKYO, Aug 20 (Kyodo) - Japan will lend.", datetime.date(2025, 8, 20)),
        # Without a year: the last such day not after today.
        ("TOKYO, Aug 21 (Kyodo) - Japan will lend.", datetime.date(2024, 8, 21)),
        ("NAIROBI, Kenya, Aug 19 (Reuters) - Kenya will build.", datetime.date(2025, 8, 19)),
        ("Tokyo, 21 August 2025: Japan will lend.", datetime.date(2025, 8, 21)),
        ("Nairobi, Aug 19 - Kenya will lend.", datetime.date(2025, 8, 19)),
        ("LONDON, 2025-08-19 \u2014 Britain will act.", datetime.date(2025, 8, 19)),
        ("Headline\n\nPARIS, Monday, 18 August 2025 - France will act.", datetime.date(2025, 8, 18)),
        ("WASHINGTON (Reuters) - The US will pay.", None),
        ("PARIS, Monday - France will act.", None),
        ("LONDON, 2025-02-30 \u2014 Britain will act.", None),
        ("TOKYO, Feb 30 (Kyodo) - Japan will lend.", None),
        ("Japan will lend.", None),
        ("Tokyo, Nairobi and Accra - the three capitals - agreed.", None),
    ],
)
def test_article_dateline_date_reads_the_first_dated_dateline(text, date):
    assert article_dateline_date(text, today=ARTICLE_DAY) == date


def test_a_dateline_with_its_year_needs_no_today():
    assert article_dateline_date("NAIROBI, 21 August 2025 - Kenya will build.") == datetime.date(2025, 8, 21)


# sentences: the junk gate -------------------------------------------------------------

ENGLISH = (
    "The Japanese government announced on Tuesday a new programme of loans for African countries, with investment "
    "in ports, roads and power plants. The finance minister said that the funds would be paid over the next three "
    "years, according to a statement issued in Tokyo."
)
SPANISH = (
    "El gobierno de Kenia anunció el martes un nuevo programa de préstamos para los agricultores del país, con "
    "inversiones en carreteras, puertos y centrales eléctricas. El ministro de finanzas dijo que los fondos se "
    "entregarán durante los próximos tres años, según un comunicado publicado en Nairobi."
)
SWAHILI = (
    "Serikali ya Kenya imetangaza mpango mpya wa mikopo kwa wakulima wa nchi hii, pamoja na uwekezaji katika "
    "barabara, bandari na vituo vya umeme. Waziri wa fedha alisema kwamba fedha hizo zitatolewa katika kipindi cha "
    "miaka mitatu ijayo, kulingana na taarifa iliyotolewa jijini Nairobi leo asubuhi."
)


@pytest.mark.parametrize(
    "text, english",
    [
        (ENGLISH, True),
        (SPANISH, False),
        (SWAHILI, False),
        ("日本政府は新たな融資計画を発表した", False),
        ("", False),
        ("!!!! #### ----", False),
        ("12 34 56 78 %%%% ----", False),
        ("\x00\x01\x02\x03 Japan will", False),
        ("\xff\xfe\x00\x00\x01PK\x03\x04 binary", False),
        # Under thirty words is too short to judge, whatever the language.
        ("Japan will fund it.", True),
        ("Kenya wa fedha", True),
    ],
)
def test_looks_like_english_refuses_junk_and_other_languages(text, english):
    assert _looks_like_english(text) is english


# cues ---------------------------------------------------------------------------------


def cues_in(sentence):
    return [(match.group(), cue.kind) for cue in CUES for match in cue.pattern.finditer(sentence)]


@pytest.mark.parametrize(
    "sentence, found",
    [
        # Promises.
        ("Japan pledged $5 billion for roads.", [("pledged", "promise")]),
        ("Japan promised to build a port.", [("promised", "promise")]),
        ("Kenya vowed to cut emissions.", [("vowed", "promise")]),
        ("The bank committed $300 million to the project.", [("committed $", "promise")]),
        ("Japan has extended up to Sh10 billion in loans.", [("extended up to ", "promise")]),
        ("France made a commitment to fund schools.", [("a commitment to", "promise")]),
        ("The ministry plans to open ten clinics.", [("plans to", "promise")]),
        ("We are launching a fund.", [("launching a fund", "promise"), ("are launching", "promise")]),
        ("Japan will fund the railway.", [("will", "promise")]),
        ("Japan announced a fund.", [("announced", "promise")]),
        # Reviews.
        ("Japan is open to reviewing the tariff.", [("open to reviewing", "review")]),
        ("The government will review the rules.", [("will review", "review"), ("will", "promise")]),
        ("The cabinet is considering the request.", [("is considering", "review")]),
        # Intents.
        ("Japan intends to invest in ports.", [("intends to", "intent")]),
        ("Toyota is in talks with Kenya.", [("in talks with", "intent")]),
        (
            "The firms signed a memorandum of understanding on hydrogen.",
            [("memorandum of understanding", "intent"), ("signed", "agreement")],
        ),
        # Agreements.
        ("The leaders agreed to expand trade.", [("agreed", "agreement")]),
        ("The parties concluded the trade negotiations.", [("concluded the trade negotiations", "agreement")]),
        ("The summit adopted the Yokohama Declaration.", [("adopted the Yokohama Declaration", "agreement")]),
        # Targets.
        ("Kenya aims to connect every household.", [("aims to", "target")]),
        ("The bloc set a new target for renewables.", [("set a new target", "target")]),
        ("The fund seeks to mobilise $5 billion.", [("seeks to mobilise", "target"), ("seeks to", "promise")]),
        # Requests.
        ("Ruto urged Japan to invest.", [("urged", "request")]),
        ("Kenya called on donors to help.", [("called on", "request")]),
        ("Kenya asked Japan to fund the railway.", [("asked Japan to ", "request")]),
        ("Ruto appealed for calm.", [("appealed for", "request")]),
        ("Now we are appealing, together, to every country.", [("appealing, together, to", "request")]),
        ("It encourages developing countries to contribute.", [("encourages developing countries to ", "request")]),
        # Budgets, communiques and pledging conferences.
        ("I propose to provide Rs 1,000 crore for tea workers.", [("I propose", "promise")]),
        ("The two sides decided to elevate relations.", [("decided to", "promise")]),
        ("We are allocating Rs 35,219 crore.", [("allocating ", "promise"), ("are allocating", "promise")]),
        ("The leaders put forward US$1 billion for adaptation.", [("put forward ", "promise")]),
        (
            "Germany matched the Emirati contribution with $100 million.",
            [("matched the Emirati contribution with ", "promise")],
        ),
        ("Japan committed at least €225 million.", [("committed at least €", "promise")]),
        ("India has extended a new Line of Credit of INR 487 crore.", [("extended a new Line of Credit", "promise")]),
        (
            "Nearly 200 countries approved the new climate finance goal.",
            [("approved the new climate finance goal", "agreement")],
        ),
        ("Our aim is 15 gigawatts of clean power by 2030.", [("aim is ", "target")]),
        ("We task our Finance Ministers to continue their work.", [("task our Finance Ministers to ", "request")]),
        ("Summit directed the Secretariat to continue mobilising.", [("directed the Secretariat to ", "request")]),
        (
            "EAGL has entered into a Share Purchase Agreement.",
            [("entered into a Share Purchase Agreement", "agreement")],
        ),
        (
            "The Summit launched the SADC Regional Humanitarian Appeal.",
            [("launched the SADC Regional Humanitarian Appeal", "promise")],
        ),
        ("France's own commitment is 110 million euros.", [("commitment is ", "promise")]),
        ("The government wants to more than quadruple output.", [("wants to more than quadruple", "target")]),
        ("We are investing $2.92 billion in schools.", [("are investing", "promise")]),
        (
            "Our goal for IFAD13 is to mobilize $2 billion.",
            [("goal for IFAD13 is to", "target"), ("is to mobilize", "promise")],
        ),
        (
            "He invites General Secretary Nguyen Phu Trong and President Vo Van Thuong to visit China.",
            [("invites General Secretary Nguyen Phu Trong and President Vo Van Thuong to", "request")],
        ),
        ("So I'm asking every business leader in this room: go and see.", [("I'm asking", "request")]),
        ("We are now talking with the government about the zones.", [("are now talking with", "intent")]),
        (
            "Our commitment is to reduce emissions by 30%.",
            [("commitment is to", "promise"), ("is to reduce", "promise")],
        ),
        ("The EU is to provide the army with equipment.", [("is to provide", "promise")]),
        ("Our job is to close it.", []),
        ("Education is allocated SAR 201 billion.", [("is allocated", "promise"), ("allocated ", "promise")]),
        ("Agriculture gets K9.3 billion for inputs.", [("gets ", "promise")]),
        (
            "The EU reiterated its continued support for their accession.",
            [("reiterated its continued support for", "promise")],
        ),
        ("Donors are encouraged to do so in the coming months.", [("encouraged to ", "request")]),
        ("We welcomed the intention of the EIB to open an office.", [("intention of the EIB to", "intent")]),
        ("Heads reaffirmed their ambition to raise trade to USD 2 trillion.", [("their ambition to", "target")]),
        ("Our strategy commits the bank to direct 40 percent to climate.", [("commits the bank to", "promise")]),
        (
            "The declaration establishes an Indo-German partnership.",
            [("establishes an Indo-German partnership", "promise")],
        ),
        ("The Authority extends the mandate of the facilitators.", [("extends the mandate", "agreement")]),
        ("This Budget provides a $16.68 billion boost for health.", [("Budget provides a ", "promise")]),
        ("We are building two big projects.", [("We are building", "promise")]),
        ("We welcome the offer of Brazil to host the centre.", [("offer of Brazil to", "promise")]),
        (
            "The Authority decides that the six months shall be a transition.",
            [("decides that", "promise"), ("shall", "promise")],
        ),
        (
            "Senegal commits, with the support of its partners, to design a strategy.",
            [("commits, with the support of its partners, to", "promise")],
        ),
        # A chapeau, and someone else's plans as a noun, are no pledges.
        ("The leaders have agreed on the following:", []),
        ("Washington welcomed the plans to strengthen the bank.", []),
        # An opinion agreed is no agreement.
        ("The Prime Ministers agreed that trade is a pillar of the relationship.", []),
        # No commitment language.
        ("The road is long.", []),
    ],
)
def test_each_wording_matches_the_cues_of_its_kind(sentence, found):
    assert cues_in(sentence) == found


def test_would_is_a_weak_modal_cue_for_reported_speech_only():
    [would] = [cue for cue in CUES if cue.pattern.fullmatch("would")]
    [will] = [cue for cue in CUES if cue.pattern.fullmatch("will")]

    assert (would.kind, would.weak, would.reported, would.modal) == ("promise", True, True, True)
    assert (will.kind, will.weak, will.reported, will.modal) == ("promise", False, False, True)


def matched(pattern, text):
    match = pattern.search(text)
    return match.group() if match else None


@pytest.mark.parametrize(
    "before_cue, found",
    [
        ("Asked whether Japan was ", "whether Japan was "),
        ("It is unclear if Kenya ", "unclear if Kenya "),
        # The question ends at a comma: what follows is the answer.
        ("Asked whether Japan, the donor ", None),
        ("Japan said it ", None),
    ],
)
def test_question_before_a_cue(before_cue, found):
    assert matched(QUESTION_BEFORE, before_cue) == found


@pytest.mark.parametrize(
    "before_cue, found",
    [
        ("If Kenya ", "If Kenya "),
        ("Unless Kenya ", "Unless Kenya "),
        ("If Kenya agrees to reforms, Japan ", None),
        ("Japan ", None),
    ],
)
def test_condition_before_a_cue(before_cue, found):
    assert matched(CONDITION_BEFORE, before_cue) == found


@pytest.mark.parametrize(
    "before_cue, found",
    [
        ("Kenya hoped to ", "hoped to "),
        ("Japan is expected to ", "expected to "),
        ("Kenya is likely to ", "is likely to "),
        ("Japan may ", "may "),
        ("Japan would like to ", "would like to "),
        ("Japan ", None),
    ],
)
def test_hedge_before_a_cue(before_cue, found):
    assert matched(HEDGE_BEFORE, before_cue) == found


@pytest.mark.parametrize(
    "before_cue, found",
    [
        ("Japan did not ", "not"),
        ("Japan refused to ", "refused to"),
        ("Kenya declined again to ", "declined again to"),
        ("Japan won't ", "n't"),
        ("Kenya has never ", "never"),
        ("Japan, without ", "without"),
        ("Japan noted ", None),
        ("Another ", None),
    ],
)
def test_negation_before_a_cue(before_cue, found):
    assert matched(NEGATION, before_cue) == found


@pytest.mark.parametrize(
    "pattern, after_cue, found",
    [
        (PASSIVE_AFTER, " by rich countries", " by"),
        (PASSIVE_AFTER, " to build roads", None),
        (PAST_AFTER, " in 2019 to the fund", " in 2019"),
        (PAST_AFTER, " last year", " last year"),
        (PAST_AFTER, " two years ago", " two years ago"),
        (PAST_AFTER, " to build roads", None),
        (NON_PLEDGE_AFTER_MODAL, " be expensive", " be"),
        (NON_PLEDGE_AFTER_MODAL, " also help farmers", " also help"),
        (NON_PLEDGE_AFTER_MODAL, " cost $5 billion", " cost"),
        (NON_PLEDGE_AFTER_MODAL, " fund the railway", None),
    ],
)
def test_words_after_a_cue_that_make_it_no_new_pledge(pattern, after_cue, found):
    match = pattern.match(after_cue)
    assert (match.group() if match else None) == found


@pytest.mark.parametrize(
    "sentence, subject",
    [
        ("French farmers staged protests.", "French farmers"),
        ("Kenyan officials said no.", "Kenyan officials"),
        ("Japan will fund it.", None),
    ],
)
def test_a_generic_plural_subject(sentence, subject):
    match = GENERIC_SUBJECT.match(sentence)
    assert (match.group("subject") if match else None) == subject


@pytest.mark.parametrize(
    "text, found",
    [("Japan said", "said"), ("according to officials", "according to"), ("Japan saidx", None)],
)
def test_reporting_verbs(text, found):
    assert matched(REPORTING_VERB, text) == found


# dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, due",
    [
        ("Kenya will finish the road by March 2026.", "2026-03-31"),
        ("Japan will pay by the end of 2027.", "2027-12-31"),
        ("Japan will pay by the end of the year.", "2025-12-31"),
        ("Japan will pay by the end of next year.", "2026-12-31"),
        ("Japan will pay within three years.", "2028-08-20"),
        ("Japan will pay within 18 months.", "2027-02-20"),
        ("Japan will pay in six weeks.", "2025-10-01"),
        ("Japan will pay in 10 days.", "2025-08-30"),
        ("Japan will pay over ten years.", "2035-08-20"),
        ("Japan will pay in the third quarter of next year.", "2026-09-30"),
        ("Japan will pay in the third quarter of 2026.", "2026-09-30"),
        ("Japan will pay by next month.", "2025-09-30"),
        ("Japan will pay next year.", "2026-12-31"),
        ("Japan will pay later this year.", "2025-12-31"),
        ("Japan will pay by mid-2026.", "2026-06-30"),
        ("Japan will pay by 2030.", "2030-12-31"),
        ("Japan will pay by June 30, 2026.", "2026-06-30"),
        ("Japan will pay by 20 August.", "2025-08-20"),
        # A range: its later end; a fiscal year: its last day as India ("-") or Kenya ("/") writes it.
        ("Japan will add 9,000 more over the next three to four years.", "2029-08-20"),
        ("India will spend Rs 35,219 crore up to 2025-26.", "2026-03-31"),
        ("Kenya will cut the deficit by 2026/27.", "2027-06-30"),
        ("Japan will pay within the next year.", "2026-08-20"),
        ("Japan will pay before 2040.", "2039-12-31"),
        ("Japan will pay during 2026.", "2026-12-31"),
        ("Japan will hire 1,900 people over the course of the year.", "2025-12-31"),
        ("Japan will pay by the middle of next year.", "2026-06-30"),
        ("Japan will pay by the end of the decade.", "2030-12-31"),
        ("Japan will select 1,000 people every year for ten years.", "2035-08-20"),
        # The first deadline in the sentence wins.
        ("Japan will pay by 2030 and Kenya by March 2026.", "2030-12-31"),
        ("The scheme runs from March 2026 until June 2027.", "2027-06-30"),
        # Halves, seasons and spans of years: the last day they cover.
        ("Production will begin in the second half of 2026.", "2026-12-31"),
        ("Japan will pay in the first half of next year.", "2026-06-30"),
        ("Both plants will start production by early 2027.", "2027-03-31"),
        ("Deliveries are set to start from late 2026.", "2026-12-31"),
        ("Flights will begin by the end of calendar 2026.", "2026-12-31"),
        ("Stellantis will invest R$30 billion in Brazil between 2026 and 2030.", "2030-12-31"),
        ("The money will fund programmes from 2026 to 2028.", "2028-12-31"),
        ("We adopt the Joint Action Plan 2026-2030.", "2030-12-31"),
        ("It sets aside $250 million for a start-up phase covering 2026 and 2027.", "2027-12-31"),
    ],
)
def test_resolve_due_counts_from_the_article_date(sentence, due):
    assert resolve_due(sentence, ARTICLE_DAY) == due


@pytest.mark.parametrize(
    "sentence, due",
    [
        ("Japan will pay by March.", "2026-03-31"),
        ("Japan will pay by June 30.", "2026-06-30"),
        ("Japan will pay by 19 August.", "2026-08-19"),
        ("Japan will pay by the end of June.", "2026-06-30"),
    ],
)
def test_a_month_already_past_this_year_is_next_years(sentence, due):
    assert resolve_due(sentence, ARTICLE_DAY) == due


@pytest.mark.parametrize(
    "sentence",
    [
        "The road is long.",
        "Japan paid by March 2024.",
        "The scheme runs from 2027.",
        "It may help by may.",
        "Exports doubled between 2019 and 2024.",
        "The plan for 2020-2024 was met.",
    ],
)
def test_no_deadline_or_a_past_one_is_none(sentence):
    assert resolve_due(sentence, ARTICLE_DAY) is None


@pytest.mark.parametrize(
    "sentence, article_date, due",
    [
        ("within three months", datetime.date(2025, 11, 30), "2026-02-28"),
        ("within one year", datetime.date(2024, 2, 29), "2025-02-28"),
        ("by next month", datetime.date(2025, 12, 5), "2026-01-31"),
    ],
)
def test_relative_deadlines_cross_year_and_month_ends(sentence, article_date, due):
    assert resolve_due(sentence, article_date) == due


# money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, amounts",
    [
        ("$5.5 billion", [(0, {"text": "$5.5 billion", "value": 5_500_000_000, "currency": "USD"})]),
        ("US$1.2bn", [(0, {"text": "US$1.2bn", "value": 1_200_000_000, "currency": "USD"})]),
        ("€80-billion ($92 billion)", [(0, {"text": "€80-billion", "value": 80_000_000_000, "currency": "EUR"})]),
        (
            "200 billion yuan (US$28 billion)",
            [(0, {"text": "200 billion yuan", "value": 200_000_000_000, "currency": "CNY"})],
        ),
        (
            "200 billion yuan (about US$28 billion)",
            [(0, {"text": "200 billion yuan", "value": 200_000_000_000, "currency": "CNY"})],
        ),
        ("Sh12.5 billion", [(0, {"text": "Sh12.5 billion", "value": 12_500_000_000, "currency": "KES"})]),
        ("KSh 3bn", [(0, {"text": "KSh 3bn", "value": 3_000_000_000, "currency": "KES"})]),
        ("Kshs 10 million", [(0, {"text": "Kshs 10 million", "value": 10_000_000, "currency": "KES"})]),
        ("Rs 5,000 crore", [(0, {"text": "Rs 5,000 crore", "value": 50_000_000_000, "currency": "INR"})]),
        ("30 lakh rupees", [(0, {"text": "30 lakh rupees", "value": 3_000_000, "currency": "INR"})]),
        ("£1.2bn", [(0, {"text": "£1.2bn", "value": 1_200_000_000, "currency": "GBP"})]),
        ("2 trillion yen", [(0, {"text": "2 trillion yen", "value": 2_000_000_000_000, "currency": "JPY"})]),
        ("¥300 million", [(0, {"text": "¥300 million", "value": 300_000_000, "currency": "JPY"})]),
        ("C$2 billion", [(0, {"text": "C$2 billion", "value": 2_000_000_000, "currency": "CAD"})]),
        ("R500 million", [(0, {"text": "R500 million", "value": 500_000_000, "currency": "ZAR"})]),
        ("₦1 trillion", [(0, {"text": "₦1 trillion", "value": 1_000_000_000_000, "currency": "NGN"})]),
        ("50 million euros", [(0, {"text": "50 million euros", "value": 50_000_000, "currency": "EUR"})]),
        ("$5m", [(0, {"text": "$5m", "value": 5_000_000, "currency": "USD"})]),
        ("$1,250.50", [(0, {"text": "$1,250.50", "value": 1250.5, "currency": "USD"})]),
        ("($5 billion)", [(1, {"text": "$5 billion", "value": 5_000_000_000, "currency": "USD"})]),
        (
            "$5.5 billion and €2bn",
            [
                (0, {"text": "$5.5 billion", "value": 5_500_000_000, "currency": "USD"}),
                (17, {"text": "€2bn", "value": 2_000_000_000, "currency": "EUR"}),
            ],
        ),
        ("Rs 5.54 lakh crore", [(0, {"text": "Rs 5.54 lakh crore", "value": 5_540_000_000_000, "currency": "INR"})]),
        ("SR24 billion", [(0, {"text": "SR24 billion", "value": 24_000_000_000, "currency": "SAR"})]),
        ("Shs5 billion", [(0, {"text": "Shs5 billion", "value": 5_000_000_000, "currency": "KES"})]),
        ("SDR 407.1 million", [(0, {"text": "SDR 407.1 million", "value": 407_100_000, "currency": "XDR"})]),
        ("two billion euros", [(0, {"text": "two billion euros", "value": 2_000_000_000, "currency": "EUR"})]),
        ("SEK 8 billion", [(0, {"text": "SEK 8 billion", "value": 8_000_000_000, "currency": "SEK"})]),
        ("CAD 300 million", [(0, {"text": "CAD 300 million", "value": 300_000_000, "currency": "CAD"})]),
        ("1 billion pula ($75 million)", [(0, {"text": "1 billion pula", "value": 1_000_000_000, "currency": "BWP"})]),
        ("500 million cedis", [(0, {"text": "500 million cedis", "value": 500_000_000, "currency": "GHS"})]),
        ("RM421 billion", [(0, {"text": "RM421 billion", "value": 421_000_000_000, "currency": "MYR"})]),
        ("EGP 180 billion", [(0, {"text": "EGP 180 billion", "value": 180_000_000_000, "currency": "EGP"})]),
        ("LE 6,000 a month", [(0, {"text": "LE 6,000", "value": 6_000, "currency": "EGP"})]),
        ("ten thousand pesos", [(0, {"text": "ten thousand pesos", "value": 10_000, "currency": "MXN"})]),
        ("the LE MANS race", []),
        ("4G coverage", []),
        ("3 percent", []),
    ],
)
def test_find_amounts_reads_value_and_currency(sentence, amounts):
    assert find_amounts(sentence) == amounts


@pytest.mark.parametrize(
    ("text", "currencies"),
    [
        ("New Zealanders want lower taxes. New Zealand's budget gives $2.9 billion to schools.", {"USD": "NZD"}),
        ("Australia and the United States met; the United States and Washington pledged $5bn.", {}),
        ("OCP will invest 130 billion dirhams in Morocco. Morocco will host it.", {"AED": "MAD"}),
        ("Uganda's budget gives Shs1.059 trillion to parishes, Uganda's minister said.", {"KES": "UGX"}),
        ("Philippine teachers will get ten thousand pesos, the Filipino president said.", {"MXN": "PHP"}),
        ("Kenya and Uganda agreed; Kenya will lend Sh12.5 billion, Kenya's Treasury said.", {}),
    ],
)
def test_a_bare_dollar_is_the_currency_of_the_country_the_text_is_about(text, currencies):
    assert local_currencies(text) == currencies
    if currencies:
        (amount,) = [amount for _, amount in find_amounts(text, local_currencies(text))]
        assert amount["currency"] == next(iter(currencies.values()))


def test_an_amount_value_is_an_int_when_whole():
    [(_, amount)] = find_amounts("US$1.2bn")
    assert type(amount["value"]) is int


# names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, kind",
    [
        ("William Ruto", "person"),
        ("Ursula von der Leyen", "person"),
        ("Dr. Jane Goodall", "person"),
        ("Government of Kenya", "government"),
        ("Kenya", "government"),
        ("United States", "government"),
        ("U.S.", "government"),
        ("Nairobi", "government"),
        ("Toyota Motor Corporation", "company"),
        ("Sumitomo Corp.", "company"),
        ("Toyota Tsusho", "company"),
        ("NATO", "organisation"),
        ("IMF", "organisation"),
        ("United Nations", "organisation"),
        ("European Union", "organisation"),
        ("Mitsubishi", "organisation"),
    ],
)
def test_guess_actor_kind_from_the_name_alone(name, kind):
    assert guess_actor_kind(name) == kind


# titles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, cue, title",
    [
        (
            "Japan promised to study the tariff on Kenyan flowers, the minister said.",
            "promised to study",
            "Study the tariff on Kenyan flowers",
        ),
        ("Japan will fund the Mombasa port expansion on Monday.", "will", "Fund the Mombasa port expansion"),
        (
            "The two countries signed a statement of intent on green hydrogen.",
            "signed a statement of intent",
            "Statement of intent on green hydrogen",
        ),
        (
            "Kenya pledged $5 billion for rural roads, according to officials.",
            "pledged",
            "$5 billion for rural roads",
        ),
        (
            "Kenya aims to connect every household to power by 2030.",
            "aims to",
            "Connect every household to power by 2030",
        ),
        ('"We will build the road to Mombasa," Ruto said.', "will", "Build the road to Mombasa"),
        ("Japan will fund the railway to Kisumu, which links the lake.", "will", "Fund the railway to Kisumu"),
        ("Japan will fund the railway to Kisumu said Ruto.", "will", "Fund the railway to Kisumu"),
        # A cue not in the sentence, or none: the sentence, tidied.
        ("Japan will fund it.", "missing", "Japan will fund it"),
        ("  japan   will fund   the railway  ", "", "Japan will fund the railway"),
    ],
)
def test_draft_title_is_the_action_after_the_cue(sentence, cue, title):
    assert draft_title(sentence, cue) == title


def test_a_title_of_exactly_the_limit_is_kept_whole_and_one_more_is_cut():
    action = "fund" + " roads" * 16
    assert len(action) == TITLE_MAX_CHARS

    assert draft_title(f"Japan will {action}.", "will") == "Fund" + " roads" * 16
    assert draft_title(f"Japan will {action}s.", "will") == "Fund" + " roads" * 15 + "…"


def test_a_longer_title_is_cut_at_a_word_within_the_limit_with_an_ellipsis():
    sentence = (
        "Japan will build the road to the port of Mombasa and the railway to Kisumu and the bridge over the river "
        "Tana and more."
    )

    title = draft_title(sentence, "will")

    assert title == (
        "Build the road to the port of Mombasa and the railway to Kisumu and the bridge over the river Tana…"
    )
    assert len(title) <= TITLE_MAX_CHARS + 1


# attribution ---------------------------------------------------------------------------------------------------


def _attributor(*sentences):
    context = Context(known=[])
    for sentence in sentences:
        local = _mentions_in(sentence, context)
        _remember_pair(sentence, local, context)
        for mention in local:
            context.remember(mention)
    return Attributor(context)


@pytest.mark.parametrize(
    ("before", "phrase", "name"),
    [
        ("Kenya's President William Ruto spoke in Nairobi.", "he", "William Ruto"),
        ("Kenya's President William Ruto spoke in Nairobi.", "the President", "William Ruto"),
        ("Kenya's President William Ruto spoke in Nairobi.", "Ruto", "William Ruto"),
        ("Chinese Premier Li Qiang met African leaders.", "Li", "Li Qiang"),
        ("Kenya and Japan signed a deal.", "both sides", "Kenya"),
        ("Joe Biden and Hakainde Hichilema met in Luanda.", "The two presidents", "Joe Biden"),
        ("Toyota Tsusho opened an office in Nairobi.", "the company", "Toyota Tsusho"),
        ("Senegal and the International Partners Group met.", "the partners", "International Partners Group"),
        ("Tullow Oil Company met Uganda and Tanzania.", "all partners", "Tullow Oil Company"),
        ("China and Kenya issued a joint statement.", "the two sides", "China"),
        ("The communique was issued in Nairobi.", "The Chinese side", "China"),
        ("Speech by President Xi Jinping.", "the Chinese government", "China"),
        ("The donors met in Paris.", "the donors", "the donors"),
        # "Both sides" of a joint statement are the two governments, not two companies named later.
        ("Kenya and Japan met. Shell Company and Tullow Company signed.", "both sides", "Kenya"),
        ("Shell Company and Tullow Company signed.", "both companies", "Shell Company"),
        # Capitalised out of respect, still the government of before.
        ("Kenya signed a deal with the IMF.", "The Government", "Kenya"),
    ],
)
def test_the_attributor_resolves_what_a_phrase_stands_for(before, phrase, name):
    resolved = _attributor(before).resolve(phrase, phrase, 0, [])

    assert resolved is not None and resolved.name == name


@pytest.mark.parametrize("phrase", ["the money", "The resolution", "The Blue Corridor Initiative"])
def test_the_attributor_knows_a_thing_cannot_pledge(phrase):
    attributor = _attributor("Kenya signed a deal.")
    resolved = attributor.resolve(phrase, phrase, len(phrase), _mentions_in(phrase, attributor.context))

    assert resolved is not None and not resolved.agent


def test_the_attributor_finds_the_speaker_of_a_quotation_after_or_before_it():
    attributor = _attributor("Kenya's President William Ruto spoke.")

    assert attributor.speaker('"We will build it," Ruto said.', []).name == "William Ruto"
    assert attributor.speaker("Ruto said: we will build it.", []).name == "William Ruto"
    assert attributor.speaker("Analysts said the plan would work.", []) is None


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        # Lowercase particles inside a name.
        ("The paper spoke with Mario de las Casas on Friday.", ["Mario de las Casas"]),
        # A company's legal suffix after a comma is no second name.
        (
            "The paper welcomed Micron Technology, Inc. and Applied Materials, Inc. as investors.",
            ["Micron Technology", "Applied Materials"],
        ),
        # "His Excellency" is a title.
        ("His Excellency Narendra Modi arrived.", ["Narendra Modi"]),
        # A list of countries keeps its commas.
        (
            "Kenya, Uganda and Tanzania signed.",
            ["Kenya", "Uganda", "Tanzania"],
        ),
        # A particle joined to the family name; "Sri" of Sri Lanka is no honorific.
        ("The commission's chairman Sami al-Araji spoke.", ["Sami al-Araji"]),
        ("Sri Lanka and Abdel Fattah el-Sisi agreed.", ["Sri Lanka", "Abdel Fattah el-Sisi"]),
        # A currency before a figure is money, not a name; "G20" is a name.
        ("The Government will allocate RM421 billion and K9.3 billion to the G20 fund.", ["Government", "G20"]),
        ("Finep will lend R$21 billion.", ["Finep"]),
    ],
)
def test_names_with_particles_suffixes_and_honorifics(sentence, names):
    assert [mention.name for mention in _mentions_in(sentence, Context(known=[]))] == names
