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


class Settings(_Strict):
    """Everything a run needs to know, with paths already resolved."""

    data_dir: Path
    warehouse: Path
    taxonomy: Path
    sources: list[Source]
    limits: Limits
    extract: ExtractSettings
    http: HttpSettings

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique, repeated: {', '.join(dupes)}")
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
