-- Schema version 7: saved-file names as exact bytes (names need not be UTF-8), and the feed
-- items a run deferred when its time budget ran out.

ALTER TABLE saved_files ADD COLUMN path_bytes BLOB;
COMMENT ON COLUMN saved_files.path IS 'Where the file was when it was processed, readable: bytes that are not UTF-8 and control characters backslash-escaped.';
COMMENT ON COLUMN saved_files.path_bytes IS 'The same path as the file system''s exact bytes (os.fsencode); NULL for rows written before version 7.';

-- Feed items whose page was not fetched because the run's or the host's time budget was
-- spent: the next run fetches them first, even if their feed answers 304 by then. The
-- columns are FeedItem's fields in order, then the run's.
CREATE TABLE deferred_items (
    source        VARCHAR NOT NULL,
    feed_url      VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    canonical_url VARCHAR NOT NULL,
    article_id    VARCHAR PRIMARY KEY,
    guid          VARCHAR,
    title         VARCHAR,
    summary       VARCHAR,
    author        VARCHAR,
    published_at  TIMESTAMPTZ,
    run_id        VARCHAR NOT NULL,
    deferred_at   TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE deferred_items IS 'Feed items waiting for the next run: the time budget (http.host_budget, http.run_budget) ran out before their page was fetched.';
COMMENT ON COLUMN deferred_items.article_id IS 'The article the item will become (hash of the canonical URL).';
COMMENT ON COLUMN deferred_items.source IS 'The source whose feed listed it.';
COMMENT ON COLUMN deferred_items.feed_url IS 'The feed that listed it.';
COMMENT ON COLUMN deferred_items.url IS 'The page URL as the feed gave it.';
COMMENT ON COLUMN deferred_items.canonical_url IS 'The canonical form of the URL.';
COMMENT ON COLUMN deferred_items.guid IS 'The feed entry''s GUID, if any.';
COMMENT ON COLUMN deferred_items.title IS 'The feed entry''s title.';
COMMENT ON COLUMN deferred_items.summary IS 'The feed entry''s summary.';
COMMENT ON COLUMN deferred_items.author IS 'The feed entry''s author.';
COMMENT ON COLUMN deferred_items.published_at IS 'The feed entry''s date (UTC).';
COMMENT ON COLUMN deferred_items.run_id IS 'The run that last deferred it.';
COMMENT ON COLUMN deferred_items.deferred_at IS 'When it was last deferred (UTC).';
