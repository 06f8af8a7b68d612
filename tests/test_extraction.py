"""Pledge extraction: the engine (pure), its evaluation, the command and the service that records drafts."""

import datetime
import io
import json
import sys
import time

import pytest
import time_machine
from django.core.management import CommandError, call_command

from bench.extraction import article_of
from tests.factories import ActorFactory, CommitmentFactory, EventFactory
from tracker import services
from tracker.extraction import (
    MAX_TEXT_CHARS,
    PROPOSE_THRESHOLD,
    Draft,
    ExtractionError,
    KnownActor,
    article_dateline_date,
    draft_title,
    extract_pledges,
    find_amounts,
    guess_actor_kind,
    resolve_due,
    split_sentences,
)
from tracker.extraction.engine import rule_drafts
from tracker.extraction.evaluation import (
    DEFAULT_DIR,
    TARGETS,
    TEST_DIR,
    Article,
    evaluate,
    load_articles,
    main,
    score_article,
)
from tracker.extraction.training import cross_validate
from tracker.models import Actor, Commitment, Status

ARTICLE_DAY = datetime.date(2025, 8, 20)


def extract(text, **kwargs):
    kwargs.setdefault("article_date", ARTICLE_DAY)
    return extract_pledges(text, **kwargs)


def proposed(text, **kwargs):
    return [draft for draft in extract(text, **kwargs) if draft.confidence >= PROPOSE_THRESHOLD]


def only(text, **kwargs):
    drafts = proposed(text, **kwargs)
    assert len(drafts) == 1, drafts
    return drafts[0]


# Sentence splitting ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Mr. Smith met Mrs. Jones and Dr. Okafor. Prof. Mori spoke next.",
            ["Mr. Smith met Mrs. Jones and Dr. Okafor.", "Prof. Mori spoke next."],
        ),
        (
            "Gen. Otunge visited St. Luke's hospital. It has 400 beds.",
            ["Gen. Otunge visited St. Luke's hospital.", "It has 400 beds."],
        ),
        (
            "The U.S. Treasury and the U.K. Foreign Office agreed. Talks ended.",
            ["The U.S. Treasury and the U.K. Foreign Office agreed.", "Talks ended."],
        ),
        (
            "Trade with the U.S. The figures were new.",
            ["Trade with the U.S.", "The figures were new."],
        ),
        (
            "The bill is No. 12 on the list. It passed on Jan. 5 and Feb. 9 after debate.",
            ["The bill is No. 12 on the list.", "It passed on Jan. 5 and Feb. 9 after debate."],
        ),
        (
            "Kenya will raise $5.5 billion. Analysts at J.P. Morgan expect 5.2% growth.",
            ["Kenya will raise $5.5 billion.", "Analysts at J.P. Morgan expect 5.2% growth."],
        ),
        (
            '"We will build it. We will pay for it," she said. Then she left.',
            ['"We will build it. We will pay for it," she said.', "Then she left."],
        ),
        (
            "He said: “We will do it.” The crowd cheered.",
            ["He said: “We will do it.”", "The crowd cheered."],
        ),
        (
            "Is it done? Not yet! Work goes on.",
            ["Is it done?", "Not yet!", "Work goes on."],
        ),
        (
            "A headline without a full stop\n\nThe body starts here.",
            ["A headline without a full stop", "The body starts here."],
        ),
        (
            "NAIROBI, March 4 — Kenya plans to borrow.\nThe line wraps\nacross lines.",
            ["Kenya plans to borrow.", "The line wraps across lines."],
        ),
    ],
)
def test_sentences_are_split_around_titles_abbreviations_decimals_and_quotes(text, expected):
    assert split_sentences(text) == expected


# Datelines ------------------------------------------------------------------


@pytest.mark.parametrize(
    "dateline",
    [
        "NAIROBI, 21 August 2025 - ",
        "NAIROBI, Kenya, Aug 21 (Reuters) - ",
        "Tokyo, 21 August 2025: ",
        "Nairobi, Aug. 21, 2025 — ",
        "WASHINGTON (AP) -- ",
        "ADDIS ABABA, Thursday \u2013 ",
        "NEW DELHI: ",
        "LONDON—",
    ],
)
def test_a_dateline_is_dropped_from_the_quote_and_is_never_the_deadline(dateline):
    sentence = "Japan promised to review restrictions on Kenyan avocado imports by March 2026."

    draft = only(dateline + sentence)

    assert draft.text == sentence
    assert draft.due == "2026-03-31"


def test_an_article_opening_with_a_dated_dateline_is_not_due_on_that_date():
    text = (
        "NAIROBI, 21 August 2025 - Japan's trade minister met Kenyan officials on Thursday.\n\n"
        "Japan promised to review restrictions on Kenyan avocado imports by March 2026."
    )

    (draft,) = proposed(text)

    assert draft.due == "2026-03-31"
    assert "NAIROBI" not in draft.text


def test_a_dateline_opening_a_later_paragraph_or_the_line_under_a_headline_is_dropped():
    text = (
        "Japan to review avocado curbs\n"
        "NAIROBI, 21 August 2025 - Japan promised to review restrictions.\n\n"
        "LONDON, 22 August 2025 \u2013 Britain pledged to build schools."
    )

    assert split_sentences(text) == [
        "Japan to review avocado curbs",
        "Japan promised to review restrictions.",
        "Britain pledged to build schools.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Kenya promised to open an office in Tokyo, 21 August 2026 - a year after the summit.",
        "Tokyo, Nairobi and Accra - the three capitals - agreed to share data.",
        "ECOWAS — the regional bloc — agreed to send troops.",
        "The minister said Kenya would act. LONDON, 22 August 2025 - Talks go on.",
    ],
)
def test_a_phrase_shaped_like_a_dateline_inside_a_paragraph_is_kept(text):
    assert " ".join(split_sentences(text)) == text


def test_a_date_shaped_like_a_dateline_inside_a_sentence_is_still_its_deadline():
    draft = only("Kenya promised to open an office in Tokyo, 21 August 2026 - a year after the summit.")

    assert draft.due == "2026-08-21"


@time_machine.travel(datetime.datetime(2026, 12, 7, 12, tzinfo=datetime.UTC), tick=False)
@pytest.mark.parametrize(
    "dateline",
    ["NAIROBI, 21 August 2025 - ", "NAIROBI, Kenya, Aug 21 (Reuters) - "],
)
def test_without_an_article_date_the_datelines_date_is_the_article_date(dateline):
    text = dateline + "Kenya will open the office within two years."

    (draft,) = extract_pledges(text.replace("Aug 21 (Reuters)", "Aug 21, 2025 (Reuters)"))
    assert draft.due == "2027-08-21"
    assert article_dateline_date(text, today=datetime.date(2026, 3, 1)) == datetime.date(2025, 8, 21)


