"""Train the learned models (`learned.py`) on the development part of the evaluation set.

`make train-extraction` (or `python -m tracker.extraction.training`) runs the rules on every development
article, labels each draft by the annotation (1: its sentence holds a true pledge, 0: none; drafts holding only
borderline pledges are left out), fits a logistic regression (scikit-learn, a development dependency) and writes
its weights to `pledge_model.json`. For the drafts whose sentence holds a labelled pledge (borderline ones too)
it labels each candidate actor (`candidates.py`) by whether it is the annotated actor, fits a second logistic
regression on those and writes it to `actor_model.json`. It first prints the figures of a cross-validation by
article (trained on four fifths of the articles, scored on the fifth they did not see, five times): the figures on
the development part itself are in-sample once the models are trained on it, so those are the honest ones for the
development part. The test part is never read here.

Run it again whenever the rules change: the model weighs their verdicts, and
tests/test_extraction_model.py fails while the weights are not what training on the current rules gives.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from .core import Draft
from .engine import rule_drafts
from .evaluation import DEV_DIR, Article, Score, load_articles, names_for, normalise_name, score_article
from .learned import ACTOR_MODEL_PATH, MODEL_PATH, actor_features, choose_actor, confidence, features

# Inverse regularisation strength; cross-validation on the development part found 0.3-3 alike.
REGULARISATION = 1.0
# A word or pair seen in a single draft is noise, and would only bloat the weights file.
MIN_DRAFTS = 2
# The attribution model's inverse regularisation; cross-validation on the development part found 0.1-3 alike.
ACTOR_REGULARISATION = 1.0
FOLDS = 5
SEED = 1


@dataclass
class Example:
    article: str
    draft: Draft
    label: int | None  # None: only borderline pledges in its sentence
    actors: set[str] | None = None  # the labelled actor's names, when the sentence holds a labelled pledge


def examples_for(article: Article) -> list[Example]:
    true = [pledge["match"] for pledge in article.pledges if not pledge.get("borderline")]
    borderline = [pledge["match"] for pledge in article.pledges if pledge.get("borderline")]
    found = []
    for draft in rule_drafts(article.text, article_date=article.date, actors=article.actors):
        if any(match in draft.text for match in true):
            label = 1
        elif any(match in draft.text for match in borderline):
            label = None
        else:
            label = 0
        # Scoring credits the first pledge a draft's sentence holds (the true before the borderline).
        pledge = next(
            (
                pledge
                for pledge in sorted(article.pledges, key=lambda p: bool(p.get("borderline")))
                if pledge["match"] in draft.text
            ),
            None,
        )
        actors = names_for(pledge["actor"], article.actors) if pledge else None
        found.append(Example(article.name, draft, label, actors))
    return found


def fit(examples: list[Example]) -> dict:
    """The pledge model's weights (feature name -> weight) and intercept, trained on the labelled examples."""
    labelled = [example for example in examples if example.label is not None]
    return _logistic([features(example.draft) for example in labelled], [example.label for example in labelled])


def actor_rows(example: Example) -> tuple[list[dict[str, float]], list[int]]:
    """The attribution model's rows for one draft, a row per candidate, 1 for the annotated actor; none when no
    candidate is (a draft with nothing to choose from teaches nothing)."""
    choice = example.draft.choice
    if not example.actors or choice is None:
        return [], []
    labels = [int(normalise_name(candidate.name) in example.actors) for candidate in choice.candidates]
    if not any(labels):
        return [], []
    return [actor_features(candidate, choice.clause) for candidate in choice.candidates], labels


def fit_actors(examples: list[Example]) -> dict:
    """The attribution model's weights and intercept, trained on the candidates of the labelled pledges."""
    rows, labels = [], []
    for example in examples:
        found, found_labels = actor_rows(example)
        rows += found
        labels += found_labels
    return _logistic(rows, labels, regularisation=ACTOR_REGULARISATION)


def _logistic(rows: list[dict[str, float]], labels: list[int], regularisation: float = REGULARISATION) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    seen: dict[str, int] = {}
    for row in rows:
        for name in row:
            seen[name] = seen.get(name, 0) + 1
    rows = [{name: value for name, value in row.items() if seen[name] >= MIN_DRAFTS} for row in rows]
    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform(rows)
    model = LogisticRegression(C=regularisation, max_iter=5000)
    model.fit(matrix, labels)
    weights = {
        name: round(float(weight), 5)
        for name, weight in zip(vectoriser.get_feature_names_out(), model.coef_[0], strict=True)
        if round(float(weight), 5)
    }
    return {"weights": dict(sorted(weights.items())), "intercept": round(float(model.intercept_[0]), 5)}


def cross_validate(articles: list[Article], examples: dict[str, list[Example]] | None = None) -> Score:
    """The development part scored article by article by a model that did not see that article."""
    if examples is None:
        examples = {article.name: examples_for(article) for article in articles}
    names = sorted(article.name for article in articles)
    random.Random(SEED).shuffle(names)  # noqa: S311 - a reproducible split of articles, not a secret
    fold_of = {name: index % FOLDS for index, name in enumerate(names)}
    total = Score("cross-validated")
    for fold in range(FOLDS):
        training = [example for name, found in examples.items() if fold_of[name] != fold for example in found]
        model, actor_model = fit(training), fit_actors(training)
        for article in articles:
            if fold_of[article.name] != fold:
                continue
            drafts = []
            for example in examples[article.name]:
                draft = copy.copy(example.draft)
                draft.confidence = confidence(draft, model)
                choose_actor(draft, actor_model)
                drafts.append(draft)
            total.add(score_article(article, drafts))
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEV_DIR, help="the labelled articles")
    parser.add_argument("--output", type=Path, default=MODEL_PATH, help="where the pledge model's weights go")
    parser.add_argument(
        "--actor-output", type=Path, default=ACTOR_MODEL_PATH, help="where the attribution model's weights go"
    )
    parser.add_argument("--no-cross-validation", action="store_true", help="only train and write the weights")
    args = parser.parse_args(argv)
    articles = load_articles(args.directory)
    if not articles:
        print(f"no labelled articles in {args.directory}", file=sys.stderr)
        return 2
    examples = {article.name: examples_for(article) for article in articles}
    labels = {example.label for found in examples.values() for example in found} - {None}
    if labels != {0, 1}:
        print(f"the drafts of {args.directory} need both pledges and sentences that are not", file=sys.stderr)
        return 2
    if not args.no_cross_validation:
        score = cross_validate(articles, examples)
        print(
            f"cross-validated over {score.articles} articles ({FOLDS} folds by article): recall {score.recall:.2f},"
            f" precision {score.precision:.2f}, attribution {score.attribution:.2f}"
        )
    everything = [example for found in examples.values() for example in found]
    for model, output in ((fit(everything), args.output), (fit_actors(everything), args.actor_output)):
        output.write_text(json.dumps(model, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{len(model['weights'])} weights written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
