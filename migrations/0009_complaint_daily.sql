-- Complaint counts and time histograms per local day of each report zone
-- (0007), kept by the same trigger as the 15-minute rollups. At 1M
-- complaints a year the slot rollups hold about one row per complaint, so a
-- 90-day report read a quarter of a million rows; per day and one dimension
-- it reads a few hundred (and the histograms a few per group and bin).
--
-- Grouping sets, by `dims` (1 channel, 2 agent = assignee, 4 queue,
-- 8 category): 0 (all complaints) and one dimension each. Reports over
-- whole local days of a report zone that group or filter by at most one
-- dimension read these; all others read the slots. Delta rows as in 0008:
-- each statement adds one row per changed key, the monitor merges them.

-- Complaint writers wait until the daily rows are filled and the triggers
-- keep them (about a minute at 1M complaints); readers go on.
LOCK TABLE complaints IN SHARE MODE;

CREATE TABLE complaint_daily (
  zone        text     NOT NULL,
  day         date     NOT NULL,
  dims        smallint NOT NULL,
  channel     smallint NOT NULL,  -- 0 unless dims = 1
  queue       text     NOT NULL,  -- '' unless dims = 4
  category    text     NOT NULL,  -- '' unless dims = 8
  assignee    text     NOT NULL,  -- '' unless dims = 2 (and '' when unassigned)
  opened      bigint   NOT NULL,
  resolved    bigint   NOT NULL,
  reopened    bigint   NOT NULL,
  escalated   bigint   NOT NULL,
  fr_met      bigint   NOT NULL,
  fr_missed   bigint   NOT NULL,
  res_met     bigint   NOT NULL,
  res_missed  bigint   NOT NULL,
  rated       bigint   NOT NULL,
  satisfied   bigint   NOT NULL
);
CREATE INDEX complaint_daily_key_idx
  ON complaint_daily (zone, dims, day, channel, queue, category, assignee);

-- A day's times are spread over hundreds of the 2% bins (a row per bin
-- would be a row per complaint again), so each row holds a histogram:
-- its non-zero bins in ascending order and their counts.
CREATE TABLE complaint_time_daily (
  zone      text      NOT NULL,
  day       date      NOT NULL,
  dims      smallint  NOT NULL,
  channel   smallint  NOT NULL,
  queue     text      NOT NULL,
  category  text      NOT NULL,
  assignee  text      NOT NULL,
  metric    smallint  NOT NULL,
  bins      integer[] NOT NULL,
  counts    bigint[]  NOT NULL
);
CREATE INDEX complaint_time_daily_key_idx
  ON complaint_time_daily (zone, dims, day, channel, queue, category, assignee, metric);

-- The complaints `c` (with a sign) keyed by every report zone's local day
-- and every grouping set.
CREATE FUNCTION complaint_daily_keys(c complaints[], s integer)
  RETURNS TABLE (zone text, day date, dims smallint, k_channel smallint, k_queue text,
                 k_category text, k_assignee text, sign integer, resolved boolean,
                 reopened boolean, escalated boolean, fr integer, res integer, rated bigint,
                 satisfied bigint, fr_seconds bigint, res_seconds bigint)
  LANGUAGE sql STABLE AS $$
  SELECT z.zone, (x.created_at AT TIME ZONE z.zone)::date, g.dims,
         (CASE WHEN g.dims = 1 THEN x.channel ELSE 0 END)::smallint,
         CASE WHEN g.dims = 4 THEN x.queue ELSE '' END,
         CASE WHEN g.dims = 8 THEN x.category ELSE '' END,
         CASE WHEN g.dims = 2 THEN coalesce(x.assignee_id, '') ELSE '' END,
         s, x.resolved_at IS NOT NULL, x.reopen_count > 0, x.escalation_level > 0,
         sla_outcome(x.first_response_at, x.first_response_due_at, x.first_response_breached),
         sla_outcome(x.resolved_at, x.resolution_due_at, x.resolution_breached),
         x.resolution_ratings, x.resolution_ratings_satisfied,
         x.first_response_seconds, x.resolution_seconds
  FROM unnest(c) x CROSS JOIN report_zones z
  CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint), (8::smallint))
    AS g(dims)
$$;

