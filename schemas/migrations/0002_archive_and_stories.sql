-- Schema version 2: the raw archive pointer, the saved-file registry and story grouping.

ALTER TABLE articles ADD COLUMN raw_file VARCHAR;
ALTER TABLE articles ADD COLUMN raw_offset BIGINT;
ALTER TABLE articles ADD COLUMN text_hash VARCHAR;
ALTER TABLE articles ADD COLUMN story_id VARCHAR;
COMMENT ON COLUMN articles.raw_file IS 'Archive file (WARC, under the data folder) or saved file holding the raw page.';
COMMENT ON COLUMN articles.raw_offset IS 'Byte offset of the raw record in raw_file (0 for a plain saved file).';
COMMENT ON COLUMN articles.text_hash IS 'sha256 of the normalised body alone: equal for exact copies on other sites.';
COMMENT ON COLUMN articles.story_id IS 'The story this copy belongs to: exact and near duplicates (syndicated, lightly edited) share it.';

CREATE TABLE saved_files (
    content_hash VARCHAR PRIMARY KEY,
    path         VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    size         BIGINT NOT NULL,
    status       VARCHAR NOT NULL,
    reason       VARCHAR,
    documents    INTEGER NOT NULL,
    run_id       VARCHAR NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE saved_files IS 'Registry of saved files already processed, keyed by content: a changed file is processed again.';
COMMENT ON COLUMN saved_files.content_hash IS 'sha256 of the file bytes, followed by its sidecar''s bytes when it has one.';
COMMENT ON COLUMN saved_files.path IS 'Where the file was when it was processed.';
COMMENT ON COLUMN saved_files.source IS 'The source name the folder was ingested as.';
COMMENT ON COLUMN saved_files.size IS 'File size in bytes.';
COMMENT ON COLUMN saved_files.status IS 'processed, partial (some records unreadable) or failed; a file with these bytes is not read again.';
COMMENT ON COLUMN saved_files.reason IS 'Why it failed or was partial: a short stable name such as binary or truncated_archive.';
COMMENT ON COLUMN saved_files.documents IS 'How many documents (pages, WARC records) it yielded.';
COMMENT ON COLUMN saved_files.run_id IS 'The run that processed it.';
COMMENT ON COLUMN saved_files.processed_at IS 'When it was processed (UTC).';

CREATE TABLE story_signatures (
    article_id VARCHAR PRIMARY KEY,
    story_id   VARCHAR NOT NULL,
    minhash    BLOB NOT NULL
);
COMMENT ON TABLE story_signatures IS 'MinHash signature of each article body, for grouping near duplicates into stories.';
COMMENT ON COLUMN story_signatures.article_id IS 'The article; see articles.article_id.';
COMMENT ON COLUMN story_signatures.story_id IS 'The story it was grouped into.';
COMMENT ON COLUMN story_signatures.minhash IS 'The MinHash hash values, packed as unsigned 64-bit integers.';
