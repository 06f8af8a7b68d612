"""Names and who they stand for: countries, capitals, titles, and the people, governments,
companies and organisations an article mentions (Mention, Context)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .core import KnownActor, _words
from .dates import MONTHS, NUMBER_WORDS, WEEKDAYS
from .money import CURRENCY_PREFIXES
from .sentences import ABBREVIATIONS, LEADING_FUNCTION_WORDS

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
    "Sri Lanka": (("Colombo",), ("Sri Lankan",)),
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
COUNTRY_OF_ADJECTIVE = {
    adjective.lower(): country for country, (_, adjectives) in COUNTRIES.items() for adjective in adjectives
}
ADJECTIVES = set(COUNTRY_OF_ADJECTIVE) | {
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
    "english",
    "global",
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
# A name ending in one of these is a programme or a document, not someone who can pledge:
# "The Blue Corridor Initiative will connect 12 ports".
PROGRAMME_WORDS = _words(
    """
    initiative initiatives programme programmes program programs plan scheme project declaration agenda strategy
    framework corridor compact accord accords treaty yojana abhiyan policy
    """
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
# The people who met: "The two presidents committed...", "The leaders agreed...".
PERSON_PAIR_NOUNS = re.compile(
    r"^(?:both|the\s+two|the)\s+(?:leaders|presidents|prime\s+ministers|heads\s+of\s+state|heads\s+of\s+government)$",
    re.IGNORECASE,
)
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
    professor sir dame lord lady mayor speaker deputy cs ceo chief executive envoy rev reverend justice judge pm
    officer cfo coo cto founder smt shri sri h.e excellency
    """
    )
)
NAME_CONNECTORS = frozenset(
    {
        "of",
        "for",
        "de",
        "da",
        "do",
        "dos",
        "das",
        "del",
        "las",
        "los",
        "di",
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


# "Your Majesties, Excellencies": an address, not a person.
_VOCATIVE = re.compile(r"^(?:(?:your|his|her|their)\s|royal\s+highness|excellenc|majest)", re.IGNORECASE)


@dataclass
class Context:
    """What the article has named so far, for pronouns, surnames and titles."""

    known: list[KnownActor]
    mentions: list[Mention] = field(default_factory=list)
    persons_by_surname: dict[str, str] = field(default_factory=dict)
    persons_by_title: dict[str, str] = field(default_factory=dict)
    pair: tuple[str, str] | None = None
    government_pair: tuple[str, str] | None = None  # "both sides" of a joint statement, when two were named
    person_pair: tuple[str, str] | None = None
    # Sentence subjects, the likeliest referents of "the company" or "it".
    subjects: list[Mention] = field(default_factory=list)
    last_speaker: str | None = None
    reported_before: bool = False  # the sentence before reported speech ("said", "told")
    # Who "we" and "I" are outside quotation marks: the signatories of a communique ("We, the Leaders of the
    # Group of Seven,"), else the first person the text names (the interviewee, the speaker), else the first
    # government.
    declared_voice: str | None = None
    first_person: str | None = None
    first_government: str | None = None
    first_person_voice: bool = False  # the text has spoken as "we" or "I" outside quotation marks
    # Words the text also writes in lower case: "Nearly" or "Commitments" opening a sentence is no name.
    common_words: frozenset[str] = frozenset()
    # What a bare "$" stands for in this text: {"USD": "NZD"} in a report about New Zealand.
    currencies: dict[str, str] = field(default_factory=dict)
    first_person_titled: bool = False
    _alias_index: dict[str, KnownActor] = field(default_factory=dict)
    # Per category, each name's count and latest position among `mentions`; kept as they come, since the learned
    # attribution asks "who is named most" of every draft and a long text has thousands of both.
    _tally: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    _country_tally: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self):
        for actor in self.known:
            for alias in (actor.name, *actor.aliases):
                self._alias_index.setdefault(_key(alias), actor)

    def known_actor(self, name: str) -> KnownActor | None:
        known = self._alias_index.get(_key(name))
        words = name.split()
        if known is None and len(words) >= 2 and words[0][:1].isupper() and words[-1][:1].isupper():
            # "William Samoei Ruto" is the known "William Ruto", "Joseph R. Biden" the known "Joe Biden": the one
            # known person with that surname whose given name starts alike.
            alike = {
                actor
                for actor in self.known
                if actor.kind == "person"
                and len(actor.name.split()) >= 2
                and _key(actor.name.split()[-1]) == _key(words[-1])
                and actor.name[:1].lower() == words[0][:1].lower()
            }
            known = alike.pop() if len(alike) == 1 else None
        if known is None and len(words) >= 2 and words[-1].lower() not in ADJECTIVES:
            # "Export-Import Bank" is the known "Export-Import Bank of China" when no other known name holds it.
            within = {
                actor
                for actor in self.known
                for alias in (actor.name, *actor.aliases)
                if re.search(rf"(?:^|\s){re.escape(_key(name))}(?:\s|$)", _key(alias)) and _key(alias) != _key(name)
            }
            known = within.pop() if len(within) == 1 else None
        return known

    @property
    def voice(self) -> str | None:
        if self.declared_voice:
            return self.declared_voice
        # An untitled, unknown "person" may be a capitalised phrase ("Start-up Festival"); the government is surer.
        if self.first_person and (self.first_person_titled or self._first_person_is_known()):
            return self.first_person
        return self.first_government or self.first_person

    def _first_person_is_known(self) -> bool:
        known = self.known_actor(self.first_person) if self.first_person else None
        return known is not None and known.kind == "person"

    def remember(self, mention: Mention, *, addressed: bool = False):
        """Note a name; `addressed` when the text speaks to or of that person as "you" or "I thank X", who is then
        not the text's own voice."""
        position = len(self.mentions)
        self.mentions.append(mention)
        tally = self._tally.setdefault(mention.category, {})
        tally[mention.name] = (tally.get(mention.name, (0, 0))[0] + 1, position)
        country = _country_in(mention)
        if country:
            self._country_tally[country] = (self._country_tally.get(country, (0, 0))[0] + 1, position)
        if mention.category == "government" and self.first_government is None:
            self.first_government = mention.name
        # A titled name ("Prime Minister KISHIDA Fumio") outranks a capitalised heading ("Opening Speech"), not
        # a known person the text opens with (an interview's "Paul Kabuswe" over the President he mentions).
        outranks = self.first_person is None or (
            mention.title and not self.first_person_titled and not self._first_person_is_known()
        )
        # "His Excellency X" is a dignitary the text names, greets or reports on, not the text's own voice.
        honoured = _VOCATIVE.match(mention.name) or _VOCATIVE.match(mention.title)
        if mention.category == "person" and not honoured and outranks and not addressed:
            self.first_person = mention.name
            self.first_person_titled = bool(mention.title)
        if mention.category == "person":
            parts = mention.name.split()
            if len(parts) > 1:
                self.persons_by_surname[parts[-1].lower()] = mention.name
                # Family name first ("Li Qiang", later "Li"), unless the word is already someone's surname.
                self.persons_by_surname.setdefault(parts[0].lower(), mention.name)
            if mention.title:
                self.persons_by_title[mention.title.lower()] = mention.name

    def times_named(self, name: str) -> int:
        return sum(tally.get(name, (0, 0))[0] for tally in self._tally.values())

    def most_named(self, categories, before: list[Mention] = ()) -> str | None:
        """The name in these categories the text has named most often so far; the latest of equals."""
        counts: dict[str, tuple[int, int]] = {}
        for category in categories:
            for name, (count, position) in self._tally.get(category, {}).items():
                earlier, latest = counts.get(name, (0, -1))
                counts[name] = (earlier + count, max(latest, position))
        for position, mention in enumerate(before, start=len(self.mentions)):
            if mention.category in categories:
                count, _ = counts.get(mention.name, (0, 0))
                counts[mention.name] = (count + 1, position)
        return max(counts, key=counts.get) if counts else None

    def most_named_country(self, before: list[Mention] = ()) -> str | None:
        """The country named most, even only as a place or inside a name ("Safaricom Ethiopia", "the Ethiopian
        Communications Authority"): "the government" of a report about Ethiopia."""
        counts = dict(self._country_tally)
        for position, mention in enumerate(before, start=len(self.mentions)):
            country = _country_in(mention)
            if country:
                count, _ = counts.get(country, (0, 0))
                counts[country] = (count + 1, position)
        return max(counts, key=counts.get) if counts else None

    def last(self, categories, before: list[Mention] = (), *, subjects_first=False) -> str | None:
        if subjects_first:
            for mention in reversed(self.subjects):
                if mention.category in categories:
                    return mention.name
        for mention in reversed([*self.mentions, *before]):
            if mention.category in categories:
                return mention.name
        return None


def _country_in(mention: Mention) -> str | None:
    words = [mention.name.lower(), *mention.name.lower().split()]
    return next(
        (
            COUNTRY_NAMES.get(word) or COUNTRY_OF_ADJECTIVE.get(word)
            for word in words
            if word in COUNTRY_NAMES or word in COUNTRY_OF_ADJECTIVE
        ),
        None,
    )


def _key(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).lower().strip()
    name = re.sub(r"^the\s+", "", name)
    return re.sub(r"[\s.]+", " ", name).strip()


_CONJUNCTION = re.compile(r"^(?:and|as\s+well\s+as)(?:\s+[a-z][\w-]*){0,3}$")


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}")


