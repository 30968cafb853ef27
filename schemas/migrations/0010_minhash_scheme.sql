-- Schema version 10: each story signature records how it was made, so a cheaper MinHash can replace the old one.
-- Signatures cannot be recomputed in SQL (they hash the article body's word shingles in Python):
-- the rows stored so far are marked with the old scheme, the flag the next run acts on. Its story
-- index recomputes them from their articles' bodies, keeping each article's story, and its first
-- load stores them in place of the old ones.

ALTER TABLE story_signatures ADD COLUMN scheme VARCHAR DEFAULT 'sha1-shingles-affine32';
COMMENT ON COLUMN story_signatures.scheme IS 'How the signature was made; rows of an older scheme are recomputed from the article body by the next run.';
