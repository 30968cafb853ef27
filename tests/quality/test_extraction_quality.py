"""Extraction quality on real public pages, against pinned floors: a regression fails CI.

The pages are a small held-out subset of every public set with ground truth
(see bench/eval_extraction.py and the README's "Extraction quality" section),
built with `bench/eval_extraction.py --make-subset`. Fetched public data is never
committed here: the subset belongs in `../shared/eval/` beside the clone (the
steering repository's shared folder, the one place such data may live), floors
in `tests/quality/floors.yaml`. Without that folder the floor test is skipped,
saying so.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location(
    "eval_extraction", ROOT / "bench" / "eval_extraction.py"
)
assert _SPEC is not None and _SPEC.loader is not None
evaluation = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = evaluation  # bench/ is scripts, not a package: load the file by path
_SPEC.loader.exec_module(evaluation)

HERE = Path(__file__).parent
Floors = dict[str, dict[str, dict[str, float]]]
pytestmark = pytest.mark.slow


def load_floors(path: Path) -> Floors:
    """Pinned figures by set, then system, then figure name."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def regressions(data: Path, floors: Floors) -> list[str]:
    """Every pinned figure the pages in `data` now score below, as readable lines."""
    systems = sorted({system for by_system in floors.values() for system in by_system})
    scores = evaluation.evaluate(evaluation.load_cases(data, "all", floors), systems)
    found = []
    for set_name, by_system in floors.items():
        for system, pinned in by_system.items():
            figures = scores.get(set_name, {}).get(system)
            measured = figures.as_dict() if figures else {}
            for name, floor in pinned.items():
                value = measured.get(name)
                if value is None or value < floor:
                    found.append(f"{set_name} / {system} / {name}: {value} < floor {floor}")
    return found


def test_shared_subset_keeps_its_floors() -> None:
    data = evaluation.DEFAULT_DATA
    if not data.is_dir():
        pytest.skip(
            f"no evaluation pages at {data}: build them with "
            "`bench/eval_extraction.py --data <sets> --make-subset ../shared/eval`"
        )
    assert regressions(data, load_floors(HERE / "floors.yaml")) == []


def test_shown_fields_tells_which_gold_values_a_text_rendering_holds() -> None:
    """The eval's "shown" columns count a gold value only when the rendered text holds it."""
    text = "Menu\nThe “Big” Storm Hits Town\nBy Jane Doe and Max Muster\n3. August 2022\nStory."
    truth = {
        "title": "The Big Storm hits town!",
        "author": "By Jane Doe, Max Muster",
        "date": "2022-08-03",
    }
    assert evaluation.shown_fields(truth, text) == {"title", "author", "date"}
    elsewhere = {"title": "Storm - Site", "author": "Jane Doe, Ann Other", "date": "2022-08-04"}
    assert evaluation.shown_fields(elsewhere, text) == frozenset()
    partial = {"title": "Big Storm", "author": None, "date": None}  # whole words only, no "Big Sto"
    assert evaluation.shown_fields(partial, text) == {"title"}
    assert evaluation.shown_fields({"title": "Big Sto"}, text) == frozenset()


def test_site_segment_is_cut_from_either_end_only_when_it_names_the_site() -> None:
    sites = ["CBC News", "Factorio.com"]
    assert evaluation.without_site("Fire in town | CBC News", sites)[-1] == "Fire in town"
    assert "Update 3" in evaluation.without_site("Factorio: Update 3", sites)
    assert evaluation.without_site("War - what is it good for", sites) == [
        "War - what is it good for"
    ]


def test_site_names_come_from_the_page_and_its_host() -> None:
    html = b'<html><head><meta property="og:site_name" content="Globe"></head></html>'
    assert evaluation.site_names(html, "https://www.example.co.uk/a") == ["Globe", "example"]


def test_lenient_title_is_counted_beside_the_strict_one() -> None:
    score = evaluation.Score()
    pred = evaluation.Prediction("", "Fire in town", None, None, 0.0)
    score.add({"title": "Fire in town | CBC News"}, pred, ["CBC News"])
    assert (score.accuracy("title"), score.accuracy("title~")) == (0.0, 1.0)
