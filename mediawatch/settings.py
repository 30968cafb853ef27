"""One settings object: shipped defaults merged with the user's YAML, validated once.

`load_settings()` is the only place configuration is read. Errors name the
offending key (`sources.2.url: ...`) so a user can fix the file without
reading code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mediawatch.errors import ConfigError

DEFAULTS_DIR = Path(__file__).parent / "defaults"
DEFAULTS_FILE = DEFAULTS_DIR / "settings.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A feed to poll. `name` identifies the source in every table and report."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.\- ]+$")]
    url: Annotated[str, Field(pattern=r"^https?://")]
    kind: Literal["feed"] = "feed"
    max_items: int | None = Field(default=None, ge=1)
    respect_robots: bool | None = None


class Limits(_Strict):
    max_items_per_feed: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    min_body_chars: int = Field(ge=0)
    max_file_bytes: int = Field(ge=1)
    quarantine_threshold: float = Field(ge=0, le=1)


class ExtractSettings(_Strict):
    workers: int = Field(ge=0)


class FeedSettings(_Strict):
    """Adaptive polling bounds, failure handling and fallback records of feeds.

    A feed's interval starts at `initial_interval` seconds and moves within
    [`min_interval`, `max_interval`] with how often it has new items; a failing
    feed waits `min_interval` doubled per failure in a row (at most
    `max_interval`) and is disabled after `max_failures` in a row. A fallback
    record (feed title and summary for an unreachable page) is validated with
    `fallback_min_chars` as its minimum body length instead of limits.min_body_chars.
    """

    min_interval: int = Field(ge=1)
    max_interval: int = Field(ge=1)
    initial_interval: int = Field(ge=1)
    max_failures: int = Field(ge=1)
    fallback_min_chars: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered_bounds(self) -> FeedSettings:
        if not self.min_interval <= self.initial_interval <= self.max_interval:
            raise ValueError("need min_interval <= initial_interval <= max_interval")
        return self


class HttpSettings(_Strict):
    """Politeness, limits and safety of the one shared HTTP client."""

    user_agent: str = Field(min_length=1)
    max_connections: int = Field(ge=1)
    max_per_host: int = Field(ge=1)
    min_host_delay: float = Field(ge=0)
    connect_timeout: float = Field(gt=0)
    read_timeout: float = Field(gt=0)
    total_timeout: float = Field(gt=0)
    max_bytes: int = Field(ge=1024)
    max_redirects: int = Field(ge=0)
    retries: int = Field(ge=0)
    backoff_base: float = Field(ge=0)
    backoff_max: float = Field(ge=0)
    respect_robots: bool
    allow_private: list[str]


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
    folder. Flow writes share the Prefect global concurrency limit named
    `concurrency_limit` (one slot).
    """

    lock_attempts: int = Field(ge=1)
    lock_backoff: float = Field(ge=0)
    concurrency_limit: Annotated[str, Field(min_length=1)]


class ArchiveSettings(_Strict):
    """The raw archive of fetched responses: WARC files rolled at `roll_bytes`.

    `folder` defaults to `archive/` next to the warehouse (in the data folder).
    """

    folder: Path | None = None
    roll_bytes: int = Field(ge=1024)


class PagesSettings(_Strict):
    """What happens to a saved file once processed: kept (default), moved or deleted."""

    after: Literal["keep", "move", "delete"]
    move_to: Path | None = None

    @model_validator(mode="after")
    def _target_for_move(self) -> PagesSettings:
        if self.after == "move" and self.move_to is None:
            raise ValueError("after: move needs move_to, the folder to move processed files to")
        return self


class StoriesSettings(_Strict):
    """Near-duplicate grouping: MinHash over `shingle_words`-word shingles, LSH at `threshold`."""

    threshold: float = Field(ge=0.05, le=0.95)  # LSH needs at least two bands
    num_perm: int = Field(ge=16, le=1024)
    shingle_words: int = Field(ge=1)


_PREFECT_DATABASE = r"^(postgresql\+asyncpg|sqlite\+aiosqlite)://"


class ServerSettings(_Strict):
    """The local Prefect server of `mediawatch server start`: where it listens, its database.

    `database_url` null means SQLite in `<data_dir>/prefect/`; for PostgreSQL give
    a `postgresql+asyncpg://user:password@host/database` URL.
    """

    host: Annotated[str, Field(min_length=1)]
    port: int = Field(ge=1, le=65535)
    database_url: Annotated[str, Field(pattern=_PREFECT_DATABASE)] | None = None


class Settings(_Strict):
    """Everything a run needs to know, with paths already resolved."""

    data_dir: Path
    warehouse: Path
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
    server: ServerSettings

    @property
    def archive_dir(self) -> Path:
        """Where the WARC files of fetched responses go."""
        return self.archive.folder or Path(self.warehouse).parent / "archive"

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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return data


def _resolve(raw: dict[str, Any], key: str, base_dir: Path) -> None:
    if key in raw and raw[key] is not None:
        path = Path(str(raw[key])).expanduser()
        raw[key] = path if path.is_absolute() else base_dir / path


def _describe(error: ValidationError, origin: str) -> str:
    lines = [f"invalid configuration in {origin}:"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {key}: {item['msg']}")
    return "\n".join(lines)


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Load the shipped defaults, merge the user's file and keyword overrides, validate.

    Relative `taxonomy` paths resolve against the file that set them; relative
    data paths resolve against the working directory, like any CLI tool's.
    """
    raw = _read_yaml(DEFAULTS_FILE)
    _resolve(raw, "taxonomy", DEFAULTS_DIR)
    origin = "the built-in defaults"
    if path is not None:
        user = _read_yaml(path)
        _resolve(user, "taxonomy", path.parent)
        raw = _merge(raw, user)
        origin = str(path)
    raw = _merge(raw, {k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from exc
