-- Reports from one fold.
--
-- Until now every write computed every report inside its own transaction:
-- statement-level triggers on feedback and complaints (0006-0017) and the
-- rollup CTEs of the score insert kept fifteen derived tables, with delta
-- rows, writer shards and per-customer locks to let writers run side by
-- side. From here on:
--
--   * The write path stores facts only: feedback rows, idempotency keys,
--     complaints and their audit events. Each fact row carries the id of
--     the transaction that last wrote it (fold_xid, xid8).
--   * One folder (storage/fold/, inside feedbackd, one replica at a time)
--     folds the facts of the transactions in [watermark, horizon) into the
--     derived tables and moves the watermark in the same transaction, so
--     every fact is folded exactly once. The horizon is the xmin of the
--     folder's snapshot: every transaction below it has ended.
--   * A report reads, in one snapshot, the watermark, the derived rows and
--     the facts at or past the watermark (the tail), so it is exact at any
--     lag.
--
-- The list of derived tables, with how each is folded, recounted, erased
-- and read, is storage/fold/registry.cc. migrations/schema.sql is the whole
-- schema after the last migration.

-- Writers wait until the new tables are filled; readers go on.
LOCK TABLE feedback, complaints IN SHARE MODE;

-- ---------------------------------------------------------------------------
-- What goes: the write-path triggers, their functions and their tables.

DROP TRIGGER feedback_reports_insert ON feedback;
DROP TRIGGER feedback_retention_insert ON feedback;
DROP TRIGGER complaints_rollup_insert ON complaints;
DROP TRIGGER complaints_rollup_update ON complaints;
DROP TRIGGER complaints_rollup_delete ON complaints;
DROP TRIGGER complaints_activity_insert ON complaints;
DROP TRIGGER complaints_retention_insert ON complaints;
DROP TRIGGER complaints_retention_update ON complaints;
DROP TRIGGER complaints_retention_delete ON complaints;

DROP FUNCTION feedback_reports_insert(), feedback_retention_insert(),
  complaints_rollup_insert(), complaints_rollup_update(), complaints_rollup_delete(),
  complaints_activity_insert(), complaints_retention_insert(), complaints_retention_update(),
  complaints_retention_delete(),
  complaint_rollup_apply(complaints[], complaints[]),
  complaint_rollup_apply_generic(complaints[], complaints[]),
  complaint_rollup_apply_rows(complaints[], complaints[]),
  complaint_rollup_counts_rows(complaints[], complaints[]),
  complaint_rollup_compact(integer),
  complaint_daily_apply(complaints[], complaints[]),
  complaint_daily_apply_generic(complaints[], complaints[]),
  complaint_daily_apply_rows(complaints[], complaints[]),
  complaint_daily_days_rows(complaints[], complaints[]),
  complaint_daily_counts_rows(complaints[], complaints[]),
  complaint_daily_keys(complaints[], integer),
  complaint_daily_recount(text), complaint_daily_compact(integer),
  complaint_time_daily_recount(text), complaint_time_daily_merged(),
  complaint_time_period_recount(text), complaint_time_period_from_days(text),
  complaint_time_period_merged(), complaint_time_period_compact(integer),
  complaint_resolved_daily_recount(text), complaint_resolved_daily_merged(),
  complaint_resolved_daily_compact(integer),
  feedback_daily_recount(text), feedback_shards_fold(integer, timestamptz),
  retention_activity_apply(text[], timestamptz[]),
  retention_activity_apply_generic(text[], timestamptz[]),
  retention_activity_apply_rows(text[], timestamptz[]),
  retention_complaints_apply(text[], timestamptz[], boolean[], integer),
  retention_complaints_apply_generic(text[], timestamptz[], boolean[], integer),
  retention_complaints_apply_rows(text[], timestamptz[], boolean[], integer),
  retention_complaints_periods_rows(text[], timestamptz[], boolean[], integer),
  retention_lock(text[]), retention_forget(text), retention_fill(text),
  customer_days_recount(text), complainant_periods_recount(text),
  retention_counts_recount(text, boolean), retention_counts_merged(),
  retention_counts_compact(integer);

