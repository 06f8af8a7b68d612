"""A short suggested title for a draft: the pledged action, at most TITLE_MAX_CHARS characters."""

from __future__ import annotations

import re

from .core import TITLE_MAX_CHARS
from .sentences import _QUOTE_TRANSLATION, _SPACES

_WEEKDAY_PHRASE = re.compile(r"\s+on\s+\w+day\b", re.IGNORECASE)
_TITLE_DOCUMENT = re.compile(
    r"\b(?:statement\s+of\s+intent|letter\s+of\s+intent|memorand(?:um|a)\s+of\s+understanding|MoUs?|"
    r"(?:talks|discussions|negotiations)\s+with)\b",
    re.IGNORECASE,
)
_TITLE_VERB = re.compile(r"\b(?:to|will|would)\s+(?P<verb>[a-z]+(?:\s+into)?)$", re.IGNORECASE)


def draft_title(sentence: str, cue: str = "") -> str:
    """A short title for the pledge: what is promised, from the words after the cue."""
    text = _SPACES.sub(" ", sentence).strip().translate(_QUOTE_TRANSLATION)
    rest = text
    if cue:
        index = text.lower().find(cue.lower())
        if index != -1:
            document = _TITLE_DOCUMENT.search(cue)
            verb = _TITLE_VERB.search(cue)
            if document:  # "signed a statement of intent on..." -> "Statement of intent on..."
                rest = text[index + document.start() :]
            elif verb:  # "promised to study X" -> "Study X"
                rest = text[index + verb.start("verb") :]
            else:
                rest = text[index + len(cue) :]
    rest = _WEEKDAY_PHRASE.sub("", rest)
    rest = re.sub(r"^\s*(?:to|on|for|that|a|an|the)\s+", "", rest, flags=re.IGNORECASE)
    rest = re.split(r",\s*(?:\"|according|said|which|who|the\s+\w+\s+said)|\s+(?:said|told)\s+[A-Z]|\"", rest)[0]
    rest = rest.strip(" ,.;:\"'")
    if len(rest.split()) < 3:
        rest = text.strip(" \"'")
    if len(rest) > TITLE_MAX_CHARS:
        rest = rest[:TITLE_MAX_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return rest[:1].upper() + rest[1:]
