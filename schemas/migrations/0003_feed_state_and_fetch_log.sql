-- Schema version 3: per-feed polling state and the log of every HTTP request.

CREATE TABLE feed_state (
    source               VARCHAR PRIMARY KEY,
    feed_url             VARCHAR NOT NULL,
    source_url           VARCHAR,
    last_polled_at       TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    last_status          INTEGER,
    etag                 VARCHAR,
    last_modified        VARCHAR,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    items_seen           BIGINT NOT NULL DEFAULT 0,
    last_new_items       INTEGER NOT NULL DEFAULT 0,
    poll_interval_s      INTEGER,
    next_poll_at         TIMESTAMPTZ,
    disabled             BOOLEAN NOT NULL DEFAULT false,
    disabled_reason      VARCHAR,
    last_error           VARCHAR
);
COMMENT ON TABLE feed_state IS 'Polling state and health of each feed.';
COMMENT ON COLUMN feed_state.source IS 'The source name; see sources.name.';
COMMENT ON COLUMN feed_state.feed_url IS 'The feed URL actually polled (after autodiscovery).';
COMMENT ON COLUMN feed_state.source_url IS 'The configured source URL feed_url belongs to; a changed configuration starts the state over.';
COMMENT ON COLUMN feed_state.last_polled_at IS 'When the feed was last requested.';
COMMENT ON COLUMN feed_state.last_success_at IS 'When the feed last answered with a usable feed or 304.';
COMMENT ON COLUMN feed_state.last_status IS 'HTTP status of the last poll (NULL if no answer).';
COMMENT ON COLUMN feed_state.etag IS 'ETag of the last feed body, sent as If-None-Match.';
COMMENT ON COLUMN feed_state.last_modified IS 'Last-Modified of the last feed body, sent as If-Modified-Since.';
COMMENT ON COLUMN feed_state.consecutive_failures IS 'Failed polls in a row; reset by a success.';
COMMENT ON COLUMN feed_state.items_seen IS 'Items read from this feed over all polls.';
COMMENT ON COLUMN feed_state.last_new_items IS 'New items in the last successful poll.';
COMMENT ON COLUMN feed_state.poll_interval_s IS 'Current adaptive polling interval in seconds.';
COMMENT ON COLUMN feed_state.next_poll_at IS 'When the feed is next due; a run skips feeds not yet due.';
COMMENT ON COLUMN feed_state.disabled IS 'True after too many consecutive failures; see disabled_reason.';
COMMENT ON COLUMN feed_state.disabled_reason IS 'Why the feed was disabled.';
COMMENT ON COLUMN feed_state.last_error IS 'The last failure message, for humans.';

CREATE TABLE fetch_log (
    run_id        VARCHAR NOT NULL,
    source        VARCHAR,
    url           VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    status        INTEGER,
    bytes         BIGINT NOT NULL,
    duration_ms   DOUBLE NOT NULL,
    error_class   VARCHAR,
    error_message VARCHAR,
    started_at    TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE fetch_log IS 'Every HTTP request the pipeline made, retries included.';
COMMENT ON COLUMN fetch_log.run_id IS 'The run that made the request.';
COMMENT ON COLUMN fetch_log.source IS 'The source the request was for.';
COMMENT ON COLUMN fetch_log.url IS 'The requested URL (each redirect hop is its own row).';
COMMENT ON COLUMN fetch_log.kind IS 'feed, page or robots.';
COMMENT ON COLUMN fetch_log.status IS 'HTTP status (NULL if no answer).';
COMMENT ON COLUMN fetch_log.bytes IS 'Body bytes received.';
COMMENT ON COLUMN fetch_log.duration_ms IS 'Wall time of the exchange in milliseconds.';
COMMENT ON COLUMN fetch_log.error_class IS 'Failure reason (timeout, connect, too_large, ...) or NULL.';
COMMENT ON COLUMN fetch_log.error_message IS 'Failure message or NULL.';
COMMENT ON COLUMN fetch_log.started_at IS 'When the request started (UTC).';

ALTER TABLE articles ADD COLUMN guid VARCHAR;
ALTER TABLE articles ADD COLUMN is_fallback BOOLEAN DEFAULT false;
COMMENT ON COLUMN articles.guid IS 'The feed item GUID, when the article came from a feed.';
COMMENT ON COLUMN articles.is_fallback IS 'True when the page could not be fetched or extracted and the feed title and summary stand in for the body.';