def test_a_negation_in_the_sentence_before_does_not_negate_the_next_one():
    drafts = extract('"We are not coming only to sell cars. We will manufacture here and hire here," Li said.')

    assert [draft.cue for draft in drafts if draft.confidence >= PROPOSE_THRESHOLD] == ["will"]


def test_the_callers_article_date_wins_over_the_dateline():
    (draft,) = extract("NAIROBI, 21 August 2025 - Kenya will open the office within two years.")

    assert draft.due == "2027-08-20"


@pytest.mark.parametrize(
    "text",
    ["Kenya will open the office within two years.", "Kenya, in 21 August 2025 - no.", "LONDON — Britain will act."],
)
def test_an_article_without_a_dated_dateline_has_no_dateline_date(text):
    assert article_dateline_date(text) is None


# Commitment language ----------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, kind, cue",
    [
        ("Germany promised to double its aid.", "promise", "promised"),
        ("Norway pledged $3 billion for forests.", "promise", "pledged"),
        ("Indonesia committed to restoring peatland.", "promise", "committed to"),
        ("Japan will spend ¥120 billion on clinics.", "promise", "will"),
        ("Germany vowed to double its contribution.", "promise", "vowed"),
        ("Kenya plans to raise money in Tokyo.", "promise", "plans to"),
        ("Ghana seeks to widen its tax base.", "promise", "seeks to"),
        ("Ghana offered a battalion.", "promise", "offered"),
        ('"We shall clear all arrears," Treasury Secretary John Mbadi said.', "promise", "shall"),
        ("Toyota announced a new plant in Mombasa to open in 2027.", "promise", "announced"),
        ("The African Union and the European Union agreed to work together.", "agreement", "agreed"),
        ("Britain and India signed a free-trade agreement.", "agreement", "signed"),
        ("The EU aims to import 10 million tonnes of hydrogen.", "target", "aims to"),
        ("First Quantum intends to hire 2,000 workers.", "intent", "intends to"),
        ("Kenya and Japan signed a statement of intent on a bond.", "intent", "signed a statement of intent"),
        ("Zambia signed a memorandum of understanding with the miner.", "intent", "memorandum of understanding"),
        ("Ghana and Togo signed an MoU on power lines.", "intent", "MoU"),
        ("Tokyo said it was open to examining the rules.", "review", "open to examining"),
        ("Mr Ishiba promised to study Kenya's concerns.", "review", "promised to study"),
        ("India agreed to review its tariffs on tea.", "review", "agreed to review"),
        ("Ruto urged partners to fund the mission.", "request", "urged"),
        ("Ramaphosa called on rich countries to pay.", "request", "called on"),
        ("Island states pressed for a separate fund.", "request", "pressed for"),
        ("Lawmakers asked the minister to publish the terms.", "request", "asked the minister to"),
        ("Otunge appealed to donors for helicopters.", "request", "appealed to"),
        ("The United Kingdom confirmed a contribution of GBP 1.44 billion.", "promise", "confirmed a contribution"),
        ("Canada committed CAD 300 million over the period.", "promise", "committed CAD"),
        ("Ecuador is already studying a similar swap for the Amazon.", "review", "is already studying"),
        ("China proposes to hold a conference on civilisations.", "intent", "proposes to"),
        ("The summit tasked the Commission with reviewing the plan by 2026.", "request", "tasked the Commission with"),
        ("The Board recommends that shareholders support the deal.", "request", "recommends that"),
        ('"We expect to have our first staff in Manila by 2026," Diong said.', "intent", "expect to have"),
        ('"I\'m going to keep fighting for lower taxes," Biden said.', "promise", "going to"),
        ("De Beers and Botswana reached an agreement in principle on a new sales pact.", "agreement", "reached an"),
        ("Qantas confirmed a firm order for 12 Airbus A350-1000 aircraft.", "agreement", "firm order for"),
        ("The budget targets an increase in the tax ratio of half a point a year.", "target", "targets an"),
        ("First production is targeted for the first half of 2023.", "target", "targeted for"),
        ("The AIIB aims for 50% climate finance by 2030.", "target", "aims for"),
        (
            '"We expect the formalisation of the partnership to be completed this year," Ambani said.',
            "intent",
            "expect the",
        ),
        (
            "The BRICS leaders tasked their Finance Ministers and/or Central Bank Governors to report.",
            "request",
            "tasked",
        ),
        (
            '"I invite the best scientific and entrepreneurial talent from India and abroad to join us," Ambani said.',
            "request",
            "invite",
        ),
        (
            '"I want to ask the operators, especially on the deep-water blocks, to drill sooner," Azevedo said.',
            "request",
            "ask the operators",
        ),
    ],
)
def test_each_family_of_commitment_language_gives_its_kind(sentence, kind, cue):
    draft = only(sentence)

    assert draft.kind == kind
    assert cue.lower() in draft.cue.lower()
    assert draft.text == sentence


@pytest.mark.parametrize(
    "sentence, kind, cue, actor",
    [
        (
            "Japan has extended up to Sh10 billion to support farmers in Kenya.",
            "promise",
            "extended up to",
            "Government of Japan",
        ),
        (
            "Japan extended a $500 million loan for the railway.",
            "promise",
            "extended a",
            "Government of Japan",
        ),
        (
            "Japan is willing to provide grants to Kenyan farmers.",
            "promise",
            "willing to provide",
            "Government of Japan",
        ),
        (
            "The African Development Bank seeks to mobilise $10 billion for irrigation.",
            "target",
            "seeks to mobilise",
            "African Development Bank",
        ),
        (
            "The African Development Bank adopted a deal to raise at least $100 billion for climate finance.",
            "agreement",
            "adopted a deal",
            "African Development Bank",
        ),
        (
            "The speech also included a pledge that France would double its aid to Africa.",
            "promise",
            "a pledge that",
            "Government of France",
        ),
        (
            "In Paris, France made a commitment to double its aid to Africa.",
            "promise",
            "a commitment to",
            "Government of France",
        ),
        (
            '"We are launching a fund for young farmers," President Ruto said.',
            "promise",
            "are launching",
            "William Ruto",
        ),
        (
            '"We will go ahead with the expressway," President Ruto said.',
            "promise",
            "will go ahead with",
            "William Ruto",
        ),
    ],
)
def test_less_common_pledge_wording_is_proposed_for_a_known_actor(sentence, kind, cue, actor):
    actors = [
        KnownActor(1, "Government of Japan", "government", ("Japan", "Tokyo")),
        KnownActor(2, "Government of France", "government", ("France", "Paris")),
        KnownActor(3, "William Ruto", "person", ("Ruto", "President Ruto")),
        KnownActor(4, "African Development Bank", "organisation", ("AfDB",)),
    ]

    draft = only(sentence, actors=actors)

    assert (draft.kind, draft.cue, draft.actor) == (kind, cue, actor)
    assert draft.confidence >= PROPOSE_THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "Asked whether Japan was willing to provide more aid, the minister declined to comment.",
        "It is unclear whether Tokyo is willing to provide more aid.",
        "The minister was asked whether Japan is willing to provide more aid.",
        "Kenya wants to know if Japan is ready to fund the railway.",
        "Japan is not willing to provide more aid.",
        "The IMF extended the deadline for the review by two months.",
        "Talks were extended by a day.",
        "The operator extended 4G coverage to Hawassa.",
        "Leaders ended the summit with a promise on their minds.",
    ],
)
def test_questions_refusals_and_other_extensions_are_not_proposed(text):
    assert proposed(text) == []


