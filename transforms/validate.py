"""The validation gate: every batch of articles passes a Great Expectations suite before loading.

Rows that fail are quarantined with the names of the failed expectations and the
offending values, never silently dropped. The expectations are data
(`schemas/expectations/articles.json`); runtime values reach them as GX suite
parameters. great_expectations and pandas are imported lazily (they cost
seconds; a run with nothing new never validates) and the GX context is built
once per process.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemas import records
from schemas.records import Article, QuarantinedRecord

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations import ExpectationSuite
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.datasource.fluent.interfaces import Batch
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

SUITE_PATH = Path(records.__file__).parent / "expectations" / "articles.json"
EARLIEST_PUBLISHED = datetime(1990, 1, 1, tzinfo=UTC)
MAX_CLOCK_SKEW = timedelta(days=1)

ARTICLES = "articles"
TOPICS = "article_topics"
ROW = "row"  # position in the batch: a row key that stays unique when article_id does not
ARTICLE_COLUMNS = (
    "article_id",
    "url",
    "canonical_url",
    "source",
    "title",
    "body",
    "content_hash",
    "word_count",
    "fetched_at",
    "published_at",
    "language",
)
DATETIME_COLUMNS = frozenset({"fetched_at", "published_at"})
UNIQUE_TYPE = "expect_column_values_to_be_unique"
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW]}
# The first pass over a batch: counts and the first 20 offending values, without the full
# index lists, which cost GX about as much again as the checks themselves.
FIRST_PASS_FORMAT = {"result_format": "BASIC"}

_LOCK = threading.Lock()  # one shared GX context: validations run one at a time


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    """How one expectation fared on a batch, with GX's own counts.

    For `article_id_unique` GX counts every row sharing a repeated id, while
    only the repeats are quarantined.
    """

    name: str
    expectation_type: str
    column: str | None
    success: bool
    element_count: int
    unexpected_count: int


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The batch split into loadable and quarantined articles, and per-expectation outcomes.

    `results` are GX's own suite results (one per table), for Data Docs.
    """

    valid: list[Article]
    quarantined: list[QuarantinedRecord]
    outcomes: list[ExpectationOutcome]
    results: list[ExpectationSuiteValidationResult] = field(default_factory=list)

    @property
    def quarantined_share(self) -> float:
        """Quarantined articles as a share of the batch; 0.0 for an empty batch."""
        total = len(self.valid) + len(self.quarantined)
        return len(self.quarantined) / total if total else 0.0


def validate_articles(
    articles: Sequence[Article],
    *,
    known_labels: frozenset[str],
    now: datetime,
    min_body_chars: int,
    suite_path: Path | None = None,
) -> ValidationReport:
    """Validate a batch against the suite and split it into valid and quarantined articles.

    Naive datetimes (in articles and `now`) are taken as UTC. Of articles sharing an
    id, the first stays valid and the repeats are quarantined as `article_id_unique`.
    An empty batch returns an empty report without touching GX.
    """
    if not articles:
        return ValidationReport(valid=[], quarantined=[], outcomes=[])
    suites = prepare(suite_path or SUITE_PATH)
    parameters = {
        "min_body_chars": min_body_chars,
        "earliest_published_at": EARLIEST_PUBLISHED,
        "latest_published_at": _as_utc(now) + MAX_CLOCK_SKEW,
        "known_labels": sorted(known_labels),
    }
    frames = {ARTICLES: _articles_frame(articles), TOPICS: _topics_frame(articles)}
    failures = _Failures(articles, frames[ARTICLES])
    results = [
        _run(suites[table], table, frames[table], parameters) for table in (ARTICLES, TOPICS)
    ]
    outcomes = [
        failures.add(table, result)
        for table, suite_result in zip((ARTICLES, TOPICS), results, strict=True)
        for result in suite_result.results
    ]
    return failures.report(outcomes, results)


