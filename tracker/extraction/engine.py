"""The pipeline: sentences, cues, attribution, counterpart, deadline, amount and confidence into Drafts."""

from __future__ import annotations

import collections
import datetime
import itertools
import re
from collections.abc import Iterable

from django.utils.translation import gettext_noop

from . import candidates, learned, parse
from .attribution import FIRST_PERSON, Attributor, Resolved, _in_quotation, _subject_span
from .core import MAX_TEXT_CHARS, PROPOSE_THRESHOLD, Draft, ExtractionError, KnownActor, text_too_long
from .cues import (
    COMMENTATORS,
    CONDITION_BEFORE,
    CUES,
    ESTIMATED,
    GENERIC_SUBJECT,
    HEDGE_AFTER_MODAL,
    HEDGE_BEFORE,
    HOPE_VERBS,
    KIND_REFINING,
    NEGATION,
    NON_PLEDGE_AFTER_MODAL,
    OPEN_QUESTION,
    PASSIVE_AFTER,
    PAST_AFTER,
    PREAMBLE,
    QUESTION_BEFORE,
    REFINE_WINDOW,
    REPORTING_VERB,
    Cue,
)
from .dates import names_an_earlier_day, resolve_due
from .money import _amount_for, local_currencies
from .names import COUNTRY_NAMES, Context, Mention, _mentions_in
from .sentences import (
    DATELINE_LINE,
    _looks_like_english,
    article_dateline_date,
    normalise_quotes,
    split_sentences,
)
from .titles import _WEEKDAY_PHRASE, draft_title


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
    drafts = rule_drafts(text, article_date=article_date, actors=actors)
    for draft in drafts:
        # The pledge model reads the rules' actor, as it was trained to; the actor is chosen after.
        draft.confidence = learned.confidence(draft)
        learned.choose_actor(draft)
    return drafts


def rule_drafts(text: str, *, article_date: datetime.date | None = None, actors: Iterable | None = None) -> list[Draft]:
    """extract_pledges' drafts with the rules' confidence, before the learned model weighs them (what it is
    trained on)."""
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
    context = Context(
        known=[KnownActor.from_any(actor) for actor in actors or ()],
        common_words=frozenset(re.findall(r"\b[a-z][a-z'-]+\b", text)),
        currencies=local_currencies(text),
    )
    attributor = Attributor(context)
    sentences = [(sentence, _normalise(sentence)) for sentence in split_sentences(text)]
    context.declared_voice = _declared_voice(text, context)
    parsed = _to_parse(sentences)
    docs = dict(zip(parsed, parse.parse_all([sentences[index][1] for index in parsed]), strict=True))
    drafts = []
    headings = _headings(text)
    for index, (sentence, normalised) in enumerate(sentences):
        if DATELINE_LINE.fullmatch(normalised.strip()):
            continue  # "Vientiane, Lao PDR, 10 October 2024": neither a pledge nor anyone's name
        local = _mentions_in(normalised, context)
        doc = docs.get(index)
        if doc is not None and _is_quotation(normalised) and len(list(doc.sents)) > 1:
            drafts.extend(_quotation_drafts(sentence, normalised, doc, local, context, attributor, article_date))
        else:
            draft = _draft_for(sentence, normalised, local, context, attributor, article_date, doc=doc)
            if draft is not None and " ".join(sentence.split()) in headings:
                draft.confidence = min(draft.confidence, 0.35)
            if draft is not None:
                drafts.append(draft)
        addressed = _ADDRESSED.search(normalised)
        for mention in local:
            context.remember(mention, addressed=bool(addressed and addressed.start() <= mention.start))
        subject = _sentence_subject(normalised, local)
        if subject is None:
            generic = GENERIC_SUBJECT.match(normalised)
            if generic:
                phrase = generic.group("subject")
                subject = Mention(0, len(phrase), phrase, phrase, "group")
        if subject is not None:
            context.subjects.append(subject)
        _remember_pair(normalised, local, context)
        context.reported_before = _reports(normalised)
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
    """ "Kenya and Japan signed...": "both sides" later means these two; "Biden and Hichilema met...": "the two
    presidents" later means these two."""
    for first, second in itertools.pairwise(local):
        between = sentence[first.end : second.start].strip().lower()
        if between not in ("and", "and the", ","):
            continue
        if first.category == second.category == "person":
            context.person_pair = (first.name, second.name)
        elif between != "," and first.category in _PARTIES and second.category in _PARTIES:
            context.pair = (first.name, second.name)
            if first.category == second.category == "government":
                context.government_pair = context.pair
            return