def test_the_pledge_after_a_condition_is_the_one_drafted():
    draft = only("If Kenya agrees to reforms, Japan will fund the railway.")

    assert (draft.actor, draft.cue) == ("Japan", "will")


@pytest.mark.parametrize(
    "text",
    [
        "Exports to Japan rose 12% last year.",
        "The summit was held in Yokohama under tight security.",
        "Kenya's public debt stood at KSh 11.8 trillion at the end of December.",
        "The conference, first held in 1993, has been hosted in Japan and in Africa in turn.",
        "Leaders ended the summit with new promises on debt relief.",
        "The IMF's board approved the fourth review of the loan programme.",
    ],
)
def test_reported_facts_and_descriptions_are_not_drafted(text):
    assert extract(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Japan did not commit to any new funds.",
        "She did not promise any cut before the end of the year.",
        "The two leaders did not agree on an investment treaty.",
        "He added that the U.S. was not seeking to decouple from China.",
        "China never pledged to join the fund.",
        "The Treasury declined to say how large the issue would be.",
    ],
)
def test_negated_commitments_are_excluded(text):
    assert extract(text) == []


def test_an_open_question_however_long_its_subject_is_no_pledge_to_the_rules():
    text = (
        "Whether China and Saudi Arabia, still classed as developing countries under the UN climate regime, will "
        "contribute remained unclear on Thursday."
    )

    assert [draft.confidence for draft in rule_drafts(text)] == [0.35]


@pytest.mark.parametrize(
    "text",
    [
        "The plan relies on $11.6 billion pledged by rich countries.",
        "Uruguay's President Yamandú Orsi said his country hoped to sign deals with China.",
        "Prime Minister Keir Starmer said the deal would add £4.8 billion a year to the economy.",
        "The panel will report to finance ministers.",
        "Member states have paid less than a quarter of the contributions they promised in 2019.",
        "Japan pledged $2 billion last year, officials said.",
        "Zambia will probably feel the full benefit of the Mopani deal around 2027.",
    ],
)
def test_earlier_pledges_hopes_and_forecasts_get_low_confidence(text):
    drafts = extract(text)

    assert drafts, "still shown, for a reader to judge"
    assert all(draft.confidence < PROPOSE_THRESHOLD for draft in drafts)


# Attribution ------------------------------------------------------------------


def test_titles_are_stripped_from_the_pledge_makers_name():
    draft = only("Japan's Prime Minister Shigeru Ishiba promised to study Kenya's concerns.")

    assert draft.actor == "Shigeru Ishiba"


def test_a_surname_with_mr_is_the_full_name_given_earlier():
    text = "Kenya's President William Ruto arrived in Yokohama. Mr Ruto pledged to cut tariffs."

    assert only(text).actor == "William Ruto"


def test_the_title_alone_is_the_last_person_named_with_that_title():
    text = (
        "President William Ruto met Prime Minister Shigeru Ishiba. "
        "The Prime Minister later spoke to reporters. "
        "The President said he would open a trade office in Tokyo."
    )

    assert only(text).actor == "William Ruto"


def test_he_and_she_are_the_last_person_named():
    text = (
        "Mr Ruto thanked Japan for backing the mission in Haiti. He urged partners to keep its financing steady. "
        "Commission President Ursula von der Leyen spoke next. She pledged €150 million in grants."
    )
    drafts = proposed(text)

    assert [(draft.actor, draft.kind) for draft in drafts] == [
        ("Ruto", "request"),
        ("Ursula von der Leyen", "promise"),
    ]


def test_they_is_the_last_group_named():
    text = "French farmers staged protests in several cities. They called on Paris to reject the agreement."

    assert only(text).actor == "French farmers"


def test_it_after_a_speaker_is_the_speaker():
    text = "Canadian miner First Quantum Minerals settled. The company said it would pay in three tranches."

    assert only(text).actor == "First Quantum Minerals"


def test_a_pronoun_name_is_not_taken_for_a_pronoun():
    text = 'China\'s Vice-Premier He Lifeng described the talks as "substantive". He called on Washington to act.'

    draft = only(text)
    assert draft.actor == "He Lifeng"
    assert draft.counterpart == "Government of the United States"


def test_the_speaker_of_a_quote_makes_a_first_person_pledge():
    text = '"We will put €500 million on the table before the end of 2027," Chancellor Friedrich Merz told reporters.'

    draft = only(text)
    assert draft.actor == "Friedrich Merz"
    assert draft.due == "2027-12-31"


def test_a_quote_continuing_after_a_reporting_clause_keeps_its_speaker():
    text = (
        '"This is the start of a long journey," Mr. Jun Kondo said. '
        '"We plan to source 40 per cent of parts locally within five years."'
    )

    assert only(text).actor == "Jun Kondo"


def test_a_title_with_no_one_named_before_is_not_guessed():
    (draft,) = extract('"We shall clear all arrears," the minister said.')

    assert draft.actor == ""
    assert draft.confidence < PROPOSE_THRESHOLD


def test_a_name_starting_with_the_is_the_name_not_an_earlier_referent():
    text = "New Delhi will protect small fishers. The European Union pledged €10 million to a fund."

    assert [draft.actor for draft in proposed(text)] == ["Government of India", "European Union"]


