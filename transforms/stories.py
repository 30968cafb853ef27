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
_BULK_SPARE = 1 / 16  # room a bulk load leaves for the rows a run adds after it


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
    return _packed(signature.hashvalues)


def _packed(values: np.ndarray) -> bytes:
    return values.astype("<u8").tobytes()


def _with_room(array: np.ndarray, row: int, spare: float = 0.5) -> np.ndarray:
    """`array`, or a copy longer by `spare` of `row` (64 rows at least), so that `row` fits.

    Half again by default, so adding rows one by one is amortised; a bulk
    load asks for less, as its rows are all there is for a while.
    """
    if row < len(array):
        return array
    grown = np.zeros((max(64, row + int(row * spare) + 1), *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


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

    Candidates are found as datasketch's `MinHashLSH` finds them (the same
    `b` bands of `r` values, a candidate shares one band exactly), but the
    index is kept compact, since a run holds every stored signature: the
    values in one numpy matrix and the bands in `_Bands`, about 2 KB per
    article where MinHash objects and the LSH's dict of sets took about 9 KB.
    """

    def __init__(self, *, threshold: float, num_perm: int, shingle_words: int) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        from datasketch import MinHashLSH

        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)  # its band layout only
        self._bands = _Bands(lsh.b, lsh.r)
        self._values = np.zeros((0, num_perm), dtype=np.uint64)
        self._rows: dict[str, int] = {}
        self._ids: list[str] = []
        self._stories: list[str] = []

    def __len__(self) -> int:
        return len(self._ids)

    def signature(self, body: str) -> MinHash:
        """The MinHash of a body's word shingles."""
        return signature(body, num_perm=self.num_perm, shingle_words=self.shingle_words)

    def load(self, rows: Iterable[tuple[str, str, bytes]]) -> int:
        """Add stored (article_id, story_id, packed signature) rows; return how many fitted.

        Signatures of another length (made with a different `num_perm`) are
        skipped: those articles are grouped again when next seen or reprocessed.
        Rows of articles not yet known go straight into the values matrix, and
        their band keys are made in one numpy pass: a run loads every stored
        signature, and 20,000 took 0.7 CPU-seconds one by one, 0.07 so.
        """
        size = 8 * self.num_perm
        fitting = [row for row in rows if len(row[2]) == size]
        ids = [article_id for article_id, _, _ in fitting]
        if len(set(ids)) < len(ids) or not self._rows.keys().isdisjoint(ids):
            for article_id, story_id, packed in fitting:
                self._add(article_id, story_id, np.frombuffer(packed, dtype="<u8"))
            return len(fitting)
        start, end = len(self._ids), len(self._ids) + len(ids)
        self._values = _with_room(self._values, end - 1, _BULK_SPARE)
        for row, (_, _, packed) in enumerate(fitting, start):
            self._values[row] = np.frombuffer(packed, dtype="<u8")
        self._rows.update(zip(ids, range(start, end), strict=True))
        self._ids.extend(ids)
        self._stories.extend(story_id for _, story_id, _ in fitting)
        self._bands.put_new(start, self._values[start:end])
        return len(fitting)

    def load_bodies(self, rows: Iterable[tuple[str, str, str]]) -> list[StorySignature]:
        """Add (article_id, story_id, body) rows whose stored signature is of another scheme.

        Each keeps its story; its signature is made anew from the body and
        returned as a row to store in place of the old one.
        """
        made = []
        for article_id, story_id, body in rows:
            minhash = self.signature(body)
            self._add(article_id, story_id, minhash.hashvalues)
            made.append(StorySignature(article_id, story_id, pack(minhash), SCHEME))
        return made

    def _add(self, article_id: str, story_id: str, values: np.ndarray) -> None:
        """Remember an article's signature and story, replacing what it had."""
        row = self._rows.get(article_id)
        if row is None:
            row = len(self._ids)
            self._values = _with_room(self._values, row)
            self._rows[article_id] = row
            self._ids.append(article_id)
            self._stories.append(story_id)
        else:
            self._stories[row] = story_id
        self._values[row] = values
        self._bands.put(row, values)

    def _similar(self, article_id: str, values: np.ndarray) -> tuple[float, str] | None:
        """The (similarity, story) of the most similar other known article at `threshold`, if any.

        Ties go to the greater story id, so the choice does not depend on order.
        """
        candidates = [
            row
            for row in self._bands.candidates(values, self._values)
            if self._ids[row] != article_id
        ]
        if not candidates:
            return None
        # As `MinHash.jaccard`: the share of equal values.
        shares = np.count_nonzero(self._values[candidates] == values, axis=1) / np.float64(
            self.num_perm
        )
        matches = [
            (share, self._stories[row])
            for share, row in zip(shares.tolist(), candidates, strict=True)
            if share >= self.threshold
        ]
        return max(matches, default=None)

    def assign(self, article_id: str, body: str, made: StoryPrint | None = None) -> StoryAssignment:
        """Group one article body, remember it, and say where it went.

        `made`, the body's print made ahead, saves hashing it here. An article
        already known with the same signature keeps its story, so seeing or
        reprocessing it again changes nothing.
        """
        if made is None or made.body != body:
            made = StoryPrint.of(body, num_perm=self.num_perm, shingle_words=self.shingle_words)
        digest = made.text_hash
        values = np.asarray(made.hashvalues, dtype=np.uint64)
        packed = _packed(values)
        row = self._rows.get(article_id)
        if row is not None and np.array_equal(self._values[row], values):
            return StoryAssignment(digest, self._stories[row], packed)
        best = self._similar(article_id, values)
        story_id = best[1] if best else digest[:16]
        self._add(article_id, story_id, values)
        return StoryAssignment(digest, story_id, packed)


class _Bands:
    """LSH buckets in numpy: each row's `b` band keys, all sorted in one array for lookup.

    Band i of a signature is its values [i*r, (i+1)*r), as in datasketch's
    `MinHashLSH`; its key is a 64-bit hash of i and them, so one search of
    the `b` keys finds every band's matches at once. Rows put since the last
    sort (new, or changed) are searched by a scan; a lookup sorts them in
    once they are many (`_SORT_AT`, or a sixteenth of all rows, so sorting
    stays O(n log n) in all). A key match is confirmed on the values
    themselves, so a hash collision or a row's older key never makes a candidate.
    """

    _SORT_AT = 1024

    def __init__(self, b: int, r: int) -> None:
        self.b, self.r = b, r
        self._keys = np.zeros((0, b), dtype=np.uint64)
        self._count = 0
        self._sorted_rows = 0  # rows 0 .. this - 1 are in the sorted keys
        self._sorted = np.zeros(0, dtype=np.uint64)  # every band key of those rows, sorted
        self._order = np.zeros(0, dtype=np.int64)  # where each was: row * b + band
        self._changed: set[int] = set()  # sorted rows put again since the last sort

    def keys(self, values: np.ndarray) -> np.ndarray:
        """The `b` band keys of one signature's values (of each row, for a matrix of them)."""
        bands = values[..., : self.b * self.r].reshape(*values.shape[:-1], self.b, self.r)
        key = np.broadcast_to(np.arange(self.b, dtype=np.uint64), bands.shape[:-1]).copy()
        for j in range(self.r):
            key = key * _MIX + bands[..., j]
        key ^= key >> _SHIFT
        key *= _FMIX
        return key ^ (key >> _SHIFT)

    def put(self, row: int, values: np.ndarray) -> None:
        """Index row `row` under its signature's band keys (replacing its old ones)."""
        self._keys = _with_room(self._keys, row)
        self._count = max(self._count, row + 1)
        self._keys[row] = self.keys(values)
        if row < self._sorted_rows:
            self._changed.add(row)

    def put_new(self, start: int, values: np.ndarray) -> None:
        """Index new rows `start`, `start + 1`, ... (none put before) under their band keys."""
        end = start + len(values)
        self._keys = _with_room(self._keys, end - 1, _BULK_SPARE)
        self._keys[start:end] = self.keys(values)
        self._count = max(self._count, end)

    def _sort(self) -> None:
        """Sort every row's band keys; no row is fresh after."""
        keys = self._keys[: self._count].ravel()
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]
        self._sorted_rows = self._count
        self._changed.clear()

    def candidates(self, values: np.ndarray, known: np.ndarray) -> list[int]:
        """Rows sharing at least one band with the signature `values`, in row order.

        `known` holds every row's current values, to confirm a key match on.
        """
        sorted_rows = self._sorted_rows
        fresh = self._count - sorted_rows + len(self._changed)
        if fresh >= max(self._SORT_AT, self._count // 16):
            self._sort()
            sorted_rows = self._count
        wanted = self.keys(values)
        found: set[int] = set()
        low = np.searchsorted(self._sorted, wanted)
        high = np.searchsorted(self._sorted, wanted, "right")
        for start, end in zip(low.tolist(), high.tolist(), strict=True):
            if start < end:
                found.update((self._order[start:end] // self.b).tolist())
        new = self._keys[sorted_rows : self._count]
        found.update((np.flatnonzero((new == wanted).any(axis=1)) + sorted_rows).tolist())
        if self._changed:
            changed = np.fromiter(self._changed, dtype=np.int64, count=len(self._changed))
            found.update(changed[(self._keys[changed] == wanted).any(axis=1)].tolist())
        if not found:
            return []
        rows = np.array(sorted(found), dtype=np.int64)
        size = self.b * self.r
        same = known[rows, :size].reshape(len(rows), self.b, self.r) == values[:size].reshape(
            self.b, self.r
        )
        return rows[same.all(axis=2).any(axis=1)].tolist()
