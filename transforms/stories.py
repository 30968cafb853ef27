"""Duplicate and syndicated stories: one `story_id` for every copy of the same text.

Exact copies share a `text_hash` (the normalised body). Near copies, the same
wire story lightly edited on several sites, are found with MinHash over word
shingles and an LSH index (datasketch), then confirmed by their estimated
Jaccard similarity. `StoryIndex` holds every known signature, so grouping
works across runs once the flow has loaded the stored ones into it.
datasketch is imported when the first index is made, not with this module:
a run with nothing new never pays for it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

_WORD = re.compile(r"\w+")
# The MinHash scheme is fixed: stored signatures are only comparable under the one that made them.
_SCHEME = "affine32"
_WS = re.compile(r"\s+")


def prepare() -> None:
    """Import datasketch (and the scipy it loads) now rather than when the first batch needs it."""
    import datasketch  # noqa: F401


def text_hash(body: str) -> str:
    """sha256 of the body with spacing and case normalised: equal for exact copies."""
    normalised = _WS.sub(" ", body).strip().casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def shingles(body: str, size: int) -> set[str]:
    """The overlapping runs of `size` words of the body (the whole body if shorter)."""
    words = _WORD.findall(body.casefold())
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def pack(signature: MinHash) -> bytes:
    """A signature's hash values as little-endian unsigned 64-bit integers (the stored form)."""
    return signature.hashvalues.astype("<u8").tobytes()


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    """Where one article body belongs: its exact-copy hash, its story and its signature."""

    text_hash: str
    story_id: str
    signature: bytes


class StoryIndex:
    """Every known signature with its story; assigns new bodies to a story or a new one.

    A copy joins the story of the most similar known article whose estimated
    Jaccard similarity is at least `threshold`; otherwise it founds a story
    named after its own text hash, so ids are reproducible.
    """

    def __init__(self, *, threshold: float, num_perm: int, shingle_words: int) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        from datasketch import MinHashLSH

        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._known: dict[str, tuple[str, MinHash]] = {}

    def __len__(self) -> int:
        return len(self._known)

    def signature(self, body: str) -> MinHash:
        """The MinHash of a body's word shingles."""
        from datasketch import MinHash

        minhash = MinHash(num_perm=self.num_perm, scheme=_SCHEME)
        minhash.update_batch([s.encode("utf-8") for s in shingles(body, self.shingle_words)])
        return minhash

    def load(self, rows: Iterable[tuple[str, str, bytes]]) -> int:
        """Add stored (article_id, story_id, packed signature) rows; return how many fitted.

        Signatures of another length (made with a different `num_perm`) are
        skipped: those articles are grouped again when next seen or reprocessed.
        """
        from datasketch import MinHash

        added = 0
        for article_id, story_id, packed in rows:
            values = np.frombuffer(packed, dtype="<u8").astype(np.uint64)
            if len(values) != self.num_perm:
                continue
            self._add(
                article_id,
                story_id,
                MinHash(num_perm=self.num_perm, hashvalues=values, scheme=_SCHEME),
            )
            added += 1
        return added

    def _add(self, article_id: str, story_id: str, minhash: MinHash) -> None:
        if article_id in self._known:
            self._lsh.remove(article_id)
        self._known[article_id] = (story_id, minhash)
        self._lsh.insert(article_id, minhash)

    def assign(self, article_id: str, body: str) -> StoryAssignment:
        """Group one article body, remember it, and say where it went.

        An article already known with the same signature keeps its story, so
        seeing or reprocessing it again changes nothing.
        """
        digest = text_hash(body)
        minhash = self.signature(body)
        known = self._known.get(article_id)
        if known is not None and np.array_equal(known[1].hashvalues, minhash.hashvalues):
            return StoryAssignment(digest, known[0], pack(minhash))
        matches = [
            (minhash.jaccard(self._known[other][1]), self._known[other][0])
            for other in self._lsh.query(minhash)
            if other != article_id
        ]
        best = max(
            (m for m in matches if m[0] >= self.threshold),
            key=lambda m: (m[0], m[1]),
            default=None,
        )
        story_id = best[1] if best else digest[:16]
        self._add(article_id, story_id, minhash)
        return StoryAssignment(digest, story_id, pack(minhash))