def test_a_possessive_is_not_a_closing_quote_before_a_reporting_verb():
    text = "Safaricom's Kenyan parent and its partners, including Vodacom, said they remained committed to the venture."

    assert only(text).actor == "Safaricom"


def test_failing_to_agree_is_not_an_agreement():
    text = "Ministers failed on Sunday to agree on limits, but several governments promised to keep talking."

    draft = only(text)
    assert (draft.actor, draft.cue) == ("several governments", "promised")


def test_a_second_verb_keeps_the_subject_of_the_first():
    text = "Mr Mbadi also announced KSh 45 billion for housing and promised to publish quarterly reports."

    draft = only(text)
    assert (draft.actor, draft.cue) == ("Mbadi", "promised")


def test_a_verb_after_but_keeps_the_subject_before_it():
    text = "Moussa Faki Mahamat, who chairs the AU Commission, welcomed the offer but urged Europe to open its markets."

    assert only(text).actor == "Moussa Faki Mahamat"


def test_the_company_is_the_one_the_text_called_a_company():
    text = (
        "Masdar, the Abu Dhabi renewable-energy company, signed a deal with Senegal. "
        "The plant will use batteries made by Contemporary Amperex Technology. "
        "Its chief executive said the company would finance 70% of the project."
    )

    assert [draft.actor for draft in proposed(text)] == ["Masdar", "Masdar"]


def test_the_bank_is_the_name_whose_head_is_bank_before_its_of():
    text = (
        "The Reserve Bank of Zimbabwe launched a new currency on Friday. "
        "Holders of Zimbabwe dollar notes will be able to exchange them at their banks. "
        "The Bank will publish the official exchange rate every business day."
    )

    actors = [{"name": "Reserve Bank of Zimbabwe", "kind": "organisation", "aliases": ["RBZ"]}]

    # The rules, before the learned choice: not "Holders of Zimbabwe", the last subject that could be a bank.
    assert rule_drafts(text, actors=actors)[-1].actor == "Reserve Bank of Zimbabwe"


@pytest.mark.parametrize("subject", ["The Participants", "The four parties", "The signatories"])
def test_the_parties_to_a_text_are_its_governments_before_other_bodies(subject):
    text = (
        "The Indonesia Investment Authority and the Asian Development Bank will study the plant. "
        "Indonesia and Japan launched the partnership in Bali on 15 November 2022. "
        f"{subject} will review progress once a year."
    )

    assert rule_drafts(text)[-1].actor in ("Indonesia", "Government of Indonesia")


def test_a_plain_noun_phrase_subject_is_kept_whole():
    text = (
        "West African defence chiefs agreed to set up a standby force. "
        "Opposition lawmakers asked the minister to table the terms. "
        "Farm groups in Iowa asked the administration to buy soybeans."
    )

    assert [draft.actor for draft in proposed(text)] == [
        "West African defence chiefs",
        "Opposition lawmakers",
        "Farm groups in Iowa",
    ]


@pytest.mark.parametrize(
    "capital, government",
    [
        ("Tokyo", "Government of Japan"),
        ("Nairobi", "Government of Kenya"),
        ("Washington", "Government of the United States"),
        ("Beijing", "Government of China"),
        ("London", "Government of the United Kingdom"),
        ("Paris", "Government of France"),
        ("Berlin", "Government of Germany"),
        ("Brussels", "European Union"),
    ],
)
def test_a_capital_stands_for_its_government(capital, government):
    assert only(f"{capital} said it would review the tariffs.").actor == government


def test_a_conjoined_subject_gives_the_first_as_actor_and_the_second_as_counterpart():
    draft = only("Kenya and Japan signed a statement of intent on a Samurai bond.")

    assert (draft.actor, draft.counterpart) == ("Kenya", "Japan")


def test_a_request_names_whom_it_asks():
    draft = only("Kenya's President William Ruto pressed Japan on Wednesday to lower its barriers.")

    assert (draft.actor, draft.counterpart, draft.kind) == ("William Ruto", "Japan", "request")


def test_names_link_to_known_actors_through_their_aliases():
    actors = [
        KnownActor(7, "Government of Japan", "government", ("Japan", "Tokyo")),
        {"id": 8, "name": "Government of Kenya", "kind": "government", "aliases": "Kenya\nNairobi"},
        Actor(pk=9, name="Shigeru Ishiba", kind="person", aliases="Ishiba\nMr Ishiba"),
    ]
    text = (
        "Kenya and Japan signed a statement of intent on a bond. "
        "Mr Ishiba promised to study Kenya's concerns. "
        "Tokyo said it was open to examining plant-health rules."
    )
    drafts = proposed(text, actors=actors)

    assert [(draft.actor, draft.actor_id) for draft in drafts] == [
        ("Government of Kenya", 8),
        ("Shigeru Ishiba", 9),
        ("Government of Japan", 7),
    ]
    assert (drafts[0].counterpart, drafts[0].counterpart_id) == ("Government of Japan", 7)


def test_a_name_the_tracker_does_not_know_has_no_actor_id():
    draft = only("Norway pledged $3 billion for forests.", actors=[KnownActor(1, "Government of Japan")])

    assert (draft.actor, draft.actor_id) == ("Norway", None)


@pytest.mark.django_db
def test_known_actors_are_read_from_the_database_in_one_query(django_assert_num_queries):
    from tracker.selectors import actors_for_extraction

    ActorFactory(name="Government of Japan", kind=Actor.Kind.GOVERNMENT, aliases="Japan\n Tokyo \n\n")
    ActorFactory(name="William Ruto")

    with django_assert_num_queries(1):
        actors = actors_for_extraction()

    by_name = {actor.name: actor for actor in actors}
    assert by_name["Government of Japan"].aliases == ("Japan", "Tokyo")
    assert by_name["Government of Japan"].kind == "government"
    assert only("Tokyo will fund clinics.", actors=actors).actor_id == by_name["Government of Japan"].id


# Deadlines --------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, due",
    [
        ("within three years", "2028-08-20"),
        ("within six months", "2026-02-20"),
        ("within 90 days", "2025-11-18"),
        ("by the end of 2027", "2027-12-31"),
        ("by the end of the year", "2025-12-31"),
        ("by the end of next year", "2026-12-31"),
        ("by March 2026", "2026-03-31"),
        ("by mid-2026", "2026-06-30"),
        ("next year", "2026-12-31"),
        ("by 2030", "2030-12-31"),
        ("in the first quarter of next year", "2026-03-31"),
        ("by 30 June 2026", "2026-06-30"),
        ("by June 30", "2026-06-30"),
        ("by September", "2025-09-30"),
        ("by December 2027", "2027-12-31"),
    ],
)
def test_deadlines_are_resolved_against_the_article_date(phrase, due):
    assert resolve_due(f"Kenya will open the office {phrase}.", ARTICLE_DAY) == due
    assert only(f"Kenya will open the office {phrase}.").due == due


