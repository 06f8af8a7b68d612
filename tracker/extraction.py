"""Article text -> draft pledges.

A pure, rule-based engine: no database, no network, no model weights. It
splits the text into sentences, finds the commitment language in each
(pledged, will, agreed to, urged...), works out who made the pledge (the
subject before the verb, or the speaker of a quote; pronouns, titles,
surnames and capitals resolved against what the article said before), and
reads the deadline and the money the sentence gives. docs/EXTRACTION.md
describes the rules, the figures measured on tests/data/extraction and the
known limits.

`extract_pledges` takes the actors the tracker already knows (Actor rows,
or anything with a name and aliases) so that drafts link to them; reading
them from the database is left to the caller (selectors.actors_for_extraction).
"""

from __future__ import annotations

import calendar
import datetime
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

# Marks a message for the translation catalogue and returns it as it is: the engine itself stays free of
# Django's settings, and the page translates the message (views._extraction_refusal).
from django.utils.translation import gettext_noop

MAX_TEXT_CHARS = 200_000
# A draft below this confidence is shown for completeness, not proposed.
PROPOSE_THRESHOLD = 0.5
TITLE_MAX_CHARS = 100


class ExtractionError(ValueError):
    """The text cannot be read as an article (empty, or too long).

    `message` is English with %(name)s placeholders for `params`; str() is
    that message filled in (what the API says), and a page translates
    `message` and fills it in itself.
    """

    def __init__(self, message: str, **params):
        shown = {name: f"{value:,}" if isinstance(value, int) else value for name, value in params.items()}
        super().__init__(message % shown if params else message)
        self.message = message
        self.params = params


def text_too_long(text: str) -> bool:
    """Over MAX_TEXT_CHARS: extract_pledges refuses it, and the page and the API say so before calling it."""
    return len(text) > MAX_TEXT_CHARS


@dataclass
class Draft:
    text: str
    actor: str
    actor_id: int | None = None
    counterpart: str = ""
    counterpart_id: int | None = None
    kind: str = "promise"
    due: str | None = None
    amount: dict | None = None
    cue: str = ""
    confidence: float = 0.0
    title: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class KnownActor:
    """An actor the tracker already holds, as the engine needs it."""

    id: int | None
    name: str
    kind: str = ""
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_any(cls, actor) -> KnownActor:
        if isinstance(actor, KnownActor):
            return actor
        if isinstance(actor, dict):
            aliases = actor.get("aliases") or ()
            if isinstance(aliases, str):
                aliases = aliases.splitlines()
            return cls(actor.get("id"), actor["name"], actor.get("kind", ""), _clean_aliases(aliases))
        aliases = getattr(actor, "alias_list", None)
        if aliases is None:
            aliases = getattr(actor, "aliases", ())
            if isinstance(aliases, str):
                aliases = aliases.splitlines()
        return cls(
            getattr(actor, "pk", getattr(actor, "id", None)),
            actor.name,
            getattr(actor, "kind", ""),
            _clean_aliases(aliases),
        )


def _clean_aliases(aliases) -> tuple[str, ...]:
    return tuple(alias.strip() for alias in aliases if alias and alias.strip())


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ---------------------------------------------------------------------------
# Built-in knowledge: countries, their capitals and adjectives.

# country: (capital(s), adjective(s))
COUNTRIES = {
    "Japan": (("Tokyo",), ("Japanese",)),
    "Kenya": (("Nairobi",), ("Kenyan",)),
    "United States": (("Washington",), ("American", "US", "U.S.")),
    "China": (("Beijing",), ("Chinese",)),
    "United Kingdom": (("London",), ("British", "UK", "U.K.")),
    "France": (("Paris",), ("French",)),
    "Germany": (("Berlin",), ("German",)),
    "Russia": (("Moscow", "the Kremlin"), ("Russian",)),
    "India": (("New Delhi",), ("Indian",)),
    "Nigeria": (("Abuja",), ("Nigerian",)),
    "South Africa": (("Pretoria",), ("South African",)),
    "Ethiopia": (("Addis Ababa",), ("Ethiopian",)),
    "Rwanda": (("Kigali",), ("Rwandan",)),
    "Uganda": (("Kampala",), ("Ugandan",)),
    "Tanzania": (("Dodoma",), ("Tanzanian",)),
    "Morocco": (("Rabat",), ("Moroccan",)),
    "Zambia": (("Lusaka",), ("Zambian",)),
    "Ghana": (("Accra",), ("Ghanaian",)),
    "Egypt": (("Cairo",), ("Egyptian",)),
    "Senegal": (("Dakar",), ("Senegalese",)),
    "Canada": (("Ottawa",), ("Canadian",)),
    "Australia": (("Canberra",), ("Australian",)),
    "South Korea": (("Seoul",), ("South Korean", "Korean")),
    "Brazil": (("Brasilia", "Brasília"), ("Brazilian",)),
    "Italy": (("Rome",), ("Italian",)),
    "Spain": (("Madrid",), ("Spanish",)),
    "Turkey": (("Ankara",), ("Turkish",)),
    "Saudi Arabia": (("Riyadh",), ("Saudi",)),
    "Indonesia": (("Jakarta",), ("Indonesian",)),
    "Ukraine": (("Kyiv",), ("Ukrainian",)),
    "Norway": (("Oslo",), ("Norwegian",)),
    "Mexico": (("Mexico City",), ("Mexican",)),
    "Argentina": (("Buenos Aires",), ("Argentine", "Argentinian")),
    "Pakistan": (("Islamabad",), ("Pakistani",)),
    "Israel": ((), ("Israeli",)),
    "Iran": (("Tehran",), ("Iranian",)),
    "Qatar": (("Doha",), ("Qatari",)),
    "United Arab Emirates": (("Abu Dhabi",), ("Emirati",)),
    "Switzerland": (("Bern",), ("Swiss",)),
    "Netherlands": (("The Hague",), ("Dutch",)),
    "Sweden": (("Stockholm",), ("Swedish",)),
    "Poland": (("Warsaw",), ("Polish",)),
    "Vietnam": (("Hanoi",), ("Vietnamese",)),
    "Thailand": (("Bangkok",), ("Thai",)),
    "Philippines": (("Manila",), ("Philippine", "Filipino")),
    "Malaysia": (("Kuala Lumpur",), ("Malaysian",)),
    "Singapore": ((), ("Singaporean",)),
    "Haiti": (("Port-au-Prince",), ("Haitian",)),
    "Mauritania": (("Nouakchott",), ("Mauritanian",)),
    "Namibia": (("Windhoek",), ("Namibian",)),
    "Somalia": (("Mogadishu",), ("Somali",)),
    "Sudan": (("Khartoum",), ("Sudanese",)),
    "Democratic Republic of Congo": (("Kinshasa",), ("Congolese",)),
    "Tunisia": (("Tunis",), ("Tunisian",)),
    "Algeria": (("Algiers",), ("Algerian",)),
    "Angola": (("Luanda",), ("Angolan",)),
    "Mozambique": (("Maputo",), ("Mozambican",)),
    "Zimbabwe": (("Harare",), ("Zimbabwean",)),
    "Botswana": (("Gaborone",), ("Botswanan",)),
    "Ivory Coast": (("Abidjan", "Yamoussoukro"), ("Ivorian",)),
    "El Salvador": (("San Salvador",), ("Salvadoran",)),
    "Guatemala": (("Guatemala City",), ("Guatemalan",)),
    "Tuvalu": (("Funafuti",), ("Tuvaluan",)),
}
COUNTRY_ALIASES = {
    "Britain": "United Kingdom",
    "Great Britain": "United Kingdom",
    "UK": "United Kingdom",
    "U.K.": "United Kingdom",
    "US": "United States",
    "U.S.": "United States",
    "USA": "United States",
    "America": "United States",
    "United States of America": "United States",
    "DRC": "Democratic Republic of Congo",
    "Côte d'Ivoire": "Ivory Coast",
    "UAE": "United Arab Emirates",
}
# Capitals that stand for something other than a national government.
CAPITAL_OVERRIDES = {"Brussels": "European Union"}

CAPITALS = {**CAPITAL_OVERRIDES}


def _government_of(country: str) -> str:
    article = "the " if country.startswith("United") or country in {"Netherlands", "Philippines"} else ""
    return f"Government of {article}{country}"


for _country, (_capitals, _adjectives) in COUNTRIES.items():
    for _capital in _capitals:
        CAPITALS[_capital] = _government_of(_country)
COUNTRY_NAMES = {name.lower(): name for name in COUNTRIES} | {
    alias.lower(): country for alias, country in COUNTRY_ALIASES.items()
}
ADJECTIVES = {adjective.lower() for _, adjectives in COUNTRIES.values() for adjective in adjectives} | {
    "european",
    "african",
    "asian",
    "arab",
    "western",
    "northern",
    "southern",
    "eastern",
    "latin",
    "scotch",
}

