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

-- The views for daily use. v_articles replaces the plain browse view of
-- version 1 with one that also carries the labels' scores and the source.

CREATE OR REPLACE VIEW v_articles AS
SELECT a.article_id, a.published_at, a.source, s.kind AS source_kind, a.sitename, a.title,
       a.author, a.language, a.topics,
       (SELECT max_by(t.label, [t.score, length(t.label)]) FROM article_topics t
        WHERE t.article_id = a.article_id) AS top_topic,
       (SELECT map(list(t.label ORDER BY t.label), list(t.score ORDER BY t.label))
        FROM article_topics t WHERE t.article_id = a.article_id) AS topic_scores,
       a.word_count, a.url, a.story_id, a.first_seen_at, a.last_seen_at, a.updated_at
FROM articles a
LEFT JOIN sources s ON s.name = a.source;
COMMENT ON VIEW v_articles IS 'Articles without their body, with their topic labels and source, for browsing.';
COMMENT ON COLUMN v_articles.article_id IS 'See articles.article_id.';
COMMENT ON COLUMN v_articles.published_at IS 'Publication time (UTC), when known.';
COMMENT ON COLUMN v_articles.source IS 'The source it came from; see sources.name.';
COMMENT ON COLUMN v_articles.source_kind IS 'feed or pages (sources.kind).';
COMMENT ON COLUMN v_articles.sitename IS 'Name of the publication.';
COMMENT ON COLUMN v_articles.title IS 'Headline.';
COMMENT ON COLUMN v_articles.author IS 'Byline.';
COMMENT ON COLUMN v_articles.language IS 'ISO 639-1 language code.';
COMMENT ON COLUMN v_articles.topics IS 'Taxonomy labels, parents included.';
COMMENT ON COLUMN v_articles.top_topic IS 'The label with the highest score, the most specific one on a tie; NULL without labels.';
COMMENT ON COLUMN v_articles.topic_scores IS 'Score of each label (article_topics.score); NULL without labels.';
COMMENT ON COLUMN v_articles.word_count IS 'Words in the body.';
COMMENT ON COLUMN v_articles.url IS 'Where the article was found.';
COMMENT ON COLUMN v_articles.story_id IS 'The story it belongs to (copies of one story share it).';
COMMENT ON COLUMN v_articles.first_seen_at IS 'When it was first loaded.';
COMMENT ON COLUMN v_articles.last_seen_at IS 'When its page was last fetched or read.';
COMMENT ON COLUMN v_articles.updated_at IS 'When its text last changed; NULL if never.';

CREATE VIEW v_topic_daily AS
SELECT t.label,
       len(string_split(t.label, '/')) AS depth,
       CAST(timezone('UTC', coalesce(a.published_at, a.first_seen_at)) AS DATE) AS day,
       count(DISTINCT a.article_id) AS articles,
       count(DISTINCT a.source) AS sources
FROM article_topics t
JOIN articles a USING (article_id)
GROUP BY ALL;
COMMENT ON VIEW v_topic_daily IS 'Articles per topic per day; a child label counts in its parents too, as they have rows of their own.';
COMMENT ON COLUMN v_topic_daily.label IS 'Taxonomy path.';
COMMENT ON COLUMN v_topic_daily.depth IS 'Levels in the path: 1 for a top-level topic.';
COMMENT ON COLUMN v_topic_daily.day IS 'UTC publication day, or the day first loaded when the date is unknown.';
COMMENT ON COLUMN v_topic_daily.articles IS 'Articles with this label that day.';
COMMENT ON COLUMN v_topic_daily.sources IS 'Distinct sources among them.';

