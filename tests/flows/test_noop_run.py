"""A run with nothing new opens the warehouse file only for what it must read and record.

Each opening of the DuckDB file costs a run with nothing new about a tenth of
a second (catalog and write-ahead log read again), the largest part of its
time outside Prefect: the feed states and deferred items are read through
one connection, the polls' states and exchanges written in one transaction.
"""

from __future__ import annotations

import pytest

import mediawatch.warehouse
from flows.ingest import ingest
from mediawatch.demo import serve_demo_site
from mediawatch.settings import load_settings

pytestmark = pytest.mark.usefixtures("prefect_harness")

# Record the run and clear crashed ones, check for a relabel request, read the feed
# states and deferred items, ask which items are settled, record the polls, finish.
NO_OP_OPENINGS = 6


def test_a_run_with_nothing_new_opens_the_warehouse_six_times(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_demo_site(port=0) as site:
        base = load_settings(warehouse=tmp_path / "warehouse.duckdb", data_dir=tmp_path)
        settings = base.with_overrides(
            sources=site.sources,
            http=base.http.model_copy(update={"allow_private": ["127.0.0.1"], "min_host_delay": 0}),
        )
        ingest(settings=settings)
        opened: list[bool] = []
        real_open = mediawatch.warehouse._open

        def counted(*args: object, **kwargs: object) -> object:
            opened.append(bool(kwargs.get("read_only")))
            return real_open(*args, **kwargs)

        monkeypatch.setattr(mediawatch.warehouse, "_open", counted)
        again = ingest(settings=settings, poll_all=True)
    assert again.total().new == 0
    assert again.total().unchanged > 0
    assert len(opened) == NO_OP_OPENINGS
