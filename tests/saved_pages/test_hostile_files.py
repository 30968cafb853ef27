"""Reading hostile saved files never holds more than the cap: sizes are checked while streaming.

A 200 MB page and a WARC record that inflates to 1.5 GB were read (and
inflated) whole before their size was checked. tracemalloc sees every bytes
object the reader makes, so its peak shows whether one was held.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from mediawatch.saved_folder import read_saved_file, saved_files
from transforms.saved_pages import UnreadableFile

CAP = 1 << 20


@pytest.fixture(scope="module")
def inbox(hostile_inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-files")
    hostile_inputs.write_inbox(root / "in", root / "out", big=16 * CAP, warc_inflated=96 * CAP)
    return root / "in"


@pytest.mark.parametrize("name", ["big.html", "bomb.warc.gz"])
def test_an_oversized_file_is_refused_holding_no_more_than_the_cap(inbox: Path, name: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile) as refused:
            read_saved_file(inbox / name, name, CAP)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.reason == "too_large"
    assert peak < 24 * CAP, f"{name}: {peak / CAP:.0f} MB held at once"


def test_links_leaving_the_folder_are_skipped_unless_allowed(inbox: Path) -> None:
    files, skipped = saved_files(inbox)
    reasons = {entry.path.name: entry.reason for entry in skipped}
    assert reasons == {
        "fifo.html": "not_a_file",
        "passwd.html": "symlink_outside",
        "symlink-dir": "symlink_outside",
        "symlink-out.html": "symlink_outside",
    }
    assert inbox / "symlink-out.html" not in files
    files, skipped = saved_files(inbox, follow_links_outside=True)
    reasons = {entry.path.name: entry.reason for entry in skipped}
    assert reasons == {"fifo.html": "not_a_file", "symlink-dir": "linked_folder"}
    assert {inbox / "symlink-out.html", inbox / "passwd.html"} <= set(files)
