"""Settings: shipped defaults merged with the user's YAML, errors that name the key."""

from pathlib import Path

import pytest

from mediawatch.errors import ConfigError
from mediawatch.settings import DEFAULTS_DIR, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mediawatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_alone_are_valid() -> None:
    settings = load_settings()
    assert settings.sources == []
    assert settings.warehouse == Path("data/warehouse.duckdb")
    assert settings.taxonomy == DEFAULTS_DIR / "taxonomy.yaml"
    assert settings.http.max_bytes == 5 * 1024 * 1024
    assert settings.http.allow_private == []


def test_user_file_is_merged_key_by_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
sources:
  - name: world
    url: https://news.example.org/world.xml
http:
  max_per_host: 1
taxonomy: topics.yaml
""",
    )
    settings = load_settings(path)
    assert [s.name for s in settings.sources] == ["world"]
    assert settings.http.max_per_host == 1
    assert settings.http.max_connections == 16
    assert settings.taxonomy == tmp_path / "topics.yaml"


def test_keyword_overrides_win_and_none_is_ignored(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "warehouse: a.duckdb\n"), warehouse=None)
    assert settings.warehouse == Path("a.duckdb")
    assert load_settings(None, warehouse=tmp_path / "b.duckdb").warehouse == tmp_path / "b.duckdb"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("limits:\n  batch_size: 0\n", "limits.batch_size"),
        ("http:\n  max_conections: 3\n", "http.max_conections"),
        ("sources:\n  - name: x\n    url: ftp://x.example/feed\n", "sources.0.url"),
        ("sources:\n  - url: https://x.example/feed\n", "sources.0.name"),
        (
            "sources:\n  - {name: a, url: 'https://a.example/f'}\n"
            "  - {name: a, url: 'https://b.example/f'}\n",
            "repeated: a",
        ),
        ("- just\n- a list\n", "must be a mapping"),
        ("sources: [\n", "not valid YAML"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(tmp_path / "nope.yaml")