# Words that make a capitalised phrase an organisation, not a person.
ORGANISATION_WORDS = frozenset(
    _words(
        """
    agency alliance assembly association authority bank board bond bonds bureau cabinet capital centre center
    coalition commission committee company congress conference cooperation corporation corp council court
    department development exchange facility force forum foundation fund government group holdings inc initiative
    institute investments kingdom league ltd market markets mining minerals ministry mission motor motors nations
    office oil organisation organization parliament partners partnership party petroleum plan police power programme
    program project republic reserve secretariat securities security senate service services states summit treasury
    treaty trust union university energy airlines airways railways gas emirates islands tsusho association
    """
    )
)
COMPANY_WORDS = frozenset(
    _words(
        "company co corporation corp inc ltd plc holdings motor motors minerals mining airlines airways tsusho group "
        "petroleum energy power investments securities bank"
    )
)
GOVERNMENT_NOUNS = {"government", "administration", "country", "state", "cabinet", "treasury", "ministry"}
COMPANY_NOUNS = {
    "company",
    "firm",
    "group",
    "miner",
    "carmaker",
    "utility",
    "lender",
    "bank",
    "operator",
    "insurer",
    "airline",
    "carrier",
    "manufacturer",
    "maker",
    "producer",
    "exporter",
    "importer",
    "investor",
    "developer",
    "retailer",
}
ORGANISATION_NOUNS = {"bloc", "union", "agency", "fund", "organisation", "organization", "alliance", "council"}
PAIR_NOUNS = re.compile(
    r"^(?:both|the two)\s+(?:sides|countries|governments|leaders|blocs|nations|parties|partners|companies|firms)$",
    re.IGNORECASE,
)

# Titles before a name; the longest first so "Prime Minister" beats "Minister".
TITLE_WORDS = frozenset(
    _words(
        """
    president vice-president prime premier vice-premier minister secretary secretary-general chancellor governor
    commissioner chair chairman chairwoman chairperson director director-general ambassador king queen prince
    princess sheikh senator general gen lieutenant colonel col captain capt admiral mr mrs ms miss dr prof
    professor sir dame lord lady mayor speaker deputy cs ceo chief executive envoy rev reverend justice judge
    """
    )
)
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame"})
NAME_CONNECTORS = frozenset(
    {
        "of",
        "for",
        "de",
        "da",
        "do",
        "dos",
        "das",
        "von",
        "der",
        "van",
        "den",
        "du",
        "la",
        "le",
        "al",
        "bin",
        "ibn",
        "y",
        "&",
    }
)

# ---------------------------------------------------------------------------
# Sentence splitting.

ABBREVIATIONS = frozenset(
    _words(
        """
    mr mrs ms dr prof gen st sen rep gov lt col capt sgt maj cmdr adm rev hon jr sr messrs mt ft fr
    """
    )
)
MONTH_ABBREVIATIONS = _words("jan feb mar apr jun jul aug sep sept oct nov dec")
NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "art", "vol", "fig", "p", "pp", "para", "sec", "ch"})
OTHER_ABBREVIATIONS = frozenset(
    {"inc", "ltd", "co", "corp", "bros", "vs", "etc", "approx", "dept", "est", "e.g", "i.e", "cf"}
)
SENTENCE_STARTERS = frozenset(
    _words(
        """
    the a an he she it they we i his her its their our this that these those but and however meanwhile in on at
    for mr mrs ms dr there some officials analysts separately earlier later
    """
    )
)

# Capitalised only because they open a sentence.
LEADING_FUNCTION_WORDS = (SENTENCE_STARTERS - HONORIFICS - {"mr", "mrs", "ms", "dr"}) | {
    "under",
    "separately",
    "several",
    "meeting",
    "after",
    "before",
    "earlier",
    "later",
    "speaking",
    "asked",
    "when",
    "if",
    "as",
    "with",
    "while",
    "both",
    "all",
    "many",
    "most",
    "other",
}
_QUOTE_TRANSLATION = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
    }
)
_PARAGRAPH = re.compile(r"\n\s*\n")
_END_CANDIDATE = re.compile(r"[.!?]+['\")\]]*(?=\s)")
_TOKEN_BEFORE = re.compile(r"(\S+)$")
_SPACES = re.compile(r"\s+")