def test_a_sentence_without_a_deadline_has_none():
    assert only("Kenya will open the office.").due is None
    assert resolve_due("Trade grew by a third in 2024.", ARTICLE_DAY) is None


@time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_without_an_article_date_deadlines_count_from_today():
    (draft,) = extract_pledges("Kenya will open the office within two years.")

    assert draft.due == "2028-03-01"


# Money ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase, value, currency",
    [
        ("$5.5 billion", 5_500_000_000, "USD"),
        ("US$15 million", 15_000_000, "USD"),
        ("C$1.2 billion", 1_200_000_000, "CAD"),
        ("¥75 billion", 75_000_000_000, "JPY"),
        ("75 billion yen", 75_000_000_000, "JPY"),
        ("KSh 6.5 billion", 6_500_000_000, "KES"),
        ("6.5 billion shillings", 6_500_000_000, "KES"),
        ("€500 million", 500_000_000, "EUR"),
        ("300 million euros", 300_000_000, "EUR"),
        ("£4.8bn", 4_800_000_000, "GBP"),
        ("$2.4bn", 2_400_000_000, "USD"),
        ("€300 bn", 300_000_000_000, "EUR"),
        ("$15m", 15_000_000, "USD"),
        ("$1,500,000", 1_500_000, "USD"),
        ("€80-billion", 80_000_000_000, "EUR"),
        ("Sh12.5 billion", 12_500_000_000, "KES"),
        ("Ksh 3 billion", 3_000_000_000, "KES"),
        ("Kshs400 million", 400_000_000, "KES"),
        ("KES 40 million", 40_000_000, "KES"),
        ("¥2 trillion", 2_000_000_000_000, "JPY"),
        ("2 trillion yen", 2_000_000_000_000, "JPY"),
        ("$5.5bn", 5_500_000_000, "USD"),
        ("US$1.2 billion", 1_200_000_000, "USD"),
        ("200 billion yuan", 200_000_000_000, "CNY"),
        ("RMB 5 billion", 5_000_000_000, "CNY"),
        ("Rs 500 crore", 5_000_000_000, "INR"),
    ],
)
def test_amounts_are_read_as_written_and_as_numbers(phrase, value, currency):
    draft = only(f"Kenya pledged {phrase} for the new port.")

    assert draft.amount == {"text": phrase, "value": value, "currency": currency}


def test_the_amount_after_the_cue_is_the_pledged_one():
    sentence = "After losing $70 million last year, Kenya pledged $5.5 billion for roads."

    assert only(sentence).amount["text"] == "$5.5 billion"
    assert [amount["text"] for _, amount in find_amounts(sentence)] == ["$70 million", "$5.5 billion"]


@pytest.mark.parametrize(
    "sentence, pledged",
    [
        ("About R$271 billion is to be offered as loans and R$21 billion as grants.", "R$271 billion"),
        ("Japan, which gave $2 billion in 2019, will lend $5 billion to Kenya.", "$5 billion"),
        ("Exports rose $3 billion and Japan will lend $5 billion to Kenya.", "$5 billion"),
    ],
)
def test_an_amount_that_opens_the_pledges_own_clause_is_the_pledged_one(sentence, pledged):
    (draft,) = extract(sentence)

    assert draft.amount["text"] == pledged


@pytest.mark.parametrize(
    "sentence, original",
    [
        ("The EU pledged €80-billion ($92 billion) for ports.", "€80-billion"),
        ("China pledged 200 billion yuan (US$28 billion) for roads.", "200 billion yuan"),
        ("Japan pledged ¥2 trillion (about $13.5 billion) for Ghana.", "¥2 trillion"),
        ("Kenya pledged Sh12.5 billion [$97 million] for dams.", "Sh12.5 billion"),
    ],
)
def test_a_bracketed_conversion_is_not_the_amount_the_original_currency_is(sentence, original):
    assert only(sentence).amount["text"] == original
    assert [amount["text"] for _, amount in find_amounts(sentence)] == [original]


def test_a_bracketed_amount_alone_is_read():
    assert only("Japan pledged new aid (US$28 billion) for roads.").amount == {
        "text": "US$28 billion",
        "value": 28_000_000_000,
        "currency": "USD",
    }


def test_two_amounts_side_by_side_outside_brackets_are_both_read():
    sentence = "Japan pledged $5 billion and €2 billion for roads."

    assert [amount["text"] for _, amount in find_amounts(sentence)] == ["$5 billion", "€2 billion"]


def test_percentages_and_plain_numbers_are_not_money():
    assert only("Kenya will cut tariffs by 20% on 1,500 goods.").amount is None


# Drafts as data -------------------------------------------------------------------


def test_a_draft_is_a_plain_dict_for_json():
    draft = only("Japan will spend ¥120 billion over three years on clinics.")

    data = draft.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {
        "text",
        "actor",
        "actor_id",
        "counterpart",
        "counterpart_id",
        "kind",
        "due",
        "amount",
        "cue",
        "confidence",
        "title",
    }
    assert data["kind"] in Commitment.Kind.values
    assert 0 <= data["confidence"] <= 1
    assert data["title"] == "Spend ¥120 billion over three years on clinics"


def test_a_title_is_the_pledged_action_kept_short():
    title = draft_title("Mr Ishiba promised to study Kenya's concerns and to review tariffs.", "promised to study")

    assert title == "Study Kenya's concerns and to review tariffs"
    assert draft_title("Kenya and Japan signed a statement of intent on a bond.", "signed a statement of intent") == (
        "Statement of intent on a bond"
    )
    assert draft_title("Kenya is in talks with Toyota on buses.", "in talks with") == "Talks with Toyota on buses"
    long_title = draft_title("Kenya will " + "build roads and " * 20 + "bridges.", "will")
    assert len(long_title) <= 101 and long_title.endswith("…")


@pytest.mark.parametrize(
    "name, kind",
    [
        ("Government of Japan", "government"),
        ("Kenya", "government"),
        ("Toyota Motor Corporation", "company"),
        ("First Quantum Minerals", "company"),
        ("African Development Bank", "company"),
        ("World Trade Organization", "organisation"),
        ("JBIC", "organisation"),
        ("William Ruto", "person"),
    ],
)
def test_an_actors_kind_is_guessed_from_its_name(name, kind):
    assert guess_actor_kind(name) == kind


