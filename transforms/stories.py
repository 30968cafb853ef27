"""Duplicate and syndicated stories: one `story_id` for every copy of the same text.

Exact copies share a `text_hash` (the normalised body). Near copies, the same
wire story lightly edited on several sites, are found with MinHash over word
shingles and an LSH index (datasketch), then confirmed by their estimated
Jaccard similarity. `StoryIndex` holds every known signature, so grouping
works across runs once the flow has loaded the stored ones into it.

Shingles are hashed in numpy, not one by one: each word once (crc32), each
run of `shingle_words` words as a polynomial of its words' hashes. A page's
signature costs about half of hashing every shingle's text with sha1 (what
datasketch does by default, `SIGNATURE_SCHEME_SHA1`). Each stored signature records
its `SCHEME`; those made another way are recomputed from their article's
body (`StoryIndex.load_bodies`). A body's `StoryPrint` (text hash and
MinHash values) can be made ahead, in the process that extracted it, and
handed to `StoryIndex.assign`.
datasketch is imported when the first index is made, not with this module:
a run with nothing new never pays for it.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from schemas.records import StorySignature

if TYPE_CHECKING:
    from datasketch import MinHash

_WORD = re.compile(r"\w+")
# datasketch's permutations: signatures compare only with those made under the same ones.
_PERMUTATIONS = "affine32"
# How signatures are made, recorded with each stored one (story_signatures.scheme).
SCHEME = "crc32-words-affine32"
_WS = re.compile(r"\s+")
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it is a bijection on 64 bits
_FMIX = np.uint64(0xFF51AFD7ED558CCD)
_SHIFT = np.uint64(33)
_HIGH = np.uint64(32)


def prepare() -> None:
    """Import datasketch (and the scipy it loads) now rather than when the first batch needs it."""
    import datasketch  # noqa: F401


def text_hash(body: str) -> str:
    """sha256 of the body with spacing and case normalised: equal for exact copies."""
    normalised = _WS.sub(" ", body).strip().casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def shingle_hashes(body: str, size: int) -> np.ndarray:
    """32-bit hashes of the overlapping runs of `size` words (one run: the whole body if shorter).

    Equal runs hash equal wherever they stand; the order of words in a run counts.
    """
    words = _WORD.findall(body.casefold())
    hashes = np.fromiter(
        (zlib.crc32(word.encode("utf-8")) for word in words), dtype=np.uint64, count=len(words)
    )
    runs = max(len(words) - size + 1, 1)
    combined = np.zeros(runs, dtype=np.uint64)
    for offset in range(min(size, len(words))):
        combined = combined * _MIX + hashes[offset : offset + runs]
    combined ^= combined >> _SHIFT
    combined *= _FMIX
    combined ^= combined >> _SHIFT
    return (combined >> _HIGH).astype(np.uint32)


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> np.ndarray:
    """datasketch's permutations for `num_perm`, drawn once per process, not per MinHash."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, scheme=_PERMUTATIONS).permutations


def _minhash(num_perm: int, hashvalues: np.ndarray | None = None) -> MinHash:
    from datasketch import MinHash

    return MinHash(
        num_perm=num_perm,
        hashvalues=hashvalues,
        permutations=_permutations(num_perm),
        scheme=_PERMUTATIONS,
        hashfunc=int,  # the values are hashed already (`shingle_hashes`)
    )


def signature(body: str, *, num_perm: int, shingle_words: int) -> MinHash:
    """The MinHash of a body's word shingles."""
    minhash = _minhash(num_perm)
    minhash.update_batch(shingle_hashes(body, shingle_words).tolist())
    return minhash


@dataclass(frozen=True, slots=True)
class StoryPrint:
    """What grouping needs of one body, made ahead (in the extraction worker, beside the body).

    `StoryIndex.assign` uses it only for the very body it was made from.
    """

    body: str
    text_hash: str
    hashvalues: np.ndarray

    @classmethod
    def of(cls, body: str, *, num_perm: int, shingle_words: int) -> StoryPrint:
        """The text hash and MinHash values of a body."""
        made = signature(body, num_perm=num_perm, shingle_words=shingle_words)
        return cls(body, text_hash(body), made.hashvalues)


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
        return signature(body, num_perm=self.num_perm, shingle_words=self.shingle_words)

    def load(self, rows: Iterable[tuple[str, str, bytes]]) -> int:
        """Add stored (article_id, story_id, packed signature) rows; return how many fitted.

        Signatures of another length (made with a different `num_perm`) are
        skipped: those articles are grouped again when next seen or reprocessed.
        """
        added = 0
        for article_id, story_id, packed in rows:
            values = np.frombuffer(packed, dtype="<u8").astype(np.uint64)
            if len(values) != self.num_perm:
                continue
            self._add(article_id, story_id, _minhash(self.num_perm, values))
            added += 1
        return added

    def load_bodies(self, rows: Iterable[tuple[str, str, str]]) -> list[StorySignature]:
        """Add (article_id, story_id, body) rows whose stored signature is of another scheme.

        Each keeps its story; its signature is made anew from the body and
        returned as a row to store in place of the old one.
        """
        made = []
        for article_id, story_id, body in rows:
            minhash = self.signature(body)
            self._add(article_id, story_id, minhash)
            made.append(StorySignature(article_id, story_id, pack(minhash), SCHEME))
        return made

    def _add(self, article_id: str, story_id: str, minhash: MinHash) -> None:
        if article_id in self._known:
            self._lsh.remove(article_id)
        self._known[article_id] = (story_id, minhash)
        self._lsh.insert(article_id, minhash)

    def assign(self, article_id: str, body: str, made: StoryPrint | None = None) -> StoryAssignment:
        """Group one article body, remember it, and say where it went.

        `made`, the body's print made ahead, saves hashing it here. An article
        already known with the same signature keeps its story, so seeing or
        reprocessing it again changes nothing.
        """
        if made is None or made.body != body:
            made = StoryPrint.of(body, num_perm=self.num_perm, shingle_words=self.shingle_words)
        digest = made.text_hash
        minhash = _minhash(self.num_perm, made.hashvalues)
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
