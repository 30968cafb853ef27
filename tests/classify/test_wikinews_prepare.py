"""The Wikinews, MasakhaNEWS and HuffPost builders of bench/topic_eval/prepare.py, and their maps.

The builders turn a Wikinews export, a MasakhaNEWS split or the News Category
Dataset into the labelled file `taxonomy test` reads, so regression floors can
be scored on them; these rows are invented, in each source's shape, and the
maps must name only labels the default taxonomy has (a renamed IPTC label would
otherwise break the scoring).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from mediawatch.settings import DEFAULTS_DIR
from mediawatch.taxonomy_cmd import read_mapping
from transforms.classify import load_taxonomy
from transforms.topic_eval import parse_labelled

TOPIC_EVAL = Path(__file__).resolve().parents[2] / "bench" / "topic_eval"
_SPEC = importlib.util.spec_from_file_location("topic_eval_prepare", TOPIC_EVAL / "prepare.py")
assert _SPEC is not None and _SPEC.loader is not None
prepare = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = prepare  # bench/ is scripts, not a package: load the file by path
_SPEC.loader.exec_module(prepare)

ROWS = [
    {
        "title": "Harbour council approves new ferry budget",
        "text": ["The council voted on Tuesday.", "The budget passed by six votes."],
        "categories": ["Politics and conflicts", "Economy and business", "Northland", "Published"],
        "lang": "en",
        "type": "title",
    },
    {
        "title": "Le conseil du port vote le budget",
        "text": ["Le conseil a voté mardi."],
        "categories": ["Politics and conflicts"],
        "lang": "fr",
        "type": "interlang link",
    },
    {"title": "Glider club opens", "text": "A club opened.", "categories": ["Wackynews"]},
    {"title": "Storm empties page", "text": [], "categories": ["Weather"], "lang": "en"},
]


def test_english_articles_keep_their_topical_categories_as_labels(tmp_path: Path) -> None:
    export = tmp_path / "wikinews.jsonl"
    export.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    topics = read_mapping(TOPIC_EVAL / "wikinews-map.yaml")
    articles = list(prepare.wikinews(export, topics))
    assert articles == [
        {
            "title": "Harbour council approves new ferry budget",
            "text": "The council voted on Tuesday.\nThe budget passed by six votes.",
            "labels": ["Economy and business", "Politics and conflicts"],
        }
    ]
    docs = parse_labelled(json.dumps(articles[0]) + "\n", origin=str(export))
    assert docs[0].labels == ("Economy and business", "Politics and conflicts")
    assert isinstance(docs[0].body, str)


def test_the_map_names_only_top_levels_of_the_default_taxonomy() -> None:
    mapping = read_mapping(TOPIC_EVAL / "wikinews-map.yaml")
    targets = {target for paths in mapping.values() for target in paths}
    assert len(mapping) == 11
    assert targets <= load_taxonomy(DEFAULTS_DIR / "taxonomy.yaml").labels
    assert all("/" not in target for target in targets)


def test_masakhanews_rows_alternate_by_class_so_a_prefix_keeps_the_mix(tmp_path: Path) -> None:
    split = tmp_path / "test.tsv"
    with split.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t")
        writer.writerow(["category", "headline", "text", "url"])
        writer.writerow(["sports", "Harbour rowers win", "The crew won.", "/news/1"])
        writer.writerow(["sports", "Club signs keeper", "", "/news/2"])
        writer.writerow(["health", "Clinic opens", 'A "new" clinic\nopened.', "/news/3"])
        writer.writerow(["business", "Mill sold", "Sold.", "/news/4"])
    articles = prepare.masakhanews(split)
    assert [article["label"] for article in articles] == ["business", "health", "sports", "sports"]
    assert articles[1] == {
        "title": "Clinic opens",
        "body": 'A "new" clinic\nopened.',
        "label": "health",
    }
    assert parse_labelled(json.dumps(articles[0]) + "\n", origin=str(split))[0].labels == (
        "business",
    )


def test_huffpost_rows_keep_headline_description_and_category(tmp_path: Path) -> None:
    source = tmp_path / "news_category.json"
    row = {"headline": "Mill sold", "short_description": "The old mill was sold.", "authors": ""}
    source.write_text(json.dumps(row | {"category": "BUSINESS"}) + "\n", encoding="utf-8")
    articles = list(prepare.huffpost(source))
    assert articles == [
        {"title": "Mill sold", "body": "The old mill was sold.", "label": "BUSINESS"}
    ]


@pytest.mark.parametrize("name", ["masakhanews-eng", "masakhanews-fra", "huffpost"])
def test_new_maps_give_each_class_one_top_level(name: str) -> None:
    mapping = read_mapping(TOPIC_EVAL / f"{name}-map.yaml")
    assert all(len(targets) == 1 for targets in mapping.values())
    assert {target for (target,) in mapping.values()} <= load_taxonomy(
        DEFAULTS_DIR / "taxonomy.yaml"
    ).labels