# Bad input --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty_text_is_refused(text):
    with pytest.raises(ExtractionError, match="text is empty"):
        extract_pledges(text)
    assert issubclass(ExtractionError, ValueError)


def test_text_over_the_limit_is_refused_with_the_limit_stated():
    with pytest.raises(ExtractionError, match="200,000 characters"):
        extract_pledges("Kenya will build roads. " * (MAX_TEXT_CHARS // 20))
    assert MAX_TEXT_CHARS == 200_000


def test_text_at_the_limit_is_read():
    text = ("Kenya will build roads. " * (MAX_TEXT_CHARS // 24 + 1))[:MAX_TEXT_CHARS]

    assert extract_pledges(text, article_date=ARTICLE_DAY)


@pytest.mark.parametrize(
    "text",
    [
        "Le Japon a promis d'étudier les préoccupations du Kenya et de revoir ses droits de douane.",
        "石破首相はケニアの懸念を検討すると約束した。",
        bytes(range(256)).decode("latin-1") * 20,
        "\x00\x01\x02 binary \x03\x04 junk \xff\xfe" * 50,
        "asdf qwer zxcv " * 200,
        "1234 5678 $$$ %%% " * 100,
    ],
)
def test_other_languages_and_junk_give_no_drafts(text):
    assert extract_pledges(text, article_date=ARTICLE_DAY) == []


def test_twenty_thousand_words_are_read_in_seconds():
    text = article_of(20_000)
    assert len(text.split()) >= 20_000
    assert len(text) <= MAX_TEXT_CHARS

    started = time.perf_counter()
    drafts = extract_pledges(text, article_date=ARTICLE_DAY)
    elapsed = time.perf_counter() - started

    assert len(drafts) > 100
    # About 5 s on the 2-core development machine (make bench-extraction); loose against CI noise.
    assert elapsed < 15, f"{elapsed:.1f} s"


# The evaluation set ---------------------------------------------------------------


def test_the_evaluation_set_meets_its_targets():
    # Cross-validated: the learned model is trained on these articles, so in-sample figures would flatter it.
    articles = load_articles()
    total = cross_validate(articles)

    assert len(articles) >= 12
    assert total.articles == len(articles)
    assert sum(not pledge.get("borderline") for article in articles for pledge in article.pledges) == total.true
    assert total.recall >= TARGETS["recall"]
    assert total.precision >= TARGETS["precision"]
    assert total.attribution >= TARGETS["attribution"]


def test_the_test_part_stays_near_its_blind_scores():
    # 115 articles in five blind rounds; all of them with the engine of the last round: recall 0.85, precision 0.89,
    # attribution 0.85, amounts 170 of 195 (docs/EXTRACTION.md). Floors below those, so that this guards against
    # regressions without becoming a target to tune for.
    total, scores = evaluate(TEST_DIR)

    assert len(scores) >= 115
    assert total.recall >= 0.80
    assert total.precision >= 0.84
    assert total.attribution >= 0.80
    assert total.amount_right >= 0.85 * total.amounts


@pytest.mark.parametrize("directory", [DEFAULT_DIR, DEFAULT_DIR.parent / "extraction_heldout"])
def test_the_evaluation_has_distractors_in_every_article(directory):
    for article in load_articles(directory):
        sentences = split_sentences(article.text)
        pledge_sentences = {s for s in sentences if any(p["match"] in s for p in article.pledges)}
        assert len(sentences) - len(pledge_sentences) >= 2, article.name
        for pledge in article.pledges:
            assert any(pledge["match"] in sentence for sentence in sentences), (article.name, pledge["match"])
            assert pledge["kind"] in Commitment.Kind.values


def test_the_scorer_counts_misses_false_alarms_and_wrong_actors():
    article = Article(
        name="made-up",
        text=(
            "Kenya pledged to build roads. Japan vowed to fund ports. Exports rose 5% last year. "
            "Toyota will open a plant."
        ),
        date=ARTICLE_DAY,
        actors=[KnownActor(1, "Government of Japan", "government", ("Japan",))],
        pledges=[
            {"match": "Kenya pledged", "actor": "Government of Kenya", "kind": "promise"},
            {"match": "Japan vowed", "actor": "Government of Japan", "kind": "promise"},
            {"match": "Exports rose", "actor": "Kenya", "kind": "promise"},
        ],
    )

    score = score_article(article)

    assert (score.true, score.proposed, score.found, score.correct_proposals, score.attributed) == (3, 3, 2, 2, 1)
    assert score.misses == ["Exports rose"]
    assert score.false_alarms[0].startswith("Toyota will open a plant.")
    assert score.wrong_actors == ["Kenya pledged: got 'Kenya', want 'Government of Kenya'"]
    assert score.recall == pytest.approx(2 / 3)
    assert score.precision == pytest.approx(2 / 3)
    assert score.attribution == pytest.approx(1 / 2)


def test_the_evaluation_script_prints_the_figures_and_exits_zero(capsys):
    assert main([]) == 0

    output = capsys.readouterr().out
    assert "ticad9_kenya_japan" in output
    assert output.index("== development part") < output.index("== test part")
    assert output.count("overall") == 2
    for name in TARGETS:
        assert f"target {name} >= {TARGETS[name]:.2f}: met" in output


def test_the_evaluation_script_fails_when_a_target_is_missed(tmp_path, capsys):
    (tmp_path / "hard.txt").write_text("Exports rose 5% last year. The summit was held in Accra.", encoding="utf-8")
    (tmp_path / "hard.json").write_text(
        json.dumps(
            {"date": "2025-01-01", "actors": [], "pledges": [{"match": "Exports", "actor": "X", "kind": "promise"}]}
        ),
        encoding="utf-8",
    )

    assert main([str(tmp_path), "-v"]) == 1
    output = capsys.readouterr().out
    assert "target recall >= 0.90: NOT MET" in output
    assert "missed: Exports" in output


def test_the_ticad_article_gives_the_design_documents_pledges():
    (article,) = [article for article in load_articles() if article.name == "ticad9_kenya_japan"]
    drafts = {
        draft.cue: draft
        for draft in extract_pledges(article.text, article_date=article.date, actors=article.actors)
        if draft.confidence >= PROPOSE_THRESHOLD
    }

    review = drafts["promised to study"]
    assert (review.actor, review.actor_id, review.kind) == ("Shigeru Ishiba", 1, "review")
    intent = drafts["signed a statement of intent"]
    assert (intent.actor, intent.counterpart, intent.kind) == ("Government of Kenya", "Government of Japan", "intent")
    talks = drafts["in talks with"]
    assert (talks.actor, talks.counterpart) == ("Government of Kenya", "Toyota")
    haiti = drafts["urged"]
    assert (haiti.actor, haiti.kind) == ("William Ruto", "request")


# The command ------------------------------------------------------------------------

TICAD_FILE = DEFAULT_DIR / "ticad9_kenya_japan.txt"


@pytest.mark.django_db
def test_command_prints_the_drafts_as_text(capsys):
    call_command("extract_pledges", str(TICAD_FILE), "--date", "2025-08-20")

    output = capsys.readouterr().out
    assert "[review] Shigeru Ishiba" in output
    assert "cue 'promised to study'" in output
    assert "Mr Ishiba promised to study Kenya's concerns" in output
    assert "7 draft(s); 7 with confidence 0.5 or more" in output


@pytest.mark.django_db
def test_command_json_is_the_engines_drafts_linked_to_known_actors(capsys):
    ishiba = ActorFactory(name="Shigeru Ishiba", aliases="Ishiba\nMr Ishiba")
    japan = ActorFactory(name="Government of Japan", kind=Actor.Kind.GOVERNMENT, aliases="Japan\nTokyo")

    call_command("extract_pledges", str(TICAD_FILE), "--json", "--date", "2025-08-20")

    printed = json.loads(capsys.readouterr().out)
    expected = extract_pledges(
        TICAD_FILE.read_text(encoding="utf-8"),
        article_date=ARTICLE_DAY,
        actors=[ishiba, japan],
    )
    assert printed == [draft.to_dict() for draft in expected]
    by_actor = {draft["actor"]: draft for draft in printed}
    assert by_actor["Shigeru Ishiba"]["actor_id"] == ishiba.pk
    assert by_actor["Government of Japan"]["actor_id"] == japan.pk


@pytest.mark.django_db
def test_command_reads_standard_input_with_a_dash(monkeypatch, capsys):
    article = "Norway's Jonas Gahr Støre pledged $3 billion within ten years."
    stdin = io.TextIOWrapper(io.BytesIO(article.encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)

    call_command("extract_pledges", "-", "--json", "--date", "2025-11-12")

    (draft,) = json.loads(capsys.readouterr().out)
    assert draft["actor"] == "Jonas Gahr Støre"
    assert draft["due"] == "2035-11-12"
    assert draft["amount"] == {"text": "$3 billion", "value": 3_000_000_000, "currency": "USD"}


@pytest.mark.django_db
def test_command_says_when_nothing_was_found(tmp_path, capsys):
    path = tmp_path / "facts.txt"
    path.write_text("Exports rose 12% last year. The summit was held in Yokohama.", encoding="utf-8")

    call_command("extract_pledges", str(path))

    assert capsys.readouterr().out.strip() == "No pledges found."


@pytest.mark.django_db
def test_command_reads_binary_junk_as_no_pledges(tmp_path, capsys):
    path = tmp_path / "junk.bin"
    path.write_bytes(bytes(range(256)) * 40)

    call_command("extract_pledges", str(path), "--json")

    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, message",
    [
        ("", "text is empty"),
        ("  \n\n ", "text is empty"),
        ("Kenya will build roads. " * 10_000, "the limit is 200,000 characters"),
    ],
)
def test_command_refuses_empty_and_too_long_text(tmp_path, content, message):
    path = tmp_path / "article.txt"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=message) as caught:
        call_command("extract_pledges", str(path))
    assert str(path) in str(caught.value)


@pytest.mark.django_db
def test_command_refuses_empty_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8"))

    with pytest.raises(CommandError, match="standard input: text is empty"):
        call_command("extract_pledges", "-")


def test_command_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"No such file: .*missing\.txt"):
        call_command("extract_pledges", str(tmp_path / "missing.txt"))


def test_command_refuses_a_directory(tmp_path):
    with pytest.raises(CommandError, match="Not a file"):
        call_command("extract_pledges", str(tmp_path))


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "20/08/2025"])
def test_command_refuses_a_bad_date(value):
    with pytest.raises(CommandError, match="--date must be a date as YYYY-MM-DD"):
        call_command("extract_pledges", str(TICAD_FILE), "--date", value)


