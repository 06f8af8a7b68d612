"""Text to sentences: the junk gate, datelines (dropped, their date kept for the article) and the
rule-based splitter that the parsed engine falls back on."""

from __future__ import annotations

import datetime
import re

from .core import _words
from .dates import DATE_PATTERNS, MONTHS

HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame"})
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
    # A question's opening word: "Is Africa ready?", "What will it cost?".
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "can",
    "will",
    "would",
    "should",
    "what",
    "why",
    "how",
    "where",
    "today",
    "together",
    "without",
    "because",
    "probably",
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
# A word or three in quotation marks with no punctuation inside: a scare quote ("fruitful" and "frank" talks),
# not speech; it would break the pairing of the real quotation's marks.
_SCARE_QUOTE = re.compile(r'(?<![\w,.])"(?=[^\s"])([^".,!?;:"]{1,30}?)(?<=\S)"(?![\w])')


def normalise_quotes(sentence: str) -> str:
    """Straight quotation marks for curly ones, and scare quotes blanked, keeping every offset."""
    sentence = sentence.translate(_QUOTE_TRANSLATION)
    return _SCARE_QUOTE.sub(_scare, sentence)


def _scare(match: re.Match) -> str:
    if len(match.group(1).split()) > 3:
        return match.group()
    return " " + match.group(1) + " "


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
# "(Reuters)", or the date in brackets: "TBILISI, GEORGIA (3 May 2024) —".
_DATELINE_AGENCY = r"\((?:[A-Z][\w&.' -]{0,40}|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4})\)"
# What follows is the report's first sentence: "ECOWAS — the regional bloc — agreed" keeps its subject.
_DATELINE_END = r"(?:\s*[\u2014\u2013]\s*|\s*--?\s+|\s*:\s+)(?=[\"'A-ZÀ-Þ0-9])"
_DATELINE_REGION = r"(?:,[ \t]*[A-ZÀ-Þ][\w.'-]*(?:[ \t]+[A-ZÀ-Þ][\w.'-]*){0,2})"
_DATELINE = re.compile(
    # A place in capitals may stand alone ("LONDON —"); one in ordinary case needs a date after it, so that
    # "Tokyo, Nairobi and Accra - the three capitals -" is not taken for one.
    r"[ \t]*(?:"
    r"[A-ZÀ-Þ][A-ZÀ-Þ.'-]{2,}(?:[ \t]+[A-ZÀ-Þ][A-ZÀ-Þ.'-]*){0,3}"
    # "NEW YORK / BUENOS AIRES, March 11, 2026 -"
    r"(?:[ \t]*/[ \t]*[A-ZÀ-Þ][A-ZÀ-Þ.'-]{2,}(?:[ \t]+[A-ZÀ-Þ][A-ZÀ-Þ.'-]*){0,3})?" + _DATELINE_REGION + r"?"
    r"(?:,?\s+(?P<date>" + _DATELINE_DATE + r"))?(?:\s*" + _DATELINE_AGENCY + r")?"
    r"|[A-ZÀ-Þ][\w.'-]*(?:[ \t]+[A-ZÀ-Þ][\w.'-]*){0,2}"
    # "Shafaq News / Baghdad, 22 April 2024 -"
    r"(?:[ \t]*/[ \t]*[A-ZÀ-Þ][\w.'-]*(?:[ \t]+[A-ZÀ-Þ][\w.'-]*){0,2})?" + _DATELINE_REGION + r"?"
    r",\s+(?P<date_after_name>" + _DATELINE_DATE + r")(?:\s*" + _DATELINE_AGENCY + r")?"
    r")" + _DATELINE_END
)
_LINE_START = re.compile(r"^", re.MULTILINE)
# A place and a date on a line of their own, under a communique's or a speech's heading:
# "Belém do Pará, Brazil, 8 August 2023", "Vientiane, Lao PDR, 10 October 2024".
DATELINE_LINE = re.compile(
    r"[A-ZÀ-Þ][\w.'-]*(?:[ \t]+(?:[A-ZÀ-Þ][\w.'-]*|do|de|da|del|di|es|el|al|of))*"
    r"(?:,[ \t]*[A-ZÀ-Þ][\w.'-]*(?:[ \t]+[A-ZÀ-Þ][\w.'-]*)*){0,2},?[ \t]+\(?(?:" + _DATELINE_DATE + r")\)?\.?"
)


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