DROP TABLE feedback_rollup, feedback_daily, complaint_rollup, complaint_time_rollup,
  complaint_daily, complaint_time_daily, complaint_time_period, complaint_resolved_daily,
  complaint_resolved_rollup, complainant_slots, customer_activity, customer_days,
  complainant_periods, retention_counts, retention_customers;

-- Ratings that name a complaint are counted by the fold from the ratings
-- themselves.
ALTER TABLE complaints DROP COLUMN resolution_ratings,
  DROP COLUMN resolution_ratings_satisfied;

-- ---------------------------------------------------------------------------
-- Facts carry their transaction.

-- The rows already here get 0 (the constant default fills them without a
-- rewrite); the next statement makes new rows take their transaction's id.
-- The watermark starts at 0, so the folder's first window is the whole
-- history (`feedbackd migrate` folds it right after the migrations).
ALTER TABLE feedback ADD COLUMN fold_xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE feedback ALTER COLUMN fold_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX feedback_fold_xid_idx ON feedback (fold_xid);

ALTER TABLE complaints ADD COLUMN fold_xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE complaints ALTER COLUMN fold_xid SET DEFAULT pg_current_xact_id();
CREATE INDEX complaints_fold_xid_idx ON complaints (fold_xid);

-- A complaint changes in place: every update stamps the row with its
-- transaction (whoever writes it: the service, the SLA worker, an
-- operator's UPDATE), so the fold sees the change. It computes nothing.
CREATE FUNCTION complaints_stamp_fold_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.fold_xid := pg_current_xact_id();
  RETURN NEW;
END $$;
CREATE TRIGGER complaints_stamp_fold_xid BEFORE UPDATE ON complaints
  FOR EACH ROW EXECUTE FUNCTION complaints_stamp_fold_xid();

-- The ratings of a complaint (CSAT naming it), however its id was spelled,
-- and the ratings of a window. 0001's index on the raw complaint_id is
-- read by nothing, and without statistics (a fresh load) the planner took
-- it for the ratings of each complaint, scanning all of them every time.
DROP INDEX feedback_complaint_idx;
CREATE INDEX feedback_rated_complaint_idx ON feedback (try_uuid(complaint_id))
  WHERE kind = 1 AND complaint_id IS NOT NULL;
CREATE INDEX feedback_rating_fold_xid_idx ON feedback (fold_xid)
  WHERE kind = 1 AND complaint_id IS NOT NULL;

-- How far the facts are folded: every fact row with fold_xid < watermark
-- is in the derived tables, none at or past it.
CREATE TABLE fold_state (
  singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  watermark     xid8        NOT NULL,
  folded_at     timestamptz NOT NULL,
  facts_folded  bigint      NOT NULL
);
INSERT INTO fold_state VALUES (true, '0', now(), 0);

-- ---------------------------------------------------------------------------
-- A complaint as the reports count it.

-- What a complaint counts for now, from its row and the ratings naming it.
-- fr / res: the SLA outcome of first response / resolution (sla_outcome).
CREATE VIEW complaint_states AS
SELECT c.id, c.created_at, c.channel, c.queue, c.category,
       coalesce(c.assignee_id, '') AS assignee, c.customer_id, c.resolved_at,
       c.reopen_count > 0 AS reopened, c.escalation_level > 0 AS escalated,
       sla_outcome(c.first_response_at, c.first_response_due_at,
                   c.first_response_breached)::smallint AS fr,
       sla_outcome(c.resolved_at, c.resolution_due_at, c.resolution_breached)::smallint AS res,
       c.first_response_seconds AS fr_seconds, c.resolution_seconds AS res_seconds,
       r.rated, r.satisfied
FROM complaints c
CROSS JOIN LATERAL (
  SELECT count(*) AS rated, count(*) FILTER (WHERE f.score >= 4) AS satisfied
  FROM feedback f
  WHERE f.kind = 1 AND f.complaint_id IS NOT NULL AND try_uuid(f.complaint_id) = c.id) r;

-- Each complaint as last folded: what the derived complaint tables count
-- it as. A derived table.
CREATE TABLE complaint_folded (
  id           uuid        PRIMARY KEY,
  created_at   timestamptz NOT NULL,
  channel      smallint    NOT NULL,
  queue        text        NOT NULL,
  category     text        NOT NULL,
  assignee     text        NOT NULL,
  customer_id  text,
  resolved_at  timestamptz,
  reopened     boolean     NOT NULL,
  escalated    boolean     NOT NULL,
  fr           smallint    NOT NULL,
  res          smallint    NOT NULL,
  fr_seconds   bigint,
  res_seconds  bigint,
  rated        bigint      NOT NULL,
  satisfied    bigint      NOT NULL
);
CREATE INDEX complaint_folded_created_idx ON complaint_folded (created_at);
CREATE INDEX complaint_folded_customer_idx ON complaint_folded (customer_id)
  WHERE customer_id IS NOT NULL;

-- The complaints whose state may have changed in transactions [lo, hi):
-- written there, or rated there.
CREATE FUNCTION complaints_touched(lo xid8, hi xid8) RETURNS SETOF uuid
  LANGUAGE sql STABLE AS $$
  SELECT c.id FROM complaints c WHERE c.fold_xid >= lo AND c.fold_xid < hi
  UNION
  SELECT c.id FROM feedback f JOIN complaints c ON c.id = try_uuid(f.complaint_id)
  WHERE f.fold_xid >= lo AND f.fold_xid < hi AND f.kind = 1 AND f.complaint_id IS NOT NULL
$$;

-- The change of those complaints since they were last folded: their state
-- now (sign 1) and as folded (sign -1, none for new ones). Summed, what
-- the derived complaint tables lack.
CREATE FUNCTION complaint_changes(lo xid8, hi xid8)
  RETURNS TABLE (sign integer, id uuid, created_at timestamptz, channel smallint, queue text,
                 category text, assignee text, customer_id text, resolved_at timestamptz,
                 reopened boolean, escalated boolean, fr smallint, res smallint,
                 fr_seconds bigint, res_seconds bigint, rated bigint, satisfied bigint)
  LANGUAGE sql STABLE AS $$
  WITH t AS MATERIALIZED (SELECT t.id FROM complaints_touched(lo, hi) AS t(id))
  SELECT 1, s.* FROM complaint_states s WHERE s.id IN (SELECT id FROM t)
  UNION ALL
  SELECT -1, f.* FROM complaint_folded f WHERE f.id IN (SELECT id FROM t)
$$;

-- The complaints in complaint_folded (lo NULL) or their change in [lo, hi),
-- keyed by every report zone's local day of creation and every grouping
-- set (`dims`: 0 all, 1 channel, 2 agent = assignee, 4 queue, 8 category;
-- keys of other dimensions are 0 / ''), with the local day of resolution.
CREATE FUNCTION complaint_day_keys(lo xid8, hi xid8)
  RETURNS TABLE (sign integer, zone text, day date, dims smallint, k_channel smallint,
                 k_queue text, k_category text, k_assignee text, resolved_on date,
                 reopened boolean, escalated boolean, fr smallint, res smallint,
                 fr_seconds bigint, res_seconds bigint, rated bigint, satisfied bigint)
  LANGUAGE sql STABLE AS $$
  SELECT x.sign, z.zone, (x.created_at AT TIME ZONE z.zone)::date, g.dims,
         (CASE WHEN g.dims = 1 THEN x.channel ELSE 0 END)::smallint,
         CASE WHEN g.dims = 4 THEN x.queue ELSE '' END,
         CASE WHEN g.dims = 8 THEN x.category ELSE '' END,
         CASE WHEN g.dims = 2 THEN x.assignee ELSE '' END,
         (x.resolved_at AT TIME ZONE z.zone)::date,
         x.reopened, x.escalated, x.fr, x.res, x.fr_seconds, x.res_seconds, x.rated, x.satisfied
  FROM (SELECT 1 AS sign, f.* FROM complaint_folded f WHERE lo IS NULL
        UNION ALL
        SELECT c.* FROM complaint_changes(lo, hi) c WHERE lo IS NOT NULL) x
  CROSS JOIN report_zones z
  CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint), (8::smallint))
    AS g(dims)
