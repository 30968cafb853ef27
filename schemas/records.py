"""The record contract: typed records that flow between pipeline stages.

Every stage takes and returns these dataclasses, so a reader can follow one
article from feed item to warehouse row. They are plain dataclasses (not
pydantic) because they cross process boundaries in the extraction pool and
are built by the thousand; validation of their *values* is the job of the
Great Expectations gate (`transforms/validate.py`), not of the constructors.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

# The story signature scheme before schemes were recorded: sha1 of each shingle's text.
SIGNATURE_SCHEME_SHA1 = "sha1-shingles-affine32"


@dataclass(slots=True)
class FeedItem:
    """One entry of a feed, after URL canonicalisation."""

    source: str
    feed_url: str
    url: str
    canonical_url: str
    article_id: str
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    author: str | None = None
    published_at: datetime | None = None


@dataclass(slots=True)
class Page:
    """Raw bytes of one document, fetched over HTTP or read from a saved file.

    `item` is the feed entry that pointed at the page, kept so that the feed's
    title and date can fill gaps in what extraction finds.
    """

    source: str
    url: str
    content: bytes
    fetched_at: datetime
    final_url: str | None = None
    content_type: str | None = None
    item: FeedItem | None = None
    origin: str = "http"  # "http" or "file"
    raw_file: str | None = None  # the archive WARC or saved file holding these bytes
    raw_offset: int | None = None  # the record's byte offset in raw_file (0: the whole file)
    published_at: datetime | None = None  # overrides what extraction finds (a sidecar's date)


@dataclass(slots=True)
class Evidence:
    """One matched term that supports a topic label: where, what, and context."""

    term: str
    field: str
    start: int
    end: int
    snippet: str


@dataclass(slots=True)
class TopicLabel:
    """A taxonomy path assigned to an article, with its score and evidence."""

    label: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    scheme_id: str | None = None  # concept id in a standard scheme, e.g. medtop:11000000
    method: str = "rules"  # "rules" (the taxonomy's queries) or "model" (the learned stage)
    evidence_omitted: int = 0  # spans found beyond the stored cap


@dataclass(slots=True)
class Article:
    """A clean article: extracted text and metadata, ready to classify and load.

    Field names match the `articles` table column for column.
    """

    article_id: str
    url: str
    canonical_url: str
    source: str
    title: str | None
    body: str
    content_hash: str
    word_count: int
    fetched_at: datetime
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    sitename: str | None = None
    description: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    topics: list[TopicLabel] = field(default_factory=list)
    guid: str | None = None
    is_fallback: bool = False  # the feed's title and summary stand in for an unreachable page
    raw_file: str | None = None
    raw_offset: int | None = None
    text_hash: str | None = None  # set with story_id by the story grouping before the load
    story_id: str | None = None


@dataclass(slots=True)
class Failure:
    """A document or source that could not be processed, with a named reason.

    `stage` says where it failed (fetch, parse, extract, ...), `reason` is a
    short stable name suitable for counting, `message` is for humans, and
    `retryable` tells whether trying again later could help.
    """

    source: str
    url: str
    stage: str
    reason: str
    message: str
    retryable: bool = False


@dataclass(slots=True)
class QuarantinedRecord:
    """An article that failed validation, with the expectations it failed."""

    article: Article
    failed_expectations: list[str]
    values: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class StorySignature:
    """An article's MinHash signature and the story it joined: a `story_signatures` row."""

    article_id: str
    story_id: str
    minhash: bytes  # the hash values packed as little-endian unsigned 64-bit integers
    # How it was made (transforms.stories.SCHEME); one that does not say predates schemes.
    scheme: str = SIGNATURE_SCHEME_SHA1


@dataclass(slots=True)
class SourceCounts:
    """What one run did for one source: the rows of the end-of-run summary.

    `unchanged` counts articles already in the warehouse; `skipped` counts
    items quarantined or failed for good in an earlier run (not refetched);
    `deferred` counts valid articles spooled because the warehouse was busy,
    which the next run loads first.
    """

    source: str
    feeds_polled: int = 0
    items_seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    quarantined: int = 0
    failed: int = 0
    deferred: int = 0

    @property
    def quarantine_share(self) -> float:
        """The share of articles that reached validation and failed it (0 when none did).

        Deferred articles passed validation: a busy warehouse must not raise the share.
        """
        valid = self.new + self.updated + self.unchanged + self.deferred
        considered = valid + self.quarantined
        return self.quarantined / considered if considered else 0.0

    def add(self, other: SourceCounts) -> None:
        """Add another tally for the same source into this one."""
        for item in fields(self):
            if item.name != "source":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


@dataclass(slots=True)
class SavedFile:
    """What a pages run did with one saved file: a row of the saved_files registry.

    `status` is processed, partial (some records unreadable), failed, or seen
    (the same bytes were processed before: skipped). A name need not be UTF-8,
    so `path` is for people and the warehouse, `path_bytes` for opening the file.
    """

    path: str  # readable: bytes that are not UTF-8 and control characters backslash-escaped
    content_hash: str
    size: int
    status: str
    reason: str | None = None
    documents: int = 0
    path_bytes: bytes | None = None  # the exact name (os.fsencode); None: `path` is exact


@dataclass(slots=True)
class RunSummary:
    """The result of one flow run, printed by the CLI and stored in `runs.counts`."""

    run_id: str
    flow: str
    warehouse: str
    sources: list[SourceCounts] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    files: list[SavedFile] = field(default_factory=list)
    # Configured feeds this run did not poll, each with why: disabled, or when it is due.
    not_polled: list[str] = field(default_factory=list)
    # Wall seconds per stage (poll, fetch, read, extract, classify, ...), summed over batches.
    timings: dict[str, float] = field(default_factory=dict)

    def total(self) -> SourceCounts:
        """All sources added up."""
        total = SourceCounts(source="total")
        for counts in self.sources:
            total.add(counts)
        return total

    @property
    def changed(self) -> bool:
        """Whether the run added or changed any article."""
        total = self.total()
        return bool(total.new or total.updated)
