"""What a re-labelling changes: per topic, labels added, removed and kept.

Pure bookkeeping for the reclassify flow: it compares each article's labels
before and after, so the run can report the effect of a taxonomy edit topic
by topic before anyone queries the warehouse.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(slots=True)
class TopicChange:
    """How many articles gained, lost or kept one topic label."""

    label: str
    added: int = 0
    removed: int = 0
    unchanged: int = 0


def compare_labels(
    before: Mapping[str, Collection[str]], after: Mapping[str, Collection[str]]
) -> list[TopicChange]:
    """Count per label the articles that gained, lost or kept it, sorted by label."""
    changes: dict[str, TopicChange] = {}

    def change(label: str) -> TopicChange:
        return changes.setdefault(label, TopicChange(label))

    for article_id in before.keys() | after.keys():
        old = set(before.get(article_id, ()))
        new = set(after.get(article_id, ()))
        for label in new - old:
            change(label).added += 1
        for label in old - new:
            change(label).removed += 1
        for label in old & new:
            change(label).unchanged += 1
    return [changes[label] for label in sorted(changes)]
