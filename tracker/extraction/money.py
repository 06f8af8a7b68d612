"""Amounts: "$5.5 billion", "€80-billion ($92 billion)", "200 billion yuan", "Sh12.5 billion"; the
original currency is the amount, a bracketed conversion is not."""

from __future__ import annotations

import re

from .dates import NUMBER_WORDS

# The ISO codes pledges are most often written in, before the figure.
ISO_CODES = (
    "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "JPY", "CNY", "CHF", "SEK", "NOK", "DKK", "KRW", "INR", "ZAR", "NGN",
    "KES", "SAR", "AED", "QAR", "BRL", "MXN", "EGP", "MYR",
)  # fmt: skip
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
    # The Kenyan press writes shillings as "Sh12.5 billion".
    "Sh": "KES",
    "Shs": "KES",
    "RMB": "CNY",
    "Rs": "INR",
    "₹": "INR",
    "₦": "NGN",
    "R": "ZAR",
    "NZ$": "NZD",
    "S$": "SGD",
    "HK$": "HKD",
    "R$": "BRL",
    "SR": "SAR",
    "QR": "QAR",
    "Dh": "AED",
    "SDR": "XDR",
    "GH¢": "GHS",
    "GH₵": "GHS",
    "E£": "EGP",
    "Tsh": "TZS",
    "USh": "UGX",
    "₩": "KRW",
    "₱": "PHP",
    "Rp": "IDR",
    "RM": "MYR",
    # Egypt's press writes its pound "LE 6,000" (livre égyptienne).
    "LE": "EGP",
    # Zambia's kwacha as its press writes it ("K9.3 billion"); Malawi's and Papua New Guinea's by the text.
    "K": "ZMW",
    # Codes written before the figure: "CAD 300 million", "SEK 8 billion".
    **{code: code for code in ISO_CODES},
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
    "riyals": "SAR",
    "dirhams": "AED",
    "pesos": "MXN",
    "reais": "BRL",
    "won": "KRW",
    "cfa francs": "XOF",
    "special drawing rights": "XDR",
    "pula": "BWP",
    "cedis": "GHS",
    "kwacha": "ZMW",
    "birr": "ETB",
    "lira": "TRY",
    "ringgit": "MYR",
    "rupiah": "IDR",
    "baht": "THB",
    "dinars": "DZD",
    "tenge": "KZT",
}
# A bare "$" or "dollars" in a report about one of these countries is its dollar; "dirhams" Morocco's or the
# Emirates', "pesos" Mexico's, Argentina's, Chile's or Colombia's.
LOCAL_CURRENCIES = {
    "USD": {
        "New Zealand": "NZD",
        "Australia": "AUD",
        "Canada": "CAD",
        "Singapore": "SGD",
        "Hong Kong": "HKD",
        "Taiwan": "TWD",
        "Namibia": "NAD",
        "Jamaica": "JMD",
    },
    "AED": {"Morocco": "MAD"},
    "MXN": {
        "Argentina": "ARS",
        "Chile": "CLP",
        "Colombia": "COP",
        "Philippine": "PHP",
        "Filipino": "PHP",
        "Uruguay": "UYU",
    },
    "ZMW": {"Malawi": "MWK", "Papua New Guinea": "PGK"},
    # "Shs1.059 trillion" in Kampala's or Dar es Salaam's press is its own shilling.
    "KES": {"Uganda": "UGX", "Tanzania": "TZS", "Somalia": "SOS"},
}
# The country whose currency a bare symbol is by default, which the text must name less than the other.
_RIVALS = {
    "USD": re.compile(r"\b(?:United\s+States|U\.S\.|US|America|American|Washington)\b"),
    "KES": re.compile(r"\bKenya"),
}


