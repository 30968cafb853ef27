"""One settings object: shipped defaults merged with the user's YAML, validated once.

`load_settings()` is the only place configuration is read. Errors name the
offending key (`sources.2.url: ...`) so a user can fix the file without
reading code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from mediawatch.errors import ConfigError
from mediawatch.lake_target import DUCKLAKE_PREFIX, S3_PREFIX, DuckLakeTarget, S3Settings
from transforms.shard import InvalidShard, Shard, parse_shard

DEFAULTS_DIR = Path(__file__).parent / "defaults"
DEFAULTS_FILE = DEFAULTS_DIR / "settings.yaml"
# The config file read when none is given: $MEDIAWATCH_CONFIG, else this one if it exists.
CONFIG_ENV = "MEDIAWATCH_CONFIG"
DEFAULT_CONFIG = Path("mediawatch.yaml")
# Keys holding paths that, when relative, resolve against the folder of the file that set them.
_PATH_KEYS = (
    ("data_dir",),
    ("warehouse",),
    ("warehouse_data_path",),
    ("archive", "folder"),
    ("pages", "move_to"),
)

# `warehouse_s3` keys left null in the settings that the standard AWS variables fill in.
_AWS_ENVIRONMENT = {
    "key_id": ("AWS_ACCESS_KEY_ID",),
    "secret": ("AWS_SECRET_ACCESS_KEY",),
    "session_token": ("AWS_SESSION_TOKEN",),
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
}

DAY = 86_400
GIB = 1024**3
# A size as DuckDB's `memory_limit` takes it: a number and a unit (512MB, 1.5GiB).
_MEMORY_SIZE = r"^(\d+(?:\.\d+)?)\s*(?i:([KMGT])(i?)B)$"


def memory_size_bytes(text: str) -> float:
    """Bytes in a memory size as DuckDB reads it: MB is 1000**2 bytes, MiB 1024**2."""
    match = re.match(_MEMORY_SIZE, text.strip())
    if match is None:
        raise ConfigError(f"not a memory size: {text!r} (for example 512MB or 1.5GiB)")
    number, unit, binary = match.groups()
    return float(number) * (1024 if binary else 1000) ** ("KMGT".index(unit.upper()) + 1)


def _within(low: float, high: float) -> AfterValidator:
    """A check that a number lies in [low, high]; its error states the allowed range.

    Every numeric setting has an upper bound too: a huge value (10**30 seconds)
    would otherwise pass validation and overflow deep inside a run.
    """

    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return AfterValidator(check)


def _int(low: int, high: int) -> Any:
    return Annotated[int, _within(low, high)]


def _float(low: float, high: float) -> Any:
    return Annotated[float, _within(low, high)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Source(_Strict):
    """A feed to poll. `name` identifies the source in every table and report."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.\- ]+$")]
    url: Annotated[str, Field(pattern=r"^https?://")]
    kind: Literal["feed"] = "feed"
    max_items: _int(1, 100_000) | None = None
    respect_robots: bool | None = None


class Limits(_Strict):
    max_items_per_feed: _int(1, 100_000)
    batch_size: _int(1, 100_000)
    min_body_chars: _int(0, 1_000_000)
    max_file_bytes: _int(1, 4 * GIB)
    quarantine_threshold: _float(0, 1)


class ExtractSettings(_Strict):
    workers: _int(0, 256)


class FeedSettings(_Strict):
    """Adaptive polling bounds, failure handling and fallback records of feeds.

    A feed's interval starts at `initial_interval` seconds and moves within
    [`min_interval`, `max_interval`] with how often it has new items; a failing
    feed waits `min_interval` doubled per failure in a row (at most
    `max_interval`) and is disabled after `max_failures` in a row. A fallback
    record (feed title and summary for an unreachable page) is validated with
    `fallback_min_chars` as its minimum body length instead of limits.min_body_chars.
    """

    min_interval: _int(1, 365 * DAY)
    max_interval: _int(1, 365 * DAY)
    initial_interval: _int(1, 365 * DAY)
    max_failures: _int(1, 10_000)
    fallback_min_chars: _int(1, 1_000_000)

    @model_validator(mode="after")
    def _ordered_bounds(self) -> FeedSettings:
        if not self.min_interval <= self.initial_interval <= self.max_interval:
            raise ValueError("need min_interval <= initial_interval <= max_interval")
        return self


