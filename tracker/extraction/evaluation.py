"""Score the extraction engine on the annotated articles in tests/data/extraction.

`make eval-extraction` (or `python -m tracker.extraction.evaluation [DIR]`) prints
recall, precision and attribution accuracy per article and overall. A draft
counts as proposed when its confidence is at least PROPOSE_THRESHOLD; it
matches a true pledge when the pledge's annotated substring is in the
draft's sentence; its attribution is right when its actor is the true actor
(or one of the true readings), by name or any alias of that actor,
ignoring case.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tracker.extraction import PROPOSE_THRESHOLD, KnownActor, extract_pledges

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "extraction"
TARGETS = {"recall": 0.9, "precision": 0.75, "attribution": 0.9}


@dataclass
class Article:
    name: str
    text: str
    date: datetime.date
    actors: list[KnownActor]
    pledges: list[dict]


@dataclass
class Score:
    name: str
    true: int = 0
    proposed: int = 0
    found: int = 0  # true pledges matched by a proposed draft
    correct_proposals: int = 0  # proposed drafts matching a true pledge
    attributed: int = 0  # found pledges with the right actor
    kind_right: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    wrong_actors: list[str] = field(default_factory=list)

    def add(self, other: Score):
        for name in ("true", "proposed", "found", "correct_proposals", "attributed", "kind_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float:
        return self.found / self.true if self.true else 1.0

    @property
    def precision(self) -> float:
        return self.correct_proposals / self.proposed if self.proposed else 1.0

    @property
    def attribution(self) -> float:
        return self.attributed / self.found if self.found else 1.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_right / self.found if self.found else 1.0


def load_articles(directory: Path = DEFAULT_DIR) -> list[Article]:
    articles = []
    for meta_path in sorted(Path(directory).glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        text = meta_path.with_suffix(".txt").read_text(encoding="utf-8")
        actors = [
            KnownActor(index, actor["name"], actor.get("kind", ""), tuple(actor.get("aliases", ())))
            for index, actor in enumerate(meta.get("actors", []), start=1)
        ]
        articles.append(
            Article(meta_path.stem, text, datetime.date.fromisoformat(meta["date"]), actors, meta["pledges"])
        )
    return articles


def _names_for(true_actor, actors: list[KnownActor]) -> set[str]:
    readings = true_actor if isinstance(true_actor, list) else [true_actor]
    names = set()
    for reading in readings:
        names.add(normalise_name(reading))
        for actor in actors:
            if normalise_name(actor.name) == normalise_name(reading):
                names |= {normalise_name(alias) for alias in actor.aliases}
    return names


def normalise_name(name: str) -> str:
    """Case, a leading "the" and full stops do not make another actor: "Boeing Co." is "boeing co"."""
    name = name.lower().strip()
    name = re.sub(r"^the\s+", "", name)
    return re.sub(r"[\s.]+", " ", name).strip()


def score_article(article: Article) -> Score:
    score = Score(article.name, true=len(article.pledges))
    drafts = extract_pledges(article.text, article_date=article.date, actors=article.actors)
    proposed = [draft for draft in drafts if draft.confidence >= PROPOSE_THRESHOLD]
    score.proposed = len(proposed)
    for draft in proposed:
        if any(pledge["match"] in draft.text for pledge in article.pledges):
            score.correct_proposals += 1
        else:
            score.false_alarms.append(f"{draft.text} [{draft.actor}, {draft.kind}, {draft.confidence}]")
    for pledge in article.pledges:
        match = next((draft for draft in proposed if pledge["match"] in draft.text), None)
        if match is None:
            score.misses.append(pledge["match"])
            continue
        score.found += 1
        if normalise_name(match.actor) in _names_for(pledge["actor"], article.actors):
            score.attributed += 1
        else:
            score.wrong_actors.append(f"{pledge['match']}: got {match.actor!r}, want {pledge['actor']!r}")
        if match.kind == pledge["kind"]:
            score.kind_right += 1
    return score


def evaluate(directory: Path = DEFAULT_DIR) -> tuple[Score, list[Score]]:
    total = Score("overall")
    scores = []
    for article in load_articles(directory):
        score = score_article(article)
        scores.append(score)
        total.add(score)
    return total, scores


def _line(score: Score) -> str:
    return (
        f"{score.name:28} pledges {score.true:3}  proposed {score.proposed:3}  "
        f"recall {score.recall:.2f}  precision {score.precision:.2f}  "
        f"attribution {score.attribution:.2f}  kind {score.kind_accuracy:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the extraction engine on annotated articles.")
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR, help="NAME.txt + NAME.json pairs")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses, false alarms and wrong actors")
    arguments = parser.parse_args(argv)
    verbose = arguments.verbose
    total, scores = evaluate(arguments.directory)
    for score in scores:
        print(_line(score))
        if verbose:
            for text in score.misses:
                print(f"    missed: {text}")
            for text in score.false_alarms:
                print(f"    false alarm: {text}")
            for text in score.wrong_actors:
                print(f"    wrong actor: {text}")
    print("-" * 120)
    print(_line(total))
    failed = [name for name, target in TARGETS.items() if getattr(total, name) < target]
    for name, target in TARGETS.items():
        print(
            f"target {name} >= {target:.2f}: {'met' if name not in failed else 'NOT MET'} ({getattr(total, name):.3f})"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
