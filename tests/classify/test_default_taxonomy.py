"""The shipped taxonomy: its labels, and invented stories it must get right (or not)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mediawatch.settings import DEFAULTS_DIR
from transforms.classify import Document, Taxonomy, load_taxonomy
from transforms.query import fold

DOCUMENTS = yaml.safe_load((Path(__file__).parent / "documents.yaml").read_text("utf-8"))

SHARED_LABELS = {
    "geopolitics",
    "geopolitics/China",
    "geopolitics/Russia and Ukraine",
    "geopolitics/sanctions",
    "geopolitics/elections",
    "geopolitics/TikTok",
    "geopolitics/TikTok/China data",
    "technology policy",
    "technology policy/data privacy",
    "technology policy/cybersecurity",
    "technology policy/AI regulation",
    "technology policy/platforms",
    "business and markets",
    "business and markets/central banks and interest rates",
    "business and markets/earnings",
    "business and markets/mergers and acquisitions",
    "business and markets/trade",
    "climate and energy",
    "climate and energy/energy markets",
    "climate and energy/climate policy",
    "health",
    "health/public health",
    "health/pharmaceuticals",
}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(DEFAULTS_DIR / "taxonomy.yaml")


def as_document(case: dict[str, Any]) -> Document:
    return Document(case["title"], case["body"], case["url"], case["source"], case["language"])


def test_default_taxonomy_has_the_shared_labels(taxonomy: Taxonomy) -> None:
    assert taxonomy.labels >= SHARED_LABELS
    assert all(description for _, _, description in taxonomy.describe())


def test_every_top_level_branch_has_a_story() -> None:
    covered = {label.split("/")[0] for case in DOCUMENTS for label in case["labels"]}
    assert covered == {label for label in SHARED_LABELS if "/" not in label}


@pytest.mark.parametrize("case", DOCUMENTS, ids=[case["id"] for case in DOCUMENTS])
def test_invented_story(taxonomy: Taxonomy, case: dict[str, Any]) -> None:
    doc = as_document(case)
    found = {label.label: label for label in taxonomy.classify(doc)}
    assert set(case["labels"]) <= set(found), sorted(found)
    assert not set(case.get("not_labels", [])) & set(found), sorted(found)
    for label in found.values():
        assert label.score >= 1
        for evidence in label.evidence:
            matched = fold(doc.field(evidence.field)[evidence.start : evidence.end]).split()
            assert " ".join(matched).startswith(evidence.term.strip('"*').split('"~')[0])


def test_key_story_evidence_names_the_china_data_angle(taxonomy: Taxonomy) -> None:
    [case] = [case for case in DOCUMENTS if case["id"] == "parliament-closes-tiktok"]
    found = {label.label: label for label in taxonomy.classify(as_document(case))}
    terms = {evidence.term for evidence in found["geopolitics/TikTok/China data"].evidence}
    assert '"national intelligence law"' in terms


IPTC_STORIES = [
    (
        "Ferrisholm win the cup final on penalties",
        "The league leaders won the cup final on penalties after the match ended goalless. "
        "The coach praised his players and the goalkeeper, and the fans in the stadium sang "
        "until the team lifted the trophy for the first time in a decade.",
        {"sport", "sport/sport achievement", "sport/sports coaching"},
    ),
    (
        "Prime minister calls snap election for March",
        "The prime minister called a snap election on Tuesday, asking voters to back the "
        "government's budget after the coalition lost its majority in parliament. Opposition "
        "parties said the campaign would turn on taxes and the cost of living.",
        {"politics", "politics/election", "politics/government"},
    ),
]


def test_iptc_subjects_carry_their_concept_ids(taxonomy: Taxonomy) -> None:
    ids = taxonomy.scheme_ids()
    top = {label: i for label, i in ids.items() if "/" not in label}
    second = {label: i for label, i in ids.items() if label.count("/") == 1}
    assert len(top) == 17 and all(i.endswith("000000") for i in top.values())
    assert len(second) == 121 and all(i.startswith("medtop:2000") for i in second.values())
    assert {label.split("/")[0] for label in second} <= set(top)
    assert len(set(ids.values())) == len(ids)
    assert not any(label.startswith(("geopolitics", "technology policy")) for label in ids)


@pytest.mark.parametrize(("title", "body", "expected"), IPTC_STORIES, ids=["sport", "politics"])
def test_invented_story_gets_iptc_levels_one_and_two(
    taxonomy: Taxonomy, title: str, body: str, expected: set[str]
) -> None:
    found = {label.label: label for label in taxonomy.classify(Document(title, body))}
    assert expected <= set(found), sorted(found)
    assert all(found[label].scheme_id.startswith("medtop:") for label in expected)
    assert "geopolitics/TikTok/China data" not in found