def _run(
    suite: ExpectationSuite, table: str, frame: pd.DataFrame, parameters: dict[str, object]
) -> ExpectationSuiteValidationResult:
    """Validate one dataframe with its suite; results are put in suite order, not GX's.

    The whole suite runs once in the cheaper BASIC format; only the expectations
    that failed run again in COMPLETE format, which names every offending row, and
    their results replace the BASIC ones. A clean batch, the usual case, pays for
    one cheap pass.
    """
    with _LOCK:
        batch = _batch_definitions()[table].get_batch(batch_parameters={"dataframe": frame})
        validated = _validate(batch, suite, parameters, FIRST_PASS_FORMAT)
        validated.results = [
            result
            if result.success
            else _validate(
                batch,
                _expectation(suite, result.expectation_config.meta["name"]),
                parameters,
                RESULT_FORMAT,
            )
            for result in validated.results
        ]
    position = {expectation.meta["name"]: i for i, expectation in enumerate(suite.expectations)}
    validated.results.sort(key=lambda result: position[result.expectation_config.meta["name"]])
    return validated


@contextmanager
def _configurations_kept() -> Iterator[None]:
    """Within the block, each GX expectation object builds its `configuration` once.

    GX 1.x builds an expectation's configuration anew (a pydantic `dict()` of
    all its fields) every time the property is read: some 50 times per
    expectation and validation call, about a third of a batch's validation
    CPU. An expectation object is not changed while a call runs (GX fills
    the suite parameters into the configuration it read), so within one
    `validate` call (under `_LOCK`) the first build is kept and read again;
    the property is GX's own again after the block.
    """
    from great_expectations.expectations.expectation import Expectation

    built = Expectation.configuration
    kept: dict[int, tuple[Expectation, ExpectationConfiguration]] = {}

    def configuration(expectation: Expectation) -> ExpectationConfiguration:
        found = kept.get(id(expectation))
        if found is None:  # each object is held in `kept`, so its id is not reused meanwhile
            found = kept[id(expectation)] = (expectation, built.fget(expectation))
        return found[1]

    Expectation.configuration = property(configuration)
    try:
        yield
    finally:
        Expectation.configuration = built


def _validate(
    batch: Batch,
    target: ExpectationSuite | Expectation,
    parameters: dict[str, object],
    result_format: dict[str, object],
) -> Any:
    """`batch.validate`, each expectation's configuration built once (`_configurations_kept`)."""
    with _configurations_kept():
        return batch.validate(
            target, expectation_parameters=parameters, result_format=result_format
        )


def _expectation(suite: ExpectationSuite, name: str) -> Expectation:
    """The suite's expectation with this meta name (names are unique, see `load_suites`)."""
    return next(e for e in suite.expectations if e.meta["name"] == name)


def prepare(suite_path: Path = SUITE_PATH) -> dict[str, ExpectationSuite]:
    """Import GX and build its context and the suites now: it takes seconds, best spent early.

    Called ahead of a run (`mediawatch.prefect_api`), possibly in a thread of
    its own; a batch that arrives meanwhile waits for it here instead of
    building a second context beside it.
    """
    with _LOCK:
        _batch_definitions()
        return load_suites(suite_path)


@functools.cache
def load_suites(path: Path) -> dict[str, ExpectationSuite]:
    """Read the suite file into one GX suite per table, checking every expectation is named.

    GX itself would log and skip an invalid expectation; here it raises, so a typo
    in the file cannot silently weaken the gate.
    """
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    spec = json.loads(path.read_text(encoding="utf-8"))
    if set(spec) != {ARTICLES, TOPICS}:
        raise ValueError(f"{path}: expected suites {ARTICLES!r} and {TOPICS!r}, got {sorted(spec)}")
    names = [
        entry.get("meta", {}).get("name")
        for suite in spec.values()
        for entry in suite["expectations"]
    ]
    if not all(names) or len(set(names)) != len(names):
        raise ValueError(f"{path}: every expectation needs a unique meta name, got {names}")
    return {
        table: gx.ExpectationSuite(
            name=suite["name"],
            notes=suite.get("notes"),
            expectations=[
                ExpectationConfiguration(
                    type=entry["type"], kwargs=entry["kwargs"], meta=entry["meta"]
                ).to_domain_obj()
                for entry in suite["expectations"]
            ],
        )
        for table, suite in spec.items()
    }