# "Sami al-Araji", "Abdel Fattah el-Sisi": a particle joined to the family name is part of the name.
_PARTICLE = re.compile(r"(?:al|el|ad|ash|bin|ibn|abu|ben)-[A-Z]")
_FIGURE_WITH_PREFIX = re.compile(r"(?P<prefix>[A-Za-z]{1,3})\d")
_COMPANY_SUFFIX_AFTER = re.compile(r"\s*(?:Inc|Ltd|Plc|PLC|LLC|Corp|AG|NV)\b\.?(?!-)")


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

    suffix_end = -1  # "Micron Technology, Inc.": the company is "Micron Technology"
    for match in _WORD.finditer(sentence):
        token = match.group()
        start, end = match.span()
        if start < suffix_end:
            continue
        possessive = token.endswith("'s") or token.endswith("s'")
        bare = token[:-2] if token.endswith("'s") else token.rstrip("'")
        bare = (
            bare.rstrip(".")
            if not _DOTTED_ACRONYM.fullmatch(bare) and bare.lower().rstrip(".") not in ABBREVIATIONS
            else bare
        )
        prefixed = _FIGURE_WITH_PREFIX.match(bare)
        figure = (prefixed and prefixed.group("prefix") in CURRENCY_PREFIXES) or (
            bare in CURRENCY_PREFIXES and sentence[end : end + 1] in ("$", *"0123456789")
        )
        if figure:  # "About R$271 billion", "RM421 billion": money, not a name
            close()
            continue
        if bare and (_is_capitalised(bare) or (words and _PARTICLE.match(bare))) and bare[0].isalpha():
            gap = sentence[words[-1][2] : start].strip() if words else ""
            initial = words and len(words[-1][0]) == 1 and gap == "."  # "Joseph R. Biden"
            if words and gap not in ("", "-") and not initial:
                close()
            words.append((bare, start, start + len(bare)))
            if possessive:
                close(possessive=True)
        elif words and bare.lower() in NAME_CONNECTORS and sentence[words[-1][2] : start].strip() == "":
            words.append((bare, start, end))
        elif words and sentence[start] == "," and (suffix := _COMPANY_SUFFIX_AFTER.match(sentence, end)):
            suffix_end = suffix.end()
        else:
            close()
    close()
    return phrases


