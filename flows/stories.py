"""The story stage: group each batch's valid articles into stories before they are loaded.

The first batch of a run loads every stored signature into the run's
`StoryIndex`; each batch then adds its own, so copies are grouped across
batches and runs (signatures of an older scheme are made anew from their
bodies and stored with the first batch). The signatures are stored with the
batch, in its load transaction (or its spool file): an article is never
stored without one. A
batch whose run could not read the index (the file held elsewhere) is spooled
ungrouped and grouped by the run that loads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mediawatch.errors import WarehouseLocked
from mediawatch.registry import signatures_for_index
from mediawatch.settings import StoriesSettings
from mediawatch.warehouse import Warehouse
from schemas.records import Article, StorySignature
from transforms.stories import SCHEME, StoryIndex, StoryPrint
from transforms.validate import ValidationReport

if TYPE_CHECKING:
    from flows.stages import RunContext


def story_index(
    settings: StoriesSettings, warehouse: Warehouse
) -> tuple[StoryIndex, list[StorySignature]]:
    """A story index holding every stored signature; `WarehouseLocked` if the file is held.

    Signatures stored under an older scheme (marked by migration 0010) are
    made anew from their articles' bodies, each keeping its story; they are
    returned, for the caller's next load to store in place of the old ones.
    """
    index = StoryIndex(
        threshold=settings.threshold,
        num_perm=settings.num_perm,
        shingle_words=settings.shingle_words,
    )
    stored, stale = signatures_for_index(warehouse, SCHEME)
    loaded = index.load(stored)
    logger = get_run_logger()
    if loaded < len(stored):
        logger.warning(
            "%d stored story signatures have another num_perm and were skipped: "
            "run `mediawatch reprocess` to group those articles again",
            len(stored) - loaded,
        )
    remade = index.load_bodies(stale)
    if remade:
        logger.info("%d story signatures of an older scheme made anew from bodies", len(remade))
    return index, remade


def assign_stories(
    index: StoryIndex,
    articles: Sequence[Article],
    prints: Mapping[str, StoryPrint] | None = None,
) -> tuple[list[Article], list[StorySignature]]:
    """Give each article its text hash and story id, adding it to the index; return signatures.

    `prints`, by article id, are the bodies' prints made ahead (by the extraction workers).
    """
    grouped = []
    signatures = []
    prints = prints or {}
    for article in articles:
        found = index.assign(article.article_id, article.body, prints.get(article.article_id))
        grouped.append(replace(article, text_hash=found.text_hash, story_id=found.story_id))
        signatures.append(
            StorySignature(article.article_id, found.story_id, found.signature, SCHEME)
        )
    return grouped, signatures


@task(name="group-stories", task_run_name="group-stories [{label}]", cache_policy=NO_CACHE)
def group_stories(
    ctx: RunContext,
    report: ValidationReport,
    label: str,
    prints: Mapping[str, StoryPrint] | None = None,
) -> tuple[ValidationReport, list[StorySignature] | None]:
    """Give each valid article its text hash and story id; return the signatures to store.

    The run's index is read from the warehouse by the first batch that needs
    it. While the file is held by another process (a DuckDB client), the
    batch is left ungrouped (signatures None): it is spooled and grouped when
    a later run loads it, and the next batch tries the read again.
    """
    if not report.valid:
        return report, []
    remade: list[StorySignature] = []
    if ctx.stories is None:
        try:
            ctx.stories, remade = story_index(ctx.settings.stories, ctx.warehouse)
        except WarehouseLocked as exc:
            get_run_logger().warning("%s: story index unreadable; %s is grouped later", exc, label)
            return report, None
    grouped, signatures = assign_stories(ctx.stories, report.valid, prints)
    return replace(report, valid=grouped), [*remade, *signatures]
