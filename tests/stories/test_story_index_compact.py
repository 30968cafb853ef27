"""The compact story index groups exactly as datasketch's LSH did, in a fraction of the memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
from datasketch import MinHash, MinHashLSH

from transforms.stories import StoryIndex, StoryPrint, _minhash, text_hash

NUM_PERM = 128


def signatures(count: int, seed: int = 7) -> list[np.ndarray]:
    """Random signatures in families: each a base with 0 to 110 of its values redrawn.

    Family members span the threshold and share from all to none of their bands.
    """
    rng = np.random.default_rng(seed)
    made: list[np.ndarray] = []
    while len(made) < count:
        base = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64)
        for _ in range(int(rng.integers(1, 6))):
            copy = base.copy()
            redrawn = rng.choice(NUM_PERM, int(rng.integers(0, 110)), replace=False)
            copy[redrawn] = rng.integers(0, 2**32, len(redrawn), dtype=np.uint64)
            made.append(copy)
    return made[:count]


def reference(items: list[tuple[str, np.ndarray]], threshold: float) -> list[str]:
    """Stories as the index made them with datasketch's MinHash objects and MinHashLSH."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    known: dict[str, tuple[str, MinHash]] = {}
    stories = []
    for article_id, values in items:
        minhash = _minhash(NUM_PERM, values)
        old = known.get(article_id)
        if old is not None and np.array_equal(old[1].hashvalues, values):
            stories.append(old[0])
            continue
        matches = [
            (minhash.jaccard(known[other][1]), known[other][0])
            for other in lsh.query(minhash)
            if other != article_id
        ]
        best = max((m for m in matches if m[0] >= threshold), default=None)
        story = best[1] if best else text_hash(article_id + values.tobytes().hex())[:16]
        if old is not None:
            lsh.remove(article_id)
        known[article_id] = (story, minhash)
        lsh.insert(article_id, minhash)
        stories.append(story)
    return stories


def grouped(items: list[tuple[str, np.ndarray]], threshold: float) -> list[str]:
    index = StoryIndex(threshold=threshold, num_perm=NUM_PERM, shingle_words=3)
    found = []
    for article_id, values in items:
        body = article_id + values.tobytes().hex()
        made = StoryPrint(body, text_hash(body), values)
        found.append(index.assign(article_id, body, made).story_id)
    return found


def test_stories_equal_datasketchs_across_sorts_and_rewritten_articles() -> None:
    values = signatures(2000)
    items = [(f"a{i}", v) for i, v in enumerate(values)]
    # Seen again unchanged, and rewritten with another article's text: both after sorts.
    items += [(f"a{i}", values[i]) for i in range(0, 2000, 7)]
    items += [(f"a{i}", values[i + 1]) for i in range(0, 1990, 11)]
    for threshold in (0.5, 0.8):
        expected = reference(items, threshold)
        assert grouped(items, threshold) == expected
        # Not a trivial case: many copies joined an earlier story, many did not.
        joined = sum(
            story != text_hash(a + v.tobytes().hex())[:16]
            for story, (a, v) in zip(expected, items, strict=True)
        )
        assert 150 < joined < len(items) - 150, (threshold, joined)


def test_the_index_holds_an_article_in_under_2_kb() -> None:
    index = StoryIndex(threshold=0.5, num_perm=NUM_PERM, shingle_words=3)
    rows = [
        (f"{i:016x}", f"story-{i:010d}", v.astype("<u8").tobytes())
        for i, v in enumerate(signatures(5000, seed=3))
    ]
    tracemalloc.start()
    try:
        index.load(rows)
        index.assign("new", "a body", None)  # a lookup sorts the loaded rows' bands
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(index) == 5001
    assert held / 5000 < 2048


def test_stored_rows_loaded_in_bulk_group_later_copies_as_datasketch_does() -> None:
    """Rows loaded at once (bulk, or one by one when an id repeats) index as if each was assigned.

    The reference assigns every item in turn; an index loaded with the first
    1,500 items and their reference stories must give the rest the same stories.
    """
    values = signatures(2000, seed=11)
    order = np.random.default_rng(5).permutation(len(values))  # copies on both sides of 1,500
    items = [(f"a{i}", values[i]) for i in order]
    expected = reference(items, 0.5)
    assert len(set(expected[:1500]) & set(expected[1500:])) > 100
    rows = [
        (article_id, story, v.astype("<u8").tobytes())
        for (article_id, v), story in zip(items[:1500], expected[:1500], strict=True)
    ]
    short = ("short", "story-short", b"\x00" * 8)  # another num_perm: skipped
    for stored in (rows, [rows[0], *rows]):  # a repeated id: one by one, the later row wins
        index = StoryIndex(threshold=0.5, num_perm=NUM_PERM, shingle_words=3)
        assert index.load([*stored, short]) == len(stored)
        assert len(index) == 1500
        later = []
        for article_id, v in items[1500:]:
            body = article_id + v.tobytes().hex()
            later.append(index.assign(article_id, body, StoryPrint(body, text_hash(body), v)))
        assert [found.story_id for found in later] == expected[1500:]