# "All partners are committed to...": a passive in form whose subject is the one who pledges.
_STATES_OF_MIND = frozenset({"committed", "determined", "resolved", "prepared", "dedicated", "bound", "obliged"})
_PARTICIPLE_OPENER = re.compile(r"\s*(?:\d{1,3}\.\s*)?[A-Z][a-z]+ing\b")
_WHAT_IS_PLEDGED = re.compile(r"\bto\s+(?!the\b|a\b|an\b)[a-z]+\b|\b(?:will|would|shall)\b")
# A speech greets and thanks its hosts: "Your Excellency Prime Minister X", "I congratulate Prime Minister X".
_ADDRESSED = re.compile(
    r"^(?:your\s+(?:excellenc|majest|highness)|excellenc|dear\b|distinguished\b)"
    r"|\b(?:I|we)\s+(?:\w+\s+)?(?:thank|congratulate|welcome|greet|salute|commend)\b",
    re.IGNORECASE,
)
# Who can be one of "the two sides": not "Belt and Road", not "Mombasa and Nairobi".
_PARTIES = frozenset({"government", "organisation", "company"})
_POSSESSIVE = re.compile(r"^(its|their|our|my|his|her)\b", re.IGNORECASE)
_PRONOUN_OF = {"its": "it", "their": "they", "our": "we", "my": "I", "his": "he", "her": "she"}
_INTENT_NOUNS = frozenset({"target", "goal", "aim", "objective", "ambition", "plan", "plans", "intention", "pledge"})
_ABLE = ("person", "government", "company", "organisation")
_INDEFINITE = frozenset({"some", "many", "most", "few", "others", "several", "none", "each"})
_LETTER = re.compile(r"[^\W\d_]")
_GIVES = re.compile(r"^\s+(?:also\s+)?add\s+(?:[$€£¥₦₹]|\d|about|some|around|nearly|more\s+than|up\s+to)", re.I)
_HELP = re.compile(r"^\s+(?:also\s+)?help\b", re.IGNORECASE)
_STARTS_FIRST_PERSON = re.compile(r"(?:we|I)\b", re.IGNORECASE)
_COLLECTIVE_WE = re.compile(r"^(?:each|all|both|every\s+one)\s+of\s+us\b", re.IGNORECASE)
_PASSIVE_MODAL = re.compile(
    r"(?:will|shall|would)\s+(?:also\s+)?be\s+(?:\w+ed|\w+en|set|made|built|held|given|sent|paid|put|done|met)\b",
    re.IGNORECASE,
)
# "We, the Leaders of the Group of Seven, met", "Today we, President Joseph R. Biden, Jr. of the United States and
# President William S. Ruto of Kenya, celebrate".
# A declaration's operative verbs in capitals, after an optional number: "2. COMMIT to allocate...".
_SHOUTED_OPENING = re.compile(r"^(\s*(?:\d{1,2}\.|\([a-z0-9]{1,3}\))?\s*)([A-Z]{3,})(?=\s+[a-z])")


def _normalise(sentence: str) -> str:
    """What the rules read: straight quotation marks, scare quotes blanked, a capitalised operative verb in
    lower case; every offset kept."""
    normalised = normalise_quotes(sentence)
    return _SHOUTED_OPENING.sub(lambda match: match.group(1) + match.group(2).lower(), normalised)


_TERMINAL = (".", "!", "?", '"', "'", "\u201d", ":", ";")


def _headings(text: str) -> set[str]:
    """Lines standing alone with no full stop: the headline ("Kenya and China sign Sh327bn deal") and the
    subheadings ("Where the investment will go"), which restate what the report then says in full."""
    return {
        " ".join(line.split())
        for line in text.splitlines()
        if line.strip() and len(line) <= 250 and not line.rstrip().endswith(_TERMINAL)
    }


