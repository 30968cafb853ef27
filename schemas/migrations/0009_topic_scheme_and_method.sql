-- Schema version 9: a label's concept id in a standard scheme (IPTC Media Topics), how it was
-- assigned (rules or the learned model) and how many evidence spans were left out by the cap.
-- Existing rows get NULL / 'rules' / 0; `mediawatch reclassify` fills scheme_id from the taxonomy.

ALTER TABLE article_topics ADD COLUMN scheme_id VARCHAR;
ALTER TABLE article_topics ADD COLUMN method VARCHAR DEFAULT 'rules';
ALTER TABLE article_topics ADD COLUMN evidence_omitted INTEGER DEFAULT 0;
COMMENT ON COLUMN article_topics.scheme_id IS 'Concept id of the label in a standard scheme, e.g. medtop:11000000 (IPTC Media Topics); NULL for custom topics.';
COMMENT ON COLUMN article_topics.method IS 'How the label was assigned: rules (the taxonomy query matched). Reserved: model, for a learned second stage.';
COMMENT ON COLUMN article_topics.evidence_omitted IS 'Evidence spans found beyond the stored cap (evidence keeps the first ones); 0 when all are stored.';
