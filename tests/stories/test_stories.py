"""Story grouping: exact copies, lightly edited copies and different stories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from schemas.records import StorySignature
from transforms.stories import (
    SCHEME,
    StoryIndex,
    StoryPrint,
    pack,
    shingle_hashes,
    text_hash,
)

STORIES = Path(__file__).parents[1] / "fixtures" / "stories"


def story(name: str) -> str:
    return (STORIES / f"{name}.txt").read_text(encoding="utf-8")


def index(**changes: object) -> StoryIndex:
    settings: dict[str, object] = {"threshold": 0.5, "num_perm": 128, "shingle_words": 3}
    settings.update(changes)
    return StoryIndex(**settings)  # type: ignore[arg-type]


def test_text_hash_ignores_spacing_and_case_only() -> None:
    body = story("wire")
    assert text_hash(body) == text_hash("  " + body.upper().replace(" ", "  \n"))
    assert text_hash(body) != text_hash(body.replace("Thursday", "Friday"))
    assert len(text_hash(body)) == 64


def test_shingle_hashes_are_of_word_runs_in_order_or_the_whole_short_text() -> None:
    assert len(shingle_hashes("Rates cut", 3)) == 1
    assert shingle_hashes("Rates cut", 3).dtype == np.uint32
    assert shingle_hashes("rates, CUT", 3).tolist() == shingle_hashes("Rates cut", 3).tolist()
    four = shingle_hashes("a b c d", 3).tolist()
    assert len(set(four)) == 2
    # Each run hashes alike wherever it stands; the same words in another order do not.
    assert set(shingle_hashes("x b c d", 3).tolist()) & set(four) == {four[1]}
    assert not set(shingle_hashes("c b a", 3).tolist()) & set(four)


def test_exact_copy_and_edited_copy_join_the_story_a_different_story_does_not() -> None:
    stories = index()
    first = stories.assign("a1", story("wire"))
    copy = stories.assign("a2", story("wire"))
    edited = stories.assign("a3", story("edited"))
    other = stories.assign("a4", story("other"))
    assert first.story_id == first.text_hash[:16]
    assert (copy.story_id, copy.text_hash) == (first.story_id, first.text_hash)
    assert edited.story_id == first.story_id and edited.text_hash != first.text_hash
    assert other.story_id not in {first.story_id} and other.story_id == other.text_hash[:16]
    assert len(stories) == 4


def test_grouping_works_across_runs_from_stored_signatures() -> None:
    earlier = index()
    stored = earlier.assign("a1", story("wire"))
    later = index()
    assert later.load([("a1", stored.story_id, stored.signature)]) == 1
    assert later.assign("a3", story("edited")).story_id == stored.story_id
    assert later.assign("a4", story("other")).story_id != stored.story_id


def test_seeing_an_article_again_keeps_its_story() -> None:
    stories = index()
    wire = stories.assign("a1", story("wire"))
    stories.assign("a3", story("edited"))
    # Seen again with the same text: same answer, even though a3 now looks alike.
    assert stories.assign("a1", story("wire")) == wire
    # Rewritten into another story: it leaves the old one.
    moved = stories.assign("a1", story("other"))
    assert moved.story_id == moved.text_hash[:16] != wire.story_id


def test_signature_packing_round_trips_and_other_lengths_are_skipped() -> None:
    stories = index()
    found = stories.assign("a1", story("wire"))
    assert found.signature == pack(stories.signature(story("wire")))
    assert len(found.signature) == 128 * 8
    smaller = index(num_perm=64)
    assert smaller.load([("a1", found.story_id, found.signature)]) == 0
    assert len(smaller) == 0


@pytest.mark.parametrize("threshold", [0.9, 0.95])
def test_a_strict_threshold_keeps_the_edited_copy_apart(threshold: float) -> None:
    stories = index(threshold=threshold)
    wire = stories.assign("a1", story("wire"))
    assert stories.assign("a3", story("edited")).story_id != wire.story_id


def test_signatures_of_an_older_scheme_are_made_anew_from_bodies_and_keep_their_story() -> None:
    stories = index()
    remade = stories.load_bodies([("a1", "story-of-a1", story("wire"))])
    signature = pack(index().signature(story("wire")))
    assert remade == [StorySignature("a1", "story-of-a1", signature, SCHEME)]
    assert stories.assign("a3", story("edited")).story_id == "story-of-a1"


def test_a_print_made_ahead_groups_as_the_body_itself_and_only_for_that_body() -> None:
    ahead, here = index(), index()
    for article_id, name in [("a", "wire"), ("b", "edited"), ("c", "other")]:
        body = story(name)
        made = StoryPrint.of(body, num_perm=128, shingle_words=3)
        assert ahead.assign(article_id, body, made) == here.assign(article_id, body)
    # A print of another body is not used: the body is hashed anew.
    wire, other = story("wire"), story("other")
    stale = StoryPrint.of(other, num_perm=128, shingle_words=3)
    found = index().assign("d", wire, stale)
    assert found.text_hash == text_hash(wire)
    assert found.signature == pack(index().signature(wire))
