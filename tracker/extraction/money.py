"""Amounts: "$5.5 billion", "€80-billion ($92 billion)", "200 billion yuan", "Sh12.5 billion"; the
original currency is the amount, a bracketed conversion is not."""

from __future__ import annotations

import re

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
_MULTIPLIER = (
    r"(?:(?:\s|-)?(?P<multiplier>(?:lakh|thousand)\s+crore|trillion|billion|million|thousand|crore|lakh|tn|bn|mn|m)\b)?"
)
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
        value = number
        for word in (multiplier or "").lower().split():  # "5.54 lakh crore" is 5.54 x 10^5 x 10^7
            value *= MULTIPLIERS[word]
        value = round(value) if abs(value - round(value)) < 1e-6 else value
        amounts.append((match.start(), {"text": match.group(0).strip(), "value": value, "currency": code}))
    return amounts


def _amount_for(sentence: str, cue_end: int) -> dict | None:
    amounts = find_amounts(sentence)
    if not amounts:
        return None
    after = [amount for start, amount in amounts if start >= cue_end]
    return after[0] if after else amounts[0][1]
