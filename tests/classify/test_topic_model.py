"""The learned second stage: `taxonomy train` fits, saves and measures; `test --method` uses it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.stages import classify_batch
from mediawatch.cli import app
from mediawatch.errors import TaxonomyError
from mediawatch.learned import load_model, model_path, saved_model
from transforms.classify import load_taxonomy

TAXONOMY = Path(__file__).parent.parent / "fixtures" / "labelled" / "small_taxonomy.yaml"
WORDS = {
    "Sports": ["striker", "referee", "stadium", "coach", "league", "penalty", "keeper"],
    "Business": ["shares", "investors", "profit", "dividend", "merger", "revenue", "bank"],
}
FILLER = ["the", "said", "on", "after", "week", "new", "city", "people", "report", "year"]


def invented_articles(count: int, seed: int) -> str:
    """JSON Lines of invented two-class articles: class words mixed into shared filler."""
    rng = random.Random(seed)
    lines = []
    for number in range(count):
        label = "Sports" if number % 2 else "Business"
        words = rng.choices(WORDS[label], k=6) + rng.choices(FILLER, k=20)
        rng.shuffle(words)
        lines.append(
            json.dumps({"title": " ".join(words[:4]), "body": " ".join(words[4:]), "label": label})
        )
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("model")
    taxonomy = folder / "topics.yaml"
    taxonomy.write_text(TAXONOMY.read_text(encoding="utf-8"), encoding="utf-8")
    data = folder / "train.jsonl"
    data.write_text(invented_articles(60, seed=1), encoding="utf-8")
    args = ["taxonomy", "train", str(data), "-t", str(taxonomy)]
    result = CliRunner().invoke(app, [*args, "--map", "Sports=sport", "--map", "Business=economy"])
    return taxonomy, data, result.output


def test_train_saves_the_model_and_its_held_out_figures_beside_the_taxonomy(trained) -> None:
    taxonomy, _, output = trained
    assert f"Model: {model_path(taxonomy)}" in " ".join(output.split())
    metrics = json.loads(model_path(taxonomy).with_suffix(".json").read_text())
    assert metrics["trained_on"] == 48  # 60 rows, every 5th held out
    assert metrics["held_out"]["articles"] == 12
    assert metrics["held_out"]["micro"]["f1"] >= 0.9
    assert load_model(taxonomy).labels == ["economy", "sport"]


def test_model_labels_carry_probability_method_and_the_terms_that_decided(trained) -> None:
    model = load_model(trained[0])
    [label] = model.classify("Striker scores", "the coach and the referee at the stadium")
    assert (label.label, label.method, label.scheme_id) == ("sport", "model", None)
    assert 0.5 <= label.score <= 1
    assert label.evidence
    for evidence in label.evidence:
        text = {"title": "Striker scores", "body": "the coach and the referee at the stadium"}
        assert text[evidence.field][evidence.start : evidence.end].lower() == evidence.term


def test_taxonomy_test_reports_rules_model_and_both(trained, tmp_path: Path) -> None:
    taxonomy, _, _ = trained
    unseen = tmp_path / "unseen.jsonl"
    unseen.write_text(invented_articles(40, seed=2), encoding="utf-8")
    micro = {}
    for method in ("rules", "model", "both"):
        result = CliRunner().invoke(
            app,
            [
                "taxonomy",
                "test",
                str(unseen),
                "-t",
                str(taxonomy),
                "--method",
                method,
                "-f",
                "json",
                "--map",
                "Sports=sport",
                "--map",
                "Business=economy",
            ],
        )
        assert result.exit_code == 0, result.output
        micro[method] = json.loads(result.output)["micro"]
    assert micro["rules"]["recall"] < 0.5  # the fixture rules barely know these words
    assert micro["model"]["f1"] >= 0.9
    assert micro["both"]["recall"] >= micro["model"]["recall"]


def test_test_with_a_model_that_was_never_trained_is_one_error(tmp_path: Path) -> None:
    taxonomy = tmp_path / "t.yaml"
    taxonomy.write_text(TAXONOMY.read_text(encoding="utf-8"), encoding="utf-8")
    data = tmp_path / "d.jsonl"
    data.write_text(invented_articles(4, seed=3), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["taxonomy", "test", str(data), "-t", str(taxonomy), "--method", "model"]
    )
    assert result.exit_code == 1
    assert "run `mediawatch taxonomy train`" in str(result.exception)


def test_no_model_file_means_no_learned_stage(tmp_path: Path) -> None:
    assert saved_model(tmp_path / "topics.yaml") is None


def test_a_damaged_model_file_is_a_named_error(tmp_path: Path) -> None:
    taxonomy = tmp_path / "topics.yaml"
    model_path(taxonomy).write_bytes(b"not a pickle")
    with pytest.raises(TaxonomyError, match="not a model"):
        saved_model(taxonomy)


def test_the_classify_stage_adds_model_labels_the_rules_did_not_give(trained, make_article) -> None:
    taxonomy_file, _, _ = trained
    taxonomy = load_taxonomy(taxonomy_file)
    title, body = "Striker and keeper", "the coach said the referee at the stadium was right"
    goal = make_article(title="Late goal at the stadium", body="the striker and the coach")
    plain = make_article(title=title, body=body)
    ruled_only = classify_batch.fn([goal, plain], taxonomy, "test")
    both = classify_batch.fn([goal, plain], taxonomy, "test", saved_model(taxonomy_file))
    assert [t.label for t in ruled_only[1].topics] == []
    [learned] = both[1].topics
    assert (learned.label, learned.method) == ("sport", "model")
    assert 0.5 <= learned.score <= 1 and learned.evidence
    assert [(t.label, t.method) for t in both[0].topics] == [("sport", "rules")]
