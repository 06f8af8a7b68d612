"""Article text -> draft pledges.

spaCy's parse (sentences, named entities, the subject and agent of each verb; `parse.py`) is the base; on top
of it the engine keeps its own knowledge: the lexicon of pledge wordings and their kinds (`cues.py`), who a
name, title or pronoun stands for (`names.py`, `attribution.py`), deadlines (`dates.py`), amounts
(`money.py`), titles (`titles.py`) and the confidence of each draft (`engine.py`), which a model learned from
the labelled development articles re-weighs (`learned.py`, trained by `training.py`). docs/EXTRACTION.md
describes the rules, the figures measured on tests/data/extraction and the known limits.

`extract_pledges` takes the actors the tracker already knows (Actor rows, or anything with a name and
aliases) so that drafts link to them; reading them from the database is left to the caller
(selectors.actors_for_extraction).
"""

from .core import MAX_TEXT_CHARS, PROPOSE_THRESHOLD, TITLE_MAX_CHARS, Draft, ExtractionError, KnownActor, text_too_long
from .dates import resolve_due
from .engine import extract_pledges
from .money import find_amounts
from .names import guess_actor_kind
from .sentences import article_dateline_date, split_sentences
from .titles import draft_title

__all__ = [
    "MAX_TEXT_CHARS",
    "PROPOSE_THRESHOLD",
    "TITLE_MAX_CHARS",
    "Draft",
    "ExtractionError",
    "KnownActor",
    "article_dateline_date",
    "draft_title",
    "extract_pledges",
    "find_amounts",
    "guess_actor_kind",
    "resolve_due",
    "split_sentences",
    "text_too_long",
]
