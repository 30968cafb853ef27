"""Signatures stored under the older MinHash scheme (migration 0010's flag) are made anew.

A run after the upgrade remakes them from their articles' bodies, keeps each
article's story, and stores them in place of the old ones with its first load.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from warehouse_reads import query

from flows.pages import ingest_pages
from mediawatch.settings import load_settings
from mediawatch.warehouse import connect
from schemas.records import SIGNATURE_SCHEME_SHA1
from transforms.stories import SCHEME, StoryIndex, pack

pytestmark = pytest.mark.usefixtures("prefect_harness")
STORIES = Path(__file__).parents[1] / "fixtures" / "stories"


def test_old_signatures_are_made_anew_and_an_edited_copy_still_joins_their_story(
    tmp_path: Path,
) -> None:
    settings = load_settings(warehouse=tmp_path / "w.duckdb")
    for name in ["wire", "edited"]:
        (tmp_path / name).mkdir()
        shutil.copy(STORIES / f"{name}.txt", tmp_path / name / f"{name}.txt")
    ingest_pages(directory=str(tmp_path / "wire"), settings=settings)
    # As an upgraded warehouse holds them: old scheme, values no longer comparable.
    con = connect(settings.warehouse)
    try:
        con.execute(
            "UPDATE story_signatures SET scheme = ?, minhash = ?",
            [SIGNATURE_SCHEME_SHA1, bytes(128 * 8)],
        )
    finally:
        con.close()

    ingest_pages(directory=str(tmp_path / "edited"), settings=settings)

    rows = query(
        settings.warehouse,
        "SELECT a.body, a.story_id, s.story_id, s.scheme, typeof(s.scheme), s.minhash "
        "FROM articles a JOIN story_signatures s USING (article_id) ORDER BY a.raw_file",
    )
    assert len(rows) == 2
    assert {row[1] for row in rows} == {row[2] for row in rows} and len(
        {row[1] for row in rows}
    ) == 1
    assert [(row[3], row[4]) for row in rows] == [(SCHEME, "VARCHAR")] * 2
    index = StoryIndex(threshold=0.5, num_perm=128, shingle_words=3)
    assert [row[5] for row in rows] == [pack(index.signature(row[0])) for row in rows]