$$;

-- Every complaint as a report counts it in a snapshot whose watermark is
-- `wm`: as folded, or as it is now when it changed since.
CREATE FUNCTION complaints_effective(wm xid8)
  RETURNS SETOF complaint_folded LANGUAGE sql STABLE AS $$
  WITH t AS MATERIALIZED (
    SELECT t.id FROM complaints_touched(wm, '18446744073709551615') AS t(id))
  SELECT f.* FROM complaint_folded f WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.id = f.id)
  UNION ALL
  SELECT s.* FROM complaint_states s WHERE s.id IN (SELECT id FROM t)
$$;

-- ---------------------------------------------------------------------------
-- The derived tables. All but complaint_folded are sums (or sets) that the
-- folder alone writes, one upsert per window; a key whose sums fall to
-- zero keeps its row (readers sum; the check leaves zero rows out).

-- Score counts per 15-minute UTC slot of occurred_at (0003: every zone's
-- offset is a multiple of 15 minutes, so each slot lies inside one local
-- day, week and month of every zone).
CREATE TABLE score_slots (
  slot       timestamptz NOT NULL,
  kind       smallint    NOT NULL,
  channel    smallint    NOT NULL,
  agent_id   text        NOT NULL,  -- '' when none
  queue      text        NOT NULL,  -- '' when none
  score      smallint    NOT NULL,
  responses  bigint      NOT NULL,
  PRIMARY KEY (slot, kind, channel, agent_id, queue, score)
);