# Recording drafts ---------------------------------------------------------------------


def draft_dict(text, actor, **fields):
    return Draft(text=text, actor=actor, **fields).to_dict()


@pytest.mark.django_db
def test_drafts_become_announced_pledges_owned_by_the_analyst(analyst):
    ishiba = ActorFactory(name="Shigeru Ishiba")
    kenya = ActorFactory(name="Government of Kenya", kind=Actor.Kind.GOVERNMENT)
    event = EventFactory(name="TICAD 9")
    drafts = [
        draft_dict(
            "Mr Ishiba promised to study Kenya's concerns.",
            "Shigeru Ishiba",
            actor_id=ishiba.pk,
            counterpart="Government of Kenya",
            kind="review",
            due="2026-08-20",
            cue="promised to study",
            title="Study Kenya's concerns",
        )
    ]

    created, skipped = services.commitments_create_from_drafts(
        user=analyst,
        drafts=drafts,
        source_url="https://example.org/ticad",
        event=event,
        made_on=datetime.date(2025, 8, 20),
    )

    assert skipped == []
    (commitment,) = created
    commitment.refresh_from_db()
    assert commitment.title == "Study Kenya's concerns"
    assert commitment.quote == "Mr Ishiba promised to study Kenya's concerns."
    assert commitment.made_by == ishiba
    assert list(commitment.counterparts.all()) == [kenya]
    assert commitment.kind == Commitment.Kind.REVIEW
    assert commitment.status == Status.ANNOUNCED
    assert commitment.owner == analyst
    assert commitment.event == event
    assert commitment.source_url == "https://example.org/ticad"
    assert commitment.made_on == datetime.date(2025, 8, 20)
    assert commitment.due_on == datetime.date(2026, 8, 20)
    assert commitment.next_check_on is not None
    assert commitment.history.first().history_user == analyst


