"""`taxonomy test`: figures checked against a labelled fixture counted by hand.

tests/fixtures/labelled/small.jsonl, mapped Sports=sport, Business=economy
(Other is unmapped, so its rows have no gold label), scored with
small_taxonomy.yaml (weather is not in the evaluated set):

row  gold     predicted (evaluated)   sport  economy
1    sport    sport                   TP
2    sport    -                       FN
3    sport    sport, economy          TP     FP
4    economy  economy                        TP
5    economy  sport                   FP     FN     confusion economy -> sport
6    economy  - (weather only)               FN
7    -        - (weather only)
8    -        sport                   FP

sport: tp 2, fp 2, fn 1: P 2/4, R 2/3, F1 4/7, support 3
economy: tp 1, fp 1, fn 2: P 1/2, R 1/3, F1 2/5, support 3
micro: tp 3, fp 3, fn 3: P = R = F1 = 1/2; macro: P 1/2, R 1/2, F1 (4/7 + 2/5) / 2 = 17/35
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediawatch.cli import app, main
from mediawatch.taxonomy_cmd import read_mapping, score_file
from transforms.classify import load_taxonomy
from transforms.topic_eval import LabelledDataError, parse_labelled, parse_mapping

FIXTURES = Path(__file__).parent.parent / "fixtures" / "labelled"
DATA = FIXTURES / "small.jsonl"
TAXONOMY = FIXTURES / "small_taxonomy.yaml"
MAPPING = {"Sports": ("sport",), "Business": ("economy",)}


def test_per_label_micro_and_macro_figures_match_the_hand_count() -> None:
    report = score_file(load_taxonomy(TAXONOMY), DATA, MAPPING)
    figures = {
        s.label: (s.tp, s.fp, s.fn, s.support, s.precision, s.recall, s.f1) for s in report.labels
    }
    assert figures == {
        "economy": (1, 1, 2, 3, 1 / 2, pytest.approx(1 / 3), pytest.approx(2 / 5)),
        "sport": (2, 2, 1, 3, 1 / 2, pytest.approx(2 / 3), pytest.approx(4 / 7)),
    }
    assert report.articles == 8
    assert report.micro() == (1 / 2, 1 / 2, 1 / 2)
    assert report.macro() == pytest.approx((1 / 2, 1 / 2, 17 / 35))
    assert report.confusions == [("economy", "sport", 1)]


def test_worst_examples_carry_evidence_or_what_fired_instead() -> None:
    report = score_file(load_taxonomy(TAXONOMY), DATA, MAPPING)
    sport = next(s for s in report.labels if s.label == "sport")
    assert [(e.row, e.score) for e in sport.worst_fp] == [(8, 5.0), (5, 3.0)]
    assert sport.worst_fp[0].evidence == [
        "title match: …Match report…",
        "body match: …The match ended late.…",
    ]
    economy = next(s for s in report.labels if s.label == "economy")
    assert [(e.row, e.evidence) for e in economy.worst_fn] == [
        (5, ["labelled sport (3) instead"]),
        (6, ["no evaluated label fired"]),
    ]


def test_csv_gives_the_same_figures_as_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["title", "body", "labels"])
        for line in DATA.read_text().splitlines():
            record = json.loads(line)
            labels = record.get("labels") or [record["label"]]
            writer.writerow(
                [record["title"], record.get("body") or record["text"], ";".join(labels)]
            )
    from_csv = score_file(load_taxonomy(TAXONOMY), path, MAPPING).as_dict()
    from_jsonl = score_file(load_taxonomy(TAXONOMY), DATA, MAPPING).as_dict()
    assert from_csv["labels"][0]["tp"] == 1
    assert (from_csv["micro"], from_csv["macro"]) == (from_jsonl["micro"], from_jsonl["macro"])


def test_without_a_mapping_dataset_labels_are_taxonomy_paths() -> None:
    text = '{"title": "Rain", "body": "", "labels": ["weather"]}\n{"title": "goal", "label": "x"}\n'
    docs = parse_labelled(text, origin="t")
    taxonomy = load_taxonomy(TAXONOMY)
    from transforms.classify import Document
    from transforms.topic_eval import evaluate

    report = evaluate(docs, lambda d: taxonomy.classify(Document(d.title, d.body)))
    assert [(s.label, s.tp, s.fp, s.fn) for s in report.labels] == [
        ("weather", 1, 0, 0),
        ("x", 0, 0, 1),
    ]


def test_mapping_file_and_map_options_agree() -> None:
    assert read_mapping(FIXTURES / "small_mapping.yaml") == MAPPING
    assert parse_mapping(["Sports=sport", "Business=economy"], origin="--map") == MAPPING


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"title": "a"}\n', "row 1: expected 'labels' or 'label'"),
        ("{not json\n", "line 1: not JSON"),
        ("title,body,label\n", "no labelled articles"),
    ],
)
def test_bad_labelled_data_names_file_and_row(text: str, message: str) -> None:
    with pytest.raises(LabelledDataError, match=message):
        parse_labelled(text, origin="d.jsonl")


def test_cli_prints_json_and_tables() -> None:
    runner = CliRunner()
    args = ["taxonomy", "test", str(DATA), "-t", str(TAXONOMY), "--map", "Sports=sport"]
    result = runner.invoke(app, [*args, "--map", "Business=economy", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    table = runner.invoke(app, [*args, "--mapping", str(FIXTURES / "small_mapping.yaml")])
    assert table.exit_code == 0, table.output
    rows = [" ".join(line.split()) for line in table.output.splitlines()]
    assert "sport 0.500 0.667 0.571 3" in rows
    assert "micro 0.500 0.500 0.500" in rows
    assert "economy -> sport" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "Sports=sports"], "the mapping names labels the taxonomy does not have"),
        (["--map", "Sports"], "expected dataset_label=taxonomy/path"),
    ],
)
def test_cli_errors_are_one_line(monkeypatch, capsys, args: list[str], message: str) -> None:
    argv = ["mediawatch", "taxonomy", "test", str(DATA), "-t", str(TAXONOMY), *args]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert err.startswith("Error: ") and message in err and len(err.splitlines()) == 1
