-- Complaints, their audit events, notes, follow-ups and SLA policies.

-- Microseconds since the Unix epoch: how the server reads times.
CREATE FUNCTION epoch_us(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT
  RETURN (extract(epoch FROM t) * 1000000)::bigint;

-- Business calendar of a policy: an IANA zone, weekly open intervals as
-- (ISO weekday 1=Monday..7=Sunday, start minute, end minute) triples
-- flattened into open_minutes, and local holidays.
CREATE TABLE sla_policies (
  priority                smallint    PRIMARY KEY CHECK (priority BETWEEN 1 AND 4),
  first_response_seconds  bigint      NOT NULL CHECK (first_response_seconds > 0),
  resolution_seconds      bigint      NOT NULL CHECK (resolution_seconds > 0),
  time_zone               text        NOT NULL,
  open_minutes            int[]       NOT NULL,
  holidays                date[]      NOT NULL DEFAULT '{}',
  updated_at              timestamptz NOT NULL DEFAULT now()
);

-- Defaults: URGENT 30 min / 4 h around the clock; HIGH 1 h / 1 business day;
-- NORMAL 4 business hours / 3 business days; LOW 1 / 5 business days. A
-- business day is the default calendar's 8 open hours (Mon-Fri 09:00-17:00).
INSERT INTO sla_policies (priority, first_response_seconds, resolution_seconds, time_zone, open_minutes)
VALUES
  (4, 1800, 14400, 'UTC', '{1,0,1440, 2,0,1440, 3,0,1440, 4,0,1440, 5,0,1440, 6,0,1440, 7,0,1440}'),
  (3, 3600, 28800, 'UTC', '{1,540,1020, 2,540,1020, 3,540,1020, 4,540,1020, 5,540,1020}'),
  (2, 14400, 86400, 'UTC', '{1,540,1020, 2,540,1020, 3,540,1020, 4,540,1020, 5,540,1020}'),
  (1, 28800, 144000, 'UTC', '{1,540,1020, 2,540,1020, 3,540,1020, 4,540,1020, 5,540,1020}');

-- status: 1 NEW, 2 IN_PROGRESS, 3 WAITING_ON_CUSTOMER, 4 RESOLVED, 5 CLOSED.
-- priority: 1 LOW .. 4 URGENT. version is the etag.
CREATE TABLE complaints (
  id                       uuid        PRIMARY KEY,
  status                   smallint    NOT NULL CHECK (status BETWEEN 1 AND 5),
  priority                 smallint    NOT NULL CHECK (priority BETWEEN 1 AND 4),
  queue                    text        NOT NULL,
  category                 text        NOT NULL DEFAULT '',
  channel                  smallint    NOT NULL,
  customer_id              text,
  customer_phone           text,
  customer_email           text,
  customer_name            text,
  interaction_id           text,
  subject                  text        NOT NULL,
  description              text        NOT NULL DEFAULT '',
  assignee_id              text,
  created_at               timestamptz NOT NULL,
  updated_at               timestamptz NOT NULL,
  first_response_at        timestamptz,
  resolved_at              timestamptz,
  closed_at                timestamptz,
  first_response_due_at    timestamptz NOT NULL,
  resolution_due_at        timestamptz NOT NULL,
  sla_paused               boolean     NOT NULL DEFAULT false,
  paused_at                timestamptz,
  paused_business_seconds  bigint      NOT NULL DEFAULT 0,
  first_response_breached  boolean     NOT NULL DEFAULT false,
  resolution_breached      boolean     NOT NULL DEFAULT false,
  escalation_level         integer     NOT NULL DEFAULT 0,
  reopen_count             integer     NOT NULL DEFAULT 0,
  -- One score opens at most one case.
  source_feedback_id       uuid        UNIQUE,
  resolution_code          text,
  version                  bigint      NOT NULL DEFAULT 1
);

-- Claiming: unassigned open complaints of a queue, breached first, then due.
CREATE INDEX complaints_claim_idx ON complaints
  (queue, resolution_breached DESC, first_response_breached DESC, resolution_due_at, id)
  WHERE assignee_id IS NULL AND status IN (1, 2);
-- Listing by SLA due time; finished complaints (the bulk) are not in it.
CREATE INDEX complaints_open_due_idx ON complaints (resolution_due_at, id) WHERE status < 4;
CREATE INDEX complaints_due_idx ON complaints (resolution_due_at, id);
CREATE INDEX complaints_queue_due_idx ON complaints (queue, resolution_due_at, id);
CREATE INDEX complaints_created_idx ON complaints (created_at, id);
CREATE INDEX complaints_assignee_idx ON complaints (assignee_id, resolution_due_at)
  WHERE assignee_id IS NOT NULL;
CREATE INDEX complaints_customer_idx ON complaints (customer_id) WHERE customer_id IS NOT NULL;
-- The SLA worker's scans.
CREATE INDEX complaints_first_response_watch_idx ON complaints (first_response_due_at)
  WHERE first_response_at IS NULL AND NOT first_response_breached AND status < 4;
CREATE INDEX complaints_resolution_watch_idx ON complaints (resolution_due_at)
  WHERE status < 4 AND NOT sla_paused AND NOT resolution_breached;
CREATE INDEX complaints_resolved_idx ON complaints (resolved_at) WHERE status = 4;

CREATE TABLE complaint_notes (
  id            uuid        PRIMARY KEY,
  complaint_id  uuid        NOT NULL REFERENCES complaints (id),
  author        text        NOT NULL,
  body          text        NOT NULL,
  visibility    smallint    NOT NULL CHECK (visibility IN (1, 2)),
  created_at    timestamptz NOT NULL
);
CREATE INDEX complaint_notes_complaint_idx ON complaint_notes (complaint_id, created_at);

-- The audit trail: who did what, when, with the changed fields before/after.
CREATE TABLE complaint_events (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  complaint_id  uuid        NOT NULL REFERENCES complaints (id),
  queue         text        NOT NULL,
  kind          smallint    NOT NULL,
  actor         text        NOT NULL,
  occurred_at   timestamptz NOT NULL,
  before        jsonb       NOT NULL DEFAULT '{}',
  after         jsonb       NOT NULL DEFAULT '{}',
  detail        text        NOT NULL DEFAULT ''
);
CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, id);

