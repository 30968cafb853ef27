"""The raw archive round trip: fetch -> archive -> reprocess gives identical rows, offline.

One module-scoped fixture ingests the demo site over loopback HTTP and a
folder of saved pages (one a lightly edited copy of a demo article on another
site), stops the site, then reprocesses twice: with the same setup (nothing
may change) and with another taxonomy (labels change, nothing else).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from flows.ingest import ingest
from flows.pages import ingest_pages
from flows.reprocess import reprocess
from mediawatch.archive import is_archive_file, read_exchange
from mediawatch.demo import render, serve_demo_site
from mediawatch.settings import load_settings
from mediawatch.warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")
RATES = "marketwire/2026/11/kaldmark-central-bank-cuts-rates.html"
COPY_URL = "https://syndicated.example/kaldmark-rates"
TABLES = {
    "articles": "article_id",
    "article_topics": "article_id, label",
    "story_signatures": "article_id",
}
TAXONOMY = """\
topics:
  - name: money
    query: bank OR banks OR inflation
  - name: cyber
    query: ransomware OR hackers
"""


def snapshot(path: Path) -> dict[str, list[tuple]]:
    con = connect(path, read_only=True)
    try:
        return {
            t: con.execute(f"SELECT * FROM {t} ORDER BY {o}").fetchall() for t, o in TABLES.items()
        }
    finally:
        con.close()


def edited_copy(base: str) -> bytes:
    """The rates story as another site ran it: its own URL, a few words changed, a paragraph cut."""
    html = render(RATES, base)
    html = html.replace(f"{base}/{RATES}".encode(), COPY_URL.encode())
    html = html.replace(b"on Thursday", b"on Thursday morning").replace(b"five to two", b"5-2")
    start = html.index(b"The governor rejected")
    return html[:start] + html[html.index(b"<br><br>", start) + 8 :]


def saved_warc(base: str) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    path = "ledger/2026/11/eu-chip-tool-export-controls-china.html"
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        f"https://mirror.example/{path}",
        "response",
        payload=io.BytesIO(render(path, base).replace(base.encode(), b"https://mirror.example")),
        http_headers=headers,
    )
    writer.write_record(record)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, fixtures_dir_module: Path) -> dict[str, object]:
    root = tmp_path_factory.mktemp("reprocess")
    inbox = root / "inbox"
    inbox.mkdir()
    with serve_demo_site(port=0) as site:
        base = load_settings(warehouse=root / "w.duckdb")
        settings = base.with_overrides(
            sources=site.sources,
            http=base.http.model_copy(update={"allow_private": ["127.0.0.1"], "min_host_delay": 0}),
        )
        ingested = ingest(settings=settings)
        (inbox / "rates-copy.html").write_bytes(edited_copy(site.base_url))
        (inbox / "mirror.warc.gz").write_bytes(saved_warc(site.base_url))
        (inbox / "ferry.txt").write_bytes(
            (fixtures_dir_module / "saved" / "ferry_subsidy.txt").read_bytes()
        )
        saved = ingest_pages(directory=str(inbox), settings=settings)
        loaded = snapshot(settings.warehouse)
    # The demo site is gone from here on: reprocessing must not need it.
    same = reprocess(settings=settings)
    unchanged = snapshot(settings.warehouse)
    taxonomy = root / "taxonomy.yaml"
    taxonomy.write_text(TAXONOMY, encoding="utf-8")
    relabelled = reprocess(settings=settings.with_overrides(taxonomy=taxonomy))
    return {
        "settings": settings,
        "ingested": ingested,
        "saved": saved,
        "loaded": loaded,
        "same": same,
        "unchanged": unchanged,
        "relabelled": relabelled,
        "after_relabel": snapshot(settings.warehouse),
    }


@pytest.fixture(scope="module")
def fixtures_dir_module() -> Path:
    return Path(__file__).parents[1] / "fixtures"


def test_every_fetched_article_points_at_its_archived_response(runs) -> None:
    settings = runs["settings"]
    assert runs["ingested"].total().new > 20
    articles = [r for r in runs["loaded"]["articles"] if r[3] != "inbox"]
    con = connect(settings.warehouse, read_only=True)
    try:
        pointers = con.execute(
            "SELECT url, raw_file, raw_offset, typeof(raw_offset) FROM articles "
            "WHERE source <> 'inbox' ORDER BY raw_offset"
        ).fetchall()
    finally:
        con.close()
    assert len(pointers) == len(articles)
    for url, raw_file, offset, kind in pointers:
        assert is_archive_file(raw_file) and Path(raw_file).parent == settings.archive_dir
        assert kind == "BIGINT"
        exchange = read_exchange(raw_file, offset)
        assert exchange.status == 200 and exchange.url == url
        assert exchange.item is not None and exchange.item.url == url
    feeds = list(settings.archive_dir.glob("*.warc.gz"))
    assert feeds and all(p.stat().st_size > 0 for p in feeds)


def test_reprocess_of_an_unchanged_setup_changes_no_row(runs) -> None:
    assert runs["unchanged"] == runs["loaded"]
    total = runs["same"].total()
    rows = len(runs["loaded"]["articles"])
    assert (total.items_seen, total.unchanged, total.updated, total.new) == (rows, rows, 0, 0)
    assert (total.failed, total.quarantined, total.skipped) == (0, 0, 0)


def test_reprocess_with_another_taxonomy_changes_only_labels(runs) -> None:
    before = {r[0]: r for r in runs["loaded"]["articles"]}
    after = {r[0]: r for r in runs["after_relabel"]["articles"]}
    assert before.keys() == after.keys()
    labels = {label for (_, label, *_) in runs["after_relabel"]["article_topics"]}
    assert labels == {"money", "cyber"}
    con = connect(runs["settings"].warehouse, read_only=True)
    try:
        columns = [d[0] for d in con.execute("SELECT * FROM articles LIMIT 0").description]
    finally:
        con.close()
    kept = [i for i, c in enumerate(columns) if c not in {"topics", "run_id"}]
    for article_id, row in after.items():
        assert [row[i] for i in kept] == [before[article_id][i] for i in kept]
    topics = columns.index("topics")
    relabelled = [a for a in after if after[a][topics] != before[a][topics]]
    assert len(relabelled) > len(after) / 2
    assert runs["relabelled"].total().updated == len(relabelled)


def test_an_edited_copy_joins_the_story_and_stories_can_be_counted(runs) -> None:
    rows = {r[0]: r for r in runs["loaded"]["articles"]}
    con = connect(runs["settings"].warehouse, read_only=True)
    try:
        by_url = dict(con.execute("SELECT url, story_id FROM articles").fetchall())
        copies, stories = con.execute(
            "SELECT count(*), count(DISTINCT story_id) FROM articles"
        ).fetchone()
        hashes = con.execute("SELECT count(*) FROM articles WHERE text_hash IS NULL").fetchone()
    finally:
        con.close()
    original = next(u for u in by_url if u.endswith(RATES))
    assert by_url[COPY_URL] == by_url[original]
    # The mirrored page in the saved WARC is an exact copy of the ledger's: one story too.
    mirror = next(u for u in by_url if u.startswith("https://mirror.example/"))
    ledger = next(u for u in by_url if u.endswith(mirror.split("/", 3)[3]) and u != mirror)
    assert by_url[mirror] == by_url[ledger] != by_url[original]
    others = {s for u, s in by_url.items() if u not in {COPY_URL, original, mirror, ledger}}
    assert by_url[original] not in others and by_url[mirror] not in others
    assert (copies, stories) == (len(rows), len(rows) - 2)
    assert hashes == (0,)