class HttpSettings(_Strict):
    """Politeness, limits and safety of the one shared HTTP client.

    `host_budget` and `run_budget` bound the seconds a run spends fetching
    pages from one host and in all; None is no bound.
    """

    user_agent: str = Field(min_length=1)
    max_connections: _int(1, 1024)
    max_per_host: _int(1, 256)
    min_host_delay: _float(0, 3600)
    connect_timeout: _float(0.001, 3600)
    read_timeout: _float(0.001, 3600)
    total_timeout: _float(0.001, DAY)
    max_bytes: _int(1024, 4 * GIB)
    max_redirects: _int(0, 100)
    retries: _int(0, 100)
    backoff_base: _float(0, 3600)
    backoff_max: _float(0, DAY)
    respect_robots: bool
    allow_private: list[str]
    host_budget: float | None = Field(default=None, gt=0)
    run_budget: float | None = Field(default=None, gt=0)


class AlertSubscription(_Strict):
    """Post every new article under one of `topics` (or a child topic) to `webhook`.

    The webhook receives Slack-compatible JSON (`text` and `blocks`).
    """

    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.\- ]+$")]
    topics: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    webhook: Annotated[str, Field(pattern=r"^https?://")]


class LoadSettings(_Strict):
    """How the loader waits for the warehouse file and serialises writes.

    A locked file is retried `lock_attempts` times, waiting `lock_backoff`
    seconds doubled after each try; then the batch is spooled to the data
    folder. Flow runs take turns writing through a lock file next to the
    warehouse, each waiting at most `lock_timeout` seconds for another run.
    """

    lock_attempts: _int(1, 30)
    lock_backoff: _float(0, 60)
    lock_timeout: _float(0.001, 86400)


class ArchiveSettings(_Strict):
    """The raw archive of fetched responses: WARC files rolled at `roll_bytes`.

    `folder` defaults to `archive/` next to the warehouse (in the data folder).
    """

    folder: Path | None = None
    roll_bytes: _int(1024, 1024 * GIB)


class PagesSettings(_Strict):
    """What happens to a saved file once processed: kept (default), moved or deleted.

    `follow_links_outside` lets symbolic links whose target is outside the folder be read.
    """

    after: Literal["keep", "move", "delete"]
    move_to: Path | None = None
    follow_links_outside: bool = False

    @model_validator(mode="after")
    def _target_for_move(self) -> PagesSettings:
        if self.after == "move" and self.move_to is None:
            raise ValueError("after: move needs move_to, the folder to move processed files to")
        return self


class StoriesSettings(_Strict):
    """Near-duplicate grouping: MinHash over `shingle_words`-word shingles, LSH at `threshold`."""

    threshold: _float(0.05, 0.95)  # LSH needs at least two bands
    num_perm: _int(16, 1024)
    shingle_words: _int(1, 50)


class RetentionSettings(_Strict):
    """How many days the archive's WARC files and `fetch_log` rows are kept (null: forever).

    Applied by `mediawatch prune`, and at the end of every completed run when
    `after_runs` is true. An archive file that a stored article still points
    to is kept whatever its age, unless `mediawatch prune --include-referenced`.
    """

    archive_days: _int(1, 100_000) | None = None
    fetch_log_days: _int(1, 100_000) | None = None
    after_runs: bool

    @property
    def configured(self) -> bool:
        """Whether anything is ever pruned."""
        return self.archive_days is not None or self.fetch_log_days is not None


_PREFECT_DATABASE = r"^(postgresql\+asyncpg|sqlite\+aiosqlite)://"


class ServerSettings(_Strict):
    """The local Prefect server of `mediawatch server start`: where it listens, its database.

    `database_url` null means SQLite in `<data_dir>/prefect/`; for PostgreSQL give
    a `postgresql+asyncpg://user:password@host/database` URL.
    """

    host: Annotated[str, Field(min_length=1)]
    port: int = Field(ge=1, le=65535)
    database_url: Annotated[str, Field(pattern=_PREFECT_DATABASE)] | None = None
    daemon: bool = True