# A dateline opens a news report: "NAIROBI, 21 August 2025 -", "NAIROBI, Kenya, Aug 21 (Reuters) -",
# "Tokyo, 21 August 2025:", "LONDON —". Its date is when the report was filed, never a deadline.
_DATELINE_MONTH = (
    r"(?i:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_DATELINE_WEEKDAY = r"(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DATELINE_DAY_MONTH = (
    r"(?:\d{1,2}(?:st|nd|rd|th)?\s+" + _DATELINE_MONTH + r"|" + _DATELINE_MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?)"
    r"(?:,?\s+\d{4})?"
)
_DATELINE_DATE = (
    r"(?:" + _DATELINE_WEEKDAY + r",?\s+)?" + _DATELINE_DAY_MONTH + r"|" + _DATELINE_WEEKDAY + r"|\d{4}-\d\d-\d\d"
)
_DATELINE_AGENCY = r"\([A-Z][\w&.' -]{0,40}\)"
# What follows is the report's first sentence: "ECOWAS — the regional bloc — agreed" keeps its subject.
_DATELINE_END = r"(?:\s*[\u2014\u2013]\s*|\s*--?\s+|\s*:\s+)(?=[\"'A-ZÀ-Þ0-9])"
_DATELINE_REGION = r"(?:,[ \t]*[A-ZÀ-Þ][\w.'-]*(?:[ \t]+[A-ZÀ-Þ][\w.'-]*){0,2})"
_DATELINE = re.compile(
    # A place in capitals may stand alone ("LONDON —"); one in ordinary case needs a date after it, so that
    # "Tokyo, Nairobi and Accra - the three capitals -" is not taken for one.
    r"[ \t]*(?:"
    r"[A-ZÀ-Þ][A-ZÀ-Þ.'-]{2,}(?:[ \t]+[A-ZÀ-Þ][A-ZÀ-Þ.'-]*){0,3}" + _DATELINE_REGION + r"?"
    r"(?:,?\s+(?P<date>" + _DATELINE_DATE + r"))?(?:\s*" + _DATELINE_AGENCY + r")?"
    r"|[A-ZÀ-Þ][\w.'-]*(?:[ \t]+[A-ZÀ-Þ][\w.'-]*){0,2}" + _DATELINE_REGION + r"?"
    r",\s+(?P<date_after_name>" + _DATELINE_DATE + r")(?:\s*" + _DATELINE_AGENCY + r")?"
    r")" + _DATELINE_END
)
_LINE_START = re.compile(r"^", re.MULTILINE)


def split_sentences(text: str) -> list[str]:
    """Sentences of the text, verbatim apart from collapsed whitespace (datelines dropped)."""
    normalised = text.translate(_QUOTE_TRANSLATION)
    sentences = []
    for start, end in _block_spans(normalised):
        for sentence_start, sentence_end in _sentence_spans(normalised, start, end):
            sentence = _SPACES.sub(" ", text[sentence_start:sentence_end]).strip()
            if sentence:
                sentences.append(sentence)
    return sentences


def article_dateline_date(text: str, *, today: datetime.date | None = None) -> datetime.date | None:
    """The date of the article's first dated dateline, if it has one; a date without a year is the last one
    not after `today`."""
    normalised = text.translate(_QUOTE_TRANSLATION)
    today = today or datetime.date.today()  # noqa: DTZ011 - a calendar date; no Django here
    for start, end in _paragraph_spans(normalised):
        for line in _LINE_START.finditer(normalised, start, end):
            dateline = _DATELINE.match(normalised, line.start(), end)
            phrase = dateline and (dateline.group("date") or dateline.group("date_after_name"))
            if phrase:
                found = _dateline_day(phrase, today)
                if found is not None:
                    return found
    return None


def _dateline_day(phrase: str, today: datetime.date) -> datetime.date | None:
    if re.fullmatch(r"\d{4}-\d\d-\d\d", phrase):
        try:
            return datetime.date.fromisoformat(phrase)
        except ValueError:
            return None
    for name, pattern in DATE_PATTERNS:
        match = pattern.search(phrase) if name in ("day_month", "month_day") else None
        if not match:
            continue
        try:
            month = MONTHS[match.group("month").lower()]
            day = int(match.group("day"))
            if match.group("year"):
                return datetime.date(int(match.group("year")), month, day)
            found = datetime.date(today.year, month, day)
            return found if found <= today else datetime.date(today.year - 1, month, day)
        except ValueError:
            return None
    return None


def _block_spans(text: str):
    """Paragraphs, each without its dateline; a line opening with a dateline starts a new block, so that a
    headline on the line above does not run into the report."""
    for start, end in _paragraph_spans(text):
        block_start = start
        for line in _LINE_START.finditer(text, start, end):
            dateline = _DATELINE.match(text, line.start(), end)
            if dateline is None:
                continue
            if text[block_start : line.start()].strip():
                yield block_start, line.start()
            block_start = dateline.end()
        yield block_start, end


def _paragraph_spans(text: str):
    start = 0
    for match in _PARAGRAPH.finditer(text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def _sentence_spans(text: str, start: int, end: int):
    sentence_start = start
    for match in _END_CANDIDATE.finditer(text, start, end):
        boundary = match.end()
        if _is_sentence_end(text, sentence_start, match, end):
            yield sentence_start, boundary
            sentence_start = boundary
    if text[sentence_start:end].strip():
        yield sentence_start, end


def _is_sentence_end(text: str, sentence_start: int, match: re.Match, end: int) -> bool:
    after = text[match.end() : end].lstrip()
    if not after:
        return True
    following = after[0]
    if not (following.isupper() or following.isdigit() or following in "\"'(["):
        return False
    punctuation = match.group()
    inside = text[sentence_start : match.start()]
    # Inside an open quotation the speaker usually comes after it; keep it whole
    # unless the quotation runs on implausibly long.
    quotes_so_far = inside.count('"') + punctuation.count('"')
    if quotes_so_far % 2 == 1 and len(inside) < 600:
        return False
    if punctuation != ".":
        return True
    token_match = _TOKEN_BEFORE.search(inside)
    if not token_match:
        return True
    token = token_match.group(1).lstrip("\"'([")
    word = token.lower().rstrip(".")
    next_word = re.match(r"[\"'(\[]*([^\s\"']+)", after)
    next_word = next_word.group(1).lower().rstrip(".,;:") if next_word else ""
    if word in ABBREVIATIONS:
        return False
    if word in MONTH_ABBREVIATIONS or word in NUMBER_ABBREVIATIONS:
        return not following.isdigit()
    if len(word) == 1 and word.isalpha() and token[0].isupper():
        return False  # an initial: J. Smith, J.P. Morgan
    if "." in word:  # an acronym with dots: U.S., U.N., e.g.
        return next_word in SENTENCE_STARTERS
    if word in OTHER_ABBREVIATIONS:
        return next_word in SENTENCE_STARTERS
    return True


# ---------------------------------------------------------------------------
# Commitment language.


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern
    kind: str
    strength: float
    weak: bool = False  # a modal or a reporting verb: only when nothing firmer is there
    reported: bool = False  # "would": a pledge only in reported speech
    modal: bool = False  # will/would: weaker when its subject is not someone who can pledge


def _cue(pattern, kind, strength, **flags):
    return Cue(re.compile(pattern, re.IGNORECASE), kind, strength, **flags)


_OBJECT = r"(?:\s+[\w'.,$€£¥%-]+){0,6}?"
# An amount of money ahead: "$5bn", "US$1.2 billion", "Sh10 billion", "3 billion yen" (not "4G coverage").
_MONEY = r"(?:(?:[$€£¥₦₹]|US\$|[AC]\$|K?Sh|Kshs?|KES|Rs)\s?\d|\d[\d,.]*(?:\s|-)?(?:trillion|billion|million|bn|mn)\b)"
_AID = r"(?:loans?|grants?|credit|credits|financing|funding|funds|aid|support|assistance)"
CUES = (
    # Requests.
    _cue(r"\burg(?:ed|es|ing|e)\b", "request", 0.85),
    _cue(r"\bcall(?:ed|s|ing)?\s+(?:on|upon|for)\b", "request", 0.85),
    _cue(r"\bpress(?:ed|es|ing)?\s+for\b", "request", 0.85),
    _cue(r"\bpress(?:ed|es|ing)" + _OBJECT + r"\s+to\s+(?!the\b|a\b|an\b)", "request", 0.8),
    _cue(r"\bask(?:ed|s|ing)?(?!\s+(?:whether|if)\b)" + _OBJECT + r"\s+to\s+(?!the\b|a\b|an\b)", "request", 0.8),
    _cue(r"\bappeal(?:ed|s|ing)?\s+(?:to|for)\b", "request", 0.85),
    _cue(r"\brequest(?:ed|s|ing)\b", "request", 0.75),
    _cue(r"\bdemand(?:ed|s|ing)\b", "request", 0.75),
    _cue(r"\binvit(?:ed|es|ing)" + _OBJECT + r"\s+to\b", "request", 0.65),
    _cue(r"\b(?:we|you|they)\s+(?:must|need\s+to)\b", "request", 0.6),
    # Statements of intent.
    _cue(r"\bstatement\s+of\s+intent\b", "intent", 0.85),
    _cue(r"\bletter\s+of\s+intent\b", "intent", 0.85),
    _cue(r"\bmemorand(?:um|a)\s+of\s+understanding\b", "intent", 0.85),
    _cue(r"\bMoUs?\b", "intent", 0.8),
    _cue(r"\bintend(?:s|ed|ing)?\s+to\b", "intent", 0.85),
    _cue(r"\bintention\s+to\b", "intent", 0.8),
    _cue(r"\bin\s+(?:talks|discussions|negotiations)\s+with\b", "intent", 0.6),
    # Reviews.
    _cue(
        r"\b(?:open|willing|ready|prepared)\s+to\s+(?:examin|review|stud|consider|look|reconsider|assess)\w*",
        "review",
        0.8,
    ),
    _cue(r"\bto\s+(?:study|review|examine|reconsider|re-examine|assess|look\s+into)\b", "review", 0.8),
    _cue(r"\b(?:will|would)\s+(?:study|review|examine|reconsider|look\s+into|consider)\b", "review", 0.75),
    _cue(r"\b(?:is|was|are|were|be)\s+(?:studying|reviewing|examining|reconsidering|considering)\b", "review", 0.7),
    # Agreements.
    _cue(r"\bsign(?:ed|s|ing)?\b(?!\s+(?:of|that)\b)", "agreement", 0.85),
    _cue(r"\bagree(?:d|s|ing)?\b", "agreement", 0.85),
    _cue(
        r"\badopt(?:ed|s|ing)?\s+(?:a|an|the)\s+(?:[\w'-]+\s+){0,4}?(?:deal|agreement|declaration|resolution|plan|"
        r"framework|roadmap|pact|accord|treaty|strategy|charter|communiqu[eé])\b",
        "agreement",
        0.8,
    ),
    _cue(
        r"\bconclud(?:ed|es|ing)\s+(?:\w+\s+){0,3}?(?:agreement|deal|negotiations|talks|accord|pact|treaty)\b",
        "agreement",
        0.8,
    ),
    # Targets.
    _cue(r"\baim(?:s|ed|ing)?\s+(?:to|at)\b", "target", 0.85),
    _cue(r"\btarget(?:s|ed|ing)?\s+(?:to|of)\b", "target", 0.75),
    _cue(r"\bset\s+(?:a|the|an)\s+(?:\w+\s+)?(?:target|goal)\b", "target", 0.8),
    _cue(r"\bgoal\s+of\b", "target", 0.65),
    _cue(r"\badopt(?:ed|s|ing)?\s+(?:a|an|the)\s+(?:[\w'-]+\s+){0,3}?(?:target|goal)\b", "target", 0.8),
    _cue(
        r"\bs(?:eeks?|eeking|ought)\s+to\s+(?:mobili[sz]e|raise|attract|reach|achieve|double|triple|halve)\b",
        "target",
        0.8,
    ),
    # Promises.
    _cue(r"\bpromised\b|\bpromis(?:es|ing)\s+to\b|\bpromise\s+to\b", "promise", 0.85),
    _cue(r"\bpledg(?:ed|ing)\b|\bpledges?\s+to\b", "promise", 0.85),
    _cue(r"\bvow(?:ed|s|ing)?\b", "promise", 0.85),
    _cue(r"\boffered\b|\boffers?\s+to\b", "promise", 0.7),
    _cue(
        r"\bcommit(?:ted|s|ting)?\s+(?:to|itself|themselves|herself|himself|an?\b|some\b|[$€£¥₦₹]|US\$|C\$|K?Sh(?=\s?\d)|\d)",
        "promise",
        0.85,
    ),
    # "has extended up to Sh10 billion", "extended a $500 million loan", "extended support to".
    _cue(
        r"\bextend(?:ed|s|ing)?\s+(?:(?:up\s+to|about|around|nearly|some|an?|another|further|additional|new)\s+)*"
        r"(?:(?=" + _MONEY + r")|(?:(?!the\b)[\w-]+\s+)?" + _AID + r"\b)",
        "promise",
        0.75,
    ),
    # A pledge named as a noun: "included a pledge that France would...", "made a commitment to...".
    _cue(
        r"\b(?:a|an|the|its|his|her|their|new|fresh)\s+(?:[\w-]+\s+)?(?:pledge|promise|commitment|vow|undertaking)\s+"
        r"(?:that|to|of)\b",
        "promise",
        0.8,
    ),
    _cue(r"\bundert(?:ook|akes|ake)\s+to\b", "promise", 0.8),
    _cue(r"\bguarantee(?:d|s)?\b", "promise", 0.7),
    _cue(r"\bplan(?:s|ned|ning)?\s+to\b", "promise", 0.8),
    _cue(r"\bs(?:eeks?|eeking|ought)\s+to\b", "promise", 0.75),
    _cue(
        r"\b(?:willing|ready|prepared)\s+to\s+(?:provide|give|fund|finance|support|offer|contribute|deploy|send|"
        r"invest|lend|supply|build|help)\b",
        "promise",
        0.75,
    ),
    _cue(r"\b(?:willing|ready|prepared)\s+to\b", "promise", 0.65),
    # An undertaking announced as under way: "we are launching a fund".
    _cue(
        r"\b(?:is|are|am)\s+(?:now\s+)?(?:launching|setting\s+up|establishing|creating|rolling\s+out|introducing)\b"
        r"|'re\s+(?:launching|setting\s+up|creating)\b|'m\s+(?:launching|setting\s+up|creating)\b",
        "promise",
        0.7,
    ),
    _cue(r"(?:\bwill|\bshall|'ll)\s+(?:now\s+)?go\s+ahead\s+with\b", "promise", 0.8),
    _cue(r"\b(?:is|are)\s+(?:set|going)\s+to\b", "promise", 0.6),
    _cue(r"\b(?:will|shall)\b|'ll\b", "promise", 0.7, modal=True),
    _cue(r"\bwould\b", "promise", 0.65, reported=True, modal=True, weak=True),
    _cue(r"\bannounc(?:ed|es|ing)\b", "promise", 0.55, weak=True),
)
# A review or intent right after the main verb says what kind of pledge it is:
# "promised to study" is a review, "signed a statement of intent" an intent.
KIND_REFINING = frozenset({"review", "intent"})
REFINE_WINDOW = 45

REPORTING_VERB = re.compile(
    r"\b(?:said|says|told|added|announced|declared|stated|insisted|explained|noted|confirmed|wrote|according\s+to)\b",
    re.IGNORECASE,
)
NEGATION = re.compile(
    r"\b(?:not|never|no\s+longer|neither|nor|(?:declined|refused|failed)(?:\s+\w+){0,3}?\s+to|without|rejected)\b"
    r"|n't\b",
    re.IGNORECASE,
)
# A question is not a pledge: "Asked whether Japan was willing to provide more, the minister...".
QUESTION_BEFORE = re.compile(
    r"\b(?:whether|(?:ask(?:ed|s|ing)?|know|knows|unclear|unsure|uncertain|see|wonder(?:ed|s)?|decide[sd]?)\s+if)\b"
    r"[^,;:\"]{0,60}$",
    re.IGNORECASE,
)
# Nor is a condition: in "If Kenya agrees to reforms, Japan will fund the railway" the pledge is the second verb.
CONDITION_BEFORE = re.compile(r"\b(?:whether|if|unless)\b[^,;:\"]{0,60}$", re.IGNORECASE)
# Hopes and expectations are not pledges: "hoped to sign", "is expected to agree".
HEDGE_BEFORE = re.compile(
    r"\b(?:hope[sd]?|hoping|wish(?:es|ed)?|would\s+like|might|may|could|expects?|expected|is\s+likely|are\s+likely)"
    r"\s+(?:to\s+)?(?:\w+\s+)?$",
    re.IGNORECASE,
)
# "$11.6 billion pledged by rich countries": an earlier pledge described, not a new one.
PASSIVE_AFTER = re.compile(r"^\s+by\b", re.IGNORECASE)
PAST_AFTER = re.compile(
    r"^\s+(?:[\w,$€£¥.%-]+\s+){0,3}?(?:(?:in|during)\s+(?P<year>(?:19|20)\d\d)\b|last\s+(?:year|month|week)|"
    r"(?:a\s+year|years|months)\s+ago)",
    re.IGNORECASE,
)
# A plural noun phrase opening a sentence before its verb: "French farmers staged...".
GENERIC_SUBJECT = re.compile(
    r"^(?P<subject>(?:[A-Z][\w'-]*)(?:\s+[a-z][\w'-]*){0,3}?\s*[a-z][\w'-]{2,}[^s\W]s'?)\s+"
    r"(?:\w+ed|have|had|are|were|say|said|want|will|would|plan|staged|met|held|took|went|began|fear)\b"
)
# Futures that are forecasts or descriptions, not pledges.
NON_PLEDGE_AFTER_MODAL = re.compile(
    r"^\s+(?:also\s+)?(?:be|have|add|cost|mean|help|boost|lead|bring|create|save|raise\s+prices)\b", re.IGNORECASE
)


# ---------------------------------------------------------------------------
# Dates.

MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): index for index, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
WEEKDAYS = frozenset(day.lower() for day in calendar.day_name)
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "eighteen": 18,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}
_MONTH = r"(?P<month>" + "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True)) + r")\.?"
_NUMBER = r"(?P<count>\d+|" + "|".join(NUMBER_WORDS) + r")"
_DEADLINE_WORD = r"(?:by|before|until|till|no\s+later\s+than|in|during|from|at\s+the\s+latest\s+in)"
DATE_PATTERNS = (
    # 30 June 2026 / 30 June
    ("day_month", re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"(?:,?\s+(?P<year>\d{4}))?\b", re.I)),
    # June 30, 2026 / June 30
    ("month_day", re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{4}))?", re.I)),
    # by the end of 2027 / by the end of the year / by the end of next year / by the end of March 2027
    (
        "end_of",
        re.compile(
            r"\b(?:by|before|until)\s+the\s+end\s+of\s+(?:(?P<year>\d{4})|(?P<rel>this|next|the)\s+year|"
            + _MONTH
            + r"(?:\s+(?P<year2>\d{4}))?)\b",
            re.I,
        ),
    ),
    # by mid-2026
    ("mid", re.compile(r"\b(?:by|before|until|in)\s+mid-?\s?(?P<year>\d{4})\b", re.I)),
    # in the first quarter of next year / of 2027
    (
        "quarter",
        re.compile(
            r"\b(?:in|by|before)\s+the\s+(?P<q>first|second|third|fourth|final|last)\s+quarter\s+of\s+"
            r"(?:(?P<year>\d{4})|(?P<rel>this|next)\s+year)\b",
            re.I,
        ),
    ),
    # by March 2026 / in March 2026
    ("month_year", re.compile(r"\b" + _DEADLINE_WORD + r"\s+" + _MONTH + r"\s+(?P<year>\d{4})\b", re.I)),
    # within three years / in six months / over ten years
    (
        "within",
        re.compile(
            r"\b(?P<word>within|in|over|inside)\s+(?:the\s+next\s+|the\s+coming\s+)?"
            + _NUMBER
            + r"\s+(?P<unit>years?|months?|weeks?|days?)\b",
            re.I,
        ),
    ),
    # next year / next month
    ("next", re.compile(r"\b(?:next|the\s+coming)\s+(?P<unit>year|month)\b", re.I)),
    # by this year's end / this year
    ("this_year", re.compile(r"\b(?:later\s+)?this\s+year\b", re.I)),
    # by 2030 / in 2028
    ("year", re.compile(r"\b(?:by|before|until|in|from)\s+(?P<year>(?:19|20)\d{2})\b", re.I)),
    # by September
    ("month", re.compile(r"\b(?:by|before|until|in)\s+" + _MONTH + r"(?!\s+\d)\b", re.I)),
)
QUARTER_END = {"first": 3, "second": 6, "third": 9, "fourth": 12, "final": 12, "last": 12}


