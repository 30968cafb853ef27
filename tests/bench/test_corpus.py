"""The benchmark corpus is deterministic, varied, and looks to the pipeline like real news pages.

If the generated pages stopped being extractable, or their boilerplate ended
up in the article text, the benchmark would measure something other than
real work; these tests pin that.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.records import Article, Page
from transforms.extract import extract
from transforms.feeds import parse_feed

_SPEC = importlib.util.spec_from_file_location(
    "bench_corpus", Path(__file__).resolve().parents[2] / "bench" / "corpus.py"
)
assert _SPEC is not None and _SPEC.loader is not None
corpus = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = corpus  # bench/ is scripts, not a package: load the file by path
_SPEC.loader.exec_module(corpus)

BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, corpus.write_corpus(folder, 30, seed=3)


def test_pages_are_the_same_for_a_seed_and_nest_across_corpus_sizes(written) -> None:
    folder, manifest = written
    assert manifest["pages"] == 30 and manifest["seed"] == 3
    for index in (0, 7, 29):
        spec, content = corpus.render_page(3, index)
        assert (folder / spec.path).read_bytes() == content
        assert corpus.render_page(3, index)[1] == content
    assert corpus.render_page(4, 0)[1] != corpus.render_page(3, 0)[1]


def test_sizes_vary_within_the_range_and_every_charset_is_declared(written) -> None:
    _, manifest = written
    sizes = []
    for index in range(30):
        spec, content = corpus.render_page(3, index)
        charset = spec.publication.charset
        text = content.decode(charset)
        assert f"charset={charset}" in text or f'charset="{charset}"' in text
        assert f'<html lang="{spec.publication.lang}">' in text
        sizes.append(len(content))
    assert min(sizes) >= 20_000 and max(sizes) <= 310_000
    assert max(sizes) / min(sizes) > 4
    assert manifest["bytes"] == sum(sizes)
    # windows-1252 pages carry its typographic quotes (bytes 0x93/0x94), not UTF-8.
    spec, content = corpus.render_page(3, 1)
    assert spec.publication.charset == "windows-1252"
    assert b"\x93" in content and "“".encode() not in content


def test_feeds_link_every_page_once_fifty_items_at_most(written) -> None:
    folder, manifest = written
    linked = []
    for feed in manifest["feeds"]:
        xml = (folder / feed["path"]).read_bytes().replace(b"{{base}}", BASE.encode())
        parsed = parse_feed(xml, source=feed["name"], feed_url=f"{BASE}/{feed['path']}")
        assert 0 < len(parsed.items) <= corpus.ITEMS_PER_FEED
        assert parsed.warnings == []
        linked.extend(item.url for item in parsed.items)
    assert len(manifest["feeds"]) == len(corpus.PUBLICATIONS)
    expected = {f"{BASE}/{corpus.render_page(3, i)[0].path}" for i in range(30)}
    assert sorted(linked) == sorted(expected)


@pytest.mark.parametrize("index", range(len(corpus.PUBLICATIONS)))
def test_each_publication_extracts_to_its_article_without_boilerplate(index: int) -> None:
    spec, content = corpus.render_page(3, index)
    page = Page(
        source="bench", url=f"{BASE}/{spec.path}", content=content, fetched_at=datetime.now(UTC)
    )
    article = extract(page)
    assert isinstance(article, Article), article
    assert article.title == spec.title
    assert article.language == spec.publication.lang
    assert article.author == spec.author
    assert article.word_count > 150
    ui = corpus.UI[spec.publication.lang]
    for furniture in (ui["cookie"], ui["newsletter"], ui["comments"], "window.__STATE__"):
        assert furniture[:40] not in article.body
