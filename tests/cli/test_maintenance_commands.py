"""`digest`, `prune`, `backup` and `migrate`: help with an example, and the digest on demand."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediawatch import cli
from mediawatch.warehouse import Warehouse

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ("digest", "mediawatch digest --days 7"),
        ("prune", "mediawatch prune --dry-run --config mediawatch.yaml"),
        ("backup", "mediawatch backup backups/warehouse-$(date +%F).duckdb"),
        ("migrate", "mediawatch migrate --dry-run && mediawatch migrate"),
    ],
)
def test_help_has_a_copyable_example(command: str, example: str) -> None:
    result = runner.invoke(cli.app, [command, "--help"])
    assert result.exit_code == 0
    assert f"Example: {example}" in " ".join(result.output.split())


@pytest.mark.usefixtures("prefect_harness")
def test_digest_writes_the_report_of_the_last_days_now(tmp_path: Path, make_article) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    Warehouse(warehouse).load(
        "run-1", articles=[make_article(title="Harbour plan approved")], taxonomy_version="t1"
    )
    result = runner.invoke(cli.app, ["digest", "--days", "2", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    # Prefect's own log lines reach this output too when its logging was set up here first.
    (printed,) = [line for line in result.output.splitlines() if line.startswith("Digest: ")]
    page = Path(printed.removeprefix("Digest: "))
    assert page.parent == tmp_path / "digests"
    assert page.name.startswith(f"digest-{datetime.now(UTC):%Y-%m-%d}")
    assert "<tr><td>example</td><td>1</td></tr>" in page.read_text(encoding="utf-8")
    assert page.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


def test_digest_of_a_missing_warehouse_is_one_error_line(tmp_path: Path, monkeypatch, capsys):
    missing = tmp_path / "none.duckdb"
    monkeypatch.setattr(sys, "argv", ["mediawatch", "digest", "--warehouse", str(missing)])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert err.splitlines() == [f"Error: no warehouse at {missing}: run `mediawatch run` first"]
    assert not missing.exists()