_HEADS_OF_STATE = re.compile(
    r"^(?:the\s+)?(?P<heads>Heads\s+of\s+State(?:\s+and\s+(?:of\s+)?Government)?|Heads\s+of\s+Government)\b", re.I
)
_NOT_A_PARTY = re.compile(r"(?:Government|Member\s+States|Heads)\b")
_WE_THE = re.compile(
    r"\b[Ww]e,\s+(?P<who>(?:the\s+)?(?:[A-Z]|(?:leaders|heads|ministers|representatives|members|undersigned)\b)"
    r"[^;:]{2,200}?),\s+(?=[a-z])"
)
# An interview's introduction: "Gestión spoke with Mario de las Casas", "Diong ... spoke to Barbados Today".
_INTERVIEWED = re.compile(r"\b(?:spoke|talked)\s+(?:with|to)\b|\bin\s+an\s+interview\s+with\b")
# A question-and-answer label opening a paragraph: "DIONG:", "Mr Koike:".
_QA_LABEL = re.compile(r"(?P<label>[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3}):\s")


# A speech's heading: "Speech by the President of the Republic, Emmanuel Macron, at the University of Ouagadougou".
_SPEECH_BY = re.compile(
    r"^[^\n]{0,40}?\b(?:speech|address|remarks|statement|keynote|message|interview)\s+(?:by|with)\s+"
    r"(?P<who>[^\n(]{3,160}?)(?:\s+(?:at|to|on|before|in)\s|\(|$)",
    re.IGNORECASE | re.MULTILINE,
)


def _declared_voice(text: str, context: Context) -> str | None:
    """ "We, the Leaders of the Group of Seven, met..." or a heading "Speech by X" names who the text's "we" is."""
    opening = text[:5_000].translate(str.maketrans("\u2019", "'"))
    heading = _SPEECH_BY.match(opening.lstrip())
    if heading is not None:
        persons = [m for m in _mentions_in(heading.group("who"), context) if m.category == "person" and m.title == ""]
        persons = persons or [m for m in _mentions_in(heading.group("who"), context) if m.category == "person"]
        if persons:
            return persons[0].name
    match = _WE_THE.search(opening)
    if match is None:
        return _interviewee(opening, context)
    who = match.group("who")
    mentions = _mentions_in(who, context)
    summit = _HEADS_OF_STATE.match(who)
    # "...of the Republic of Turkey and the Member States of the African Union": the parties, not "Government
    # of Africa" read out of "Heads of State and Government of Africa".
    parties = [
        mention
        for mention in mentions
        if mention.category in ("organisation", "government") and not _NOT_A_PARTY.match(mention.surface)
    ]
    if summit:  # "We, the Heads of State and Government of Africa,"
        return parties[0].name if parties else summit.group("heads")
    # A body ("Group of Seven") before its members; leaders "of Kenya" speak for their country.
    for mention in mentions:
        if mention.category in ("organisation", "government", "company"):
            return mention.name
    for mention in mentions:
        if mention.category == "place" and mention.name.lower() in COUNTRY_NAMES:
            return COUNTRY_NAMES[mention.name.lower()]
    persons = [mention for mention in mentions if mention.category == "person"]
    return persons[0].name if persons else None


def _interviewee(opening: str, context: Context) -> str | None:
    """An interview's "we" is the person interviewed: the one who answers under a label ("DIONG: ..."), else the
    one its introduction says the publication spoke with. A text with fewer than two questions is no interview."""
    paragraphs = [line for line in opening.splitlines() if line.strip()]
    asked = [index for index, line in enumerate(paragraphs) if line.rstrip().endswith("?")]
    if len(asked) < 2:
        return None
    persons = [m for line in paragraphs for m in _mentions_in(line, context) if m.category == "person"]
    # The label of two answers or more: not the questions' ("BARBADOS TODAY: What did the board agree?"), nor
    # a headline's ("Leaders Talk: Dilma Rousseff on...").
    answers = [_QA_LABEL.match(line) for line in paragraphs if not line.rstrip().endswith("?")]
    labels = collections.Counter(match.group("label").lower().split()[-1] for match in answers if match)
    for label, count in labels.most_common():
        named = [person for person in persons if person.name.lower().split()[-1] == label]
        if count >= 2 and named:
            return named[0].name
    for line in paragraphs[: asked[0]]:
        for spoke in _INTERVIEWED.finditer(line):
            begin = line.rfind(". ", 0, spoke.start()) + 1
            if _PRONOUN_SUBJECT.match(line[begin : spoke.start()].strip()):
                return None  # "He spoke to AutoData": whoever "he" is, the names around it are not he
            local = [m for m in _mentions_in(line, context) if m.category == "person" and m.start >= begin]
            before = [m for m in local if m.start < spoke.start()]
            after = [m for m in local if m.start > spoke.start()]
            if before or after:
                return (before or after)[0].name
    return None


