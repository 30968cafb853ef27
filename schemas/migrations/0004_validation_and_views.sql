-- Schema version 4: stored validation results and the views for daily use.

CREATE TABLE validation_results (
    run_id           VARCHAR NOT NULL,
    batch            VARCHAR NOT NULL,
    expectation      VARCHAR NOT NULL,
    expectation_type VARCHAR NOT NULL,
    column_name      VARCHAR,
    success          BOOLEAN NOT NULL,
    element_count    BIGINT NOT NULL,
    unexpected_count BIGINT NOT NULL,
    validated_at     TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE validation_results IS 'The outcome of every expectation on every validated batch.';
COMMENT ON COLUMN validation_results.run_id IS 'The run the batch belonged to.';
COMMENT ON COLUMN validation_results.batch IS 'Which batch of the run.';
COMMENT ON COLUMN validation_results.expectation IS 'The expectation name from the suite (schemas/expectations/articles.json).';
COMMENT ON COLUMN validation_results.expectation_type IS 'The Great Expectations expectation type.';
COMMENT ON COLUMN validation_results.column_name IS 'The column it checks.';
COMMENT ON COLUMN validation_results.success IS 'Whether every row met it.';
COMMENT ON COLUMN validation_results.element_count IS 'Rows checked.';
COMMENT ON COLUMN validation_results.unexpected_count IS 'Rows that failed it.';
COMMENT ON COLUMN validation_results.validated_at IS 'When the batch was validated (UTC).';
