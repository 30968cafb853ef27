"""Bad settings, taxonomies and alert topics: one `Error:` line, no traceback, no flow started.

Issue 19's table and issue 20's unreadable config files, through the real
entry point (`main`) with stderr captured. `_run` (which starts a flow) is
replaced by a failure, so each test also proves the check came first.
"""

import sys
from pathlib import Path

import pytest

from mediawatch import cli

SOURCE = "sources:\n  - {name: desk, url: 'https://news.example.org/feed.xml'}\n"


def taxonomy_config(tmp_path: Path, topics: str) -> Path:
    (tmp_path / "topics.yaml").write_text(topics, encoding="utf-8")
    return config(tmp_path, SOURCE + "taxonomy: topics.yaml\n")


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mediawatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_flow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No flow may start, and the warehouse is a temporary one."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a flow started despite a bad input")

    monkeypatch.setattr(cli, "_run", refuse)
    monkeypatch.setenv("MEDIAWATCH_WAREHOUSE", str(tmp_path / "w.duckdb"))


def one_error_line(monkeypatch, capsys, *args: str) -> str:
    """Run the CLI; assert exit 1 and that stderr is exactly one `Error:` line; return it."""
    monkeypatch.setattr(sys, "argv", ["mediawatch", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    out, err = capsys.readouterr()
    assert exited.value.code == 1
    assert "Traceback" not in err + out
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    return lines[0]


BIG = 10**30


@pytest.mark.usefixtures("no_flow")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"feeds:\n  min_interval: {BIG}\n", "feeds.min_interval: must be between 1 and 31536000"),
        (f"feeds:\n  max_interval: {BIG}\n", "feeds.max_interval: must be between 1 and 31536000"),
        ("limits:\n  quarantine_threshold: .nan\n", "limits.quarantine_threshold"),
        ("http:\n  min_host_delay: .inf\n", "http.min_host_delay"),
        ("querry: x\n", "querry: Extra inputs are not permitted"),
    ],
)
def test_bad_settings(tmp_path: Path, monkeypatch, capsys, text: str, expected: str) -> None:
    path = config(tmp_path, SOURCE + text)
    line = one_error_line(monkeypatch, capsys, "run", "--config", str(path))
    assert expected in line
    assert str(path) in line


@pytest.mark.usefixtures("no_flow")
@pytest.mark.parametrize(
    ("query_line", "expected"),
    [
        ("min_score: .nan\n    query: x", "'min_score' must be a number >= 0"),
        ("min_score: .inf\n    query: x", "'min_score' must be a number >= 0"),
        ("query: a*", "topic 'desk'"),
        ("query: (grid OR power", "expected ')'"),
        ("query: ''", "'query' must be non-empty text"),
        ("query: [1, 2]", "'query' must be non-empty text"),
        ("querry: grid", "unknown key 'querry'"),
    ],
)
def test_bad_taxonomy(tmp_path: Path, monkeypatch, capsys, query_line: str, expected: str) -> None:
    config_path = taxonomy_config(tmp_path, f"topics:\n  - name: desk\n    {query_line}\n")
    for command in (["run"], ["pages", str(tmp_path)], ["reprocess"], ["reclassify"]):
        line = one_error_line(monkeypatch, capsys, *command, "--config", str(config_path))
        assert expected in line
        assert str(tmp_path / "topics.yaml") in line


@pytest.mark.usefixtures("no_flow")
def test_unknown_alert_topic(tmp_path: Path, monkeypatch, capsys) -> None:
    path = config(
        tmp_path,
        SOURCE + "alerts:\n  - {name: desk, topics: [no/such], webhook: 'https://h.example/x'}\n",
    )
    line = one_error_line(monkeypatch, capsys, "run", "--config", str(path))
    assert "alert 'desk': unknown topic no/such" in line


@pytest.mark.usefixtures("no_flow")
def test_unreadable_config_files(tmp_path: Path, monkeypatch, capsys) -> None:
    binary = tmp_path / "latin1.yaml"
    binary.write_bytes(SOURCE.encode() + b"http:\n  user_agent: caf\xe9\n")
    line = one_error_line(monkeypatch, capsys, "run", "--config", str(binary))
    assert f"{binary} is not UTF-8 text" in line
    deep = config(tmp_path, "[" * 20_000 + "]" * 20_000)
    line = one_error_line(monkeypatch, capsys, "sql", "select 1", "--config", str(deep))
    assert f"{deep}: YAML nested too deeply" in line
