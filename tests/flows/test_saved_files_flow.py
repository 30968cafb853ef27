"""The saved-pages flow on a folder with every format and every kind of bad file.

One module-scoped fixture runs the flow three times on the same folder: the
first run reads everything, five files per batch, the second finds every file
in the registry, the third reads only the file that changed and moves it
(`pages.after: move`).
"""

from __future__ import annotations

import io
import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from flows.artifacts import watch_progress
from flows.pages import ingest_pages
from mediawatch.demo import render
from mediawatch.settings import load_settings
from mediawatch.warehouse import connect
from schemas.records import RunSummary

pytestmark = pytest.mark.usefixtures("prefect_harness")
BASE = "https://news.example"
MIB = 1024 * 1024


def page(path: str) -> bytes:
    return render(path, BASE)


def warc(records: list[tuple[str, str, bytes]]) -> bytes:
    """A gzipped WARC with a 200 response per (uri, content type, payload)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for uri, content_type, payload in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                uri, "response", payload=io.BytesIO(payload), http_headers=headers
            )
        )
    return buffer.getvalue()


def mhtml(html: bytes, location: str) -> bytes:
    message = EmailMessage()
    message["Snapshot-Content-Location"] = location
    message.set_content(html, maintype="text", subtype="html", cte="quoted-printable")
    message.replace_header("Content-Type", 'text/html; charset="utf-8"')
    return message.as_bytes()


CLIMATE = "courier/2026/10/climate-bill-net-zero-2040.html"
RATES = "marketwire/2026/11/kaldmark-central-bank-cuts-rates.html"
EXPORTS = "marketwire/2026/11/china-export-growth-slows.html"
AUDITS = "ledger/2026/10/ai-act-high-risk-audits-guidance.html"
FEES = "ledger/2026/10/app-store-interoperability-fees.html"


def build_folder(inbox: Path, fixtures_dir: Path) -> None:
    inbox.mkdir()
    (inbox / "tiktok.html").write_bytes(
        page("courier/2026/11/parliament-closes-tiktok-account.html")
    )
    (inbox / "ferry.txt").write_bytes((fixtures_dir / "saved" / "ferry_subsidy.txt").read_bytes())
    (inbox / "climate.mhtml").write_bytes(mhtml(page(CLIMATE), f"{BASE}/saved/climate"))
    (inbox / "crawl.warc.gz").write_bytes(
        warc(
            [
                (f"{BASE}/{RATES}", "text/html; charset=utf-8", page(RATES)),
                (f"{BASE}/logo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00"),
                (f"{BASE}/{EXPORTS}", "text/html", page(EXPORTS)),
            ]
        )
    )
    (inbox / "ransomware.html").write_bytes(
        page("ledger/2026/10/ransomware-hits-logistics-firm.html")
    )
    (inbox / "ransomware.html.json").write_text(
        json.dumps(
            {"url": f"{BASE}/from-sidecar", "published": "2022-08-03", "source": "clippings"}
        ),
        encoding="utf-8",
    )
    both = warc(
        [
            (f"{BASE}/{AUDITS}", "text/html", page(AUDITS)),
            (f"{BASE}/{FEES}", "text/html", page(FEES)),
        ]
    )
    (inbox / "cut.warc.gz").write_bytes(both[:-200])
    # The bad ones.
    (inbox / "photo.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    (inbox / "empty.htm").write_bytes(b"")
    with (inbox / "huge.html").open("wb") as big:
        big.write(b"<html><body><p>")
        big.write(b"word " * (50 * MIB // 5))
    (inbox / "noise.htm").write_bytes(bytes((i * 37 + 11) % 254 + 1 for i in range(4000)))
    (inbox / "images.warc.gz").write_bytes(warc([(f"{BASE}/a.png", "image/png", b"\x89PNG\r\n")]))
    (inbox / "broken.html").write_bytes(page(EXPORTS))
    (inbox / "broken.html.json").write_bytes(b'{"url": "https://news.example/x",')


GOOD = {
    "tiktok.html": ("processed", None, 1),
    "ferry.txt": ("processed", None, 1),
    "climate.mhtml": ("processed", None, 1),
    "crawl.warc.gz": ("processed", None, 2),
    "ransomware.html": ("processed", None, 1),
    "cut.warc.gz": ("partial", "truncated_archive", 1),
}
BAD = {
    "photo.html": ("failed", "binary", 0),
    "empty.htm": ("failed", "empty", 0),
    "huge.html": ("failed", "too_large", 0),
    "noise.htm": ("failed", "undecodable", 0),
    "images.warc.gz": ("failed", "no_html_records", 0),
    "broken.html": ("failed", "bad_sidecar", 0),
}


def query(path: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = connect(path, read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("saved")
    inbox = root / "inbox"
    build_folder(inbox, Path(__file__).parents[1] / "fixtures")
    settings = load_settings(warehouse=root / "w.duckdb", limits={"batch_size": 5})
    progress: dict[str, list[tuple[str, int, int, str]]] = {"first": [], "second": []}
    with watch_progress(lambda *args: progress["first"].append(args)):
        first = ingest_pages(directory=str(inbox), settings=settings)
    articles_first = query(settings.warehouse, "SELECT * FROM articles ORDER BY article_id")
    with watch_progress(lambda *args: progress["second"].append(args)):
        second = ingest_pages(directory=str(inbox), settings=settings)
    articles_second = query(settings.warehouse, "SELECT * FROM articles ORDER BY article_id")
    ferry = inbox / "ferry.txt"
    ferry.write_text(
        ferry.read_text(encoding="utf-8").replace("ferry", "Ferry", 1), encoding="utf-8"
    )
    moving = settings.model_copy(
        update={
            "pages": settings.pages.model_copy(update={"after": "move", "move_to": root / "done"})
        }
    )
    third = ingest_pages(directory=str(inbox), settings=moving)
    return {
        "root": root,
        "inbox": inbox,
        "warehouse": settings.warehouse,
        "first": first,
        "second": second,
        "third": third,
        "articles_first": articles_first,
        "articles_second": articles_second,
        "progress": progress,
    }


def by_name(summary: RunSummary) -> dict[str, tuple[str, str | None, int]]:
    return {Path(f.path).name: (f.status, f.reason, f.documents) for f in summary.files}


def test_every_file_is_reported_with_its_outcome(runs) -> None:
    first: RunSummary = runs["first"]
    assert by_name(first) == {**GOOD, **BAD}
    total = first.total()
    assert (total.new, total.updated, total.quarantined) == (7, 0, 0)
    reasons = sorted((Path(f.url).name, f.reason) for f in first.failures)
    assert reasons == sorted(
        [(name, reason) for name, (_, reason, _) in BAD.items()]
        + [("cut.warc.gz", "truncated_archive")]
    )


def test_files_are_read_and_processed_a_batch_at_a_time(runs) -> None:
    assert runs["progress"]["first"] == [
        ("pages", 0, 3, "starting"),
        ("pages", 1, 3, "inbox: files 1-5 of 12"),
        ("pages", 2, 3, "inbox: files 6-10 of 12"),
        ("pages", 3, 3, "inbox: files 11-12 of 12"),
    ]
    # Nothing new: the run stops after listing the folder, without a batch.
    assert runs["progress"]["second"] == []


def test_failed_files_are_in_the_registry_and_the_failures_table(runs) -> None:
    rows = query(
        runs["warehouse"],
        "SELECT path, status, reason, documents, size, typeof(size), typeof(documents) "
        "FROM saved_files",
    )
    registry = {Path(p).name: (s, r, d) for p, s, r, d, _, _, _ in rows}
    assert registry == {**GOOD, **BAD}
    sizes = {Path(row[0]).name: row[4] for row in rows}
    assert sizes["huge.html"] > 50 * MIB
    assert {(r[5], r[6]) for r in rows} == {("BIGINT", "INTEGER")}
    failures = query(
        runs["warehouse"], "SELECT url, stage, reason, message, retryable FROM failures"
    )
    named = {(Path(u).name, stage, reason) for u, stage, reason, _, _ in failures}
    assert {(n, "read", r) for n, (_, r, _) in BAD.items()} <= named
    assert all(message and not retryable for *_, message, retryable in failures)
    assert any("JSON" in m for u, _, _, m, _ in failures if u.endswith("broken.html"))


def test_each_format_gives_its_article_with_a_raw_pointer(runs) -> None:
    rows = query(
        runs["warehouse"],
        "SELECT url, source, raw_file, raw_offset, published_at::date::varchar, title "
        "FROM articles",
    )
    found = {Path(raw).name: [] for _, _, raw, _, _, _ in rows}
    for url, source, raw, offset, published, title in rows:
        found[Path(raw).name].append((url, source, offset, published, title))
    assert sorted(found) == sorted(GOOD)
    # The page's canonical link wins over the location the browser saved it from.
    assert found["climate.mhtml"][0][:3] == (f"{BASE}/{CLIMATE}", "inbox", 0)
    assert found["ransomware.html"][0][:4] == (f"{BASE}/from-sidecar", "clippings", 0, "2022-08-03")
    assert found["ferry.txt"][0][0].startswith("file:") and found["ferry.txt"][0][2] == 0
    crawl = runs["inbox"] / "crawl.warc.gz"
    urls = {}
    with crawl.open("rb") as stream:
        for url, _, offset, _, _ in found["crawl.warc.gz"]:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)))
            urls[url] = record.rec_headers.get_header("WARC-Target-URI")
    assert urls == {f"{BASE}/{RATES}": f"{BASE}/{RATES}", f"{BASE}/{EXPORTS}": f"{BASE}/{EXPORTS}"}
    assert [u for u, *_ in found["cut.warc.gz"]] == [f"{BASE}/{AUDITS}"]


def test_a_second_run_reads_nothing(runs) -> None:
    second: RunSummary = runs["second"]
    # Each file is reported with what became of it in the first run, and counted by that:
    # the processed ones as unchanged, only the failed ones as skipped.
    assert by_name(second) == {
        name: ("seen", f"{status} earlier", 0) for name, (status, _, _) in {**GOOD, **BAD}.items()
    }
    total = second.total()
    assert (total.items_seen, total.new, total.failed) == (0, 0, 0)
    assert (total.unchanged, total.skipped) == (len(GOOD), len(BAD))
    assert runs["articles_second"] == runs["articles_first"]
    failed = query(
        runs["warehouse"], "SELECT count(*) FROM failures WHERE run_id = ?", [second.run_id]
    )
    assert failed == [(0,)]


def test_a_changed_file_is_read_again_and_moved_when_configured(runs) -> None:
    third: RunSummary = runs["third"]
    statuses = by_name(third)
    assert statuses.pop("ferry.txt") == ("processed", None, 1)
    assert {status for status, _, _ in statuses.values()} == {"seen"}
    moved = runs["root"] / "done" / "ferry.txt"
    assert moved.is_file() and not (runs["inbox"] / "ferry.txt").exists()
    assert (runs["inbox"] / "tiktok.html").is_file()
    (raw,) = query(
        runs["warehouse"], "SELECT raw_file FROM articles WHERE run_id = ?", [third.run_id]
    )
    assert raw == (str(moved),)