def _given_name_first(words: list[str]) -> list[str]:
    """ "KISHIDA Fumio" (the family name in capitals, as Japanese official texts write it) -> "Fumio Kishida";
    not "OCP Group" or "LNG Terminal"."""
    if (
        len(words) == 2
        and words[1].lower() not in ORGANISATION_WORDS | COMPANY_WORDS | PROGRAMME_WORDS
        and len(words[0]) > 2
        and words[0].isupper()
        and words[1][:1].isupper()
        and words[1][1:].islower()
    ):
        return [words[1], words[0].capitalize()]
    return words


_TITLE_MODIFIERS = frozenset(
    _words("acting senior deputy assistant former vice interim principal executive general managing associate first")
)


def _strip_title(words: list[str]) -> tuple[list[str], str]:
    """("President", "William", "Ruto") -> (["William", "Ruto"], "President")."""
    last_title = -1
    for index, word in enumerate(words):
        lowered = word.lower().rstrip(".")
        if index + 1 < len(words) and f"{lowered} {words[index + 1].lower()}" in COUNTRY_NAMES:
            continue  # "Sri Lanka" is a country, not the honorific "Sri" before a name
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
    if rest and rest[0].lower() in ("for", "of"):
        # "Minister for Finance Nirmala Sitharaman": the portfolio, then the holder's given name and surname.
        rest = rest[-2:] if len(rest) >= 4 and not any(word.lower() in NAME_CONNECTORS for word in rest[-2:]) else []
        first_title = next(index for index, word in enumerate(words) if word.lower().rstrip(".") in TITLE_WORDS)
        before = words[:first_title]
        if not rest and len(before) >= 2 and not any(word.lower() in _TITLE_MODIFIERS for word in before):
            return before, title  # "Paul Kabuswe Minister of Mines": the name came first
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
    if len(words) >= 2 and lowered[-1] in PROGRAMME_WORDS:
        return name, "programme"  # "King Salman Development Initiative" too
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
    acronym = any(len(part) > 1 and part.isupper() for word in words for part in word.split("-"))
    # "ASEAN-India Year of Tourism" is no one's name.
    if len(words) >= 2 and not acronym and "of" not in lowered:
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
        if (
            words
            and _opens_sentence(sentence, start)
            and _common_word(words[0], context)
            and (len(words) == 1 or words[0].endswith(("ing", "ly")))
        ):
            continue  # "Nearly 200 countries", "Noting the progress", "Commitments announced"
        if not words or (len(words) == 1 and words[0] in CURRENCY_PREFIXES):  # "Rs", "Sh" before a figure
            continue
        if len(words) == 1 and words[0].lower() in ADJECTIVES and not possessive:
            continue
        if len(words) == 1 and (words[0].lower().rstrip(".") in MONTHS or words[0].lower() in WEEKDAYS):
            continue
        if len(words) == 1 and words[0].lower() in NUMBER_WORDS:  # "Twelve countries signed"
            continue
        if all(word.lower().rstrip(".") in TITLE_WORDS for word in words):
            # "The President": the last person named with that title.
            holder = context.persons_by_title.get(" ".join(words).lower())
            if holder:
                mentions.append(Mention(start, end, " ".join(words), holder, "person", " ".join(words)))
            continue
        person_words, title = _strip_title(words)
        # Only after a title: "Prime Minister KISHIDA Fumio", not "ASEAN Outlook".
        person_words = _given_name_first(person_words) if title else person_words
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


def _opens_sentence(sentence: str, start: int) -> bool:
    return not sentence[:start].strip(" \"'(\u2018\u201c-\u2013\u2014*\u2022").rstrip(".)0123456789")


def _common_word(word: str, context: Context) -> bool:
    lowered = word.lower()
    return (
        context.known_actor(word) is None
        and lowered not in COUNTRY_NAMES
        and word not in CAPITALS
        and (lowered in context.common_words or (lowered.endswith(("ing", "ly")) and len(lowered) > 5))
    )


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
