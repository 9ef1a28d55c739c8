-- API keys, feedback scores and idempotency records.

CREATE TABLE api_keys (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  role        text        NOT NULL
              CHECK (role IN ('ingest', 'agent', 'supervisor', 'manager', 'admin')),
  queues      text[]      NOT NULL DEFAULT '{}',
  -- SHA-256 of the whole key; the key itself is never stored.
  key_hash    bytea       NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  -- The first characters of the key, so people can tell keys apart.
  key_prefix  text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- One row per score: kind 1 = CSAT (1-5), kind 2 = NPS (0-10). A checkout
-- survey with both scores writes two rows.
CREATE TABLE feedback (
  id              uuid        PRIMARY KEY,
  kind            smallint    NOT NULL CHECK (kind IN (1, 2)),
  score           smallint    NOT NULL,
  channel         smallint    NOT NULL CHECK (channel BETWEEN 1 AND 6),
  customer_id     text,
  customer_phone  text,
  customer_email  text,
  customer_name   text,
  interaction_id  text,
  agent_id        text,
  queue           text,
  comment         text,
  attributes      jsonb       NOT NULL DEFAULT '{}',
  complaint_id    text,
  api_key_id      bigint      NOT NULL,
  occurred_at     timestamptz NOT NULL,
  received_at     timestamptz NOT NULL,
  CHECK ((kind = 1 AND score BETWEEN 1 AND 5) OR (kind = 2 AND score BETWEEN 0 AND 10))
);

-- Reports scan by time; the retention report by customer over time.
CREATE INDEX feedback_occurred_at_idx ON feedback (occurred_at);
CREATE INDEX feedback_customer_idx ON feedback (customer_id, occurred_at)
  WHERE customer_id IS NOT NULL;
CREATE INDEX feedback_complaint_idx ON feedback (complaint_id)
  WHERE complaint_id IS NOT NULL;

-- The result of every submit, keyed by (caller's key, request_id), so a retry
-- gets the original answer. kind: 1 rating, 2 NPS answer, 3 survey.
CREATE TABLE idempotency_keys (
  api_key_id              bigint      NOT NULL,
  request_id              text        NOT NULL,
  kind                    smallint    NOT NULL,
  payload_hash            bytea       NOT NULL,
  csat_feedback_id        uuid,
  nps_feedback_id         uuid,
  received_at             timestamptz NOT NULL,
  follow_up_complaint_id  text,
  PRIMARY KEY (api_key_id, request_id)
);
-- Pruning of records past the retention window.
CREATE INDEX idempotency_keys_received_at_idx ON idempotency_keys (received_at);
