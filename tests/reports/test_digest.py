"""The digest flow: an HTML report with a real PNG chart, and the same as a Markdown artifact."""

from __future__ import annotations

import base64
import re
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort

from flows.digest import digest
from mediawatch.settings import load_settings
from mediawatch.warehouse import Warehouse
from schemas.records import Article, TopicLabel

pytestmark = pytest.mark.usefixtures("prefect_harness")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NOW = datetime.now(UTC)


def _article(n: int, source: str, title: str, labels: dict[str, float]) -> Article:
    return Article(
        article_id=f"{n:016x}",
        url=f"https://news.example.org/{n}.html",
        canonical_url=f"https://news.example.org/{n}.html",
        source=source,
        title=title,
        body="Invented body text for the digest test. " * 20,
        content_hash=f"{n:064x}",
        word_count=140,
        fetched_at=NOW,
        topics=[TopicLabel(label, score) for label, score in labels.items()],
    )


ARTICLES = [
    _article(1, "courier", "TikTok & the <data> law", {"geopolitics": 3, "geopolitics/TikTok": 3}),
    _article(2, "courier", "Ceasefire talks resume", {"geopolitics": 5}),
    _article(3, "ledger", "Measles cases rise", {"health": 2}),
    _article(4, "courier", "Harbour plan approved", {}),
]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    data = tmp_path_factory.mktemp("digest")
    settings = load_settings(data_dir=data, warehouse=data / "warehouse.duckdb")
    Warehouse(settings.warehouse).load("run-1", articles=ARTICLES, taxonomy_version="t1")
    page = Path(digest(days=1, settings=settings))  # up to the run's start, as when scheduled
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["digest"])),
            sort=ArtifactSort.CREATED_DESC,  # this module's: other tests write digests too
            limit=1,
        )
    return {"page": page, "html": page.read_text(encoding="utf-8"), "artifact": artifact}


def test_html_and_png_are_written_to_the_data_folder(report) -> None:
    page: Path = report["page"]
    assert page.parent.name == "digests"
    assert re.fullmatch(r"digest-\d{4}-\d\d-\d\d-\d{4}\.html", page.name)
    assert _png_size(page.with_suffix(".png").read_bytes()) == (900, 400)


def test_html_embeds_the_chart_and_lists_topics_sources_and_stories(report) -> None:
    html: str = report["html"]
    (encoded,) = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert base64.b64decode(encoded) == report["page"].with_suffix(".png").read_bytes()
    assert "<p>4 new articles.</p>" in html
    assert "<tr><td>courier</td><td>3</td></tr>" in html
    assert "<tr><td>ledger</td><td>1</td></tr>" in html
    assert "<h2>geopolitics</h2>" in html and "<h2>health</h2>" in html
    # Best score first; the title is escaped; the story's labels under its topic are listed.
    geo = html[html.index("<h2>geopolitics</h2>") : html.index("<h2>health</h2>")]
    assert geo.index("Ceasefire talks resume") < geo.index("TikTok &amp; the &lt;data&gt; law")
    assert (
        '<a href="https://news.example.org/1.html">TikTok &amp; the &lt;data&gt; law</a> '
        "(courier): geopolitics, geopolitics/TikTok" in geo
    )
    assert "Harbour plan approved" not in html  # unlabelled: counted, not listed


def test_the_same_report_is_a_markdown_artifact(report) -> None:
    artifact = report["artifact"]
    assert artifact.type == "markdown"
    text: str = artifact.data
    assert text.startswith("# Digest ")
    assert "4 new articles." in text
    assert "![articles per topic](data:image/png;base64," in text
    assert "| courier | 3 |" in text
    assert "## geopolitics" in text and "## health" in text
    assert "[Measles cases rise](https://news.example.org/3.html) (ledger): health" in text
