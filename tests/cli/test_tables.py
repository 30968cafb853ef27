"""Tables print data as it is (no Rich markup), never cut names or URLs; options anywhere."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediawatch import cli
from mediawatch.feed_store import save_states
from mediawatch.warehouse import Warehouse
from schemas.records import Failure, RunSummary, SavedFile, SourceCounts
from transforms.polling import FeedState

runner = CliRunner()
LONG_URL = "https://news.example.org/" + "/".join(f"section-{n}" for n in range(12)) + "/feed.xml"
POLLED = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A warehouse holding the poll state of a configured feed and of one since removed."""
    path = tmp_path / "w.duckdb"
    save_states(
        Warehouse(path),
        [
            FeedState("desk", LONG_URL, LONG_URL, last_polled_at=POLLED, last_status=200),
            FeedState("gone", "https://old.example.org/rss", "https://old.example.org/rss"),
        ],
    )
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "mediawatch.yaml"
    path.write_text(f"sources:\n  - {{name: desk, url: '{LONG_URL}'}}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "value", ["Prices [updated] rise", "postgres:x:101", "a[/b]", "[bold]loud[/bold] :smile:"]
)
def test_sql_shows_values_not_markup(warehouse: Path, value: str) -> None:
    query = f"select '{value}' AS a"
    result = runner.invoke(cli.app, ["sql", query, "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert value in result.output


def test_empty_sql_is_one_error_line(warehouse: Path, monkeypatch, capsys) -> None:
    for query in ("", "  "):
        argv = ["mediawatch", "--warehouse", str(warehouse), "sql", query]
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as exited:
            cli.main()
        _, err = capsys.readouterr()
        assert exited.value.code == 1
        assert err.splitlines() == [
            'Error: no SQL given: try mediawatch sql "select count(*) from articles"'
        ]


def test_run_summary_shows_file_names_and_errors_as_they_are(capsys) -> None:
    summary = RunSummary(
        run_id="r1",
        flow="pages",
        warehouse="w.duckdb",
        sources=[SourceCounts(source="[inbox]", new=1)],
        files=[SavedFile("[draft] heat.txt", "h", 10, "failed", "[red]bad[/] :x:")],
        failures=[Failure("[inbox]", "[draft] heat.txt", "read", "x", "cannot read [/b]")],
        not_polled=["desk: disabled (3 failed polls in a row; the last: [Errno 111])"],
    )
    cli._print_summary(summary, quiet=False, as_json=False)
    out = " ".join(capsys.readouterr().out.split())
    for text in ("[draft] heat.txt", "[red]bad[/] :x:", "[inbox]", "cannot read [/b]"):
        assert text in out
    assert (
        "Not polled now (1 feed): desk: disabled (3 failed polls in a row; the last: "
        "[Errno 111]). `mediawatch run --all` polls every feed now." in out
    )


def test_run_summary_cuts_no_source_name_or_column_title(capsys) -> None:
    summary = RunSummary(
        "r2", "ingest", "w.duckdb", sources=[SourceCounts("northern-courier", 1, 12, 10)]
    )
    cli._print_summary(summary, quiet=False, as_json=False)
    out = capsys.readouterr().out
    assert "…" not in out
    for text in ("northern-courier", "feeds polled", "quarantined", "deferred"):
        assert text in out


def test_sources_never_cut_a_url_and_mark_removed_feeds(
    warehouse: Path, config: Path, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    result = runner.invoke(
        cli.app, ["sources", "--config", str(config), "--warehouse", str(warehouse)]
    )
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    # Folded over lines, each line a piece of the URL: glue the cells of its column back.
    assert LONG_URL in "".join(line.split("│")[3].strip() for line in _body(result.output))
    health = {cells[1].strip(): cells[2].strip() for cells in map(_cells, _body(result.output))}
    assert health["desk"] == "ok"
    assert health["gone"] == "removed"


def _body(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("│")]


def _cells(line: str) -> list[str]:
    return line.split("│")


def test_warehouse_option_after_the_command(warehouse: Path, tmp_path: Path) -> None:
    before = runner.invoke(cli.app, ["--warehouse", str(warehouse), "sql", "select 1 AS one"])
    after = runner.invoke(cli.app, ["sql", "select 1 AS one", "--warehouse", str(warehouse)])
    assert before.exit_code == after.exit_code == 0, after.output
    assert after.output == before.output
    # The command's own option wins over the one before it.
    missing = runner.invoke(
        cli.app,
        ["--warehouse", str(warehouse), "sql", "select 1", "--warehouse", str(tmp_path / "n")],
    )
    assert missing.exit_code == 1
