"""Whole-page browser copies shaped like real ones come out as the story, in four languages.

Each fixture (`tests/fixtures/saved/outline/<lang>.txt`, invented text) has the
furniture of a real trade-press page around the story: newsletter prompts, a
numbered breadcrumb, a date glued to its update stamp, partner headlines
mid-story, "Read more", topics, network sites, a sign-up sentence, a role
picker and a privacy notice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from transforms.classify import Document, load_taxonomy
from transforms.plaintext import parse_plain_text

TAXONOMY = Path(__file__).parents[2] / "mediawatch" / "defaults" / "taxonomy.yaml"
PUBLISHED = datetime(2022, 8, 3, tzinfo=UTC)
# (language, headline, byline, first words of the standfirst, update stamp)
CASES = [
    (
        "en",
        "Varnholm harbour deal leaves island ferries in public hands",
        "Jane Doe",
        "The council keeps the ferry company",
        datetime(2023, 3, 9, 10, 56, tzinfo=UTC),
    ),
    (
        "de",
        "Varnholm behält seine Fähren in öffentlicher Hand",
        "Lena Ostrova",
        "Nach einem Jahr Verhandlungen",
        datetime(2023, 3, 9, 10, 56, tzinfo=UTC),
    ),
    (
        "fr",
        "Varnholm garde ses ferries dans le giron public",
        "Élodie Marchand",
        "Après un an de discussions",
        datetime(2023, 3, 9, 10, 56, tzinfo=UTC),
    ),
    (
        "es",
        "Varnholm mantiene sus transbordadores en manos públicas",
        "Lucía Fernández",
        "Tras un año de negociaciones",
        datetime(2023, 3, 9, 10, 56, tzinfo=UTC),
    ),
]


def _lines(fixtures_dir: Path, lang: str) -> list[str]:
    text = (fixtures_dir / "saved" / "outline" / f"{lang}.txt").read_text(encoding="utf-8")
    return text.splitlines()


@pytest.mark.parametrize(("lang", "expected"), [(case[0], case[1:]) for case in CASES])
def test_outline_header(fixtures_dir: Path, lang: str, expected: tuple) -> None:
    """`expected` is (headline, byline, standfirst start, update stamp)."""
    title, author, standfirst, updated = expected
    article = parse_plain_text("\n".join(_lines(fixtures_dir, lang)))
    assert article.title == title
    assert article.author == author
    assert article.standfirst is not None and article.standfirst.startswith(standfirst)
    assert article.published_at == PUBLISHED
    assert article.updated_at == updated


@pytest.mark.parametrize("lang", [case[0] for case in CASES])
def test_outline_body_is_the_story_only(fixtures_dir: Path, lang: str) -> None:
    """The four story paragraphs, in order; none of the 20-odd furniture lines."""
    lines = _lines(fixtures_dir, lang)
    story = [lines[8], lines[9], lines[14], lines[15]]
    article = parse_plain_text("\n".join(lines))
    assert article.body.split("\n") == story
    furniture = set(lines) - set(story) - set(lines[5:8])
    assert len(furniture) >= 20
    assert not [line for line in furniture if line.strip("* ") in article.body]


@pytest.mark.parametrize("lang", [case[0] for case in CASES])
def test_outline_earns_no_label_from_furniture(fixtures_dir: Path, lang: str) -> None:
    """The partner headlines would earn a cybersecurity label; the story alone earns none."""
    taxonomy = load_taxonomy(TAXONOMY)
    lines = _lines(fixtures_dir, lang)
    partners = Document(lines[5], "\n".join(lines[11:14]))
    assert "technology policy/cybersecurity" in {
        label.label for label in taxonomy.classify(partners)
    }
    article = parse_plain_text("\n".join(lines))
    labels = {label.label for label in taxonomy.classify(Document(article.title, article.body))}
    assert not any("cybersecurity" in label for label in labels)
