"""Two learned second opinions on each draft: is this sentence a pledge, and who made it?

The rules (cues, caps, attribution) give each draft a confidence; a logistic regression trained on the labelled
development articles (`training.py`, `make train-extraction`) weighs that verdict together with the sentence's
words and word pairs, its cue and what was found (actor, deadline, amount); the draft's confidence is the mean of
the rules' confidence and the model's probability, so that either can carry a draft over PROPOSE_THRESHOLD only
when the other does not firmly disagree (cross-validated on the development part, the mean found more pledges
than the probability alone at the same precision). The rules know the grammar; the words tell apart what one cue
means in different sentences ("will" in a forecast and in an undertaking), which no list of exceptions keeps up
with.

Who made it: the rules name one actor by a chain of decisions; `candidates.py` gathers the others they passed
over (the text's voice, the speaker, the government named most, the names in the sentence), each with its reasons,
and a second logistic regression, trained on which candidate the annotation names, picks the likeliest. The
rules' own choice is a candidate with its reason "rules", so the model departs from it only where the development
articles showed a likelier one.

The weights live in `pledge_model.json` and `actor_model.json`, read once per process; scoring is a sum of
weights, so no learning library is needed at run time.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from pathlib import Path

from .candidates import Candidate
from .core import PROPOSE_THRESHOLD, Draft

MODEL_PATH = Path(__file__).with_name("pledge_model.json")
ACTOR_MODEL_PATH = Path(__file__).with_name("actor_model.json")
# The attribution model departs from the rules only for a candidate it gives at least this chance; below it, every
# candidate is a guess (cross-validated on the development part, 0 to 0.4 scored alike).
MIN_ACTOR_PROBABILITY = 0.2

_NUMBER = re.compile(r"\d[\d,.]*")
_TOKEN = re.compile(r"[a-z][a-z'-]*|0|[\"?$€£¥₹]")


def features(draft: Draft) -> dict[str, float]:
    """What the model reads of a draft that the rules made; names are stable, since they key the weights."""
    words = _TOKEN.findall(_NUMBER.sub(" 0 ", draft.text.lower().replace("\u2019", "'")))
    found = {f"word:{word}": 1.0 for word in words}
    found.update({f"pair:{first}_{second}": 1.0 for first, second in itertools.pairwise(words)})
    found[f"cue:{draft.cue.lower()}"] = 1.0
    found[f"kind:{draft.kind}"] = 1.0
    found[f"rules:{draft.confidence:.2f}"] = 1.0
    found["rules"] = draft.confidence
    found["rules_propose"] = float(draft.confidence >= PROPOSE_THRESHOLD)
    found["known_actor"] = float(draft.actor_id is not None)
    found["no_actor"] = float(not draft.actor)
    found["counterpart"] = float(bool(draft.counterpart))
    found["deadline"] = float(bool(draft.due))
    found["amount"] = float(bool(draft.amount))
    return found


def actor_features(candidate: Candidate, clause: frozenset[str]) -> dict[str, float]:
    """What the attribution model reads of one candidate: why it is one, what it is, and each reason and kind
    crossed with the clause's shape ("the voice" weighs much when the subject is "we", little when it is "he")."""
    found = {f"signal:{signal}": 1.0 for signal in candidate.signals}
    found[f"category:{candidate.category}"] = 1.0
    found["known"] = float(candidate.actor_id is not None)
    found["named_often"] = candidate.named_often
    found["reasons"] = math.log1p(len(candidate.signals))
    for shape in clause:
        found[f"{shape}|category:{candidate.category}"] = 1.0
        found[f"{shape}|known"] = found["known"]
        for signal in candidate.signals:
            found[f"{shape}|signal:{signal}"] = 1.0
    return found


@functools.cache
def _model() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


@functools.cache
def _actor_model() -> dict:
    return json.loads(ACTOR_MODEL_PATH.read_text(encoding="utf-8"))


def _probability(found: dict[str, float], model: dict) -> float:
    weights = model["weights"]
    total = model["intercept"] + sum(weights.get(name, 0.0) * value for name, value in found.items())
    return 1.0 / (1.0 + math.exp(-total))


def probability(draft: Draft, model: dict | None = None) -> float:
    """The chance that the draft is a pledge, by `model` (the weights of `pledge_model.json` unless given)."""
    return _probability(features(draft), model or _model())


def choose_actor(draft: Draft, model: dict | None = None) -> Draft:
    """Give the draft the likeliest of its candidate actors, by `model` (`actor_model.json` unless given)."""
    choice = draft.choice
    if choice is None or not choice.candidates:
        return draft
    model = model or _actor_model()
    scored = [
        (_probability(actor_features(candidate, choice.clause), model), candidate) for candidate in choice.candidates
    ]
    # max() keeps the first of equals, and the rules' own choice is gathered first.
    likelihood, best = max(scored, key=lambda pair: pair[0])
    if "rules" not in best.signals and likelihood < MIN_ACTOR_PROBABILITY:
        return draft  # a guess: the rules' choice, or no actor, tells the analyst more honestly
    draft.actor, draft.actor_id = best.name, best.actor_id
    if best.actor_id is not None and draft.counterpart_id == best.actor_id:
        draft.counterpart, draft.counterpart_id = "", None
    return draft


def confidence(draft: Draft, model: dict | None = None) -> float:
    """The draft's final confidence: the rules' and the model's, weighed alike."""
    return round((draft.confidence + probability(draft, model)) / 2, 2)
