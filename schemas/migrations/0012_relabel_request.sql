-- Schema version 12: the default taxonomy became IPTC Media Topics (levels 1 and 2) with the
-- policy-monitoring branches beside it, so labels stored before it are out of date. SQL cannot
-- classify, so this migration records the request; the next pipeline run (or
-- `mediawatch reclassify`) relabels every article and deletes the request in the same
-- transaction, so a kill at any moment leaves either the old labels and the request, or the
-- new labels and no request. An empty warehouse needs nothing.

CREATE TABLE IF NOT EXISTS pending_work (
    task VARCHAR PRIMARY KEY,
    reason VARCHAR NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE pending_work IS 'Maintenance a migration asked for and the next run does in Python (e.g. reclassify), one row per task until it is done.';
COMMENT ON COLUMN pending_work.task IS 'What to do: reclassify (label every article again with the configured taxonomy).';
COMMENT ON COLUMN pending_work.reason IS 'Why it was asked for, e.g. the migration that changed the default taxonomy.';
COMMENT ON COLUMN pending_work.requested_at IS 'When the request was recorded.';

INSERT INTO pending_work
SELECT 'reclassify', 'migration 0012: the default taxonomy is now IPTC Media Topics', now()
WHERE EXISTS (SELECT 1 FROM articles);
