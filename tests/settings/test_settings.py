"""Settings: shipped defaults merged with the user's YAML, errors that name the key."""

from pathlib import Path

import pytest

from mediawatch.errors import ConfigError
from mediawatch.lake_target import DuckLakeTarget
from mediawatch.settings import (
    CONFIG_ENV,
    DEFAULTS_DIR,
    config_file,
    load_settings,
    memory_size_bytes,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mediawatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No $MEDIAWATCH_CONFIG and no ./mediawatch.yaml: the built-in defaults alone."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CONFIG_ENV, raising=False)


@pytest.mark.usefixtures("no_config")
def test_defaults_alone_are_valid() -> None:
    settings = load_settings()
    assert settings.sources == []
    assert settings.warehouse == Path("data/warehouse.duckdb")
    assert settings.taxonomy == DEFAULTS_DIR / "taxonomy.yaml"
    assert settings.http.max_bytes == 5 * 1024 * 1024
    assert settings.http.allow_private == []
    assert settings.duckdb_config == {"memory_limit": "512MB"}


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
    assert settings.warehouse == tmp_path / "a.duckdb"
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
        ("warehouse_memory_limit: 80%\n", "warehouse_memory_limit"),
        ("warehouse_memory_limit: 512\n", "warehouse_memory_limit"),
        ("warehouse_threads: 0\n", "warehouse_threads"),
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


@pytest.mark.usefixtures("no_config")
def test_relative_paths_follow_the_config_file_and_outputs_the_warehouse(tmp_path: Path) -> None:
    """Relative paths resolve against the config's folder; outputs sit by the warehouse."""
    folder = tmp_path / "conf"
    folder.mkdir()
    path = write(folder, "warehouse: db/w.duckdb\narchive: {folder: raw}\ntaxonomy: t.yaml\n")
    settings = load_settings(path)
    assert settings.warehouse == folder / "db" / "w.duckdb"
    assert settings.data_dir == folder / "db"
    assert settings.archive_dir == folder / "raw"
    assert settings.taxonomy == folder / "t.yaml"
    # --warehouse elsewhere takes the outputs (Data Docs, digests, spool) with it.
    moved = load_settings(path, warehouse=tmp_path / "else" / "w.duckdb")
    assert moved.data_dir == tmp_path / "else"
    # Without a config file: the working directory, as before.
    assert load_settings(None).data_dir == Path("data")


@pytest.mark.usefixtures("no_config")
def test_a_ducklake_catalog_file_follows_the_config_file_and_a_postgres_one_is_kept(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "warehouse: 'ducklake:lake/catalog.ducklake'\n")
    target = load_settings(path).warehouse
    assert isinstance(target, DuckLakeTarget)
    assert target.catalog == str(tmp_path / "lake" / "catalog.ducklake")
    pg = write(
        tmp_path, "warehouse: 'ducklake:postgres:dbname=lake host=db'\nwarehouse_data_path: files\n"
    )
    assert load_settings(pg).warehouse.catalog == "postgres:dbname=lake host=db"


@pytest.mark.usefixtures("no_config")
def test_config_comes_from_the_environment_then_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_file(None) is None
    write(tmp_path, "limits:\n  batch_size: 7\n")
    assert config_file(None) == Path("mediawatch.yaml")
    assert load_settings().limits.batch_size == 7
    other = tmp_path / "other.yaml"
    other.write_text("limits:\n  batch_size: 9\n", encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(other))
    assert load_settings().limits.batch_size == 9
    assert load_settings(tmp_path / "mediawatch.yaml").limits.batch_size == 7


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (f"feeds:\n  min_interval: {10**30}\n", "feeds.min_interval: must be between 1 and "),
        (f"feeds:\n  max_interval: {10**30}\n", "feeds.max_interval: must be between 1 and "),
        ("http:\n  read_timeout: 1e300\n", "http.read_timeout: must be between"),
        ("limits:\n  quarantine_threshold: .nan\n", "limits.quarantine_threshold"),
        ("http:\n  backoff_max: .inf\n", "http.backoff_max"),
        ("load:\n  lock_attempts: 1000000\n", "load.lock_attempts: must be between 1 and 30"),
    ],
)
def test_every_number_is_bounded(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    binary = tmp_path / "latin.yaml"
    binary.write_bytes(b"user_agent: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin\.yaml is not UTF-8 text \(byte 15\)"):
        load_settings(binary)
    deep = write(tmp_path, "[" * 20_000 + "]" * 20_000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings(deep)


@pytest.mark.parametrize(
    ("s3", "fragment"),
    [
        ("{url_style: sideways}", "warehouse_s3.url_style: Input should be 'vhost' or 'path'"),
        ("{endpoint: 'http://minio.example'}", "warehouse_s3.endpoint: give host or host:port"),
        ("{bucket: news}", "warehouse_s3.bucket: Extra inputs are not permitted"),
    ],
)
def test_s3_settings_errors_name_the_key(tmp_path: Path, s3: str, fragment: str) -> None:
    lake = "warehouse: 'ducklake:cat.ducklake'\nwarehouse_data_path: s3://news/lake\n"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, f"{lake}warehouse_s3: {s3}\n"))
    assert fragment in str(caught.value)


def test_s3_credentials_come_from_the_aws_variables_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    lake = "warehouse: 'ducklake:cat.ducklake'\nwarehouse_data_path: s3://news/lake\n"
    s3 = load_settings(write(tmp_path, lake)).warehouse.s3
    assert (s3.key_id, s3.secret.get_secret_value(), s3.region) == (
        "from-env",
        "env-secret",
        "eu-north-1",
    )
    assert s3.session_token is None and s3.url_style == "vhost" and s3.use_ssl is True
    given = load_settings(write(tmp_path, lake + "warehouse_s3: {key_id: from-file}\n"))
    assert given.warehouse.s3.key_id == "from-file"
    # A data path in a folder needs no S3 settings.
    assert load_settings(write(tmp_path, "warehouse: 'ducklake:c.ducklake'\n")).warehouse.s3 is None


@pytest.mark.parametrize(
    ("size", "expected"), [("512MB", 512e6), ("1.5GiB", 1.5 * 2**30), ("64 kb", 64e3)]
)
def test_a_memory_size_the_settings_accept_is_read_in_duckdb_units(
    tmp_path: Path, size: str, expected: float
) -> None:
    settings = load_settings(write(tmp_path, f"warehouse_memory_limit: {size}\n"))
    assert memory_size_bytes(settings.duckdb_config["memory_limit"]) == expected


def test_a_memory_size_without_a_unit_is_refused() -> None:
    with pytest.raises(ConfigError, match="80%"):
        memory_size_bytes("80%")