def resolve_due(sentence: str, article_date: datetime.date) -> str | None:
    """The first deadline the sentence gives, as an ISO date; relative ones counted from article_date."""
    found = []
    for name, pattern in DATE_PATTERNS:
        for match in pattern.finditer(sentence):
            due = _date_from_match(name, match, article_date)
            if due is not None and due >= article_date:
                found.append((match.start(), due))
                break
    if not found:
        return None
    return min(found)[1].isoformat()


def _date_from_match(name: str, match: re.Match, today: datetime.date) -> datetime.date | None:
    groups = match.groupdict()
    try:
        if name in ("day_month", "month_day"):
            month = MONTHS[groups["month"].lower()]
            day = int(groups["day"])
            year = int(groups["year"]) if groups.get("year") else _year_not_before(today, month, day)
            return datetime.date(year, month, day)
        if name == "end_of":
            if groups.get("year"):
                return datetime.date(int(groups["year"]), 12, 31)
            if groups.get("rel"):
                year = today.year + (1 if groups["rel"].lower() == "next" else 0)
                return datetime.date(year, 12, 31)
            month = MONTHS[groups["month"].lower()]
            year = (
                int(groups["year2"])
                if groups.get("year2")
                else _year_not_before(today, month, calendar.monthrange(today.year, month)[1])
            )
            return _month_end(year, month)
        if name == "mid":
            return datetime.date(int(groups["year"]), 6, 30)
        if name == "quarter":
            year = int(groups["year"]) if groups.get("year") else today.year + (groups["rel"].lower() == "next")
            return _month_end(year, QUARTER_END[groups["q"].lower()])
        if name == "month_year":
            if match.group(0).lower().startswith("from"):
                return None
            return _month_end(int(groups["year"]), MONTHS[groups["month"].lower()])
        if name == "within":
            count = groups["count"].lower()
            count = int(count) if count.isdigit() else NUMBER_WORDS[count]
            return _add(today, count, groups["unit"].lower().rstrip("s"))
        if name == "next":
            if groups["unit"].lower() == "year":
                return datetime.date(today.year + 1, 12, 31)
            return _month_end(*_next_month(today))
        if name == "this_year":
            return datetime.date(today.year, 12, 31)
        if name == "year":
            if match.group(0).lower().startswith("from"):
                return None
            return datetime.date(int(groups["year"]), 12, 31)
        if name == "month":
            month = MONTHS[groups["month"].lower()]
            if groups["month"].lower() in ("may", "mar") and not groups["month"][0].isupper():
                return None  # "may" the verb, "mar" the verb
            return _month_end(_year_not_before(today, month, calendar.monthrange(today.year, month)[1]), month)
    except (ValueError, OverflowError):
        return None
    return None