-- Adds `added` and takes away `removed` in the daily rollups. A caller's
-- transaction may force generic plans (a claim does); the generic plan of
-- this statement, sized for arrays of unknown length, costs enough to be
-- JIT-compiled on every call (~50 ms for a one-complaint change), so JIT
-- is off here.
CREATE FUNCTION complaint_daily_apply(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  WITH k AS (
    SELECT * FROM complaint_daily_keys(added, 1)
    UNION ALL
    SELECT * FROM complaint_daily_keys(removed, -1)
  ), counts AS (
    INSERT INTO complaint_daily
      (zone, day, dims, channel, queue, category, assignee, opened, resolved, reopened,
       escalated, fr_met, fr_missed, res_met, res_missed, rated, satisfied)
    SELECT zone, day, dims, k_channel, k_queue, k_category, k_assignee, o, r, ro, e, fm, fx,
           rm, rx, ra, sa
    FROM (SELECT zone, day, dims, k_channel, k_queue, k_category, k_assignee,
                 sum(sign) AS o,
                 coalesce(sum(sign) FILTER (WHERE resolved), 0) AS r,
                 coalesce(sum(sign) FILTER (WHERE reopened), 0) AS ro,
                 coalesce(sum(sign) FILTER (WHERE escalated), 0) AS e,
                 coalesce(sum(sign) FILTER (WHERE fr = 1), 0) AS fm,
                 coalesce(sum(sign) FILTER (WHERE fr = -1), 0) AS fx,
                 coalesce(sum(sign) FILTER (WHERE res = 1), 0) AS rm,
                 coalesce(sum(sign) FILTER (WHERE res = -1), 0) AS rx,
                 sum(sign * rated) AS ra, sum(sign * satisfied) AS sa
          FROM k GROUP BY 1, 2, 3, 4, 5, 6, 7) g
    WHERE (o, r, ro, e, fm, fx, rm, rx, ra, sa) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  )
  INSERT INTO complaint_time_daily
    (zone, day, dims, channel, queue, category, assignee, metric, bins, counts)
  SELECT zone, day, dims, k_channel, k_queue, k_category, k_assignee, metric,
         array_agg(bin ORDER BY bin), array_agg(n ORDER BY bin)
  FROM (SELECT zone, day, dims, k_channel, k_queue, k_category, k_assignee, m.metric,
               time_bin(m.seconds) AS bin, sum(sign) AS n
        FROM k CROSS JOIN LATERAL (VALUES (1::smallint, fr_seconds), (2::smallint, res_seconds))
          AS m(metric, seconds)
        WHERE m.seconds IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
        HAVING sum(sign) <> 0) b
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
END
$$;

-- The daily rows of zone `z` as a recount of the complaints gives them
-- (one row per key, zero keys left out).
CREATE FUNCTION complaint_daily_recount(z text)
  RETURNS TABLE (zone text, day date, dims smallint, channel smallint, queue text,
                 category text, assignee text, opened bigint, resolved bigint, reopened bigint,
                 escalated bigint, fr_met bigint, fr_missed bigint, res_met bigint,
                 res_missed bigint, rated bigint, satisfied bigint)
  LANGUAGE sql STABLE AS $$
  SELECT z, (c.created_at AT TIME ZONE z)::date, g.dims,
         (CASE WHEN g.dims = 1 THEN c.channel ELSE 0 END)::smallint,
         CASE WHEN g.dims = 4 THEN c.queue ELSE '' END,
         CASE WHEN g.dims = 8 THEN c.category ELSE '' END,
         CASE WHEN g.dims = 2 THEN coalesce(c.assignee_id, '') ELSE '' END,
         count(*),
         count(*) FILTER (WHERE c.resolved_at IS NOT NULL),
         count(*) FILTER (WHERE c.reopen_count > 0),
         count(*) FILTER (WHERE c.escalation_level > 0),
         count(*) FILTER (WHERE sla_outcome(c.first_response_at, c.first_response_due_at,
                                            c.first_response_breached) = 1),
         count(*) FILTER (WHERE sla_outcome(c.first_response_at, c.first_response_due_at,
                                            c.first_response_breached) = -1),
         count(*) FILTER (WHERE sla_outcome(c.resolved_at, c.resolution_due_at,
                                            c.resolution_breached) = 1),
         count(*) FILTER (WHERE sla_outcome(c.resolved_at, c.resolution_due_at,
                                            c.resolution_breached) = -1),
         sum(c.resolution_ratings)::bigint, sum(c.resolution_ratings_satisfied)::bigint
  FROM complaints c
  CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint), (8::smallint))
    AS g(dims)
  GROUP BY 1, 2, 3, 4, 5, 6, 7
$$;

CREATE FUNCTION complaint_time_daily_recount(z text)
  RETURNS TABLE (zone text, day date, dims smallint, channel smallint, queue text,
                 category text, assignee text, metric smallint, bins integer[], counts bigint[])
  LANGUAGE sql STABLE AS $$
  SELECT z, d, dims, ch, q, cat, a, metric, array_agg(bin ORDER BY bin), array_agg(n ORDER BY bin)
  FROM (SELECT (c.created_at AT TIME ZONE z)::date AS d, g.dims,
               (CASE WHEN g.dims = 1 THEN c.channel ELSE 0 END)::smallint AS ch,
               CASE WHEN g.dims = 4 THEN c.queue ELSE '' END AS q,
               CASE WHEN g.dims = 8 THEN c.category ELSE '' END AS cat,
               CASE WHEN g.dims = 2 THEN coalesce(c.assignee_id, '') ELSE '' END AS a,
               m.metric, time_bin(m.seconds) AS bin, count(*) AS n
        FROM complaints c
        CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint),
                           (8::smallint)) AS g(dims)
        CROSS JOIN LATERAL (VALUES (1::smallint, c.first_response_seconds),
                                   (2::smallint, c.resolution_seconds)) AS m(metric, seconds)
        WHERE m.seconds IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) b
  GROUP BY d, dims, ch, q, cat, a, metric
