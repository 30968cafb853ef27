-- Schema version 7: a saved file's name as its exact bytes, so names that are not UTF-8 are kept.

ALTER TABLE saved_files ADD COLUMN path_bytes BLOB;
COMMENT ON COLUMN saved_files.path IS 'Where the file was when it was processed, readable: bytes that are not UTF-8 and control characters backslash-escaped.';
COMMENT ON COLUMN saved_files.path_bytes IS 'The same path as the file system''s exact bytes (os.fsencode); NULL for rows written before version 7.';