-- Score counts per local day of each report zone and grouping set (dims:
-- 0 all, 1 channel, 2 agent, 4 queue).
CREATE TABLE score_days (
  zone       text     NOT NULL,
  dims       smallint NOT NULL,
  kind       smallint NOT NULL,
  day        date     NOT NULL,
  channel    smallint NOT NULL,  -- 0 unless dims = 1
  agent_id   text     NOT NULL,  -- '' unless dims = 2 (and '' for none)
  queue      text     NOT NULL,  -- '' unless dims = 4 (and '' for none)
  score      smallint NOT NULL,
  responses  bigint   NOT NULL,
  PRIMARY KEY (zone, dims, kind, day, channel, agent_id, queue, score)
);

-- Complaint counts per local day of creation of each report zone and
-- grouping set (complaint_day_keys): what the cohort has become.
CREATE TABLE complaint_days (
  zone        text     NOT NULL,
  dims        smallint NOT NULL,
  day         date     NOT NULL,
  channel     smallint NOT NULL,
  queue       text     NOT NULL,
  category    text     NOT NULL,
  assignee    text     NOT NULL,
  opened      bigint   NOT NULL,
  resolved    bigint   NOT NULL,
  reopened    bigint   NOT NULL,
  escalated   bigint   NOT NULL,
  fr_met      bigint   NOT NULL,
  fr_missed   bigint   NOT NULL,
  res_met     bigint   NOT NULL,
  res_missed  bigint   NOT NULL,
  rated       bigint   NOT NULL,
  satisfied   bigint   NOT NULL,
  PRIMARY KEY (zone, dims, day, channel, queue, category, assignee)
);

-- First-response (metric 1) and resolution (metric 2) time histograms in
-- the 2% bins of time_bin (0006), per local day ('d'), week from Monday
-- ('w') or month ('m') of creation: a report reads whole weeks and months
-- from their own rows and the days at the edges from the days'.
CREATE TABLE complaint_period_times (
  zone      text     NOT NULL,
  grain     "char"   NOT NULL CHECK (grain IN ('d', 'w', 'm')),
  dims      smallint NOT NULL,
  period    date     NOT NULL,
  channel   smallint NOT NULL,
  queue     text     NOT NULL,
  category  text     NOT NULL,
  assignee  text     NOT NULL,
  metric    smallint NOT NULL,
  bin       integer  NOT NULL,
  n         bigint   NOT NULL,
  PRIMARY KEY (zone, grain, dims, period, channel, queue, category, assignee, metric, bin)
);

-- Resolved complaints per local day of creation and of resolution: the
-- cohort's complaints resolved on or after a report's end day were open
-- at its end.
CREATE TABLE complaint_day_resolved (
  zone         text     NOT NULL,
  dims         smallint NOT NULL,
  day          date     NOT NULL,
  resolved_on  date     NOT NULL,
  channel      smallint NOT NULL,
  queue        text     NOT NULL,
  category     text     NOT NULL,
  assignee     text     NOT NULL,
  resolved     bigint   NOT NULL,
  PRIMARY KEY (zone, dims, day, resolved_on, channel, queue, category, assignee)
);

