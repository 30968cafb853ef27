-- Schema version 6: a quarantined page is stored once per content and reason, so a run
-- that repeats a batch after a crash adds no second row; runs can be marked crashed.

ALTER TABLE quarantine ADD COLUMN quarantine_key VARCHAR;
UPDATE quarantine SET quarantine_key = sha256(concat_ws(chr(31),
    coalesce(article_id, ''),
    coalesce(url, ''),
    coalesce(record->>'content_hash', ''),
    array_to_string(list_sort(failed_expectations), ',')));
-- Keep the first row of each key: the later ones are repeats of a crashed run's batch.
DELETE FROM quarantine WHERE rowid IN (
    SELECT rowid FROM (
        SELECT rowid, row_number() OVER (
            PARTITION BY quarantine_key ORDER BY quarantined_at, run_id) AS nth
        FROM quarantine)
    WHERE nth > 1);
COMMENT ON COLUMN quarantine.quarantine_key IS 'Hash of article id, URL, content hash and the failed expectations: one row per page content and reason.';
COMMENT ON COLUMN runs.status IS 'running, completed, failed, or crashed (its process ended without finishing; found by a later run).';
