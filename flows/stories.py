"""The story stage: group each batch's valid articles into stories before they are loaded.

The first batch of a run loads every stored signature into the run's
`StoryIndex`; each batch then adds its own, so copies are grouped across
batches and runs. Signatures are stored before the batch is loaded: a load
that fails leaves a harmless signature behind, never an article without one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mediawatch.registry import save_signatures, stored_signatures
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
def group_stories(ctx: RunContext, report: ValidationReport, label: str) -> ValidationReport:
    """Give each valid article its text hash and story id, and store its signature."""
    if not report.valid:
        return report
    index = _index(ctx)
    grouped = []
    rows = []
    for article in report.valid:
        found = index.assign(article.article_id, article.body)
        grouped.append(replace(article, text_hash=found.text_hash, story_id=found.story_id))
        rows.append((article.article_id, found.story_id, found.signature))
    save_signatures(ctx.warehouse, rows)
    return replace(report, valid=grouped)