-- Customers active (a score or a complaint with their customer_id) per
-- 15-minute slot: retention in zones that are not report zones.
CREATE TABLE customer_slots (
  slot         timestamptz NOT NULL,
  customer_id  text        NOT NULL,
  PRIMARY KEY (slot, customer_id)
);
CREATE INDEX customer_slots_customer_idx ON customer_slots (customer_id);

-- Retention in report zones. For grain g ('d' day, 'w' week, 'm' month)
-- and a period p of it:
--   customer_periods     each customer active in p, with their first
--                        active local day in it;
--   complainant_periods  each customer who filed a complaint in p: how
--                        many, and how many are unresolved now;
--   retention_counts     keyed (p, day):
--     active                  customers whose first day in p is `day`
--     returning_customers     ... of those, active in the period before too
--     complainants_resolved   complainants of p, all of p's complaints
--                             resolved now (day = p)
--     complainants_unresolved complainants of p with one unresolved (day = p)
--     resolved_returned       resolved complainants of p whose first day in
--     unresolved_returned     the period after p is `day` (likewise)
-- Keyed by first day, the counts answer a range ending inside a period
-- too: a customer is in the part before `end` iff their first day is.
CREATE TABLE customer_periods (
  zone         text   NOT NULL,
  grain        "char" NOT NULL,
  period       date   NOT NULL,
  customer_id  text   NOT NULL,
  first_day    date   NOT NULL,
  PRIMARY KEY (zone, grain, period, customer_id)
);
CREATE INDEX customer_periods_customer_idx ON customer_periods (customer_id);

CREATE TABLE complainant_periods (
  zone         text    NOT NULL,
  grain        "char"  NOT NULL,
  period       date    NOT NULL,
  customer_id  text    NOT NULL,
  complaints   integer NOT NULL,
  unresolved   integer NOT NULL,
  PRIMARY KEY (zone, grain, period, customer_id)
);
CREATE INDEX complainant_periods_customer_idx ON complainant_periods (customer_id);

CREATE TABLE retention_counts (
  zone                     text   NOT NULL,
  grain                    "char" NOT NULL,
  period                   date   NOT NULL,
  day                      date   NOT NULL,
  active                   bigint NOT NULL,
  returning_customers      bigint NOT NULL,
  complainants_resolved    bigint NOT NULL,
  resolved_returned        bigint NOT NULL,
  complainants_unresolved  bigint NOT NULL,
  unresolved_returned      bigint NOT NULL,
  PRIMARY KEY (zone, grain, period, day)
);

