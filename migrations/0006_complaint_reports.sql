-- Complaint and retention reports from rollups kept in the writing
-- transaction (statement-level triggers over transition tables, so a batch
-- costs one rollup statement, not one per row).

-- Business seconds (the policy's calendar, time waiting on the customer
-- excluded from resolution) from creation to first response / resolution,
-- set by the server when the event happens; and the CSAT ratings that name
-- the complaint (complaint_id), counted as they arrive.
ALTER TABLE complaints
  ADD COLUMN first_response_seconds bigint,
  ADD COLUMN resolution_seconds bigint,
  ADD COLUMN resolution_ratings bigint NOT NULL DEFAULT 0,
  ADD COLUMN resolution_ratings_satisfied bigint NOT NULL DEFAULT 0;

-- Cohort members resolved after a report's range ended (its backlog).
CREATE INDEX complaints_resolved_at_idx ON complaints (resolved_at) WHERE resolved_at IS NOT NULL;

-- One row per 15-minute UTC slot of created_at (exact in every zone, see
-- 0003) and group: what the cohort of complaints in it has become.
CREATE TABLE complaint_rollup (
  slot        timestamptz NOT NULL,
  channel     smallint    NOT NULL,
  queue       text        NOT NULL,
  category    text        NOT NULL,
  assignee    text        NOT NULL,  -- '' when unassigned
  opened      bigint      NOT NULL,
  resolved    bigint      NOT NULL,
  reopened    bigint      NOT NULL,
  escalated   bigint      NOT NULL,
  fr_met      bigint      NOT NULL,
  fr_missed   bigint      NOT NULL,
  res_met     bigint      NOT NULL,
  res_missed  bigint      NOT NULL,
  rated       bigint      NOT NULL,
  satisfied   bigint      NOT NULL,
  PRIMARY KEY (slot, channel, queue, category, assignee)
);

-- Histograms of first-response (metric 1) and resolution (metric 2) times
-- in logarithmic bins: bin 0 holds 0 s, bin b >= 1 holds
-- [1.02^(b-1), 1.02^b) seconds, so any percentile read from them is within
-- 1% of the exact value (domain/report.h, TimeHistogram).
CREATE TABLE complaint_time_rollup (
  slot      timestamptz NOT NULL,
  channel   smallint    NOT NULL,
  queue     text        NOT NULL,
  category  text        NOT NULL,
  assignee  text        NOT NULL,
  metric    smallint    NOT NULL,
  bin       integer     NOT NULL,
  n         bigint      NOT NULL,
  PRIMARY KEY (slot, channel, queue, category, assignee, metric, bin)
);

