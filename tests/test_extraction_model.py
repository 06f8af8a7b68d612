"""The learned model on top of the extraction rules: its features, its confidence, its training."""

import json

import pytest

from tracker.extraction import PROPOSE_THRESHOLD, Draft, extract_pledges, learned, training
from tracker.extraction.candidates import Candidate, Choice
from tracker.extraction.engine import rule_drafts
from tracker.extraction.evaluation import load_articles, names_for


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


@pytest.mark.parametrize(
    "fit, path", [(training.fit, learned.MODEL_PATH), (training.fit_actors, learned.ACTOR_MODEL_PATH)]
)
def test_the_committed_models_are_what_training_on_the_development_part_gives(development_examples, fit, path):
    # Run `make train-extraction` after changing the rules or the development part: the models weigh the rules'
    # verdicts on these articles, and stale ones weigh verdicts the rules no longer give.
    trained = fit([example for found in development_examples.values() for example in found])
    committed = json.loads(path.read_text(encoding="utf-8"))

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
    output, actor_output = tmp_path / "model.json", tmp_path / "actors.json"

    assert (
        training.main(
            [str(articles), "--output", str(output), "--actor-output", str(actor_output), "--no-cross-validation"]
        )
        == 0
    )

    model = json.loads(output.read_text(encoding="utf-8"))
    assert model["weights"] and isinstance(model["intercept"], float)
    assert model["weights"]["word:kenya"] > 0
    actor_model = json.loads(actor_output.read_text(encoding="utf-8"))
    assert actor_model["weights"] and isinstance(actor_model["intercept"], float)
    assert actor_model["weights"]["signal:rules"] > 0  # the rules named Kenya and Japan, as labelled
    assert capsys.readouterr().out.count("weights written to") == 2


def test_the_training_command_refuses_an_empty_folder(tmp_path, capsys):
    arguments = ["--output", str(tmp_path / "model.json"), "--actor-output", str(tmp_path / "actors.json")]
    assert training.main([str(tmp_path), *arguments]) == 2
    assert "no labelled articles" in capsys.readouterr().err
    assert not (tmp_path / "model.json").exists() and not (tmp_path / "actors.json").exists()


# The learned attribution ----------------------------------------------------------------------------------------


def choice_of(*candidates, clause=("subject:we",)):
    return Choice(list(candidates), frozenset(clause))


def test_actor_features_are_the_reasons_and_kind_crossed_with_the_clause():
    candidate = Candidate("Government of Kenya", 4, "government", {"voice", "most_named_government"}, mentions=3)

    found = learned.actor_features(candidate, frozenset({"subject:we", "quoted"}))

    assert found["signal:voice"] == found["signal:most_named_government"] == found["category:government"] == 1.0
    assert found["subject:we|signal:voice"] == found["quoted|signal:most_named_government"] == 1.0
    assert found["subject:we|category:government"] == found["known"] == found["quoted|known"] == 1.0
    assert found["named_often"] == pytest.approx(1.386, abs=1e-3)  # log(1 + 3)
    assert not any("signal:speaker" in name for name in found)


def test_the_attribution_model_gives_the_draft_its_likeliest_candidate():
    rules = Candidate("the deal", None, "thing", {"rules"})
    voice = Candidate("Government of Kenya", 4, "government", {"voice"})
    draft = Draft(text="We will build roads.", actor="the deal", cue="will", choice=choice_of(rules, voice))
    trusting_the_voice = {"weights": {"subject:we|signal:voice": 2.0}, "intercept": 0.0}

    learned.choose_actor(draft, trusting_the_voice)

    assert (draft.actor, draft.actor_id) == ("Government of Kenya", 4)


def test_the_rules_choice_stands_among_equals_and_without_candidates():
    rules = Candidate("Japan", 2, "government", {"rules"})
    other = Candidate("Kenya", 4, "government", {"recent"})
    draft = Draft(text="Japan will lend.", actor="Japan", actor_id=2, cue="will", choice=choice_of(rules, other))
    indifferent = {"weights": {}, "intercept": 0.0}

    assert learned.choose_actor(draft, indifferent).actor == "Japan"
    bare = Draft(text="Japan will lend.", actor="Japan", actor_id=2, cue="will")
    assert learned.choose_actor(bare, indifferent).actor == "Japan"


def test_an_unlikely_candidate_is_no_reason_to_depart_from_the_rules():
    rules = Candidate("the deal", None, "thing", {"rules"})
    voice = Candidate("Government of Kenya", 4, "government", {"voice"})
    nobody = Candidate("Government of Kenya", 4, "government", {"recent"})
    # The voice is likelier than the rules' choice, but still a guess: 1 / (1 + e^2) = 0.12.
    doubtful = {"weights": {"signal:rules": -3.0, "signal:voice": 1.0}, "intercept": -3.0}
    draft = Draft(text="We will build roads.", actor="the deal", cue="will", choice=choice_of(rules, voice))

    assert learned.choose_actor(draft, doubtful).actor == "the deal"
    assert learned.MIN_ACTOR_PROBABILITY > 0.12
    unattributed = Draft(text="We will build roads.", actor="", cue="will", choice=choice_of(nobody))
    assert learned.choose_actor(unattributed, {"weights": {}, "intercept": -3.0}).actor == ""
    assert learned.choose_actor(unattributed, {"weights": {}, "intercept": 0.0}).actor == "Government of Kenya"