@pytest.mark.django_db
def test_an_unknown_actor_is_created_by_name_with_a_guessed_kind(analyst):
    drafts = [
        draft_dict("Toyota Motor Corporation will build a plant.", "Toyota Motor Corporation", cue="will"),
        draft_dict("Kenya will cut fuel duty.", "Government of Kenya"),
        draft_dict("Kenya will also cut excise duty.", "Government of Kenya"),
    ]

    created, skipped = services.commitments_create_from_drafts(user=analyst, drafts=drafts)

    assert skipped == []
    assert len(created) == 3
    assert Actor.objects.get(name="Toyota Motor Corporation").kind == Actor.Kind.COMPANY
    assert Actor.objects.filter(name="Government of Kenya").count() == 1
    assert Actor.objects.get(name="Government of Kenya").kind == Actor.Kind.GOVERNMENT
    assert created[0].title == "Build a plant"
    assert created[1].title == "Kenya will cut fuel duty"  # no cue: the sentence
    assert created[0].made_on == datetime.date.today()  # noqa: DTZ011 - the service's default, timezone.localdate


@pytest.mark.django_db
def test_a_draft_whose_quote_is_already_recorded_is_skipped(analyst):
    existing = CommitmentFactory(quote="Kenya will cut fuel duty.", title="Cut fuel duty")
    drafts = [
        draft_dict("Kenya will cut fuel duty.", "Government of Kenya"),
        draft_dict("Japan will fund clinics.", "Government of Japan"),
        draft_dict("Japan  will fund\nclinics.", "Government of Japan"),
    ]

    created, skipped = services.commitments_create_from_drafts(user=analyst, drafts=drafts)

    assert [commitment.quote for commitment in created] == ["Japan will fund clinics."]
    assert [entry["reason"] for entry in skipped] == [
        f"Already recorded as “Cut fuel duty” (#{existing.pk}).",
        f"Already recorded as “Fund clinics.” (#{created[0].pk}).".replace("Fund clinics.", created[0].title),
    ]
    assert skipped[0]["draft"] is drafts[0]
    assert Commitment.objects.count() == 2


@pytest.mark.django_db
def test_a_bad_draft_is_skipped_with_its_message_and_the_others_are_created(analyst):
    drafts = [
        draft_dict("Kenya will cut duty.", "Government of Kenya", due="2024-01-01"),
        draft_dict("Kenya will open ports.", "Government of Kenya", kind="wish"),
        draft_dict("Nobody will do it.", ""),
        draft_dict("Ghana will pay.", "Ghana", due="next year"),
        draft_dict("Ghana will pay debts.", "Ghana", actor_id=999_999),
        draft_dict("", "Ghana"),
        draft_dict("Japan will fund clinics.", "Government of Japan"),
    ]

    created, skipped = services.commitments_create_from_drafts(
        user=analyst, drafts=drafts, made_on=datetime.date(2025, 8, 20)
    )

    assert [commitment.quote for commitment in created] == ["Japan will fund clinics."]
    reasons = [entry["reason"] for entry in skipped]
    assert reasons == [
        "due_on: The target date cannot be before the day the pledge was made.",
        "kind: Value 'wish' is not a valid choice.",
        "made_by: Who made this pledge? The draft names no actor.",
        "due_on: 'next year' is not a date; use YYYY-MM-DD.",
        "made_by: Actor #999999 does not exist.",
        "The draft has no sentence to quote.",
    ]
    # The refused drafts left no actor behind: each had its own transaction.
    assert set(Actor.objects.values_list("name", flat=True)) == {"Government of Japan"}


@pytest.mark.django_db
def test_a_bad_source_or_date_refuses_each_draft_with_the_reason(analyst):
    drafts = [draft_dict("Kenya will cut duty.", "Government of Kenya")]

    created, skipped = services.commitments_create_from_drafts(
        user=analyst, drafts=drafts, source_url="javascript:alert(1)"
    )
    assert created == []
    assert skipped[0]["reason"].startswith("source_url: ")
    assert "Enter a web address starting with http:// or https://." in skipped[0]["reason"]

    created, skipped = services.commitments_create_from_drafts(
        user=analyst,
        drafts=drafts,
        made_on=datetime.date.today() + datetime.timedelta(days=2),  # noqa: DTZ011
    )
    assert created == []
    assert skipped[0]["reason"] == "made_on: A pledge cannot be made in the future."
    assert Commitment.objects.count() == 0


@pytest.mark.django_db
def test_engine_drafts_can_be_recorded_as_they_come(analyst):
    drafts = [draft.to_dict() for draft in proposed(TICAD_FILE.read_text(encoding="utf-8"))]

    created, skipped = services.commitments_create_from_drafts(
        user=analyst, drafts=drafts, made_on=datetime.date(2025, 8, 20)
    )

    assert skipped == []
    assert len(created) == len(drafts) == 7
    assert Commitment.objects.filter(made_by__name="Shigeru Ishiba", kind="review").exists()
    again, skipped = services.commitments_create_from_drafts(user=analyst, drafts=drafts)
    assert again == []
    assert len(skipped) == 7


# Robustness -------------------------------------------------------------------------

FUZZ_VOCABULARY = (
    "Kenya Japan Tokyo Mr Dr. U.S. the he she they it we said will would pledged urged agreed signed to of and "
    "not by within three years 2027 March $5.5 billion ¥ KSh € , . ; : \" ' ( ) — ? ! \n \n\n Ishiba's "
    "President Prime Minister Government of asked the company both sides open to examining 12% No. 10"
)
FUZZ_WORDS = FUZZ_VOCABULARY.split(" ")


@pytest.mark.parametrize("seed", range(40))
def test_any_jumble_of_words_and_punctuation_gives_well_formed_drafts(seed):
    import random

    chooser = random.Random(seed)
    text = " ".join(chooser.choice(FUZZ_WORDS) for _ in range(chooser.randint(1, 400))) + " the and of"

    for draft in extract_pledges(text, article_date=ARTICLE_DAY):
        assert draft.kind in Commitment.Kind.values
        assert 0 <= draft.confidence <= 1
        assert draft.due is None or datetime.date.fromisoformat(draft.due) >= ARTICLE_DAY
        assert draft.text.strip() and draft.text in " ".join(text.split())
        json.dumps(draft.to_dict())


@pytest.mark.parametrize(
    "unit",
    [
        'the minister said, "Kenya will, ',
        "Mr Ruto said he will pay. ",
        "Kenya's Japan's the ",
        "in talks with the Toyota Group ",
        "the Kenya, ",
    ],
)
def test_long_pathological_text_is_still_read_in_seconds(unit):
    text = (unit * (MAX_TEXT_CHARS // len(unit)))[:MAX_TEXT_CHARS]

    started = time.perf_counter()
    extract_pledges(text, article_date=ARTICLE_DAY)

    assert time.perf_counter() - started < 15  # 0.5-2.3 s on the development machine
