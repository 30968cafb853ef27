-- Schema version 5: delivery records of topic alerts, so each is sent at most once.

CREATE TABLE alert_deliveries (
    subscription VARCHAR NOT NULL,
    article_id   VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,
    attempts     INTEGER NOT NULL,
    last_error   VARCHAR,
    first_try_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    PRIMARY KEY (subscription, article_id)
);
COMMENT ON TABLE alert_deliveries IS 'One row per alert subscription and article: delivered once, or pending with the last error.';
COMMENT ON COLUMN alert_deliveries.subscription IS 'The subscription name from the configuration.';
COMMENT ON COLUMN alert_deliveries.article_id IS 'The article the alert is about.';
COMMENT ON COLUMN alert_deliveries.status IS 'delivered, or pending (to be retried by the next run).';
COMMENT ON COLUMN alert_deliveries.attempts IS 'Delivery attempts so far.';
COMMENT ON COLUMN alert_deliveries.last_error IS 'Why the last attempt failed.';
COMMENT ON COLUMN alert_deliveries.first_try_at IS 'When delivery was first attempted.';
COMMENT ON COLUMN alert_deliveries.delivered_at IS 'When it was delivered.';