$$;

-- The stored histograms merged per key as the recount gives them.
CREATE FUNCTION complaint_time_daily_merged()
  RETURNS TABLE (zone text, day date, dims smallint, channel smallint, queue text,
                 category text, assignee text, metric smallint, bins integer[], counts bigint[])
  LANGUAGE sql STABLE AS $$
  SELECT zone, day, dims, channel, queue, category, assignee, metric,
         array_agg(bin ORDER BY bin), array_agg(n ORDER BY bin)
  FROM (SELECT t.zone, t.day, t.dims, t.channel, t.queue, t.category, t.assignee, t.metric,
               u.bin, sum(u.n)::bigint AS n
        FROM complaint_time_daily t, unnest(t.bins, t.counts) AS u(bin, n)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
        HAVING sum(u.n) <> 0) b
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
$$;

-- The statement triggers of 0006 now keep both.
CREATE OR REPLACE FUNCTION complaints_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  added complaints[] := (SELECT array_agg(n::complaints) FROM new_rows n);
BEGIN
  PERFORM complaint_rollup_apply(added, '{}');
  PERFORM complaint_daily_apply(added, '{}');
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION complaints_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  added complaints[] := (SELECT array_agg(n::complaints) FROM new_rows n);
  removed complaints[] := (SELECT array_agg(o::complaints) FROM old_rows o);
BEGIN
  PERFORM complaint_rollup_apply(added, removed);
  PERFORM complaint_daily_apply(added, removed);
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION complaints_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  removed complaints[] := (SELECT array_agg(o::complaints) FROM old_rows o);
BEGIN
  PERFORM complaint_rollup_apply('{}', removed);
  PERFORM complaint_daily_apply('{}', removed);
  RETURN NULL;
END $$;

-- Merges delta rows as complaint_rollup_compact (0008) does; feedbackd's
-- monitor runs both.
CREATE FUNCTION complaint_daily_compact(max_keys integer) RETURNS bigint LANGUAGE sql AS $$
  WITH keys AS (
    SELECT zone, dims, day, channel, queue, category, assignee FROM complaint_daily
    GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING count(*) > 1 LIMIT max_keys
  ), gone AS (
    DELETE FROM complaint_daily r USING keys k
    WHERE (r.zone, r.dims, r.day, r.channel, r.queue, r.category, r.assignee)
        = (k.zone, k.dims, k.day, k.channel, k.queue, k.category, k.assignee)
    RETURNING r.*
  ), merged AS (
    INSERT INTO complaint_daily
    SELECT zone, day, dims, channel, queue, category, assignee, sum(opened), sum(resolved),
           sum(reopened), sum(escalated), sum(fr_met), sum(fr_missed), sum(res_met),
           sum(res_missed), sum(rated), sum(satisfied)
    FROM gone GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING (sum(opened), sum(resolved), sum(reopened), sum(escalated), sum(fr_met),
            sum(fr_missed), sum(res_met), sum(res_missed), sum(rated), sum(satisfied))
        <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  ), time_keys AS (
    SELECT zone, dims, day, channel, queue, category, assignee, metric
    FROM complaint_time_daily
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING count(*) > 1 LIMIT max_keys
  ), time_gone AS (
    DELETE FROM complaint_time_daily r USING time_keys k
    WHERE (r.zone, r.dims, r.day, r.channel, r.queue, r.category, r.assignee, r.metric)
        = (k.zone, k.dims, k.day, k.channel, k.queue, k.category, k.assignee, k.metric)
    RETURNING r.*
  ), time_merged AS (
    INSERT INTO complaint_time_daily
    SELECT zone, day, dims, channel, queue, category, assignee, metric,
           array_agg(bin ORDER BY bin), array_agg(n ORDER BY bin)
    FROM (SELECT g.zone, g.day, g.dims, g.channel, g.queue, g.category, g.assignee, g.metric,
                 u.bin, sum(u.n)::bigint AS n
          FROM time_gone g, unnest(g.bins, g.counts) AS u(bin, n)
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
          HAVING sum(u.n) <> 0) b
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  )
  SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM time_gone)
$$;

-- Row estimates for the (tiny) zone list, which autovacuum may never
-- analyze.
ANALYZE report_zones;

-- What is already there.
INSERT INTO complaint_daily SELECT d.* FROM report_zones z, complaint_daily_recount(z.zone) d;
INSERT INTO complaint_time_daily
SELECT d.* FROM report_zones z, complaint_time_daily_recount(z.zone) d;