CREATE FUNCTION report_slot(t timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE STRICT
  RETURN date_bin('15 minutes', t, timestamptz '2000-01-01 00:00:00+00');

CREATE FUNCTION time_bin(seconds bigint) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
  RETURN CASE WHEN seconds <= 0 THEN 0
              ELSE 1 + floor(ln(seconds::double precision) / ln(1.02::double precision))::integer
         END;

-- SLA outcome per target: 1 met (done by the due time), -1 missed (done
-- late, or still open and marked breached by the SLA worker), 0 pending.
CREATE FUNCTION sla_outcome(done_at timestamptz, due_at timestamptz, breached boolean)
  RETURNS integer LANGUAGE sql IMMUTABLE
  RETURN CASE WHEN done_at IS NOT NULL AND done_at <= due_at THEN 1
              WHEN done_at IS NOT NULL OR breached THEN -1
              ELSE 0 END;

-- Adds the complaints `added` and takes away `removed` (their earlier
-- versions) in both rollups; groups whose numbers do not change are not
-- written.
CREATE FUNCTION complaint_rollup_apply(added complaints[], removed complaints[])
  RETURNS void LANGUAGE sql AS $$
  WITH changes AS (
    SELECT a.*, 1 AS sign FROM unnest(added) a
    UNION ALL
    SELECT r.*, -1 AS sign FROM unnest(removed) r
  ), groups AS (
    SELECT report_slot(created_at) AS slot, channel, queue, category,
           coalesce(assignee_id, '') AS assignee,
           sum(sign) AS opened,
           sum(sign) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
           sum(sign) FILTER (WHERE reopen_count > 0) AS reopened,
           sum(sign) FILTER (WHERE escalation_level > 0) AS escalated,
           sum(sign) FILTER (WHERE sla_outcome(first_response_at, first_response_due_at,
                                               first_response_breached) = 1) AS fr_met,
           sum(sign) FILTER (WHERE sla_outcome(first_response_at, first_response_due_at,
                                               first_response_breached) = -1) AS fr_missed,
           sum(sign) FILTER (WHERE sla_outcome(resolved_at, resolution_due_at,
                                               resolution_breached) = 1) AS res_met,
           sum(sign) FILTER (WHERE sla_outcome(resolved_at, resolution_due_at,
                                               resolution_breached) = -1) AS res_missed,
           sum(sign * resolution_ratings) AS rated,
           sum(sign * resolution_ratings_satisfied) AS satisfied
    FROM changes GROUP BY 1, 2, 3, 4, 5
  ), counts AS (
    INSERT INTO complaint_rollup AS t
      (slot, channel, queue, category, assignee, opened, resolved, reopened, escalated,
       fr_met, fr_missed, res_met, res_missed, rated, satisfied)
    SELECT slot, channel, queue, category, assignee, opened, coalesce(resolved, 0),
           coalesce(reopened, 0), coalesce(escalated, 0), coalesce(fr_met, 0),
           coalesce(fr_missed, 0), coalesce(res_met, 0), coalesce(res_missed, 0), rated, satisfied
    FROM groups
    WHERE (opened, coalesce(resolved, 0), coalesce(reopened, 0), coalesce(escalated, 0),
           coalesce(fr_met, 0), coalesce(fr_missed, 0), coalesce(res_met, 0),
           coalesce(res_missed, 0), rated, satisfied) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    ON CONFLICT (slot, channel, queue, category, assignee) DO UPDATE SET
      opened = t.opened + excluded.opened, resolved = t.resolved + excluded.resolved,
      reopened = t.reopened + excluded.reopened, escalated = t.escalated + excluded.escalated,
      fr_met = t.fr_met + excluded.fr_met, fr_missed = t.fr_missed + excluded.fr_missed,
      res_met = t.res_met + excluded.res_met, res_missed = t.res_missed + excluded.res_missed,
      rated = t.rated + excluded.rated, satisfied = t.satisfied + excluded.satisfied
  ), times AS (
    SELECT report_slot(created_at) AS slot, channel, queue, category,
           coalesce(assignee_id, '') AS assignee, m.metric, time_bin(m.seconds) AS bin,
           sum(sign) AS n
    FROM changes
    CROSS JOIN LATERAL (VALUES (1, first_response_seconds), (2, resolution_seconds))
      AS m(metric, seconds)
    WHERE m.seconds IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(sign) <> 0
  )
  INSERT INTO complaint_time_rollup AS t
    (slot, channel, queue, category, assignee, metric, bin, n)
  SELECT * FROM times
  ON CONFLICT (slot, channel, queue, category, assignee, metric, bin)
    DO UPDATE SET n = t.n + excluded.n
$$;

CREATE FUNCTION complaints_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM complaint_rollup_apply((SELECT array_agg(n::complaints) FROM new_rows n), '{}');
  RETURN NULL;
END $$;
CREATE FUNCTION complaints_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM complaint_rollup_apply((SELECT array_agg(n::complaints) FROM new_rows n),
                                 (SELECT array_agg(o::complaints) FROM old_rows o));
  RETURN NULL;
END $$;
CREATE FUNCTION complaints_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM complaint_rollup_apply('{}', (SELECT array_agg(o::complaints) FROM old_rows o));
  RETURN NULL;
END $$;
CREATE TRIGGER complaints_rollup_insert AFTER INSERT ON complaints
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION complaints_rollup_insert();
CREATE TRIGGER complaints_rollup_update AFTER UPDATE ON complaints
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION complaints_rollup_update();
CREATE TRIGGER complaints_rollup_delete AFTER DELETE ON complaints
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION complaints_rollup_delete();

-- Customers active (a score or a complaint with their customer_id) per
-- 15-minute slot, once each: the retention report's input.
CREATE TABLE customer_activity (
  slot         timestamptz NOT NULL,
  customer_id  text        NOT NULL,
  PRIMARY KEY (slot, customer_id)
);
CREATE INDEX customer_activity_customer_idx ON customer_activity (customer_id);

-- A text that is a UUID as a uuid, anything else as NULL (never an error).
CREATE FUNCTION try_uuid(t text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT
  RETURN CASE WHEN t ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              THEN t::uuid END;

-- New scores: their customers' activity, and CSAT ratings that name a
-- complaint counted on it (which moves the complaint rollup in turn).
CREATE FUNCTION feedback_reports_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO customer_activity (slot, customer_id)
  SELECT DISTINCT report_slot(occurred_at), customer_id FROM new_rows
  WHERE customer_id IS NOT NULL
  ON CONFLICT DO NOTHING;
  UPDATE complaints c
  SET resolution_ratings = c.resolution_ratings + r.n,
      resolution_ratings_satisfied = c.resolution_ratings_satisfied + r.satisfied
  FROM (SELECT try_uuid(complaint_id) AS id, count(*) AS n,
               count(*) FILTER (WHERE score >= 4) AS satisfied
        FROM new_rows WHERE kind = 1 AND complaint_id IS NOT NULL
        GROUP BY 1) r
  WHERE r.id IS NOT NULL AND c.id = r.id;
  RETURN NULL;
END $$;
CREATE TRIGGER feedback_reports_insert AFTER INSERT ON feedback
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedback_reports_insert();

CREATE FUNCTION complaints_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO customer_activity (slot, customer_id)
  SELECT DISTINCT report_slot(created_at), customer_id FROM new_rows
  WHERE customer_id IS NOT NULL
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER complaints_activity_insert AFTER INSERT ON complaints
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION complaints_activity_insert();

-- What is already there.
SELECT complaint_rollup_apply(coalesce((SELECT array_agg(c) FROM complaints c), '{}'), '{}');
INSERT INTO customer_activity (slot, customer_id)
SELECT report_slot(occurred_at), customer_id FROM feedback WHERE customer_id IS NOT NULL
UNION
SELECT report_slot(created_at), customer_id FROM complaints WHERE customer_id IS NOT NULL;
