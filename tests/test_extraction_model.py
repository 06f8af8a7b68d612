"""The learned model on top of the extraction rules: its features, its confidence, its training."""

import json

import pytest

from tracker.extraction import PROPOSE_THRESHOLD, Draft, extract_pledges, learned, training
from tracker.extraction.engine import rule_drafts
from tracker.extraction.evaluation import load_articles


def test_features_are_the_words_pairs_cue_and_findings_of_a_draft():
    draft = Draft(
        text="Japan will lend \u00a5200 billion by 2030.",
        actor="Japan",
        actor_id=3,
        cue="will",
        confidence=0.7,
        due="2030-12-31",
    )

    found = learned.features(draft)

    assert found["word:japan"] == found["word:will"] == found["pair:japan_will"] == 1.0
    # Figures are one word, whatever their value: a model trained on "$2 billion" reads "$3 billion" alike.
    assert found["pair:\u00a5_0"] == found["pair:0_billion"] == found["pair:by_0"] == 1.0
    assert not any(name.startswith("word:2") for name in found)
    assert found["cue:will"] == found["kind:promise"] == found["rules:0.70"] == 1.0
    assert found["rules"] == 0.7
    assert (found["rules_propose"], found["known_actor"], found["no_actor"]) == (1.0, 1.0, 0.0)
    assert (found["deadline"], found["amount"], found["counterpart"]) == (1.0, 0.0, 0.0)


def test_the_confidence_is_the_mean_of_the_rules_and_the_model():
    draft = Draft(text="Kenya will build roads.", actor="Kenya", cue="will", confidence=0.7)
    doubting = {"weights": {"word:roads": -3.0}, "intercept": 0.0}  # probability 1 / (1 + e^3) = 0.047

    assert learned.probability(draft, doubting) == pytest.approx(0.0474, abs=1e-4)
    assert learned.confidence(draft, doubting) == pytest.approx((0.7 + 0.0474) / 2, abs=0.006)
    assert learned.confidence(draft, doubting) < PROPOSE_THRESHOLD
    sure = {"weights": {"word:roads": 3.0}, "intercept": 0.0}
    low = Draft(text="Kenya might build roads.", actor="Kenya", cue="might", confidence=0.35)
    assert learned.confidence(low, sure) >= PROPOSE_THRESHOLD


def test_extract_pledges_gives_the_learned_confidence_of_each_rule_draft():
    text = "Kenya will build a road to Mombasa by 2028. Exports rose 5% last year, officials said."
    by_rules = rule_drafts(text)
    drafts = extract_pledges(text)

    assert [draft.text for draft in drafts] == [draft.text for draft in by_rules]
    assert [draft.confidence for draft in drafts] == [learned.confidence(draft) for draft in by_rules]


@pytest.fixture(scope="module")
def development_examples():
    return {article.name: training.examples_for(article) for article in load_articles()}


def test_the_committed_model_is_what_training_on_the_development_part_gives(development_examples):
    # Run `make train-extraction` after changing the rules or the development part: the model weighs the rules'
    # verdicts on these articles, and a stale one weighs verdicts the rules no longer give.
    trained = training.fit([example for found in development_examples.values() for example in found])
    committed = json.loads(learned.MODEL_PATH.read_text(encoding="utf-8"))

    assert set(committed["weights"]) == set(trained["weights"])
    assert max(abs(committed["weights"][name] - weight) for name, weight in trained["weights"].items()) < 1e-3
    assert committed["intercept"] == pytest.approx(trained["intercept"], abs=1e-3)


def test_training_labels_drafts_by_the_annotation(development_examples):
    articles = {article.name: article for article in load_articles()}
    labels = set()
    for name, examples in development_examples.items():
        true = [pledge["match"] for pledge in articles[name].pledges if not pledge.get("borderline")]
        borderline = [pledge["match"] for pledge in articles[name].pledges if pledge.get("borderline")]
        for example in examples:
            labels.add(example.label)
            if any(match in example.draft.text for match in true):
                assert example.label == 1
            elif any(match in example.draft.text for match in borderline):
                assert example.label is None  # neither side: left out of training
            else:
                assert example.label == 0

    assert labels == {0, 1, None}


def write_article(folder, name, text, pledges):
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / f"{name}.json").write_text(
        json.dumps({"date": "2025-01-01", "actors": [], "pledges": pledges}), encoding="utf-8"
    )


def test_the_training_command_writes_the_weights(tmp_path, capsys):
    articles = tmp_path / "articles"
    articles.mkdir()
    for number in range(2):
        write_article(
            articles,
            f"a{number}",
            "Kenya will build a road by 2028. Analysts said growth will slow to 4% next year. "
            "Japan pledged to fund a port. Ghana will probably see more rain.",
            [
                {"match": "Kenya will build", "actor": "Kenya", "kind": "promise"},
                {"match": "Japan pledged", "actor": "Japan", "kind": "promise"},
            ],
        )
    output = tmp_path / "model.json"

    assert training.main([str(articles), "--output", str(output), "--no-cross-validation"]) == 0

    model = json.loads(output.read_text(encoding="utf-8"))
    assert model["weights"] and isinstance(model["intercept"], float)
    assert model["weights"]["word:kenya"] > 0
    assert "weights written to" in capsys.readouterr().out


def test_the_training_command_refuses_an_empty_folder(tmp_path, capsys):
    assert training.main([str(tmp_path), "--output", str(tmp_path / "model.json")]) == 2
    assert "no labelled articles" in capsys.readouterr().err
    assert not (tmp_path / "model.json").exists()