_PRONOUN_SUBJECT = re.compile(r"(?:he|she|they|i|we)\b", re.IGNORECASE)


def _to_parse(sentences: list[tuple[str, str]]) -> list[int]:
    """The sentences with commitment language, within parse.MAX_SENTENCE_CHARS each and parse.MAX_CHARS in all;
    the rest are read by the rules alone, which keeps any text within MAX_TEXT_CHARS to seconds."""
    chosen, budget = [], parse.MAX_CHARS
    for index, (_, normalised) in enumerate(sentences):
        reported = index > 0 and _reports(sentences[index - 1][1])
        too_long = len(normalised) > parse.MAX_SENTENCE_CHARS or len(normalised) > budget
        if too_long or not _has_cue(normalised, reported=reported):
            continue
        chosen.append(index)
        budget -= len(normalised)
    return chosen


def _reports(sentence: str) -> bool:
    """The sentence reports speech: "would" in the next one may still be what was said."""
    return bool(REPORTING_VERB.search(sentence))


def _has_cue(sentence: str, *, reported: bool = False) -> bool:
    return any(not _negated(sentence, start) for start, _, _ in _find_cues(sentence, reported=reported))


def _is_quotation(sentence: str) -> bool:
    """Speech in quotation marks, whole or after its speaker: `"We will...," she said`, `She said: "We..."`."""
    return sentence.count('"') >= 2


def _quotation_drafts(sentence, normalised, doc, local, context, attributor, article_date) -> list[Draft]:
    """A quotation of several sentences gives a draft for each pledge in it, all in its speaker's name."""
    speaker_token = parse.sentence_speaker(doc)
    speaker = None
    if speaker_token is not None:
        phrase, start = parse.phrase_of(speaker_token)
        speaker = attributor.resolve(phrase, normalised, start, local)
    if speaker is None or not speaker.agent:
        speaker = attributor.speaker(normalised, local) or _quote_speaker(normalised, context)
    drafts = []
    for part in doc.sents:
        start, end = part.start_char, part.end_char
        if not _has_cue(normalised[start:end]):
            continue
        shifted = [
            Mention(m.start - start, m.end - start, m.surface, m.name, m.category, m.title)
            for m in local
            if start <= m.start < end
        ]
        draft = _draft_for(
            sentence[start:end].strip('" '),
            normalised[start:end],
            shifted,
            context,
            attributor,
            article_date,
            doc=part.as_doc(),
            quote_speaker=speaker,
        )
        if draft is not None:
            drafts.append(draft)
    return drafts


def _find_cues(sentence: str, *, reported: bool = False) -> list[tuple[int, int, Cue]]:
    """The cues in the sentence; "would" only in reported speech: after "said" in it, or, with `reported`,
    continuing what the sentence before reported ("Officials said... Beijing would also add $2 billion")."""
    found = []
    has_reporting = REPORTING_VERB.search(sentence)
    for cue in CUES:
        for match in cue.pattern.finditer(sentence):
            if cue.reported and not (reported or (has_reporting and has_reporting.start() < match.start())):
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
    # A quotation of several sentences is one: "We are not coming only to sell cars. We will manufacture here".
    window = re.split(r"[,;:]|[.!?]\s|\bbut\b|\band\b", window)[-1]
    return bool(NEGATION.search(window))


_PLEDGE_CLAUSE = re.compile(
    r"\s+[^,;\"]{1,80}?\s+(?P<verb>(?:would|will|shall|should|(?:is|are|was|were)\s+to)\b)", re.IGNORECASE
)