CREATE VIEW v_source_health AS
WITH art AS (
    SELECT source, count(*) AS articles, max(first_seen_at) AS last_new_article_at
    FROM articles GROUP BY source
), fail AS (
    SELECT source,
           count(*) FILTER (WHERE failed_at >= now() - INTERVAL 7 DAY) AS failures_7d,
           arg_max(reason, failed_at) AS last_failure_reason,
           max(failed_at) AS last_failure_at
    FROM failures GROUP BY source
), quar AS (
    SELECT source, count(*) FILTER (WHERE quarantined_at >= now() - INTERVAL 7 DAY) AS quarantined_7d
    FROM quarantine GROUP BY source
), req AS (
    SELECT source,
           count(*) AS requests_7d,
           count(*) FILTER (WHERE error_class IS NOT NULL OR status >= 400) AS request_errors_7d,
           median(duration_ms) AS median_duration_ms_7d
    FROM fetch_log WHERE started_at >= now() - INTERVAL 7 DAY GROUP BY source
)
SELECT s.name AS source, s.kind, s.url,
       r.started_at AS last_run_at, r.status AS last_run_status,
       coalesce(art.articles, 0) AS articles, art.last_new_article_at,
       coalesce(fail.failures_7d, 0) AS failures_7d, fail.last_failure_reason, fail.last_failure_at,
       coalesce(quar.quarantined_7d, 0) AS quarantined_7d,
       coalesce(req.requests_7d, 0) AS requests_7d,
       coalesce(req.request_errors_7d, 0) AS request_errors_7d,
       req.median_duration_ms_7d,
       f.last_success_at, f.last_status, f.consecutive_failures, f.next_poll_at,
       coalesce(f.disabled, false) AS disabled, f.disabled_reason
FROM sources s
LEFT JOIN runs r ON r.run_id = s.last_run_id
LEFT JOIN art ON art.source = s.name
LEFT JOIN fail ON fail.source = s.name
LEFT JOIN quar ON quar.source = s.name
LEFT JOIN req ON req.source = s.name
LEFT JOIN feed_state f ON f.source = s.name;
COMMENT ON VIEW v_source_health IS 'One row per source: what it yielded, how it fails, and the state of its feed.';
COMMENT ON COLUMN v_source_health.source IS 'The source name; see sources.name.';
COMMENT ON COLUMN v_source_health.kind IS 'feed or pages.';
COMMENT ON COLUMN v_source_health.url IS 'The feed URL or folder.';
COMMENT ON COLUMN v_source_health.last_run_at IS 'When the last run that read it started.';
COMMENT ON COLUMN v_source_health.last_run_status IS 'running, completed or failed: the status of that run.';
COMMENT ON COLUMN v_source_health.articles IS 'Articles stored from it.';
COMMENT ON COLUMN v_source_health.last_new_article_at IS 'When the newest of them was first loaded.';
COMMENT ON COLUMN v_source_health.failures_7d IS 'Rows in failures in the last 7 days.';
COMMENT ON COLUMN v_source_health.last_failure_reason IS 'Reason of its most recent failure, ever.';
COMMENT ON COLUMN v_source_health.last_failure_at IS 'When its most recent failure happened.';
COMMENT ON COLUMN v_source_health.quarantined_7d IS 'Articles quarantined in the last 7 days.';
COMMENT ON COLUMN v_source_health.requests_7d IS 'HTTP requests in the last 7 days (fetch_log).';
COMMENT ON COLUMN v_source_health.request_errors_7d IS 'Of those, the ones without an answer or with status 400 or more.';
COMMENT ON COLUMN v_source_health.median_duration_ms_7d IS 'Median request time in milliseconds over the last 7 days.';
COMMENT ON COLUMN v_source_health.last_success_at IS 'When its feed last answered usefully (feed_state).';
COMMENT ON COLUMN v_source_health.last_status IS 'HTTP status of the last feed poll.';
COMMENT ON COLUMN v_source_health.consecutive_failures IS 'Failed feed polls in a row.';
COMMENT ON COLUMN v_source_health.next_poll_at IS 'When its feed is next due.';
COMMENT ON COLUMN v_source_health.disabled IS 'True when its feed was disabled after repeated failures.';
COMMENT ON COLUMN v_source_health.disabled_reason IS 'Why it was disabled.';
