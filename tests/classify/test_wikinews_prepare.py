"""The Wikinews builder of bench/topic_eval/prepare.py and its category map to IPTC top levels.

The builder turns a Wikinews export into the labelled file `taxonomy test` reads,
so a regression floor can be scored on a permissively licensed set; these rows
are invented, in the export's shape, and the map must name only labels the
default taxonomy has (a renamed IPTC label would otherwise break the scoring).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

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
