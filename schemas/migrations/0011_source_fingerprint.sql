-- Schema version 11: remember what the configuration said about each feed when it was polled.

ALTER TABLE feed_state ADD COLUMN source_fingerprint VARCHAR;
COMMENT ON COLUMN feed_state.source_fingerprint IS 'Hash of the source''s config entry and the http settings; a change ends the feed''s backoff.';
