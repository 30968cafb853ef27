"""Extraction quality on real public pages, against pinned floors: a regression fails CI.

The pages are a small subset of public sets with ground truth (see
bench/eval_extraction.py and the README's "Extraction quality" section). They
are not in this repository: CI gets them in `../shared/eval/` beside the clone
(built with `bench/eval_extraction.py --make-subset`). Without that folder the
test is skipped, saying so.
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

FLOORS: dict[str, dict[str, dict[str, float]]] = yaml.safe_load(
    (Path(__file__).parent / "floors.yaml").read_text(encoding="utf-8")
)


def regressions(data: Path) -> list[str]:
    """Every pinned figure the pages in `data` now score below, as readable lines."""
    systems = sorted({system for by_system in FLOORS.values() for system in by_system})
    scores = evaluation.evaluate(evaluation.load_cases(data, "all", FLOORS), systems)
    found = []
    for set_name, by_system in FLOORS.items():
        for system, floors in by_system.items():
            figures = scores.get(set_name, {}).get(system)
            measured = figures.as_dict() if figures else {}
            for name, floor in floors.items():
                value = measured.get(name)
                if value is None or value < floor:
                    found.append(f"{set_name} / {system} / {name}: {value} < floor {floor}")
    return found


def test_extraction_quality_keeps_its_floors() -> None:
    data = evaluation.DEFAULT_DATA
    if not data.is_dir():
        pytest.skip(
            f"no evaluation pages at {data}: build them with "
            "`bench/eval_extraction.py --data <sets> --make-subset ../shared/eval`"
        )
    assert regressions(data) == []
