"""Who made a pledge: the subject before the verb, the speaker of a quotation, pronouns, titles,
surnames and capitals resolved against what the article said before."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .core import _words
from .cues import NEGATION
from .names import (
    _CONJUNCTION,
    ADJECTIVES,
    COMPANY_NOUNS,
    COUNTRY_OF_ADJECTIVE,
    GOVERNMENT_NOUNS,
    ORGANISATION_NOUNS,
    PAIR_NOUNS,
    PERSON_PAIR_NOUNS,
    Context,
    Mention,
    _is_capitalised,
    _mentions_in,
)

PRONOUNS = {
    "he": ("person",),
    "she": ("person",),
    "him": ("person",),
    "her": ("person",),
    "it": ("company", "organisation", "government", "group"),
    "they": ("group", "government", "organisation", "company"),
    "them": ("group", "government", "organisation", "company"),
}
# Plural nouns for those who can pledge together, after "the": not things.
COLLECTIVE_AGENTS = _words(
    """
    partners donors lenders investors members allies countries nations governments states sides parties banks
    companies firms signatories creditors
    """
)
PARTNER_NOUNS = _words("partners partner parties signatories shareholders participants")
# Those who sign a text: its governments first, when it has them ("The four parties agreed", "The Participants").
SIGNATORY_NOUNS = _words("parties signatories participants")
FIRST_PERSON = {"we", "i", "our", "us", "my"}
# "Nineteen heads of state and government endorsed...": the leaders, not "the government" of before.
_SUMMIT_LEADERS = re.compile(r"\bheads?\s+of\s+(?:state|government)\b", re.IGNORECASE)
# "Beating this virus", "Having a partner" (not "Boeing Co."); "That", "You".
_GERUND_OR_DEMONSTRATIVE = re.compile(r"^(?:[A-Z][a-z]+ing\s+[a-z]|(?i:that|this|these|those|you|the)$)")
_MONEY_OR_SHARE = re.compile(r"[$€£¥₦₹]|\d\s*(?:%|per\s*cent|percent|billion|million|trillion|bn|m)\b", re.IGNORECASE)
# "the Government", "The Board": capitalised out of respect, still "the government" of before.
_COMMON_NOUNS = re.compile(r"^the\s+(?:government|board|ministry|treasury|cabinet|fund|bank|company)$", re.IGNORECASE)
# "The Chinese side will speed up...", "the Chinese government": that country's government.
_SIDE = re.compile(
    r"^(?:[Tt]he\s+)?(?P<adjective>[A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)\s+(?:side|government|authorities|administration)$"
)
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
            if plural and name is None:
                name = self.context.pair[0] if self.context.pair else self.context.most_named(("government",), before)
            if plural and name and (PAIR_NOUNS.match(name.lower()) or PERSON_PAIR_NOUNS.match(name.lower())):
                return self.resolve(name, sentence, offset, local)  # "The two sides agreed... They will also"
            return Resolved(name, "person" if lowered in ("he", "she", "him", "her") else "group") if name else None
        if lowered in ("i", "we", "us", "me"):
            # Outside quotation marks the text's own voice: the speech's speaker, the interviewee, the signatories.
            if _in_quotation(sentence, offset) or not self.context.voice:
                return None
            self.context.first_person_voice = True
            return Resolved(self.context.voice, "person")
        side = _SIDE.match(phrase)
        if side and side.group("adjective").lower() in COUNTRY_OF_ADJECTIVE:
            return Resolved(COUNTRY_OF_ADJECTIVE[side.group("adjective").lower()], "government")
        if PERSON_PAIR_NOUNS.match(lowered):
            # The two named together, else the summit's first leader named with a title, else the two sides.
            if self.context.person_pair:
                return Resolved(self.context.person_pair[0], "person")
            if self.context.first_person and self.context.first_person_titled:
                return Resolved(self.context.first_person, "person")
            if self.context.pair:
                return Resolved(self.context.pair[0], "government")
            if self.context.first_person:
                return Resolved(self.context.first_person, "person")
        if PAIR_NOUNS.match(lowered):
            # Two governments named together, else any two parties, else the government the text names most.
            pair = self.context.government_pair or self.context.pair
            if re.search(r"(?:companies|firms)$", lowered):
                pair = self.context.pair
            name = pair[0] if pair else self.context.most_named(("government",), before)
            return Resolved(name, "government") if name else None
        determiner = re.match(r"^(?:the|its|this|that|his|her|their|our|all)\s+(?:\w+\s+)?(?P<noun>\w+)$", lowered)
        capitalised = [word for word in phrase.split()[1:] if _is_capitalised(word)]
        # "The European Union" is a name, not "the union" of before; "This Budget" of a text that also writes
        # "the budget" is not.
        if (
            determiner
            and capitalised
            and not _COMMON_NOUNS.match(phrase)
            and determiner.group("noun") not in PARTNER_NOUNS
            and not all(word.lower() in self.context.common_words for word in capitalised)
        ):
            determiner = None
        if determiner:
            noun = determiner.group("noun")
            title_holder = self._by_title(lowered)
            if title_holder:
                return Resolved(title_holder, "person")
            if noun in GOVERNMENT_NOUNS:
                # "the government" of a report is its main country's, not the last one named in passing.
                name = self.context.most_named(("government",), before) or self.context.most_named_country(before)
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
            if noun in SIGNATORY_NOUNS:
                pair = self.context.government_pair
                named = pair[0] if pair else self.context.most_named(("government",), before)
                named = named or (self.context.pair[0] if self.context.pair else None)
                if named:
                    return Resolved(named, "group")
            if noun in PARTNER_NOUNS:
                # "The partners will invest": the company named most (the consortium's), else the organisation
                # ("the International Partners Group"), else the first of those named together, else the government.
                named = self.context.most_named(("company",), before) or self.context.most_named(
                    ("organisation",), before
                )
                named = named or (self.context.pair[0] if self.context.pair else None)
                named = named or self.context.most_named(("government",), before)
                return Resolved(named or phrase, "group")
            if noun in COLLECTIVE_AGENTS:
                return Resolved(phrase, "group")  # "the donors will also help Senegal"
            if "'" not in phrase and all(word.lower() in self.context.common_words for word in capitalised):
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
            if head.category == "programme":
                return Resolved(head.name, "thing", agent=False)
            if not generic:
                return Resolved(head.name, head.category)
        if _SUMMIT_LEADERS.search(phrase):
            return Resolved(re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.IGNORECASE), "group")
        words = phrase.split()
        if len(words) <= 6 and not NEGATION.search(phrase):
            # A plain noun phrase as subject: "Business groups", "Opposition lawmakers".
            generic = re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.IGNORECASE)
            head = generic.split()[-1].lower() if generic else ""
            if head in GOVERNMENT_NOUNS | COMPANY_NOUNS | ORGANISATION_NOUNS:
                return None
            # People and bodies ("farmers", "economists", "unions", "member states"), not things ("results"),
            # a gerund ("Beating this virus takes...") or a demonstrative ("That will make...").
            thing = _MONEY_OR_SHARE.search(generic) or _GERUND_OR_DEMONSTRATIVE.match(generic)
            agent = not thing and (  # "More than $2.5 billion" is money, not its giver
                bool(re.search(r"(?:ers|ors|ists|ians|ants|ents|ment|ies|ions|union|unions|states|nations)$", head))
                or head in COLLECTIVE_AGENTS
                or _is_capitalised(generic)
            )
            return Resolved(generic, "group", agent=agent) if generic else None
        return None

    def _named_like(self, noun: str, before: list[Mention]) -> Mention | None:
        """ "the airline" is the last name with "Airline(s)" at its head, if the text gave one."""
        if len(noun) < 4:
            return None
        pattern = re.compile(rf"{re.escape(noun)}s?", re.IGNORECASE)
        for mention in reversed([*self.context.mentions, *before]):
            words = mention.surface.split()
            # The head of "Reserve Bank of Zimbabwe" is "Bank".
            head = words[words.index("of", 1) - 1] if "of" in words[1:] else words[-1]
            if (
                mention.category in ("company", "organisation", "government", "person")
                and len(words) >= 2
                and pattern.fullmatch(head)
            ):
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