def _draft_for(
    sentence, normalised, local, context, attributor, article_date, *, doc=None, quote_speaker=None, from_char=0
) -> Draft | None:
    """The sentence's draft from its first cue at or after `from_char`; when that is no pledge ("85 percent of our
    workforce will be Nigerian, and we will keep investing"), the next clause's, if it is one."""
    best = None
    while True:
        draft = _draft_from(
            sentence,
            normalised,
            local,
            context,
            attributor,
            article_date,
            doc=doc,
            quote_speaker=quote_speaker,
            from_char=from_char,
        )
        if draft is None:
            return best
        if best is None or draft.confidence > best.confidence:
            best = draft
        if draft.confidence >= PROPOSE_THRESHOLD:
            return best
        cue_at = normalised.find(draft.cue, from_char) if draft.cue else -1
        following = _NEXT_CLAUSE.search(normalised, cue_at + len(draft.cue)) if cue_at >= 0 else None
        if following is None:
            return best
        from_char = following.end()


# Where another clause with a subject of its own begins: ", and we will", "; the bank will".
_NEXT_CLAUSE = re.compile(r"(?:,\s+(?:and|but|while)\s+|[;:]\s+|\b(?:under|in)\s+which\s+)")


def _draft_from(
    sentence, normalised, local, context, attributor, article_date, *, doc=None, quote_speaker=None, from_char=0
) -> Draft | None:
    cues = [
        item
        for item in _find_cues(normalised, reported=context.reported_before)
        if item[0] >= from_char
        and not _negated(normalised, item[0])
        and not (doc is not None and parse.negated(doc, item[0]))
    ]
    if not cues:
        return None
    unconditional = [item for item in cues if not _conditional(normalised, item[0])]
    # Every cue inside an "if" clause: "If they want to increase their stake, we are open to it."
    only_conditional = not unconditional
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
    actor = _attribute(normalised, actor_at, local, context, attributor, doc=doc, quote_speaker=quote_speaker)
    confidence = cue.strength
    question = normalised.rstrip("\"' ").endswith("?") or OPEN_QUESTION.match(normalised)
    hedged = HEDGE_BEFORE.search(normalised[max(0, start - 30) : start]) or (
        cue.modal and HEDGE_AFTER_MODAL.match(normalised, end)
    )
    preamble = PREAMBLE.match(normalised)
    if hedged or _questioned(normalised, start) or question or only_conditional or preamble:
        confidence = min(confidence, 0.35)
    passive = cue_text.lower().endswith("ed") and PASSIVE_AFTER.match(normalised[end:])
    if passive and not (doc is not None and parse.named_agent(doc, start)):
        confidence = min(confidence, 0.35)
    # Up to what the pledge is to do: in "pledged on Monday to build it in May" May is still ahead.
    # From the cue's own clause: in "Recalling the agreement concluded in February 2024, the two sides agreed
    # to..." February is the earlier agreement's.
    told = _WHAT_IS_PLEDGED.search(normalised, end)
    opener = _PARTICIPLE_OPENER.match(normalised)
    clause_start = normalised.find(",", 0, start) + 1 if opener else 0
    if cue_text.split()[0].lower().endswith("ed") and names_an_earlier_day(
        normalised[clause_start : told.start() if told else None], article_date
    ):
        confidence = min(confidence, 0.35)  # "was signed in Ankara on February 8", reported two weeks later
    past = PAST_AFTER.match(normalised[end:])
    if past and (not past.group("year") or int(past.group("year")) < article_date.year):
        confidence = min(confidence, 0.35)  # "the money they promised in 2019"
    if doc is not None and (
        parse.past_event(doc, start, article_date.year)
        or parse.governed_by(doc, start, HOPE_VERBS)
        or parse.speaker_word(doc, start) in COMMENTATORS
        or parse.reported_as_past(doc, start)
    ):
        confidence = min(confidence, 0.35)
    # The deadline after the pledge's verb before one elsewhere in the sentence ("who leaves in October, also
    # announced that Jakarta would host the jubilee next year").
    due = resolve_due(normalised[start:], article_date) or resolve_due(normalised, article_date)
    if cue.modal and ((doc is not None and parse.forecast_shape(doc, start)) or ESTIMATED.search(normalised)):
        confidence = min(confidence, 0.35)
    if cue.modal:
        after = normalised[end:]
        # "A joint mechanism will be set up" in a speech or a communique: the voice's undertaking.
        voiced = context.first_person_voice and actor is not None and actor.name == context.voice
        undertaken = (doc is not None and parse.named_agent(doc, start)) or (
            voiced and _PASSIVE_MODAL.match(normalised, start)
        )
        # "Japan will help African countries grow more food": help given by someone able to give it.
        able = (
            actor is not None and actor.agent and actor.category in ("person", "government", "company", "organisation")
        )
        # "Beijing would add $2 billion to the fund" is given; "the deal would add £4.8 billion" is a forecast.
        helping = (_HELP.match(after) and actor is not None and actor.agent) or (able and _GIVES.match(after))
        if NON_PLEDGE_AFTER_MODAL.match(after) and not undertaken and not helping:
            confidence = min(confidence, 0.55 if due and re.match(r"^\s+(?:also\s+)?be\s+\w+ed\b", after) else 0.35)
        elif actor is not None and not actor.agent:
            # "The plant will be finished by 2027" may be an undertaking; "some will try to leave" never is.
            confidence = min(confidence, 0.55 if due and actor.category != "indefinite" else 0.35)
    if actor is None or not actor.name:
        confidence = min(confidence, 0.4)
    elif not actor.agent and not cue.modal:
        confidence = min(confidence, 0.55)
    amount = _amount_for(normalised, end, context.currencies, cue_start=start)
    counterpart = _counterpart(normalised, start, end, cue, local, context, attributor)
    if actor is not None and not actor.agent:
        speaker = attributor.speaker(normalised, local) or _quote_speaker(normalised, context)
        fallback = speaker.name if speaker else None
        # In a speech or a communique "This Budget provides $16.68 billion" is the voice's.
        voiced = context.voice if context.first_person_voice and actor.category != "indefinite" else None
        actor_name = fallback or voiced or actor.name
    else:
        actor_name = actor.name if actor else ""
    known = context.known_actor(actor_name) if actor_name else None
    counterpart_known = context.known_actor(counterpart) if counterpart else None
    if known and counterpart_known and known == counterpart_known:
        counterpart, counterpart_known = "", None
    choice = candidates.gather(
        rules_actor=actor_name,
        rules_resolved=actor,
        sentence=normalised,
        cue_start=actor_at,
        local=local,
        context=context,
        attributor=attributor,
        doc=doc,
        quote_speaker=quote_speaker,
    )
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
        choice=choice,
    )