-- Customers active at the given times: their new periods and first days
-- in customer_periods, and the change of the counts that makes. Called by
-- the folder only (one at a time). One statement: every part of it reads
-- the periods as they were before it.
CREATE FUNCTION retention_fold_activity(customers text[], times timestamptz[])
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  WITH seen AS (
    SELECT z.zone, g.grain, retention_period(g.grain, (a.t AT TIME ZONE z.zone)::date) AS period,
           a.c AS customer_id, min((a.t AT TIME ZONE z.zone)::date) AS first
    FROM unnest(customers, times) AS a(c, t), report_zones z, retention_grains() AS g(grain)
    WHERE a.c IS NOT NULL AND a.t IS NOT NULL
    GROUP BY 1, 2, 3, 4
  ), moves AS MATERIALIZED (
    -- Periods whose first day moves: from f0 (NULL: newly active) to f1.
    SELECT s.zone, s.grain, s.period, s.customer_id, p.first_day AS f0,
           least(p.first_day, s.first) AS f1
    FROM seen s
    LEFT JOIN customer_periods p
      ON (p.zone, p.grain, p.period, p.customer_id) = (s.zone, s.grain, s.period, s.customer_id)
    WHERE p.first_day IS NULL OR s.first < p.first_day
  ), flagged AS MATERIALIZED (
    -- Whether the customer's period before / after moves too.
    SELECT m.*,
           coalesce(lag(m.period) OVER w = retention_prev(m.grain, m.period), false) AS prev_moved,
           coalesce(lead(m.period) OVER w = retention_next(m.grain, m.period), false) AS next_moved
    FROM moves m
    WINDOW w AS (PARTITION BY m.zone, m.grain, m.customer_id ORDER BY m.period)
  ), stored AS (
    INSERT INTO customer_periods (zone, grain, period, customer_id, first_day)
    SELECT zone, grain, period, customer_id, f1 FROM moves
    ON CONFLICT (zone, grain, period, customer_id) DO UPDATE SET first_day = excluded.first_day
  ), sides AS (
    -- Each move with whether the period before was active before (p0) and
    -- after (p1) this call.
    SELECT m.*, prev.customer_id IS NOT NULL AS p0,
           prev.customer_id IS NOT NULL OR m.prev_moved AS p1
    FROM flagged m
    LEFT JOIN customer_periods prev
      ON (prev.zone, prev.grain, prev.period, prev.customer_id)
       = (m.zone, m.grain, retention_prev(m.grain, m.period), m.customer_id)
  ), deltas AS (
    -- The customer moves from (period, f0) to (period, f1), returning or not ...
    SELECT zone, grain, period, f0 AS day, -1 AS a, -p0::integer AS r, 0 AS rr, 0 AS ur
    FROM sides WHERE f0 IS NOT NULL
    UNION ALL
    SELECT zone, grain, period, f1, 1, p1::integer, 0, 0 FROM sides
    UNION ALL
    -- ... a period after a newly active one, not moved itself, now counts
    -- the customer as returning ...
    SELECT m.zone, m.grain, n.period, n.first_day, 0, 1, 0, 0
    FROM flagged m
    JOIN customer_periods n
      ON (n.zone, n.grain, n.period, n.customer_id)
       = (m.zone, m.grain, retention_next(m.grain, m.period), m.customer_id)
    WHERE m.f0 IS NULL AND NOT m.next_moved
    UNION ALL
    -- ... and a complainant of the period before returned on day f1.
    SELECT m.zone, m.grain, cp.period, s.day, 0, 0, s.sign * (cp.unresolved = 0)::integer,
           s.sign * (cp.unresolved > 0)::integer
    FROM moves m
    JOIN complainant_periods cp
      ON (cp.zone, cp.grain, cp.period, cp.customer_id)
       = (m.zone, m.grain, retention_prev(m.grain, m.period), m.customer_id)
    CROSS JOIN LATERAL (VALUES (m.f0, -1), (m.f1, 1)) AS s(day, sign)
    WHERE s.day IS NOT NULL
  )
  INSERT INTO retention_counts AS t
  SELECT zone, grain, period, day, sum(a), sum(r), 0, sum(rr), 0, sum(ur)
  FROM deltas GROUP BY 1, 2, 3, 4
  HAVING (sum(a), sum(r), sum(rr), sum(ur)) <> (0, 0, 0, 0)
  ON CONFLICT (zone, grain, period, day) DO UPDATE SET
    active = t.active + excluded.active,
    returning_customers = t.returning_customers + excluded.returning_customers,
    resolved_returned = t.resolved_returned + excluded.resolved_returned,
    unresolved_returned = t.unresolved_returned + excluded.unresolved_returned;
END $$;