-- Live queue: every committed event is announced to all server replicas.
CREATE FUNCTION complaint_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('complaint_events', NEW.id::text);
  RETURN NULL;
END $$;
CREATE TRIGGER complaint_events_notify AFTER INSERT ON complaint_events
  FOR EACH ROW EXECUTE FUNCTION complaint_events_notify();

-- kind: 1 CALLBACK, 2 EMAIL, 3 SURVEY; status: 1 PENDING, 2 DONE.
CREATE TABLE follow_ups (
  id            uuid        PRIMARY KEY,
  complaint_id  uuid        NOT NULL REFERENCES complaints (id),
  kind          smallint    NOT NULL CHECK (kind BETWEEN 1 AND 3),
  status        smallint    NOT NULL DEFAULT 1 CHECK (status IN (1, 2)),
  due_at        timestamptz NOT NULL,
  note          text        NOT NULL DEFAULT '',
  outcome       text        NOT NULL DEFAULT '',
  created_by    text        NOT NULL,
  created_at    timestamptz NOT NULL,
  completed_at  timestamptz
);
CREATE INDEX follow_ups_complaint_idx ON follow_ups (complaint_id, due_at);
CREATE INDEX follow_ups_pending_idx ON follow_ups (due_at, id) WHERE status = 1;

-- FileComplaint is idempotent like the submits: its result is the complaint.
ALTER TABLE idempotency_keys ADD COLUMN complaint_id uuid;
