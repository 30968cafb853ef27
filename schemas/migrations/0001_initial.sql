-- mediawatch warehouse, schema version 1.
-- Applied in one transaction by mediawatch.warehouse.migrate(); never edit a
-- released migration: add the next numbered file instead.

CREATE TABLE sources (
    name          VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    url           VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_run_id   VARCHAR
);
COMMENT ON TABLE sources IS 'Every feed or saved-page folder the pipeline has read from.';
COMMENT ON COLUMN sources.name IS 'The source name from the configuration; the key used in every other table.';
COMMENT ON COLUMN sources.kind IS 'feed (polled over HTTP) or pages (a folder of saved files).';
COMMENT ON COLUMN sources.url IS 'The feed URL, or the folder path for saved pages.';
COMMENT ON COLUMN sources.first_seen_at IS 'When a run first used this source.';
COMMENT ON COLUMN sources.last_run_id IS 'The most recent run that read this source.';

CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    flow        VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,
    counts      JSON
);
COMMENT ON TABLE runs IS 'One row per pipeline run, keyed by the Prefect flow run id.';
COMMENT ON COLUMN runs.run_id IS 'The Prefect flow run id (find the run in the Prefect UI with it).';
COMMENT ON COLUMN runs.flow IS 'Which flow ran: ingest, pages, ...';
COMMENT ON COLUMN runs.started_at IS 'When the run started (UTC).';
COMMENT ON COLUMN runs.finished_at IS 'When the run finished (UTC); NULL while running or if it crashed.';
COMMENT ON COLUMN runs.status IS 'running, completed or failed.';
COMMENT ON COLUMN runs.counts IS 'Totals of the run: items seen, new, updated, unchanged, quarantined, failed.';

CREATE TABLE articles (
    article_id    VARCHAR PRIMARY KEY,
    url           VARCHAR NOT NULL,
    canonical_url VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    title         VARCHAR,
    author        VARCHAR,
    published_at  TIMESTAMPTZ,
    language      VARCHAR,
    sitename      VARCHAR,
    description   VARCHAR,
    body          VARCHAR NOT NULL,
    categories    VARCHAR[],
    tags          VARCHAR[],
    topics        VARCHAR[],
    content_hash  VARCHAR NOT NULL,
    word_count    INTEGER NOT NULL,
    fetched_at    TIMESTAMPTZ NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ,
    run_id        VARCHAR NOT NULL
);
COMMENT ON TABLE articles IS 'One row per article, keyed by a hash of its canonical URL.';
COMMENT ON COLUMN articles.article_id IS 'First 16 hex digits of sha256(canonical_url): stable across runs.';
COMMENT ON COLUMN articles.url IS 'The URL the article was found at (feed link or saved-page URL).';
COMMENT ON COLUMN articles.canonical_url IS 'url normalised: lower-case host, no tracking parameters, no fragment.';
COMMENT ON COLUMN articles.source IS 'The source (feed or folder) it came from; see sources.name.';
COMMENT ON COLUMN articles.title IS 'Headline, from the page metadata or the feed.';
COMMENT ON COLUMN articles.author IS 'Byline, when the page or feed names one.';
COMMENT ON COLUMN articles.published_at IS 'Publication time (UTC), from the page or the feed.';
COMMENT ON COLUMN articles.language IS 'ISO 639-1 language code from the page, when declared.';
COMMENT ON COLUMN articles.sitename IS 'Name of the publication, from the page metadata.';
COMMENT ON COLUMN articles.description IS 'Standfirst or summary, from the page metadata or the feed.';
COMMENT ON COLUMN articles.body IS 'The article text, without navigation, ads, newsletter boxes or comments.';
COMMENT ON COLUMN articles.categories IS 'Section names the publisher gave the article.';
COMMENT ON COLUMN articles.tags IS 'Keywords the publisher gave the article.';
COMMENT ON COLUMN articles.topics IS 'Taxonomy labels (paths such as geopolitics/TikTok/China data); details in article_topics.';
COMMENT ON COLUMN articles.content_hash IS 'sha256 of the normalised title and body; changes when the text changes.';
COMMENT ON COLUMN articles.word_count IS 'Words in body.';
COMMENT ON COLUMN articles.fetched_at IS 'When the page behind the current text was fetched or read.';
COMMENT ON COLUMN articles.first_seen_at IS 'When the article was first loaded.';
COMMENT ON COLUMN articles.last_seen_at IS 'When its page was last fetched or read, changed or not.';
COMMENT ON COLUMN articles.updated_at IS 'When its text last changed after the first load; NULL if never.';
COMMENT ON COLUMN articles.run_id IS 'The run that last inserted or changed the row.';