def local_currencies(text: str) -> dict[str, str]:
    """What the text's bare "$" (and "dollars", "dirhams", "pesos") stand for: the currency of the country it
    names most, at least twice and more often than the United States."""
    chosen = {}
    for default, countries in LOCAL_CURRENCIES.items():
        rival = len(_RIVALS[default].findall(text)) if default in _RIVALS else 0
        # "New Zealanders" count for New Zealand.
        counts: dict[str, int] = {}
        for country, code in countries.items():  # "Philippine" and "Filipino" both count for the Philippines
            counts[code] = counts.get(code, 0) + len(re.findall(rf"\b{re.escape(country)}", text))
        code, count = max(counts.items(), key=lambda item: item[1])
        if count >= 2 and count > rival:
            chosen[default] = code
    return chosen


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
# "two billion euros": a number in words, only before a multiplier.
_NUMBER_WORDS = NUMBER_WORDS | {"hundred": 100}
_WORDED_NUMBER = r"(?P<word>" + "|".join(_NUMBER_WORDS) + r")\s+(?P<word_multiplier>trillion|billion|million|thousand)"
# "€80-billion": some papers join the number and its multiplier with a hyphen.
_MULTIPLIER = (
    r"(?:(?:\s|-)?(?P<multiplier>(?:lakh|thousand)\s+crore|trillion|billion|million|thousand|crore|lakh|tn|bn|mn|m)\b)?"
)
_PREFIX = "|".join(
    re.escape(prefix) for prefix in sorted(CURRENCY_PREFIXES, key=len, reverse=True) if prefix not in ("R", "K")
)
# A bare "K" is money only before a number with its multiplier ("K9.3 billion"), not "K2" the mountain.
AMOUNT_PREFIXED = re.compile(
    r"(?<![\w$])(?P<currency>"
    + _PREFIX
    + r"|R(?=\d)|K(?=\d[\d,.]*\s?(?:trillion|billion|million|bn|mn|m)\b))\s?"
    + _NUMBER_TEXT
    + _MULTIPLIER
)
AMOUNT_WORDED = re.compile(
    r"\b(?:"
    + _NUMBER_TEXT
    + _MULTIPLIER
    + r"|"
    + _WORDED_NUMBER
    + r")\s+(?P<currency>"
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


def find_amounts(sentence: str, currencies: dict[str, str] | None = None) -> list[tuple[int, dict]]:
    """The amounts of money in the sentence with their positions, leaving out bracketed conversions;
    `currencies` maps an ambiguous code to the text's own (local_currencies)."""
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
        if currency in ("$", "dollars", "dirhams", "pesos", "K", "kwacha", "Sh", "Shs", "shillings"):
            code = (currencies or {}).get(code, code)
        if match.groupdict().get("word"):
            number = float(_NUMBER_WORDS[match.group("word").lower()])
            multiplier = match.group("word_multiplier")
        else:
            number = float(match.group("number").replace(",", ""))
            multiplier = match.group("multiplier")
        value = number
        for word in (multiplier or "").lower().split():  # "5.54 lakh crore" is 5.54 x 10^5 x 10^7
            value *= MULTIPLIERS[word]
        value = round(value) if abs(value - round(value)) < 1e-6 else value
        amounts.append((match.start(), {"text": match.group(0).strip(), "value": value, "currency": code}))
    return amounts


def _amount_for(
    sentence: str, cue_end: int, currencies: dict[str, str] | None = None, *, cue_start: int | None = None
) -> dict | None:
    """The pledged amount: the one the cue's own clause opens with ("About R$271 billion is to be offered as
    loans"), else the first after the cue, else the first in the sentence."""
    amounts = find_amounts(sentence, currencies)
    if not amounts:
        return None
    if cue_start is not None:
        clause_start = max((match.end() for match in _CLAUSE_BREAK.finditer(sentence, 0, cue_start)), default=0)
        subject = [amount for start, amount in amounts if clause_start <= start < cue_start]
        if subject:
            return subject[-1]
    after = [amount for start, amount in amounts if start >= cue_end]
    return after[0] if after else amounts[0][1]


# Where the clause of a pledge's subject begins: "Japan, which gave $2bn in 2019, will lend" is not $2bn's.
_CLAUSE_BREAK = re.compile(r"[,;:(\u2014]|\s(?:and|but|while|that|which|after|as)\s", re.IGNORECASE)
