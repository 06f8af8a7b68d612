"""The engine's shared vocabulary: its limits, its errors, a draft and a known actor."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields

MAX_TEXT_CHARS = 200_000
# A draft below this confidence is shown for completeness, not proposed.
PROPOSE_THRESHOLD = 0.5
TITLE_MAX_CHARS = 100


class ExtractionError(ValueError):
    """The text cannot be read as an article (empty, or too long).

    `message` is English with %(name)s placeholders for `params`; str() is
    that message filled in (what the API says), and a page translates
    `message` and fills it in itself.
    """

    def __init__(self, message: str, **params):
        shown = {name: f"{value:,}" if isinstance(value, int) else value for name, value in params.items()}
        super().__init__(message % shown if params else message)
        self.message = message
        self.params = params


def text_too_long(text: str) -> bool:
    """Over MAX_TEXT_CHARS: extract_pledges refuses it, and the page and the API say so before calling it."""
    return len(text) > MAX_TEXT_CHARS


@dataclass
class Draft:
    text: str
    actor: str
    actor_id: int | None = None
    counterpart: str = ""
    counterpart_id: int | None = None
    kind: str = "promise"
    due: str | None = None
    amount: dict | None = None
    cue: str = ""
    confidence: float = 0.0
    title: str = ""
    # The actors the learned attribution chooses among (candidates.Choice); the engine's, not the reader's.
    choice: object | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {item.name: copy.deepcopy(getattr(self, item.name)) for item in fields(self) if item.name != "choice"}


@dataclass(frozen=True)
class KnownActor:
    """An actor the tracker already holds, as the engine needs it."""

    id: int | None
    name: str
    kind: str = ""
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_any(cls, actor) -> KnownActor:
        if isinstance(actor, KnownActor):
            return actor
        if isinstance(actor, dict):
            aliases = actor.get("aliases") or ()
            if isinstance(aliases, str):
                aliases = aliases.splitlines()
            return cls(actor.get("id"), actor["name"], actor.get("kind", ""), _clean_aliases(aliases))
        aliases = getattr(actor, "alias_list", None)
        if aliases is None:
            aliases = getattr(actor, "aliases", ())
            if isinstance(aliases, str):
                aliases = aliases.splitlines()
        return cls(
            getattr(actor, "pk", getattr(actor, "id", None)),
            actor.name,
            getattr(actor, "kind", ""),
            _clean_aliases(aliases),
        )


def _clean_aliases(aliases) -> tuple[str, ...]:
    return tuple(alias.strip() for alias in aliases if alias and alias.strip())


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())
