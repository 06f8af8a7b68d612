"""Who else might have made a pledge: the actors a draft's learned attribution (`learned.choose_actor`) weighs.

The rules name one actor per draft by a chain of decisions (the parse's subject, the clause before the cue, the
speaker, the text's voice). When they are wrong, the right actor is nearly always one they passed over: the text's
voice, the speaker of the sentence or of the one before, the government the article names most, a name in the
sentence. Each candidate carries the signals of why it is one ("voice", "speaker", "before_cue"...), and the draft
the shape of its clause ("subject:we", "quoted"...), which is what the learned choice reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import parse
from .attribution import FIRST_PERSON, PRONOUNS, Attributor, Resolved, _in_quotation, _subject_span
from .core import _words
from .names import Context, Mention

# Recent names outside the sentence: "the company" or "he" most often stands for one of the last few.
RECENT_MENTIONS = 6
RECENT_SUBJECTS = 3
_CATEGORIES = ("government", "company", "organisation", "person")
_SUBJECT_NOUNS = _words(
    """
    government country company group bank ministry minister president leaders sides parties two both fund firm
    nation state administration organisation union
    """
)


@dataclass
class Candidate:
    name: str
    actor_id: int | None
    category: str
    signals: set[str] = field(default_factory=set)
    mentions: int = 0  # how often the article has named it so far

    @property
    def named_often(self) -> float:
        return math.log1p(self.mentions)


@dataclass
class Choice:
    """What the learned attribution reads of one draft: its candidates and its clause's shape."""

    candidates: list[Candidate]
    clause: frozenset[str]


def gather(
    *,
    rules_actor: str,
    rules_resolved: Resolved | None,
    sentence: str,
    cue_start: int,
    local: list[Mention],
    context: Context,
    attributor: Attributor,
    doc=None,
    quote_speaker: Resolved | None = None,
) -> Choice:
    """The candidates for the actor of the cue at `cue_start`, as the article stands at this sentence."""
    found: dict[str, Candidate] = {}

    def add(name: str | None, signal: str, category: str = ""):
        if not name or not name.strip():
            return
        known = context.known_actor(name)
        key = f"#{known.id}" if known else " ".join(name.lower().split())
        candidate = found.get(key)
        if candidate is None:
            candidate = Candidate(
                known.name if known else name,
                known.id if known else None,
                (known.kind if known and known.kind else category) or "unknown",
            )
            found[key] = candidate
        if candidate.category == "unknown" and category:
            candidate.category = category
        candidate.signals.add(signal)
        candidate.mentions = max(candidate.mentions, context.times_named(name))

    category = rules_resolved.category if rules_resolved is not None else ""
    add(rules_actor, "rules", category)
    add(context.voice, "voice", "person")
    add(context.declared_voice, "declared_voice", "organisation")
    if quote_speaker is not None:
        add(quote_speaker.name, "quote_speaker", quote_speaker.category)
    speaker = attributor.speaker(sentence, local)
    if speaker is not None:
        add(speaker.name, "speaker", speaker.category)
    add(context.last_speaker, "last_speaker", "person")
    span, span_start = _subject_span(sentence, cue_start)
    subject = (
        attributor.resolve(span, sentence, span_start, local) if span and span.lower() not in FIRST_PERSON else None
    )
    if subject is not None and subject.agent:
        add(subject.name, "span_subject", subject.category)
    parsed = _parsed_subject(doc, cue_start, sentence, local, attributor)
    if parsed is not None:
        add(parsed.name, "parsed_subject", parsed.category)
    add(context.first_person, "first_person", "person")
    add(context.first_government, "first_government", "government")
    for kind in _CATEGORIES:
        add(context.most_named((kind,), local), f"most_named_{kind}", kind)
    add(context.most_named_country(local), "most_named_country", "government")
    for signal, pair in (
        ("pair", context.pair),
        ("government_pair", context.government_pair),
        ("person_pair", context.person_pair),
    ):
        if pair:
            add(pair[0], f"{signal}_first")
            add(pair[1], f"{signal}_second")
    named = [mention for mention in local if mention.category not in ("place", "programme")]
    before = [mention for mention in named if mention.start < cue_start]
    for mention in before:
        add(mention.name, "before_cue", mention.category)
    if before:
        add(before[0].name, "first_before_cue", before[0].category)
        add(before[-1].name, "nearest_before_cue", before[-1].category)
    for mention in named:
        if mention.start >= cue_start:
            add(mention.name, "after_cue", mention.category)
    if context.subjects:
        add(context.subjects[-1].name, "last_subject", context.subjects[-1].category)
    for mention in context.subjects[-RECENT_SUBJECTS:]:
        add(mention.name, "recent_subject", mention.category)
    recent = []
    for mention in reversed(context.mentions):
        if len(recent) == RECENT_MENTIONS:
            break
        if mention.category not in ("place", "programme"):
            recent.insert(0, mention)
    for mention in recent:
        add(mention.name, "recent", mention.category)
    if recent:
        add(recent[-1].name, "latest", recent[-1].category)
    return Choice(list(found.values()), _clause(sentence, cue_start, span, context, rules_resolved, speaker))


def _parsed_subject(doc, cue_start, sentence, local, attributor) -> Resolved | None:
    if doc is None:
        return None
    token = parse.token_at(doc, cue_start)
    subject = parse.subject_of(parse.governing_verb(token)) if token is not None else None
    if subject is None or subject.lower_ in FIRST_PERSON:
        return None
    phrase, start = parse.phrase_of(subject)
    resolved = attributor.resolve(phrase, sentence, start, local)
    return resolved if resolved is not None and resolved.agent and resolved.name else None


def _clause(sentence, cue_start, span, context, rules_resolved, speaker) -> frozenset[str]:
    """The shape of the pledge's clause: who its subject is in kind, whether it is quoted or reported, what the
    text's voice is."""
    words = span.lower().split()
    first = words[0] if words else ""
    if first in FIRST_PERSON or first in PRONOUNS:
        subject = first if first not in ("our", "us") else "we"
    elif first in ("the", "its", "their", "this") and len(words) >= 2 and words[-1] in _SUBJECT_NOUNS:
        subject = f"the_{words[-1]}"
    elif not words:
        subject = "none"
    elif span[:1].isupper():
        subject = "name"
    else:
        subject = "phrase"
    shape = {f"subject:{subject}"}
    if _in_quotation(sentence, cue_start):
        shape.add("quoted")
    if sentence.lstrip().startswith('"'):
        shape.add("opens_quoted")
    if speaker is not None:
        shape.add("has_speaker")
    if context.declared_voice:
        shape.add("declared")
    if context.first_person_voice:
        shape.add("first_person_text")
    if rules_resolved is None:
        shape.add("rules_none")
    elif not rules_resolved.agent:
        shape.add("rules_thing")
    return frozenset(shape)
