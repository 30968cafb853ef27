"""A hostile inbox in one pages run: the good pages load, every bad entry is reported.

The inbox holds what a shared drop folder meets: names with a newline, a tab
and bytes that are not UTF-8 (one of those failed the whole batch with a
UnicodeEncodeError), a page saved twice, empty and garbage files, an
oversized page, a WARC record that inflates far past the cap, a truncated
archive, a FIFO, and links leaving the folder (which were followed).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from flows.pages import ingest_pages
from mediawatch.settings import load_settings
from mediawatch.warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")

CAP = 1 << 20
NOT_READ = {"not_a_file", "symlink_outside"}  # skipped without reading a byte


@pytest.fixture(scope="module")
def run(hostile_inputs, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile-inbox")
    inbox = root / "inbox"
    hostile_inputs.write_inbox(inbox, root / "elsewhere", big=3 * CAP, warc_inflated=64 * CAP)
    settings = load_settings(
        warehouse=root / "w.duckdb", limits={"batch_size": 4, "max_file_bytes": CAP}
    )
    summary = ingest_pages(directory=str(inbox), settings=settings)
    queries = {
        "failures": "SELECT url, reason, message FROM failures "
        "WHERE run_id = $run AND stage = 'read'",
        "no_text": "SELECT url, reason FROM failures WHERE run_id = $run AND stage = 'extract'",
        "files": "SELECT path, path_bytes, status, reason FROM saved_files",
        "articles": "SELECT title, raw_file FROM articles ORDER BY title",
        "cafe": "SELECT body FROM articles WHERE title LIKE '%café%'",
        "status": "SELECT status FROM runs WHERE run_id = $run",
        "types": "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE table_name = 'saved_files'",
    }
    con = connect(settings.warehouse, read_only=True)
    try:
        found: dict[str, Any] = {
            key: con.execute(sql, {"run": summary.run_id} if "$run" in sql else None).fetchall()
            for key, sql in queries.items()
        }
    finally:
        con.close()
    return found | {
        "inbox": inbox,
        "summary": summary,
        "status": found["status"][0][0],
        "types": dict(found["types"]),
    }


def test_the_run_completes_and_every_good_page_loads(run, hostile_inputs) -> None:
    assert run["status"] == "completed"
    titles = [title for title, _ in run["articles"]]
    assert titles == [
        "Harbour vote at the café",
        "Harbour vote from an old disk",
        *(f"Harbour vote number {n}" for n in range(1, len(hostile_inputs.GOOD_NAMES) + 1)),
    ]
    assert not any("outside the inbox" in title for title in titles)


def test_each_bad_entry_is_a_failure_with_its_reason(run, hostile_inputs) -> None:
    inbox = run["inbox"]
    found = {Path(url).name: reason for url, reason, _ in run["failures"]}
    assert found == hostile_inputs.BAD_FILES
    messages = {Path(url).name: message for url, _, message in run["failures"]}
    assert "outside the folder" in messages["passwd.html"]
    assert "/etc/passwd" in messages["passwd.html"]
    assert all(url.startswith(str(inbox)) for url, _, _ in run["failures"])
    skipped = [f for f in run["summary"].files if not f.content_hash]
    assert sorted(Path(f.path).name for f in skipped) == sorted(
        name for name, reason in hostile_inputs.BAD_FILES.items() if reason in NOT_READ
    )
    assert all((f.status, f.documents, f.size) == ("failed", 0, 0) for f in skipped)
    page = (inbox / "no-text.html").read_bytes()
    assert run["no_text"] == [(f"file:{hashlib.sha256(page).hexdigest()}", "no_text")]


def test_files_with_bytes_are_in_the_registry_with_their_reason(run, hostile_inputs) -> None:
    failed = {
        Path(path).name: reason for path, _, status, reason in run["files"] if status == "failed"
    }
    hashable = {
        name: reason for name, reason in hostile_inputs.BAD_FILES.items() if reason not in NOT_READ
    }
    assert failed == hashable
    assert run["types"]["path_bytes"] == "BLOB" and run["types"]["path"] == "VARCHAR"


def test_odd_names_are_stored_losslessly_and_shown_readably(run, hostile_inputs) -> None:
    inbox = run["inbox"]
    rows = {path: exact for path, exact, status, _ in run["files"] if status == "processed"}
    odd = f"{inbox}/odd\\xff\\xfe name.html"
    assert rows[odd] == os.fsencode(inbox / hostile_inputs.ODD_NAME)
    assert rows[f"{inbox}/new\\nline.html"] == os.fsencode(inbox / "new\nline.html")
    assert rows[f"{inbox}/tab\\tname.html"] == os.fsencode(inbox / "tab\tname.html")
    assert rows[f"{inbox}/good-2.html"] is None, "a plain name is exact as it is"
    assert ("Harbour vote from an old disk", odd) in run["articles"]
    shown = {f.path for f in run["summary"].files}
    assert odd in shown and all(path.isprintable() for path in shown)


def test_the_page_saved_twice_is_read_once(run) -> None:
    statuses = {Path(f.path).name: f.status for f in run["summary"].files}
    assert {statuses["good-1.html"], statuses["good-1 copy.html"]} == {"processed", "seen"}


def test_a_utf8_page_with_three_bad_bytes_stays_utf8(run) -> None:
    """It was decoded whole as cp1250 ("cafĂŠ"): the declared UTF-8 almost fits."""
    ((body,),) = run["cafe"]
    assert "Harbour vote at the café: The harbour council" in body
    assert "Ă" not in body