def _quote_speaker(sentence: str, context: Context) -> Resolved | None:
    if sentence.startswith('"') and context.last_speaker:
        return Resolved(context.last_speaker, "person")
    return None


def _attribute(sentence, cue_start, local, context, attributor, *, doc=None, quote_speaker=None) -> Resolved | None:
    if doc is not None:
        parsed = _parsed_actor(doc, sentence, cue_start, local, context, attributor)
        if parsed is not None:
            return parsed
    span, span_start = _subject_span(sentence, cue_start)
    span = _COLLECTIVE_WE.sub("we", span)
    if not _LETTER.search(span) and context.declared_voice and not _in_quotation(sentence, cue_start):
        return Resolved(context.declared_voice, "organisation")  # "2. commit to allocate": the declaration's
    if span.split() and span.split()[-1].lower() in ("we", "i"):  # "With this package we will invest"
        span, span_start = span.split()[-1], span_start + len(span) - len(span.split()[-1])
    if _STARTS_FIRST_PERSON.match(sentence, cue_start):  # the cue itself opens with "we": "we launch"
        span, span_start = "we", cue_start
    if quote_speaker is not None and (not span or span.split()[0].lower() in FIRST_PERSON):
        return quote_speaker
    in_quote = _in_quotation(sentence, cue_start)
    first_word = span.split()[0].lower() if span.split() else ""
    if in_quote and (not span or first_word in FIRST_PERSON or span.lower() in FIRST_PERSON):
        return attributor.speaker(sentence, local) or _quote_speaker(sentence, context)
    if span.lower() in FIRST_PERSON or first_word in FIRST_PERSON:
        speaker = attributor.speaker(sentence, local) or _quote_speaker(sentence, context)
        if speaker is None and not in_quote and context.voice:
            context.first_person_voice = True
            return Resolved(context.voice, "person")
        if speaker is not None or span.lower() in FIRST_PERSON:
            return speaker
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
    if subject is not None and context.first_person_voice and _PASSIVE_MODAL.match(sentence, cue_start):
        # In a speech or a communique "50,000 scholarships will be offered" is the speaker's undertaking.
        return Resolved(context.voice, "person")
    if subject is not None:
        # "The programme, run by X, aims to...": the first actor named in the sentence.
        named = [mention for mention in local if mention.category != "place" and mention.start < cue_start]
        if named:
            return Resolved(named[0].name, named[0].category, agent=False)
        return subject
    return None