def _shard_spec(spec: str) -> str:
    """A valid `i/N` shard spec, written without spaces."""
    try:
        return str(parse_shard(spec))
    except InvalidShard as exc:
        raise ValueError(str(exc)) from None


class Settings(_Strict):
    """Everything a run needs to know, with paths already resolved."""

    data_dir: Path
    warehouse: Path | DuckLakeTarget
    warehouse_data_path: Path | str | None = None
    warehouse_s3: S3Settings = S3Settings()
    warehouse_memory_limit: Annotated[str, Field(pattern=_MEMORY_SIZE)] | None = None
    warehouse_threads: _int(1, 1024) | None = None
    taxonomy: Path
    sources: list[Source]
    limits: Limits
    extract: ExtractSettings
    http: HttpSettings
    feeds: FeedSettings
    load: LoadSettings
    alerts: list[AlertSubscription]
    archive: ArchiveSettings
    pages: PagesSettings
    stories: StoriesSettings
    retention: RetentionSettings
    server: ServerSettings
    shard: Annotated[str, AfterValidator(_shard_spec)] | None = None

    @property
    def feed_shard(self) -> Shard | None:
        """The share of `sources` this process polls (`shard: i/N`), or None for all of them."""
        return parse_shard(self.shard) if self.shard else None

    @property
    def duckdb_config(self) -> dict[str, object]:
        """The DuckDB settings every warehouse connection opens with (null keys: DuckDB's own).

        A DuckLake's connection is an in-memory DuckDB, which would spill past
        the memory limit into `.tmp` in the working directory: it spills into
        the data folder instead (a DuckDB file spills beside itself).
        """
        config: dict[str, object] = {
            "memory_limit": self.warehouse_memory_limit,
            "threads": self.warehouse_threads,
        }
        if isinstance(self.warehouse, DuckLakeTarget):
            config["temp_directory"] = str(self.data_dir / "duckdb.tmp")
        return {name: value for name, value in config.items() if value is not None}

    @property
    def warehouse_file(self) -> Path:
        """The path the warehouse's local companions sit beside (write lock, run locks, spool,
        archive): the DuckDB file itself, or `<data_dir>/warehouse.ducklake` for a DuckLake."""
        if isinstance(self.warehouse, DuckLakeTarget):
            return self.data_dir / "warehouse.ducklake"
        return self.warehouse

    @property
    def archive_dir(self) -> Path:
        """Where the WARC files of fetched responses go."""
        return self.archive.folder or self.warehouse_file.parent / "archive"

    @model_validator(mode="before")
    @classmethod
    def _ducklake(cls, raw: Any) -> Any:
        """Turn a `ducklake:` warehouse and `warehouse_data_path` into a `DuckLakeTarget`."""
        if not isinstance(raw, dict):
            return raw
        value = raw.get("warehouse")
        if not (isinstance(value, str | Path) and str(value).startswith(DUCKLAKE_PREFIX)):
            return raw
        catalog = str(value).removeprefix(DUCKLAKE_PREFIX)
        data_path = raw.get("warehouse_data_path")
        if catalog.startswith("postgres:") and data_path is None:
            raise ValueError(
                "warehouse_data_path: a DuckLake with its catalog in PostgreSQL needs a folder "
                "or s3:// prefix for its Parquet files"
            )
        data_path = None if data_path is None else str(data_path)
        s3 = None
        if data_path is not None and data_path.startswith(S3_PREFIX):
            try:
                s3 = S3Settings.model_validate(raw.get("warehouse_s3") or {})
            except ValidationError:
                return raw  # the warehouse_s3 field's own validation names the bad key
        return {**raw, "warehouse": DuckLakeTarget(catalog, data_path, s3)}

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        for kind, names in (
            ("source", [s.name for s in self.sources]),
            ("alert", [a.name for a in self.alerts]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{kind} names must be unique, repeated: {', '.join(dupes)}")
        return self

    def fetch_fingerprint(self, source: Source) -> str:
        """A hash of everything configured that decides how `source` is fetched.

        Its entry (URL, options) and the `http:` section (allow-list, robots,
        user agent, limits): when it changes, the feed's backoff ends, since
        the change may be the fix.
        """
        fetching = {"source": source.model_dump(mode="json"), "http": self.http.model_dump()}
        return hashlib.sha256(json.dumps(fetching, sort_keys=True).encode()).hexdigest()[:16]

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with top-level fields replaced (for CLI flags)."""
        return self.model_copy(update=changes)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge two mappings; lists and scalars in `override` replace those in `base`."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    """The mapping a YAML settings file holds; every way it can be unreadable is a ConfigError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start})") from exc
    except RecursionError as exc:
        # PyYAML's composer recurses once per nesting level.
        raise ConfigError(f"{path}: YAML nested too deeply to be a settings file") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return data


