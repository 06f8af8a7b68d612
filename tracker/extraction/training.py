"""Train the learned model (`learned.py`) on the development part of the evaluation set.

`make train-extraction` (or `python -m tracker.extraction.training`) runs the rules on every development
article, labels each draft by the annotation (1: its sentence holds a true pledge, 0: none; drafts holding only
borderline pledges are left out), fits a logistic regression (scikit-learn, a development dependency) and writes
its weights to `pledge_model.json`. It first prints the figures of a cross-validation by article (trained on four
fifths of the articles, scored on the fifth it did not see, five times): the figures on the development part
itself are in-sample once the model is trained on it, so those are the honest ones for the development part. The
test part is never read here.

Run it again whenever the rules change: the model weighs their verdicts, and
tests/test_extraction_model.py fails while `pledge_model.json` is not what training on the current rules gives.
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
from .evaluation import DEV_DIR, Article, Score, load_articles, score_article
from .learned import MODEL_PATH, confidence, features

# Inverse regularisation strength; cross-validation on the development part found 0.3-3 alike.
REGULARISATION = 1.0
# A word or pair seen in a single draft is noise, and would only bloat the weights file.
MIN_DRAFTS = 2
FOLDS = 5
SEED = 1


@dataclass
class Example:
    article: str
    draft: Draft
    label: int | None  # None: only borderline pledges in its sentence


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
        found.append(Example(article.name, draft, label))
    return found


def fit(examples: list[Example]) -> dict:
    """The model's weights (feature name -> weight) and intercept, trained on the labelled examples."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    labelled = [example for example in examples if example.label is not None]
    rows = [features(example.draft) for example in labelled]
    seen: dict[str, int] = {}
    for row in rows:
        for name in row:
            seen[name] = seen.get(name, 0) + 1
    rows = [{name: value for name, value in row.items() if seen[name] >= MIN_DRAFTS} for row in rows]
    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform(rows)
    model = LogisticRegression(C=REGULARISATION, max_iter=5000)
    model.fit(matrix, [example.label for example in labelled])
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
        model = fit([example for name, found in examples.items() if fold_of[name] != fold for example in found])
        for article in articles:
            if fold_of[article.name] != fold:
                continue
            drafts = []
            for example in examples[article.name]:
                draft = copy.copy(example.draft)
                draft.confidence = confidence(draft, model)
                drafts.append(draft)
            total.add(score_article(article, drafts))
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEV_DIR, help="the labelled articles")
    parser.add_argument("--output", type=Path, default=MODEL_PATH, help="where the weights go")
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
    model = fit([example for found in examples.values() for example in found])
    args.output.write_text(json.dumps(model, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(model['weights'])} weights written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