CREATE TABLE article_topics (
    article_id       VARCHAR NOT NULL,
    label            VARCHAR NOT NULL,
    score            DOUBLE NOT NULL,
    evidence         JSON NOT NULL,
    taxonomy_version VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    PRIMARY KEY (article_id, label)
);
COMMENT ON TABLE article_topics IS 'Why each topic label applies to an article.';
COMMENT ON COLUMN article_topics.article_id IS 'The labelled article; see articles.article_id.';
COMMENT ON COLUMN article_topics.label IS 'Taxonomy path; a child label implies its parents, which have rows too.';
COMMENT ON COLUMN article_topics.score IS 'Weighted hits: title counts more than the lead, the lead more than the body.';
COMMENT ON COLUMN article_topics.evidence IS 'Matched terms: [{term, field, start, end, snippet}], offsets into the field.';
COMMENT ON COLUMN article_topics.taxonomy_version IS 'Hash of the taxonomy file that produced the label.';
COMMENT ON COLUMN article_topics.run_id IS 'The run that produced the label.';

CREATE TABLE quarantine (
    run_id              VARCHAR NOT NULL,
    article_id          VARCHAR,
    source              VARCHAR,
    url                 VARCHAR,
    failed_expectations VARCHAR[] NOT NULL,
    offending_values    JSON NOT NULL,
    record              JSON NOT NULL,
    quarantined_at      TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE quarantine IS 'Articles that failed validation, kept whole so they can be inspected and replayed.';
COMMENT ON COLUMN quarantine.run_id IS 'The run that quarantined the record.';
COMMENT ON COLUMN quarantine.article_id IS 'The article id the record would have had (NULL if it had none).';
COMMENT ON COLUMN quarantine.source IS 'The source it came from.';
COMMENT ON COLUMN quarantine.url IS 'Where it was found.';
COMMENT ON COLUMN quarantine.failed_expectations IS 'Names of the validation expectations it failed.';
COMMENT ON COLUMN quarantine.offending_values IS 'The values that failed, by column.';
COMMENT ON COLUMN quarantine.record IS 'The full article record as JSON.';
COMMENT ON COLUMN quarantine.quarantined_at IS 'When it was quarantined (UTC).';

CREATE TABLE failures (
    run_id    VARCHAR NOT NULL,
    source    VARCHAR NOT NULL,
    url       VARCHAR NOT NULL,
    stage     VARCHAR NOT NULL,
    reason    VARCHAR NOT NULL,
    message   VARCHAR NOT NULL,
    retryable BOOLEAN NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE failures IS 'Feeds, pages and files that could not be processed, each with a named reason.';
COMMENT ON COLUMN failures.run_id IS 'The run in which it failed.';
COMMENT ON COLUMN failures.source IS 'The source it belongs to.';
COMMENT ON COLUMN failures.url IS 'The feed, page or file that failed.';
COMMENT ON COLUMN failures.stage IS 'Where it failed: fetch, parse, extract, read.';
COMMENT ON COLUMN failures.reason IS 'A short stable name for counting, such as timeout or http_status.';
COMMENT ON COLUMN failures.message IS 'What went wrong, for humans.';
COMMENT ON COLUMN failures.retryable IS 'Whether a later run could succeed without anyone changing anything.';
COMMENT ON COLUMN failures.failed_at IS 'When it failed (UTC).';

CREATE VIEW v_articles AS
SELECT a.article_id, a.published_at, a.source, a.sitename, a.title, a.author,
       a.language, a.topics, a.word_count, a.url, a.first_seen_at, a.updated_at
FROM articles a;
COMMENT ON VIEW v_articles IS 'Articles without their body, for browsing.';