def _resolve(raw: dict[str, Any], keys: tuple[str, ...], base_dir: Path) -> None:
    """Make the relative path at `keys` (a nested key) absolute against `base_dir`."""
    *parents, key = keys
    for parent in parents:
        raw = raw.get(parent)
        if not isinstance(raw, dict):
            return
    value = raw.get(key)
    if isinstance(value, str) and value.startswith(DUCKLAKE_PREFIX):
        catalog = value.removeprefix(DUCKLAKE_PREFIX)
        if ":" not in catalog:  # a catalog file, not `postgres:<libpq string>`
            raw[key] = f"{DUCKLAKE_PREFIX}{_against(catalog, base_dir)}"
        return
    if isinstance(value, str) and "://" in value:
        return
    if value is not None:
        raw[key] = _against(str(value), base_dir)


def _against(value: str, base_dir: Path) -> Path:
    """`value` as a path, absolute against `base_dir` when it is relative (`~` expanded)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


def _aws_environment(raw: dict[str, Any]) -> None:
    """Fill the `warehouse_s3` keys left null from the standard AWS environment variables."""
    s3 = raw.get("warehouse_s3")
    if not isinstance(s3, dict):
        return
    for key, names in _AWS_ENVIRONMENT.items():
        if s3.get(key) is None:
            s3[key] = next((os.environ[n] for n in names if os.environ.get(n)), None)


def _describe(error: ValidationError, origin: str) -> str:
    """One line naming every bad key and what is wrong with it, after the file's name."""
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        problems.append(f"{key}: {item['msg'].removeprefix('Value error, ')}")
    return f"invalid configuration in {origin}: {'; '.join(problems)}"


def config_file(path: Path | None) -> Path | None:
    """The settings file to read: `path`, else $MEDIAWATCH_CONFIG, else ./mediawatch.yaml if any.

    With `_aws_environment` (S3 credentials) the only places the environment is
    consulted for configuration, so the CLI, the flows and the deployments all
    find the same file.
    """
    if path is not None:
        return path
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Load the shipped defaults, merge the config file and keyword overrides, validate.

    The file is `config_file(path)`. One rule for relative paths in it
    (`warehouse`, a `ducklake:` catalog file, `data_dir`, `taxonomy`,
    `archive.folder`, `pages.move_to`): they resolve against the folder of
    the config file; without a file, against the working directory. Outputs
    (`data_dir`: Data Docs, digests) default to the warehouse's folder,
    wherever the warehouse is. `warehouse_s3` keys left null come from the
    AWS environment variables (`_AWS_ENVIRONMENT`).
    """
    raw = _read_yaml(DEFAULTS_FILE)
    _resolve(raw, ("taxonomy",), DEFAULTS_DIR)
    origin = "the built-in defaults"
    path = config_file(path)
    if path is not None:
        user = _read_yaml(path)
        raw = _merge(raw, user)
        for keys in (("taxonomy",), *_PATH_KEYS):
            _resolve(raw, keys, path.parent)
        origin = str(path)
    raw = _merge(raw, {k: v for k, v in overrides.items() if v is not None})
    _aws_environment(raw)
    if raw.get("data_dir") is None and isinstance(raw.get("warehouse"), str | Path):
        warehouse = str(raw["warehouse"])
        lake = warehouse.startswith(DUCKLAKE_PREFIX)
        base = path.parent if path is not None else Path.cwd()
        raw["data_dir"] = base / "data" if lake else Path(warehouse).parent
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from exc
