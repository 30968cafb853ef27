"""Regression floor of the IPTC taxonomy on held-out public labelled news (AG News, BBC News).

The labelled sets are not in the repository (their licences and size): the
test reads the first 400 rows of each held-out split made by
bench/topic_eval/prepare.py from EVAL_DATA/topics (default ../shared/eval
beside the clone, as on the CI machine; MEDIAWATCH_EVAL_DATA overrides it) and
skips, saying so, when they are absent. Floors sit a little under the figures
the README reports for the whole splits, so a rule edit that costs precision
or recall fails here; `make eval` prints the full figures.
"""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path

import pytest

from mediawatch.settings import DEFAULTS_DIR
from mediawatch.taxonomy_cmd import read_mapping, score_file
from transforms.classify import load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
EVAL_DATA = Path(os.environ.get("MEDIAWATCH_EVAL_DATA", ROOT.parent / "shared" / "eval"))
ROWS = 400
# set -> (micro precision floor, micro recall floor) on its first ROWS held-out rows
FLOORS = {"bbc": (0.93, 0.78), "agnews": (0.84, 0.69)}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_micro_precision_and_recall_stay_above_the_floor(name: str, tmp_path: Path) -> None:
    split = EVAL_DATA / "topics" / f"{name}-test.jsonl"
    if not split.is_file():
        pytest.skip(f"{split} not found: labelled data lives outside the repository")
    subset = tmp_path / split.name
    with split.open(encoding="utf-8") as rows:
        subset.write_text("".join(islice(rows, ROWS)), encoding="utf-8")
    mapping = read_mapping(ROOT / "bench" / "topic_eval" / f"{name}-map.yaml")
    report = score_file(load_taxonomy(DEFAULTS_DIR / "taxonomy.yaml"), subset, mapping)
    precision, recall, _ = report.micro()
    assert report.articles == ROWS
    floor_precision, floor_recall = FLOORS[name]
    assert precision >= floor_precision, (precision, recall)
    assert recall >= floor_recall, (precision, recall)
