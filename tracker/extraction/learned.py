"""A learned second opinion on each draft: is this sentence a pledge?

The rules (cues, caps, attribution) give each draft a confidence; a logistic regression trained on the labelled
development articles (`training.py`, `make train-extraction`) weighs that verdict together with the sentence's
words and word pairs, its cue and what was found (actor, deadline, amount); the draft's confidence is the mean of
the rules' confidence and the model's probability, so that either can carry a draft over PROPOSE_THRESHOLD only
when the other does not firmly disagree (cross-validated on the development part, the mean found more pledges
than the probability alone at the same precision). The rules know the grammar; the words tell apart what one cue
means in different sentences ("will" in a forecast and in an undertaking), which no list of exceptions keeps up
with.

The weights live in `pledge_model.json`, read once per process; scoring is a sum of weights, so no learning
library is needed at run time.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from pathlib import Path

from .core import PROPOSE_THRESHOLD, Draft

MODEL_PATH = Path(__file__).with_name("pledge_model.json")

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


@functools.cache
def _model() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def probability(draft: Draft, model: dict | None = None) -> float:
    """The chance that the draft is a pledge, by `model` (the weights of `pledge_model.json` unless given)."""
    model = model or _model()
    weights = model["weights"]
    total = model["intercept"] + sum(weights.get(name, 0.0) * value for name, value in features(draft).items())
    return 1.0 / (1.0 + math.exp(-total))


def confidence(draft: Draft, model: dict | None = None) -> float:
    """The draft's final confidence: the rules' and the model's, weighed alike."""
    return round((draft.confidence + probability(draft, model)) / 2, 2)