# "the country", "the government" inside what a person said is that person's side.
_SPEAKER_PRONOUNS = frozenset({"he", "she", "it", "they"})
_SPEAKERS_SIDE = re.compile(r"^the\s+(?:country|government|nation|administration)$", re.IGNORECASE)


def _parsed_actor(doc, sentence, cue_start, local, context, attributor) -> Resolved | None:
    """The subject (or a passive's agent) of the cue's verb in spaCy's parse; the speaker for "we" or "I"."""
    token = parse.token_at(doc, cue_start)
    if token is None:
        return None
    verb = parse.governing_verb(token)
    subject = parse.subject_of(verb)
    if subject is None:
        return None
    if subject.dep_ == "nsubjpass" and verb.lower_ not in _STATES_OF_MIND:
        # "50,000 scholarships will be offered": what is pledged, not who; the one who says so, if anyone.
        speaker_token = parse.speaker_of(verb)
        if speaker_token is not None:
            phrase, start = parse.phrase_of(speaker_token)
            resolved = attributor.resolve(phrase, sentence, start, local)
            return resolved if resolved is not None and resolved.agent else None
        return Resolved(context.voice, "person") if context.first_person_voice and context.voice else None
    if subject.tag_ == "VBG":
        return Resolved(subject.text, "thing", agent=False)  # "Beating this virus will take..."
    if subject.lower_ in _INDEFINITE and not _COLLECTIVE_WE.match(doc.text[subject.idx :]):
        return Resolved(subject.text, "indefinite", agent=False)  # "Some will fail", "Many will wait"
    phrase, start = parse.phrase_of(subject)
    phrase = _COLLECTIVE_WE.sub("we", phrase)
    owner = _POSSESSIVE.match(phrase)
    if owner and subject.lower_ in _INTENT_NOUNS:
        # "its target is to", "our plan is to": the owner pledges.
        phrase = _PRONOUN_OF[owner.group(1).lower()]
    first_word = phrase.split()[0].lower() if phrase.split() else ""
    speaker_token = parse.speaker_of(verb)
    if speaker_token is not None and phrase.lower() in _SPEAKER_PRONOUNS:
        # "The company said it would pay": the pronoun is the speaker when the speaker can be one.
        speaker_phrase, speaker_start = parse.phrase_of(speaker_token)
        speaker = attributor.resolve(speaker_phrase, sentence, speaker_start, local)
        if (
            speaker is not None
            and speaker.agent
            and (speaker.category == "person") == (phrase.lower() in ("he", "she"))
        ):
            return speaker
    if first_word in FIRST_PERSON or _SPEAKERS_SIDE.match(phrase):
        if speaker_token is None:
            speaker_token = parse.sentence_speaker(doc) if first_word in FIRST_PERSON else None
        if speaker_token is None:
            return None
        phrase, start = parse.phrase_of(speaker_token)
    resolved = attributor.resolve(phrase, sentence, start, local)
    if resolved is not None and resolved.category == "group" and _a_thing(subject):
        # "Disbursement will follow": capitalised only because it opens the sentence.
        return Resolved(phrase, "thing", agent=False)
    if resolved is not None and resolved.agent and resolved.name:
        return resolved
    return None


def _a_thing(subject) -> bool:
    """A singular common noun with no name in it ("Disbursement", "The money"): not someone who can pledge."""
    return (
        subject.tag_ == "NN"
        and subject.text[1:].islower()
        and not any(token.pos_ == "PROPN" for token in subject.subtree)
    )


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
