"""The story stage: group each batch's valid articles into stories before they are loaded.

The first batch of a run loads every stored signature into the run's
`StoryIndex`; each batch then adds its own, so copies are grouped across
batches and runs. The signatures are stored with the batch, in its load
transaction (or its spool file): an article is never stored without one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mediawatch.registry import stored_signatures
from schemas.records import StorySignature
from transforms.stories import StoryIndex
from transforms.validate import ValidationReport

if TYPE_CHECKING:
    from flows.stages import RunContext


def _index(ctx: RunContext) -> StoryIndex:
    """The run's story index, loaded from the warehouse on first use."""
    if ctx.stories is None:
        settings = ctx.settings.stories
        index = StoryIndex(
            threshold=settings.threshold,
            num_perm=settings.num_perm,
            shingle_words=settings.shingle_words,
        )
        stored = stored_signatures(ctx.warehouse)
        loaded = index.load(stored)
        if loaded < len(stored):
            get_run_logger().warning(
                "%d stored story signatures have another num_perm and were skipped: "
                "run `mediawatch reprocess` to group those articles again",
                len(stored) - loaded,
            )
        ctx.stories = index
    return ctx.stories


@task(name="group-stories", task_run_name="group-stories [{label}]", cache_policy=NO_CACHE)
def group_stories(
    ctx: RunContext, report: ValidationReport, label: str
) -> tuple[ValidationReport, list[StorySignature]]:
    """Give each valid article its text hash and story id; return the signatures to store."""
    if not report.valid:
        return report, []
    index = _index(ctx)
    grouped = []
    signatures = []
    for article in report.valid:
        found = index.assign(article.article_id, article.body)
        grouped.append(replace(article, text_hash=found.text_hash, story_id=found.story_id))
        signatures.append(StorySignature(article.article_id, found.story_id, found.signature))
    return replace(report, valid=grouped), signatures