def _year_not_before(today: datetime.date, month: int, day: int) -> int:
    """The year that puts month/day on or after today: "by June 30" said in July means next June."""
    if (month, day) < (today.month, today.day):
        return today.year + 1
    return today.year


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _next_month(today: datetime.date) -> tuple[int, int]:
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _add(today: datetime.date, count: int, unit: str) -> datetime.date:
    if unit == "day":
        return today + datetime.timedelta(days=count)
    if unit == "week":
        return today + datetime.timedelta(weeks=count)
    months = count * 12 if unit == "year" else count
    year, month = divmod(today.month - 1 + months, 12)
    year += today.year
    month += 1
    return datetime.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------
# Money.

CURRENCY_PREFIXES = {
    "US$": "USD",
    "C$": "CAD",
    "A$": "AUD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "KSh": "KES",
    "Ksh": "KES",
    "Kshs": "KES",
    "KES": "KES",
    # The Kenyan press writes shillings as "Sh12.5 billion".
    "Sh": "KES",
    "USD": "USD",
    "EUR": "EUR",
    "GBP": "GBP",
    "JPY": "JPY",
    "CNY": "CNY",
    "RMB": "CNY",
    "INR": "INR",
    "Rs": "INR",
    "₹": "INR",
    "₦": "NGN",
    "R": "ZAR",
}
CURRENCY_WORDS = {
    "dollars": "USD",
    "us dollars": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "pounds sterling": "GBP",
    "yen": "JPY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "shillings": "KES",
    "kenyan shillings": "KES",
    "rupees": "INR",
    "naira": "NGN",
    "rand": "ZAR",
}
MULTIPLIERS = {
    "trillion": 10**12,
    "tn": 10**12,
    "billion": 10**9,
    "bn": 10**9,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "thousand": 10**3,
    "crore": 10**7,
    "lakh": 10**5,
}
_NUMBER_TEXT = r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
# "€80-billion": some papers join the number and its multiplier with a hyphen.
_MULTIPLIER = r"(?:(?:\s|-)?(?P<multiplier>trillion|billion|million|thousand|crore|lakh|tn|bn|mn|m)\b)?"
_PREFIX = "|".join(re.escape(prefix) for prefix in sorted(CURRENCY_PREFIXES, key=len, reverse=True) if prefix != "R")
AMOUNT_PREFIXED = re.compile(r"(?<![\w$])(?P<currency>" + _PREFIX + r"|R(?=\d))\s?" + _NUMBER_TEXT + _MULTIPLIER)
AMOUNT_WORDED = re.compile(
    r"\b"
    + _NUMBER_TEXT
    + _MULTIPLIER
    + r"\s+(?P<currency>"
    + "|".join(sorted(CURRENCY_WORDS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
# "200 billion yuan (US$28 billion)": the bracket right after an amount converts it; the amount is the original.
_CONVERSION_BETWEEN = re.compile(
    r"^\s*[(\[]\s*(?:(?:about|around|roughly|approximately|approx\.|some|nearly|almost|or|equivalent\s+to|"
    r"worth|c\.|~)\s*)?$",
    re.IGNORECASE,
)


def find_amounts(sentence: str) -> list[tuple[int, dict]]:
    """The amounts of money in the sentence with their positions, leaving out bracketed conversions."""
    matches = sorted(
        (match for pattern in (AMOUNT_PREFIXED, AMOUNT_WORDED) for match in pattern.finditer(sentence)),
        key=lambda match: match.start(),
    )
    amounts = []
    previous_end = None
    for match in matches:
        converted = previous_end is not None and _CONVERSION_BETWEEN.match(sentence[previous_end : match.start()])
        previous_end = match.end()
        if converted:
            continue
        currency = match.group("currency")
        code = CURRENCY_PREFIXES.get(currency) or CURRENCY_WORDS.get(currency.lower())
        number = float(match.group("number").replace(",", ""))
        multiplier = match.group("multiplier")
        value = number * MULTIPLIERS[multiplier.lower()] if multiplier else number
        value = round(value) if abs(value - round(value)) < 1e-6 else value
        amounts.append((match.start(), {"text": match.group(0).strip(), "value": value, "currency": code}))
    return amounts


def _amount_for(sentence: str, cue_end: int) -> dict | None:
    amounts = find_amounts(sentence)
    if not amounts:
        return None
    after = [amount for start, amount in amounts if start >= cue_end]
    return after[0] if after else amounts[0][1]


# ---------------------------------------------------------------------------
# Names and who they stand for.

_WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[^\W\d_][\w'\-]*(?:\.(?=\s|$|,))?|\d[\d,.]*|[^\w\s]", re.UNICODE)


@dataclass
class Mention:
    """A name in the text and what it stands for."""

    start: int
    end: int
    surface: str
    name: str
    category: str  # person, government, company, organisation, group
    title: str = ""


@dataclass
class Context:
    """What the article has named so far, for pronouns, surnames and titles."""

    known: list[KnownActor]
    mentions: list[Mention] = field(default_factory=list)
    persons_by_surname: dict[str, str] = field(default_factory=dict)
    persons_by_title: dict[str, str] = field(default_factory=dict)
    pair: tuple[str, str] | None = None
    # Sentence subjects, the likeliest referents of "the company" or "it".
    subjects: list[Mention] = field(default_factory=list)
    last_speaker: str | None = None
    _alias_index: dict[str, KnownActor] = field(default_factory=dict)

    def __post_init__(self):
        for actor in self.known:
            for alias in (actor.name, *actor.aliases):
                self._alias_index.setdefault(_key(alias), actor)

    def known_actor(self, name: str) -> KnownActor | None:
        return self._alias_index.get(_key(name))

    def remember(self, mention: Mention):
        self.mentions.append(mention)
        if mention.category == "person":
            parts = mention.name.split()
            if len(parts) > 1:
                self.persons_by_surname[parts[-1].lower()] = mention.name
            if mention.title:
                self.persons_by_title[mention.title.lower()] = mention.name

    def last(self, categories, before: list[Mention] = (), *, subjects_first=False) -> str | None:
        if subjects_first:
            for mention in reversed(self.subjects):
                if mention.category in categories:
                    return mention.name
        for mention in reversed([*self.mentions, *before]):
            if mention.category in categories:
                return mention.name
        return None


def _key(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).lower().strip()
    name = re.sub(r"^the\s+", "", name)
    return re.sub(r"[\s.]+", " ", name).strip()


_CONJUNCTION = re.compile(r"^(?:and|as\s+well\s+as)(?:\s+[a-z][\w-]*){0,3}$")


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}")


def _name_phrases(sentence: str) -> list[tuple[int, int, list[str], bool]]:
    """Runs of capitalised words (with connectors like "of", "von der") in the sentence.

    Returns (start, end, words, possessive) for each; "Kenya's President
    William Ruto" gives "Kenya" (possessive) then "President William Ruto".
    """
    phrases = []
    words: list[tuple[str, int, int]] = []

    def close(possessive=False):
        while words and words[-1][0].lower() in NAME_CONNECTORS:
            words.pop()
        if words:
            phrases.append((words[0][1], words[-1][2], [word for word, _, _ in words], possessive))
        words.clear()

    for match in _WORD.finditer(sentence):
        token = match.group()
        start, end = match.span()
        possessive = token.endswith("'s") or token.endswith("s'")
        bare = token[:-2] if token.endswith("'s") else token.rstrip("'")
        bare = (
            bare.rstrip(".")
            if not _DOTTED_ACRONYM.fullmatch(bare) and bare.lower().rstrip(".") not in ABBREVIATIONS
            else bare
        )
        if bare and _is_capitalised(bare) and bare[0].isalpha():
            if words and sentence[words[-1][2] : start].strip() not in ("", "-"):
                close()
            words.append((bare, start, start + len(bare)))
            if possessive:
                close(possessive=True)
        elif words and bare.lower() in NAME_CONNECTORS and sentence[words[-1][2] : start].strip() == "":
            words.append((bare, start, end))
        else:
            close()
    close()
    return phrases


def _strip_title(words: list[str]) -> tuple[list[str], str]:
    """("President", "William", "Ruto") -> (["William", "Ruto"], "President")."""
    last_title = -1
    for index, word in enumerate(words):
        lowered = word.lower().rstrip(".")
        if lowered in TITLE_WORDS or lowered.split("-")[0] in TITLE_WORDS:
            last_title = index
    if last_title == -1 or last_title == len(words) - 1:
        return words, ""
    title_words = words[: last_title + 1]
    # The title proper: "Finance Minister", "Prime Minister", "President".
    title = " ".join(word for word in title_words if word.lower().rstrip(".") in TITLE_WORDS or "-" in word)
    if title_words[-1].lower().rstrip(".") == "minister" and len(title_words) > 1:
        title = " ".join(title_words[-2:]) if title_words[-2].lower() == "prime" else "Minister"
    rest = words[last_title + 1 :]
    if "of" in rest:  # "Akiko Mori of St. Luke's": the person ends at "of"
        rest = rest[: rest.index("of")]
    return rest, title


def _classify(name: str, words: list[str], titled: bool, context: Context) -> tuple[str, str]:
    """(canonical name, category) for a capitalised phrase."""
    known = context.known_actor(name)
    if known is not None:
        category = {"person": "person", "government": "government", "company": "company"}.get(
            known.kind, "organisation"
        )
        return known.name, category
    if name in CAPITALS:
        return CAPITALS[name], "government"
    country = COUNTRY_NAMES.get(name.lower())
    if country:
        return name, "government"
    lowered = [word.lower().rstrip(".") for word in words]
    if titled:
        return name, "person"
    if any(word in COMPANY_WORDS for word in lowered):
        return name, "company"
    if (
        any(word in ORGANISATION_WORDS for word in lowered)
        or name.isupper()
        or ("-" in name and name.replace("-", "").isupper())
    ):
        return name, "organisation"
    if lowered[0] in ADJECTIVES or lowered[-1] in ADJECTIVES:
        return name, "group"
    if len(words) >= 2 and not any(word.isupper() for word in words):
        return name, "person"
    return name, "group"


_COMPANY_APPOSITIVE = re.compile(
    r",\s+(?:the|a|an)\s+[^,]{0,60}?\b(?:"
    + "|".join(sorted(COMPANY_NOUNS | {"company", "firm", "maker", "giant", "conglomerate", "start-up"}))
    + r")\b",
    re.IGNORECASE,
)


def _mentions_in(sentence: str, context: Context) -> list[Mention]:
    mentions = []
    for start, end, words, possessive in _name_phrases(sentence):
        # Sentence-initial function words are capitalised, not names.
        while words and words[0].lower() in LEADING_FUNCTION_WORDS:
            offset = sentence.find(words[0], start) + len(words[0])
            words = words[1:]
            start = offset + (len(sentence[offset:]) - len(sentence[offset:].lstrip()))
        if not words:
            continue
        if len(words) == 1 and words[0].lower() in ADJECTIVES and not possessive:
            continue
        if len(words) == 1 and (words[0].lower().rstrip(".") in MONTHS or words[0].lower() in WEEKDAYS):
            continue
        if all(word.lower().rstrip(".") in TITLE_WORDS for word in words):
            # "The President": the last person named with that title.
            holder = context.persons_by_title.get(" ".join(words).lower())
            if holder:
                mentions.append(Mention(start, end, " ".join(words), holder, "person", " ".join(words)))
            continue
        person_words, title = _strip_title(words)
        titled = bool(title)
        if len(person_words) == 1 and (titled or not possessive):
            surname = person_words[0].lower()
            full = context.persons_by_surname.get(surname)
            if full and (titled or context.known_actor(person_words[0]) is None):
                mentions.append(Mention(start, end, " ".join(words), full, "person", title))
                continue
        if titled and not person_words:
            continue
        name = " ".join(person_words)
        canonical, category = _classify(name, person_words, titled, context)
        preceded_by = sentence[:start].rstrip().rsplit(" ", 1)[-1].lower() if sentence[:start].strip() else ""
        if preceded_by in {"in", "at", "near", "from", "to", "of", "into", "across", "around"} and category != "person":
            category = "place"
        if category not in ("person", "government", "place") and _COMPANY_APPOSITIVE.match(sentence, end):
            category = "company"  # "Masdar, the Abu Dhabi renewable-energy company, ..."
        mentions.append(Mention(start, end, " ".join(words), canonical, category, title))
    return mentions


# ---------------------------------------------------------------------------
# Attribution.

PRONOUNS = {
    "he": ("person",),
    "she": ("person",),
    "him": ("person",),
    "her": ("person",),
    "it": ("company", "organisation", "government", "group"),
    "they": ("group", "government", "organisation", "company"),
    "them": ("group", "government", "organisation", "company"),
}
FIRST_PERSON = {"we", "i", "our", "us", "my"}
_AUXILIARIES = re.compile(
    r"(?:\s+(?:has|have|had|is|are|was|were|will|would|also|now|already|then|further|formally|jointly|"
    r"both|has\s+also|have\s+also|on\s+\w+day|on\s+\w+|last\s+week|this\s+week|yesterday|today|once\s+again))+\s*$",
    re.IGNORECASE,
)
_APPOSITIVE = re.compile(
    r",\s+(?:who|which|whose|where|the|a|an|its|his|her|their|whom|run|led|based|owned|backed|chaired|headed|"
    r"founded|including|along|together|like)\b[^,]*,",
    re.IGNORECASE,
)
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_CLAUSE_OPENER = re.compile(
    r"(?:\b(?:said|says|told\s+(?:reporters|journalists|delegates|lawmakers|parliament|(?:a|the|his|her)\s+[\w']+(?:\s+\w+)?))"
    r"(?:\s+that)?\b|\b(?:added|announced|insisted|stated|explained|noted|confirmed|declared)\s+that\b|\bthat\b|;|:|\bwhile\b|\bwhereas\b|\bbut\b|\band\b(?=\s+(?:it|he|she|they|we)\b))",
    re.IGNORECASE,
)
_TRAILING_SPEAKER = re.compile(
    r"(?:[,\"]|'(?!s\b))\s*(?P<speaker>[^,\"]{1,120}?)\s+(?:said|says|told|added|announced|insisted|declared|stated|wrote)\b[^\"]*$",
    re.IGNORECASE,
)
_SAID_SPEAKER = re.compile(
    r"(?:[,\"]|'(?!s\b))\s*(?:said|says|added|announced)\s+(?P<speaker>[^,.\"]{1,120})", re.IGNORECASE
)
_LEADING_SPEAKER = re.compile(
    r"^(?P<speaker>[^,\"]{1,120}?)\s+(?:said|says|told|added|announced|insisted|declared|stated)\b", re.IGNORECASE
)
_ACCORDING_TO = re.compile(r"\baccording\s+to\s+(?P<speaker>[^,.]{1,80})", re.IGNORECASE)
GENERIC_SPEAKERS = re.compile(
    r"^(?:officials?|diplomats?|sources?|analysts?|people|observers|reports?)\b", re.IGNORECASE
)


@dataclass
class Resolved:
    name: str
    category: str
    agent: bool = True  # someone who can pledge (not "the money", "the deal")


class Attributor:
    def __init__(self, context: Context):
        self.context = context

    def resolve(self, phrase: str, sentence: str, offset: int, local: list[Mention]) -> Resolved | None:
        """Who a noun phrase stands for, given what came before `offset` in the sentence."""
        phrase = _PARENTHESES.sub("", phrase).strip(" ,\"'")
        if not phrase:
            return None
        before = [mention for mention in local if mention.start < offset]
        lowered = phrase.lower()
        if lowered in PRONOUNS:
            plural = lowered in ("they", "them")
            name = self.context.last(PRONOUNS[lowered], before, subjects_first=plural)
            if lowered in ("they", "them") and name is None and self.context.pair:
                name = self.context.pair[0]
            return Resolved(name, "person" if lowered in ("he", "she", "him", "her") else "group") if name else None
        if PAIR_NOUNS.match(lowered):
            if self.context.pair:
                return Resolved(self.context.pair[0], "government")
            return None
        determiner = re.match(r"^(?:the|its|this|that|his|her|their|our)\s+(?:\w+\s+)?(?P<noun>\w+)$", lowered)
        if determiner and any(_is_capitalised(word) for word in phrase.split()[1:]):
            determiner = None  # "The European Union" is a name, not "the union" of before
        if determiner:
            noun = determiner.group("noun")
            title_holder = self._by_title(lowered)
            if title_holder:
                return Resolved(title_holder, "person")
            if noun in GOVERNMENT_NOUNS:
                name = self.context.last(("government",), before)
                return Resolved(name, "government") if name else None
            named = self._named_like(noun, before)
            if named:
                return Resolved(named.name, named.category)
            if noun in COMPANY_NOUNS:
                name = self.context.last(("company",), before, subjects_first=True) or self.context.last(
                    ("organisation", "group"), before, subjects_first=True
                )
                return Resolved(name, "company") if name else None
            if noun in ORGANISATION_NOUNS:
                name = self.context.last(("organisation", "government", "group"), before)
                return Resolved(name, "organisation") if name else None
            if "'" not in phrase and not any(_is_capitalised(word) for word in phrase.split()[1:]):
                return Resolved(phrase, "thing", agent=False)
        phrase_mentions = [mention for mention in _mentions_in(phrase, self.context) if mention.category != "place"]
        if phrase_mentions:
            # The head of "Kenya's Foreign Minister Musalia Mudavadi" is the last name in it;
            # of "Kenya and Japan" (or "Japan and the African Development Bank") the first.
            head = phrase_mentions[-1]
            if len(phrase_mentions) >= 2 and not (head.category == "person" and head.title):
                first, second = phrase_mentions[0], phrase_mentions[1]
                if _CONJUNCTION.match(phrase[first.end : second.start].strip()):
                    head = first
            rest = phrase[head.end :].lstrip("'s").split()
            generic = (
                head.category not in ("person", "government")
                and not head.title
                and (len(head.surface.split()) == 1 or head.surface.split()[-1].lower() in ADJECTIVES)
                and head.start == 0
                and rest
                and rest[0][:1].islower()
                and self.context.known_actor(head.name) is None
            )
            if not generic:
                return Resolved(head.name, head.category)
        words = phrase.split()
        if len(words) <= 6 and not NEGATION.search(phrase):
            # A plain noun phrase as subject: "Business groups", "Opposition lawmakers".
            generic = re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.IGNORECASE)
            head = generic.split()[-1].lower() if generic else ""
            if head in GOVERNMENT_NOUNS | COMPANY_NOUNS | ORGANISATION_NOUNS:
                return None
            agent = bool(re.search(r"(?:s|ers|ists|ians|ment|ies|ions|union|unions|people)$", head)) or _is_capitalised(
                generic
            )
            return Resolved(generic, "group", agent=agent) if generic else None
        return None

    def _named_like(self, noun: str, before: list[Mention]) -> Mention | None:
        """ "the airline" is the last name with "Airline(s)" in it, if the text gave one."""
        if len(noun) < 4:
            return None
        pattern = re.compile(rf"{re.escape(noun)}s?", re.IGNORECASE)
        for mention in reversed([*self.context.mentions, *before]):
            words = mention.surface.split()
            if mention.category != "place" and len(words) >= 2 and pattern.fullmatch(words[-1]):
                return mention
        return None

    def _by_title(self, lowered: str) -> str | None:
        title = re.sub(r"^the\s+", "", lowered)
        return self.context.persons_by_title.get(title)

    def speaker(self, sentence: str, local: list[Mention]) -> Resolved | None:
        """Who the sentence quotes or reports: `"...," X said`, `said X`, `X said ...`, `according to X`."""
        sentence = _APPOSITIVE.sub(lambda match: " " * len(match.group()), sentence)
        for pattern in (_TRAILING_SPEAKER, _SAID_SPEAKER, _LEADING_SPEAKER, _ACCORDING_TO):
            for match in pattern.finditer(sentence):
                raw = match.group("speaker").strip()
                if GENERIC_SPEAKERS.match(raw):
                    continue
                raw = re.sub(r",.*$", "", raw)
                resolved = self.resolve(raw, sentence, match.start("speaker"), local)
                if resolved and resolved.agent and resolved.category != "thing":
                    return resolved
        return None


def _subject_span(sentence: str, cue_start: int) -> tuple[str, int]:
    """The words between the start of the cue's clause and the cue, and where they start."""
    head = sentence[:cue_start]
    clause_start = 0
    opener = None
    for match in _CLAUSE_OPENER.finditer(head):
        clause_start = match.end()
        opener = match
    if opener is not None and not head[clause_start:].strip() and opener.group().lower() in ("but", "and", "while"):
        # "X welcomed the offer but urged...": the subject is the first verb's.
        return _subject_span(sentence, opener.start())
    # The quotation's own words start a clause too: `"We will...`.
    quote = head.rfind('"', clause_start)
    if quote != -1 and head.count('"', 0, quote + 1) % 2 == 1:
        clause_start = quote + 1
    span = head[clause_start:]
    span = _APPOSITIVE.sub("", span)
    span = _PARENTHESES.sub("", span)
    if "," in span:
        tail = span.rsplit(",", 1)[1]
        clause_start = head.rfind(tail.strip()) if tail.strip() else clause_start
        span = tail
    span = _AUXILIARIES.sub("", span).strip(" ,\"'")
    return _leading_noun_phrase(span), clause_start


_VERBISH = _words("also has have had is was are were will would shall can could did does do then thus later")
_NOT_VERBS = _words("hundred need speed feed seed breed indeed red bed shed")


def _leading_noun_phrase(span: str) -> str:
    """ "He also announced $5m for housing and": the subject is "He", not the last name in it."""
    words = span.split()
    for index, word in enumerate(words[1:], start=1):
        bare = word.strip(",;:")
        if not bare.islower():
            continue
        if bare in _VERBISH or (bare.endswith("ed") and len(bare) > 4 and bare not in _NOT_VERBS):
            head = words[:index]
            if any(word.lower() not in ("the", "a", "an", "its", "this", "that") for word in head):
                return " ".join(head)
            return span
    return span


def _in_quotation(sentence: str, position: int) -> bool:
    return sentence[:position].count('"') % 2 == 1


# ---------------------------------------------------------------------------
# The pipeline.

_LETTERS = re.compile(r"[A-Za-z]")
_ENGLISH_WORDS = re.compile(
    r"\b(?:the|and|of|to|in|a|is|was|on|for|with|said|will|that|by|it|as|at|has|have|be|are|would)\b", re.IGNORECASE
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _looks_like_english(text: str) -> bool:
    sample = text[:20_000]
    if len(_CONTROL.findall(sample)) > len(sample) * 0.01:
        return False
    words = re.findall(r"\w+", sample)
    if not words:
        return False
    letters = len(_LETTERS.findall(sample))
    if letters < len(sample.replace(" ", "")) * 0.5:
        return False
    if len(words) < 30:
        return True  # too short to judge; the commitment language decides
    return len(_ENGLISH_WORDS.findall(sample)) >= len(words) * 0.05


def extract_pledges(
    text: str, *, article_date: datetime.date | None = None, actors: Iterable | None = None
) -> list[Draft]:
    """Draft pledges found in an article, in the order they appear.

    Raises ExtractionError for empty text and for text over MAX_TEXT_CHARS;
    anything else (another language, binary junk) gives an empty list.
    Drafts below PROPOSE_THRESHOLD confidence are possible pledges a reader
    should look at but that the engine would not propose. Relative deadlines
    count from `article_date`; without one, from the date of the article's
    dateline, or else today.
    """
    if text is None or not str(text).strip():
        raise ExtractionError(gettext_noop("text is empty"))
    text = str(text)
    if text_too_long(text):
        raise ExtractionError(
            gettext_noop("text is too long: %(length)s characters; the limit is %(limit)s characters"),
            length=len(text),
            limit=MAX_TEXT_CHARS,
        )
    if not _looks_like_english(text):
        return []
    if article_date is None:
        # The dateline says when the report was filed; failing that, relative deadlines count from today.
        today = datetime.date.today()  # noqa: DTZ011 - a calendar date for relative deadlines; no Django here
        article_date = article_dateline_date(text, today=today) or today
    context = Context(known=[KnownActor.from_any(actor) for actor in actors or ()])
    attributor = Attributor(context)
    drafts = []
    for sentence in split_sentences(text):
        normalised = sentence.translate(_QUOTE_TRANSLATION)
        local = _mentions_in(normalised, context)
        draft = _draft_for(sentence, normalised, local, context, attributor, article_date)
        if draft is not None:
            drafts.append(draft)
        for mention in local:
            context.remember(mention)
        subject = _sentence_subject(normalised, local)
        if subject is None:
            generic = GENERIC_SUBJECT.match(normalised)
            if generic:
                phrase = generic.group("subject")
                subject = Mention(0, len(phrase), phrase, phrase, "group")
        if subject is not None:
            context.subjects.append(subject)
        _remember_pair(normalised, local, context)
        speaker = attributor.speaker(normalised, local)
        if speaker:
            context.last_speaker = speaker.name
        elif not normalised.startswith('"'):
            context.last_speaker = None
    return drafts


def _sentence_subject(sentence: str, local: list[Mention]) -> Mention | None:
    """The name the sentence opens with (after an introductory phrase), if any."""
    for mention in local:
        if mention.category == "place":
            continue
        opening = sentence[: mention.start].lstrip("\"' ")
        if "," in opening:  # "Under the agreement, New Delhi..."
            opening = opening.rsplit(",", 1)[1]
        return mention if len(opening.split()) <= 3 else None
    return None


def _remember_pair(sentence: str, local: list[Mention], context: Context):
    """ "Kenya and Japan signed...": "both sides" later means these two."""
    for first, second in itertools.pairwise(local):
        between = sentence[first.end : second.start].strip().lower()
        if between in ("and", "and the") and first.category != "person" and second.category != "person":
            context.pair = (first.name, second.name)
            return


def _find_cues(sentence: str) -> list[tuple[int, int, Cue]]:
    found = []
    has_reporting = REPORTING_VERB.search(sentence)
    for cue in CUES:
        for match in cue.pattern.finditer(sentence):
            if cue.reported and not (has_reporting and has_reporting.start() < match.start()):
                continue
            found.append((match.start(), match.end(), cue))
    found.sort(key=lambda item: (item[0], -item[2].strength))
    return found


def _questioned(sentence: str, cue_start: int) -> bool:
    return bool(QUESTION_BEFORE.search(sentence[max(0, cue_start - 80) : cue_start]))


def _conditional(sentence: str, cue_start: int) -> bool:
    return bool(CONDITION_BEFORE.search(sentence[max(0, cue_start - 80) : cue_start]))


def _negated(sentence: str, cue_start: int) -> bool:
    window = sentence[max(0, cue_start - 40) : cue_start]
    window = re.split(r"[,;]|\bbut\b|\band\b", window)[-1]
    return bool(NEGATION.search(window))


_PLEDGE_CLAUSE = re.compile(
    r"\s+[^,;\"]{1,80}?\s+(?P<verb>(?:would|will|shall|should|(?:is|are|was|were)\s+to)\b)", re.IGNORECASE
)


def _draft_for(sentence, normalised, local, context, attributor, article_date) -> Draft | None:
    cues = [item for item in _find_cues(normalised) if not _negated(normalised, item[0])]
    if not cues:
        return None
    unconditional = [item for item in cues if not _conditional(normalised, item[0])]
    cues = unconditional or cues
    firm = [item for item in cues if not item[2].weak]
    start, end, cue = (firm or cues)[0]
    kind = cue.kind
    cue_end = end
    if kind != "request":
        for other_start, other_end, other in cues:
            if other.kind in KIND_REFINING and start <= other_start <= end + REFINE_WINDOW:
                kind = other.kind
                cue_end = max(cue_end, other_end)
                break
    cue_text = normalised[start:cue_end].strip()

    # "included a pledge that France would...": the pledge is made by the subject of the clause it names.
    clause = _PLEDGE_CLAUSE.match(normalised, cue_end) if cue_text.lower().endswith(" that") else None
    actor_at = clause.start("verb") if clause else start
    actor = _attribute(normalised, actor_at, local, context, attributor)
    confidence = cue.strength
    if HEDGE_BEFORE.search(normalised[max(0, start - 30) : start]) or _questioned(normalised, start):
        confidence = min(confidence, 0.35)
    if cue_text.lower().endswith("ed") and PASSIVE_AFTER.match(normalised[end:]):
        confidence = min(confidence, 0.35)
    past = PAST_AFTER.match(normalised[end:])
    if past and (not past.group("year") or int(past.group("year")) < article_date.year):
        confidence = min(confidence, 0.35)  # "the money they promised in 2019"
    due = resolve_due(normalised, article_date)
    if cue.modal:
        after = normalised[end:]
        if NON_PLEDGE_AFTER_MODAL.match(after):
            confidence = 0.55 if due and re.match(r"^\s+(?:also\s+)?be\s+\w+ed\b", after) else 0.35
        elif actor is not None and not actor.agent:
            confidence = 0.55 if due else 0.35
    if actor is None or not actor.name:
        confidence = min(confidence, 0.4)
    elif not actor.agent and not cue.modal:
        confidence = min(confidence, 0.55)
    amount = _amount_for(normalised, end)
    counterpart = _counterpart(normalised, start, end, cue, local, context, attributor)
    if actor is not None and not actor.agent:
        speaker = attributor.speaker(normalised, local) or _quote_speaker(normalised, context)
        fallback = speaker.name if speaker else None
        actor_name = fallback or actor.name
    else:
        actor_name = actor.name if actor else ""
    known = context.known_actor(actor_name) if actor_name else None
    counterpart_known = context.known_actor(counterpart) if counterpart else None
    if known and counterpart_known and known == counterpart_known:
        counterpart, counterpart_known = "", None
    return Draft(
        text=sentence,
        actor=known.name if known else actor_name,
        actor_id=known.id if known else None,
        counterpart=counterpart_known.name if counterpart_known else counterpart,
        counterpart_id=counterpart_known.id if counterpart_known else None,
        kind=kind,
        due=due,
        amount=amount,
        cue=cue_text,
        confidence=round(confidence, 2),
        title=draft_title(sentence, cue_text),
    )


def _quote_speaker(sentence: str, context: Context) -> Resolved | None:
    if sentence.startswith('"') and context.last_speaker:
        return Resolved(context.last_speaker, "person")
    return None


def _attribute(sentence, cue_start, local, context, attributor) -> Resolved | None:
    span, span_start = _subject_span(sentence, cue_start)
    in_quote = _in_quotation(sentence, cue_start)
    first_word = span.split()[0].lower() if span.split() else ""
    if in_quote and (not span or first_word in FIRST_PERSON or span.lower() in FIRST_PERSON):
        return attributor.speaker(sentence, local) or _quote_speaker(sentence, context)
    if span.lower() in FIRST_PERSON:
        return attributor.speaker(sentence, local) or _quote_speaker(sentence, context)
    speaker = attributor.speaker(sentence, local)
    if speaker is not None and span.lower() in ("it", "they") and speaker.category != "person":
        # "The company said it would pay": "it" is the speaker.
        return speaker
    if speaker is not None and span.lower() in ("he", "she") and speaker.category == "person":
        return speaker
    subject = attributor.resolve(span, sentence, span_start, local) if span else None
    if subject is not None and subject.agent:
        return subject
    if speaker is not None:
        return speaker if subject is None else Resolved(speaker.name, speaker.category, agent=False)
    if subject is not None:
        # "The programme, run by X, aims to...": the first actor named in the sentence.
        named = [mention for mention in local if mention.category != "place" and mention.start < cue_start]
        if named:
            return Resolved(named[0].name, named[0].category, agent=False)
        return subject
    return None


_WEEKDAY_PHRASE = re.compile(r"\s+on\s+\w+day\b", re.IGNORECASE)
_OBJECT_AFTER = re.compile(r"^\s*(?P<object>[^,;]{1,80}?)\s+(?:to|for|on|about|over)\b")
_WITH_OBJECT = re.compile(
    r"\bwith\s+(?P<object>(?:the\s+)?[A-Z][^,;.]{0,60}?)(?=\s+(?:on|to|for|in|at|over)\b|[,;.]|$)"
)


def _counterpart(sentence, start, end, cue, local, context, attributor) -> str:
    if cue.kind == "request":
        inside = re.match(r"^\S+\s+(?P<object>.+?)\s+to$", sentence[start:end].strip())
        if inside:  # "pressed Japan on Wednesday to", "asked him to"
            phrase = _WEEKDAY_PHRASE.sub("", inside.group("object")).strip()
            resolved = attributor.resolve(phrase, sentence, start, local)
            if resolved and resolved.name:
                return resolved.name
            return phrase
        match = _OBJECT_AFTER.match(sentence[end:])
        if match:
            phrase = _WEEKDAY_PHRASE.sub("", match.group("object"))
            phrase = re.sub(r"^(?:on|upon)\s+", "", phrase)
            resolved = attributor.resolve(phrase, sentence, end, local)
            if resolved and resolved.name:
                return resolved.name
            return phrase.strip()
    # "Kenya and Japan signed...": the second of the pair.
    head = sentence[:start]
    subject_mentions = [mention for mention in local if mention.end <= start]
    if len(subject_mentions) >= 2:
        first, second = subject_mentions[-2], subject_mentions[-1]
        if sentence[first.end : second.start].strip().lower() in ("and", "and the") and "," not in head[second.end :]:
            return second.name
    match = _WITH_OBJECT.search(sentence, start)
    if match:
        resolved = attributor.resolve(match.group("object"), sentence, match.start("object"), local)
        if resolved and resolved.agent:
            return resolved.name
    return ""


_TITLE_DOCUMENT = re.compile(
    r"\b(?:statement\s+of\s+intent|letter\s+of\s+intent|memorand(?:um|a)\s+of\s+understanding|MoUs?|"
    r"(?:talks|discussions|negotiations)\s+with)\b",
    re.IGNORECASE,
)
_TITLE_VERB = re.compile(r"\b(?:to|will|would)\s+(?P<verb>[a-z]+(?:\s+into)?)$", re.IGNORECASE)


def draft_title(sentence: str, cue: str = "") -> str:
    """A short title for the pledge: what is promised, from the words after the cue."""
    text = _SPACES.sub(" ", sentence).strip().translate(_QUOTE_TRANSLATION)
    rest = text
    if cue:
        index = text.lower().find(cue.lower())
        if index != -1:
            document = _TITLE_DOCUMENT.search(cue)
            verb = _TITLE_VERB.search(cue)
            if document:  # "signed a statement of intent on..." -> "Statement of intent on..."
                rest = text[index + document.start() :]
            elif verb:  # "promised to study X" -> "Study X"
                rest = text[index + verb.start("verb") :]
            else:
                rest = text[index + len(cue) :]
    rest = _WEEKDAY_PHRASE.sub("", rest)
    rest = re.sub(r"^\s*(?:to|on|for|that|a|an|the)\s+", "", rest, flags=re.IGNORECASE)
    rest = re.split(r",\s*(?:\"|according|said|which|who|the\s+\w+\s+said)|\s+(?:said|told)\s+[A-Z]|\"", rest)[0]
    rest = rest.strip(" ,.;:\"'")
    if len(rest.split()) < 3:
        rest = text.strip(" \"'")
    if len(rest) > TITLE_MAX_CHARS:
        rest = rest[:TITLE_MAX_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return rest[:1].upper() + rest[1:]


def guess_actor_kind(name: str) -> str:
    """Person, government, company or organisation, from the name alone (Actor.Kind values)."""
    words = [word.lower().rstrip(".") for word in name.split()]
    if not words:
        return "person"
    if name.lower().startswith("government of") or name.lower() in COUNTRY_NAMES or name in CAPITALS:
        return "government"
    if any(word in COMPANY_WORDS for word in words):
        return "company"
    if any(word in ORGANISATION_WORDS for word in words) or name.isupper():
        return "organisation"
    if len(words) >= 2 and all(_is_capitalised(word) or word in NAME_CONNECTORS for word in name.split()):
        return "person"
    return "organisation"