-- Complaints counted in (sign 1) or out (-1) of their customers'
-- complainant periods; `open` says whether each is unresolved. Called by
-- the folder only, before the window's activity is added.
CREATE FUNCTION retention_fold_complaints(customers text[], created timestamptz[],
                                          open boolean[], sign integer)
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  WITH change AS (
    SELECT z.zone, g.grain,
           retention_period(g.grain, (a.t AT TIME ZONE z.zone)::date) AS period,
           a.c AS customer_id,
           sign * count(*) AS dn, sign * count(*) FILTER (WHERE a.o) AS du
    FROM unnest(customers, created, open) AS a(c, t, o), report_zones z,
         retention_grains() AS g(grain)
    WHERE a.c IS NOT NULL
    GROUP BY 1, 2, 3, 4
  ), states AS (
    SELECT ch.*, coalesce(cp.complaints, 0) AS n0, coalesce(cp.unresolved, 0) AS u0,
           back.first_day AS back_on
    FROM change ch
    LEFT JOIN complainant_periods cp
      ON (cp.zone, cp.grain, cp.period, cp.customer_id)
       = (ch.zone, ch.grain, ch.period, ch.customer_id)
    LEFT JOIN customer_periods back
      ON (back.zone, back.grain, back.period, back.customer_id)
       = (ch.zone, ch.grain, retention_next(ch.grain, ch.period), ch.customer_id)
  ), stored AS (
    INSERT INTO complainant_periods (zone, grain, period, customer_id, complaints, unresolved)
    SELECT zone, grain, period, customer_id, n0 + dn, u0 + du FROM states WHERE n0 + dn > 0
    ON CONFLICT (zone, grain, period, customer_id)
      DO UPDATE SET complaints = excluded.complaints, unresolved = excluded.unresolved
  ), emptied AS (
    DELETE FROM complainant_periods cp USING states s
    WHERE s.n0 + s.dn <= 0
      AND (cp.zone, cp.grain, cp.period, cp.customer_id) = (s.zone, s.grain, s.period, s.customer_id)
  ), deltas AS (
    SELECT zone, grain, period, back_on,
           (n0 + dn > 0 AND u0 + du = 0)::integer - (n0 > 0 AND u0 = 0)::integer AS resolved,
           (u0 + du > 0)::integer - (u0 > 0)::integer AS unresolved
    FROM states
  ), keyed AS (
    -- Complainants under the period itself, returns under the first day back.
    SELECT zone, grain, period, period AS day, resolved, 0 AS rr, unresolved, 0 AS ur
    FROM deltas
    UNION ALL
    SELECT zone, grain, period, back_on, 0, resolved, 0, unresolved
    FROM deltas WHERE back_on IS NOT NULL
  )
  INSERT INTO retention_counts AS t
  SELECT zone, grain, period, day, 0, 0, sum(resolved), sum(rr), sum(unresolved), sum(ur)
  FROM keyed GROUP BY 1, 2, 3, 4
  HAVING (sum(resolved), sum(rr), sum(unresolved), sum(ur)) <> (0, 0, 0, 0)
  ON CONFLICT (zone, grain, period, day) DO UPDATE SET
    complainants_resolved = t.complainants_resolved + excluded.complainants_resolved,
    resolved_returned = t.resolved_returned + excluded.resolved_returned,
    complainants_unresolved = t.complainants_unresolved + excluded.complainants_unresolved,
    unresolved_returned = t.unresolved_returned + excluded.unresolved_returned;
END $$;

-- Forgets a customer (erasure) in the retention tables of report zones:
-- their periods, complaints and returns no longer count.
CREATE FUNCTION retention_forget(c text) RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  WITH deltas AS (
    -- Their memberships, as active and returning customers ...
    SELECT p.zone, p.grain, p.period, p.first_day AS day, -1 AS a,
           -(prev.customer_id IS NOT NULL)::integer AS r, 0 AS cr, 0 AS rr, 0 AS cu, 0 AS ur
    FROM customer_periods p
    LEFT JOIN customer_periods prev
      ON (prev.zone, prev.grain, prev.period, prev.customer_id)
       = (p.zone, p.grain, retention_prev(p.grain, p.period), c)
    WHERE p.customer_id = c
    UNION ALL
    -- ... as complainants ...
    SELECT zone, grain, period, period, 0, 0, -(unresolved = 0)::integer, 0,
           -(unresolved > 0)::integer, 0
    FROM complainant_periods WHERE customer_id = c
    UNION ALL
    -- ... and as complainants who came back.
    SELECT cp.zone, cp.grain, cp.period, n.first_day, 0, 0, 0, -(cp.unresolved = 0)::integer,
           0, -(cp.unresolved > 0)::integer
    FROM complainant_periods cp
    JOIN customer_periods n
      ON (n.zone, n.grain, n.period, n.customer_id)
       = (cp.zone, cp.grain, retention_next(cp.grain, cp.period), c)
    WHERE cp.customer_id = c
  )
  INSERT INTO retention_counts AS t
  SELECT zone, grain, period, day, sum(a), sum(r), sum(cr), sum(rr), sum(cu), sum(ur)
  FROM deltas GROUP BY 1, 2, 3, 4
  ON CONFLICT (zone, grain, period, day) DO UPDATE SET
    active = t.active + excluded.active,
    returning_customers = t.returning_customers + excluded.returning_customers,
    complainants_resolved = t.complainants_resolved + excluded.complainants_resolved,
    resolved_returned = t.resolved_returned + excluded.resolved_returned,
    complainants_unresolved = t.complainants_unresolved + excluded.complainants_unresolved,
    unresolved_returned = t.unresolved_returned + excluded.unresolved_returned;
  DELETE FROM customer_periods WHERE customer_id = c;
  DELETE FROM complainant_periods WHERE customer_id = c;