def test_a_chosen_actor_is_no_longer_its_own_counterpart():
    rules = Candidate("Japan", 2, "government", {"rules"})
    kenya = Candidate("Kenya", 4, "government", {"voice"})
    draft = Draft(
        text="We will lend to Kenya.",
        actor="Japan",
        actor_id=2,
        counterpart="Kenya",
        counterpart_id=4,
        cue="will",
        choice=choice_of(rules, kenya),
    )

    learned.choose_actor(draft, {"weights": {"signal:voice": 3.0}, "intercept": 0.0})

    assert (draft.actor, draft.counterpart, draft.counterpart_id) == ("Kenya", "", None)


def test_extract_pledges_gives_each_draft_the_learned_choice_of_actor():
    text = (
        "We, the leaders of Kenya and Japan, met in Yokohama on 21 August 2025. We will build a road to Mombasa. "
        "Japan will lend 20 billion yen for the port, Prime Minister Ishiba said."
    )
    by_rules = rule_drafts(text)
    drafts = extract_pledges(text)

    assert [draft.actor for draft in drafts] == [learned.choose_actor(draft).actor for draft in by_rules]
    assert all(draft.choice is not None and draft.choice.candidates for draft in drafts)


def test_the_candidates_are_the_subject_the_speaker_and_the_names_before():
    text = (
        "The Government of Kenya and the Government of Japan met in Yokohama on 21 August 2025. "
        "Japan will lend 20 billion yen for the port, Prime Minister Shigeru Ishiba said."
    )
    actors = [
        {"id": 1, "name": "Government of Kenya", "kind": "government", "aliases": ["Kenya"]},
        {"id": 2, "name": "Government of Japan", "kind": "government", "aliases": ["Japan"]},
        {"id": 3, "name": "Shigeru Ishiba", "kind": "person", "aliases": ["Ishiba"]},
    ]
    draft = rule_drafts(text, actors=actors)[-1]
    by_name = {candidate.name: candidate for candidate in draft.choice.candidates}

    assert draft.actor == "Government of Japan"
    assert {"rules", "parsed_subject", "span_subject", "first_before_cue", "pair_second"} <= by_name[
        "Government of Japan"
    ].signals
    assert {"speaker", "after_cue"} <= by_name["Shigeru Ishiba"].signals
    assert {"pair_first", "last_subject", "recent"} <= by_name["Government of Kenya"].signals
    assert "rules" not in by_name["Government of Kenya"].signals
    assert {candidate.actor_id: candidate.category for candidate in draft.choice.candidates} == {
        2: "government",
        3: "person",
        1: "government",
    }
    assert by_name["Government of Kenya"].mentions == 1
    assert draft.choice.clause == {"subject:name", "has_speaker"}


def test_a_we_outside_quotation_marks_has_the_declared_voice_among_its_candidates():
    text = (
        "We, the leaders of the Group of Seven, met in Apulia on 14 June 2024. "
        "We will mobilise $600 billion for infrastructure by 2027."
    )
    draft = rule_drafts(text)[-1]
    by_name = {candidate.name: candidate for candidate in draft.choice.candidates}

    assert {"voice", "declared_voice"} <= by_name[draft.actor].signals
    assert {"subject:we", "declared"} <= draft.choice.clause
    assert "quoted" not in draft.choice.clause


def test_the_learned_choice_stays_out_of_what_a_draft_shows():
    draft = rule_drafts("Kenya will build a road to Mombasa by 2028.")[0]

    assert draft.choice is not None
    assert "choice" not in draft.to_dict()
    assert "choice" not in repr(draft)


def test_training_labels_each_candidate_by_the_annotated_actor(development_examples):
    kenya = Candidate("The Government of Kenya.", 4, "government", {"voice"})
    japan = Candidate("Japan", 2, "government", {"rules"})
    draft = Draft(text="We will build roads.", actor="Japan", cue="will", choice=choice_of(japan, kenya))
    # The annotation's names as scoring reads them: case, a leading "the" and full stops do not count.
    actors = names_for("Government of Kenya", [])

    assert training.actor_rows(training.Example("a", draft, 1, actors))[1] == [0, 1]
    assert training.actor_rows(training.Example("a", draft, 1, names_for("Ghana", []))) == ([], [])
    assert training.actor_rows(training.Example("a", draft, 0, None)) == ([], [])
    labelled = [found for examples in development_examples.values() for found in map(training.actor_rows, examples)]
    assert sum(1 for rows, _ in labelled if rows) > 1000
