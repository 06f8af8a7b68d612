"""Deadlines: "by March 2026", "within two years", "by the end of the third quarter", resolved against the
article's date."""

from __future__ import annotations

import calendar
import datetime
import re

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
            r"\b(?:by|before|until)\s+the\s+end\s+of\s+(?:(?:calendar\s+)?(?P<year>\d{4})|(?P<rel>this|next|the)\s+year|"
            + _MONTH
            + r"(?:\s+(?P<year2>\d{4}))?)\b",
            re.I,
        ),
    ),
    # by mid-2026 / by the middle of next year
    ("mid", re.compile(r"\b(?:by|before|until|in)\s+mid-?\s?(?P<year>\d{4})\b", re.I)),
    (
        "mid_rel",
        re.compile(r"\b(?:by|before|until|in)\s+(?:the\s+middle\s+of|mid-)\s*(?P<rel>this|next)\s+year\b", re.I),
    ),
    # in the second half of 2024 / in the first half of next year
    (
        "half",
        re.compile(
            r"\b(?:in|by|during|before)\s+the\s+(?P<half>first|second)\s+half\s+of\s+"
            r"(?:(?P<year>\d{4})|(?P<rel>this|next)\s+year)\b",
            re.I,
        ),
    ),
    # by early 2027 / from late 2023: a season of the year, its last month
    (
        "season",
        re.compile(r"\b(?:by|in|from|before|until)\s+(?P<part>early|late)[\s-](?P<year>(?:19|20)\d{2})\b", re.I),
    ),
    # between 2025 and 2030 / from 2024 to 2026 / over 2022-2026 / covering 2025 and 2026: the span's last year
    (
        "span",
        re.compile(
            r"\b(?P<first>(?:19|20)\d{2})\s*(?:[-\u2013]|\s(?:and|to|through|until)\s)\s*(?P<year>(?:19|20)\d{2})\b",
            re.I,
        ),
    ),
    # by the end of the decade
    ("decade", re.compile(r"\b(?:by|before|until)\s+the\s+end\s+of\s+(?:the|this)\s+decade\b", re.I)),
    # within the next year / within the coming month
    ("within_next", re.compile(r"\bwithin\s+(?:the\s+)?(?:next|coming)\s+(?P<unit>year|month|week)\b", re.I)),
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
            r"\b(?P<word>within|in|over|inside|for)\s+(?:the\s+next\s+|the\s+coming\s+)?"
            + _NUMBER
            # "over the next three to four years": the later end.
            + r"(?:\s*(?:to|-|\u2013|or)\s*(?P<upper>\d+|"
            + "|".join(NUMBER_WORDS)
            + r"))?\s+(?P<unit>years?|months?|weeks?|days?)\b",
            re.I,
        ),
    ),
    # next year / next month
    ("next", re.compile(r"\b(?:next|the\s+coming)\s+(?P<unit>year|month)\b", re.I)),
    # by this year's end / this year
    (
        "this_year",
        re.compile(r"\b(?:later\s+)?this\s+year\b|\b(?:over\s+the\s+course\s+of|throughout)\s+the\s+year\b", re.I),
    ),
    # by 2030 / in 2028 / between now and 2030 / up to 2030
    (
        "year",
        re.compile(
            r"\b(?P<word>by|before|until|in|during|from|through|up\s+to|between\s+now\s+and)\s+(?P<year>(?:19|20)\d{2})"
            r"(?:(?P<fiscal>[-\u2013/])(?P<fiscal_end>\d{2})(?!\d))?\b",
            re.I,
        ),
    ),
    # by September
    ("month", re.compile(r"\b(?:by|before|until|in)\s+" + _MONTH + r"(?!\s+\d)\b", re.I)),
)
QUARTER_END = {"first": 3, "second": 6, "third": 9, "fourth": 12, "final": 12, "last": 12}
HALF_END = {"first": 6, "second": 12}
SEASON_END = {"early": 3, "late": 12}


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
        if name == "half":
            year = int(groups["year"]) if groups.get("year") else today.year + (groups["rel"].lower() == "next")
            return _month_end(year, HALF_END[groups["half"].lower()])
        if name == "season":
            return _month_end(int(groups["year"]), SEASON_END[groups["part"].lower()])
        if name == "span":
            if int(groups["year"]) <= int(groups["first"]):
                return None  # "2030 and 2025" is two years named, not a span
            return datetime.date(int(groups["year"]), 12, 31)
        if name == "quarter":
            year = int(groups["year"]) if groups.get("year") else today.year + (groups["rel"].lower() == "next")
            return _month_end(year, QUARTER_END[groups["q"].lower()])
        if name == "month_year":
            if match.group(0).lower().startswith("from"):
                return None
            return _month_end(int(groups["year"]), MONTHS[groups["month"].lower()])
        if name == "within":
            count = (groups.get("upper") or groups["count"]).lower()
            count = int(count) if count.isdigit() else NUMBER_WORDS[count]
            return _add(today, count, groups["unit"].lower().rstrip("s"))
        if name == "mid_rel":
            return datetime.date(today.year + (groups["rel"].lower() == "next"), 6, 30)
        if name == "decade":
            return datetime.date(today.year // 10 * 10 + 10, 12, 31)
        if name == "within_next":
            return _add(today, 1, groups["unit"].lower())
        if name == "next":
            if groups["unit"].lower() == "year":
                return datetime.date(today.year + 1, 12, 31)
            return _month_end(*_next_month(today))
        if name == "this_year":
            return datetime.date(today.year, 12, 31)
        if name == "year":
            if match.group(0).lower().startswith("from"):
                return None
            if groups.get("fiscal_end"):
                # A fiscal year: "2025-26" as India writes it ends on 31 March 2026, "2025/26" as Kenya writes it
                # on 30 June 2026.
                end_year = int(groups["year"][:2] + groups["fiscal_end"])
                return datetime.date(end_year, 6, 30) if groups["fiscal"] == "/" else datetime.date(end_year, 3, 31)
            if groups["word"].lower() == "before":
                return datetime.date(int(groups["year"]) - 1, 12, 31)  # "before 2040": by the end of 2039
            return datetime.date(int(groups["year"]), 12, 31)
        if name == "month":
            month = MONTHS[groups["month"].lower()]
            if _a_verb(groups["month"]):
                return None
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


def _a_verb(month: str) -> bool:
    """ "may" and "mar" in lower case are the verbs, not the months."""
    return month.lower() in ("may", "mar") and not month[0].isupper()


_PAST_DAY = re.compile(
    r"\b(?:on|in|since)\s+(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+)?"
    + _MONTH
    + r"(?:\s+(?P<day_after>\d{1,2})(?:st|nd|rd|th)?)?"
    r"(?:,?\s+(?P<year>\d{4}))?\b",
    re.IGNORECASE,
)


def names_an_earlier_day(sentence: str, article_date: datetime.date, *, days: int = 7) -> bool:
    """Whether the sentence dates what it tells more than `days` before the article: "signed in Ankara on
    February 8" in a report of February 22, "In May, Damascus signed..." in July."""
    for match in _PAST_DAY.finditer(sentence):
        if _a_verb(match.group("month")):
            continue
        month = MONTHS[match.group("month").lower()]
        day = match.group("day") or match.group("day_after")
        if day is None and not match.group("year"):
            # A month alone is this year's ("In May, Damascus signed..." in July); a later one ("hands over in
            # October") is ahead, not last year's.
            if month < article_date.month:
                return True
            continue
        year = int(match.group("year")) if match.group("year") else article_date.year
        try:
            when = datetime.date(year, month, int(day or 1))
        except ValueError:
            continue
        if not match.group("year") and when > article_date:
            when = when.replace(year=year - 1)
        if when < article_date - datetime.timedelta(days=days):
            return True
    return False