@functools.cache
def _batch_definitions() -> dict[str, BatchDefinition]:
    """Build the ephemeral GX context once: no analytics, no progress bars, one asset per table."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_pandas("mediawatch")
    return {
        table: source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(table)
        for table in (ARTICLES, TOPICS)
    }


def _as_utc(moment: datetime) -> pd.Timestamp:
    """A tz-aware UTC timestamp; naive input is taken as UTC, like the datetime columns."""
    import pandas as pd

    stamp = pd.Timestamp(moment)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def _articles_frame(articles: Sequence[Article]) -> pd.DataFrame:
    """One row per article: the scalar columns the suite checks, plus the row key."""
    import pandas as pd

    columns: dict[str, Any] = {ROW: range(len(articles))}
    for name in ARTICLE_COLUMNS:
        values = [getattr(article, name) for article in articles]
        columns[name] = pd.to_datetime(values, utc=True) if name in DATETIME_COLUMNS else values
    return pd.DataFrame(columns)


def _topics_frame(articles: Sequence[Article]) -> pd.DataFrame:
    """One row per (article row, topic label), so labels can be checked against a set."""
    import pandas as pd

    rows = [(row, topic.label) for row, article in enumerate(articles) for topic in article.topics]
    return pd.DataFrame(rows, columns=[ROW, "label"])


class _Failures:
    """Collects, per article row, the failed expectation names and offending values."""

    def __init__(self, articles: Sequence[Article], frame: pd.DataFrame) -> None:
        self.articles = articles
        self.frame = frame
        self.names: dict[int, list[str]] = {}
        self.values: dict[int, dict[str, object]] = {}

    def add(self, table: str, result: ExpectationValidationResult) -> ExpectationOutcome:
        """Record the rows one expectation failed and return its outcome."""
        config = result.expectation_config
        name = config.meta["name"]
        column = config.kwargs.get("column")
        if not result.success and "unexpected_index_list" not in result.result:
            raise RuntimeError(f"expectation {name} failed without naming rows: {_errors(result)}")
        repeats = self.frame[column].duplicated() if config.type == UNIQUE_TYPE else None
        for entry in result.result.get("unexpected_index_list") or []:
            row = int(entry[ROW])
            if repeats is not None and not repeats[row]:
                continue  # the first article with a repeated id stays valid
            if name not in self.names.setdefault(row, []):
                self.names[row].append(name)
            values = self.values.setdefault(row, {})
            if table == TOPICS:
                values.setdefault("topics", []).append(entry[column])
            else:
                values[column] = getattr(self.articles[row], column)
        return ExpectationOutcome(
            name=name,
            expectation_type=config.type,
            column=column,
            success=result.success,
            element_count=result.result.get("element_count", 0),
            unexpected_count=result.result.get("unexpected_count", 0),
        )

    def report(
        self,
        outcomes: list[ExpectationOutcome],
        results: list[ExpectationSuiteValidationResult],
    ) -> ValidationReport:
        """Split the batch, keeping input order in both lists."""
        return ValidationReport(
            valid=[a for row, a in enumerate(self.articles) if row not in self.names],
            quarantined=[
                QuarantinedRecord(self.articles[row], self.names[row], self.values[row])
                for row in sorted(self.names)
            ],
            outcomes=outcomes,
            results=results,
        )


def _errors(result: ExpectationValidationResult) -> str:
    """The exception messages GX recorded for an expectation that could not run.

    GX keeps one flat record, or one record per metric that raised.
    """
    info = result.exception_info
    raised = [value for value in info.values() if isinstance(value, dict)] or [info]
    return "; ".join(str(record.get("exception_message")) for record in raised)