END $$;

-- retention_counts as customer_periods and complainant_periods give them
-- (the check and the rebuild; one row per key, zero keys left out).
CREATE FUNCTION retention_counts_recount()
  RETURNS SETOF retention_counts LANGUAGE sql STABLE AS $$
  SELECT zone, grain, period, day, sum(a), sum(r), sum(cr), sum(rr), sum(cu), sum(ur)
  FROM (
    SELECT m.zone, m.grain, m.period, m.first_day AS day, 1 AS a,
           (p.customer_id IS NOT NULL)::integer AS r, 0 AS cr, 0 AS rr, 0 AS cu, 0 AS ur
    FROM customer_periods m
    LEFT JOIN customer_periods p
      ON (p.zone, p.grain, p.period, p.customer_id)
       = (m.zone, m.grain, retention_prev(m.grain, m.period), m.customer_id)
    UNION ALL
    SELECT zone, grain, period, period, 0, 0, (unresolved = 0)::integer, 0,
           (unresolved > 0)::integer, 0
    FROM complainant_periods
    UNION ALL
    SELECT cp.zone, cp.grain, cp.period, n.first_day, 0, 0, 0, (cp.unresolved = 0)::integer, 0,
           (cp.unresolved > 0)::integer
    FROM complainant_periods cp
    JOIN customer_periods n
      ON (n.zone, n.grain, n.period, n.customer_id)
       = (cp.zone, cp.grain, retention_next(cp.grain, cp.period), cp.customer_id)
  ) d
  GROUP BY 1, 2, 3, 4
  HAVING (sum(a), sum(r), sum(cr), sum(rr), sum(cu), sum(ur)) <> (0, 0, 0, 0, 0, 0)
$$;

-- The complaints changed in [lo, hi) whose customer, creation time or
-- resolvedness moved: out of their complainant periods as folded, into
-- them as they are now. Called by the folder only.
CREATE FUNCTION retention_fold_complaint_changes(lo xid8, hi xid8)
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  old_cs text[];
  old_ts timestamptz[];
  old_os boolean[];
  new_cs text[];
  new_ts timestamptz[];
  new_os boolean[];
BEGIN
  -- Each complaint's two sides by grouping, not by joining the changes to
  -- themselves (the planner cannot know their number, and a nested loop
  -- over 100k new complaints never ended).
  SELECT array_agg(oc), array_agg(ot), array_agg(oo), array_agg(nc), array_agg(nt), array_agg(no)
    INTO old_cs, old_ts, old_os, new_cs, new_ts, new_os
  FROM (SELECT min(customer_id) FILTER (WHERE sign = -1) AS oc,
               min(created_at) FILTER (WHERE sign = -1) AS ot,
               bool_or(resolved_at IS NULL) FILTER (WHERE sign = -1) AS oo,
               min(customer_id) FILTER (WHERE sign = 1) AS nc,
               min(created_at) FILTER (WHERE sign = 1) AS nt,
               bool_or(resolved_at IS NULL) FILTER (WHERE sign = 1) AS no
        FROM complaint_changes(lo, hi) GROUP BY id) p
  WHERE (oc, ot, oo) IS DISTINCT FROM (nc, nt, no);
  IF new_cs IS NOT NULL THEN
    PERFORM retention_fold_complaints(old_cs, old_ts, old_os, -1);
    PERFORM retention_fold_complaints(new_cs, new_ts, new_os, 1);
  END IF;
END $$;
