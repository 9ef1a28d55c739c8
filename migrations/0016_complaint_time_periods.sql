-- Complaint time histograms per local week (Monday) and month of each
-- report zone, next to the daily ones (0009).
--
-- A 90-day complaint report by week read about 1,100 daily histograms
-- holding 236,000 bins at 1M complaints, and PostgreSQL spent most of the
-- report's time writing them out as text. A week's complaints fall in
-- fewer bins than its seven days together (the days share most of their
-- bins), so whole weeks and months of the range are read from here and
-- only the partial ones at its edges from the days.
--
-- Same keys as complaint_time_daily, with `grain` ('w' week, 'm' month)
-- and `period` (its first local day) for the day. Kept by the daily rollup
-- function in the same transaction as the change, only when a change
-- touches a complaint with a first-response or resolution time; delta rows,
-- merged by the monitor as in 0008.

-- Complaint writers wait until the rows are filled and the trigger keeps
-- them; readers go on.
LOCK TABLE complaints IN SHARE MODE;

CREATE TABLE complaint_time_period (
  zone      text      NOT NULL,
  grain     "char"    NOT NULL CHECK (grain IN ('w', 'm')),
  period    date      NOT NULL,
  dims      smallint  NOT NULL,
  channel   smallint  NOT NULL,
  queue     text      NOT NULL,
  category  text      NOT NULL,
  assignee  text      NOT NULL,
  metric    smallint  NOT NULL,
  bins      integer[] NOT NULL,
  counts    bigint[]  NOT NULL
);
CREATE INDEX complaint_time_period_key_idx
  ON complaint_time_period (zone, grain, dims, period, channel, queue, category, assignee, metric);

-- 0014's function stays as it is under a new name; the name the
-- dispatchers of 0012 call now runs it and then the periods' histograms,
-- only for statements that touch a complaint with a first-response or
-- resolution time (a claim of a new complaint has neither).
ALTER FUNCTION complaint_daily_apply_rows(complaints[], complaints[])
  RENAME TO complaint_daily_days_rows;
CREATE FUNCTION complaint_daily_apply_rows(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  PERFORM complaint_daily_days_rows(added, removed);
  IF EXISTS (SELECT 1 FROM unnest(added) x
             WHERE x.first_response_seconds IS NOT NULL OR x.resolution_seconds IS NOT NULL)
     OR EXISTS (SELECT 1 FROM unnest(removed) x
                WHERE x.first_response_seconds IS NOT NULL
                   OR x.resolution_seconds IS NOT NULL) THEN
    INSERT INTO complaint_time_period
      (zone, grain, period, dims, channel, queue, category, assignee, metric, bins, counts)
    SELECT zone, grain, period, dims, k_channel, k_queue, k_category, k_assignee, metric,
           array_agg(bin ORDER BY bin), array_agg(n ORDER BY bin)
    FROM (SELECT k.zone, p.grain, retention_period(p.grain, k.day) AS period, k.dims,
                 k.k_channel, k.k_queue, k.k_category, k.k_assignee, m.metric,
                 time_bin(m.seconds) AS bin, sum(k.sign) AS n
          FROM (SELECT * FROM complaint_daily_keys(added, 1)
                UNION ALL
                SELECT * FROM complaint_daily_keys(removed, -1)) k
          CROSS JOIN (VALUES ('w'::"char"), ('m'::"char")) AS p(grain)
          CROSS JOIN LATERAL (VALUES (1::smallint, k.fr_seconds), (2::smallint, k.res_seconds))
            AS m(metric, seconds)
          WHERE m.seconds IS NOT NULL
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
          HAVING sum(k.sign) <> 0) b
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
  END IF;
END
$$;

-- The rows of zone `z` as a recount of the complaints gives them.
CREATE FUNCTION complaint_time_period_recount(z text)
  RETURNS SETOF complaint_time_period
  LANGUAGE sql STABLE AS $$
  SELECT z, grain, period, dims, ch, q, cat, a, metric, array_agg(bin ORDER BY bin),
         array_agg(n ORDER BY bin)
  FROM (SELECT p.grain, retention_period(p.grain, (c.created_at AT TIME ZONE z)::date) AS period,
               g.dims, (CASE WHEN g.dims = 1 THEN c.channel ELSE 0 END)::smallint AS ch,
               CASE WHEN g.dims = 4 THEN c.queue ELSE '' END AS q,
               CASE WHEN g.dims = 8 THEN c.category ELSE '' END AS cat,
               CASE WHEN g.dims = 2 THEN coalesce(c.assignee_id, '') ELSE '' END AS a,
               m.metric, time_bin(m.seconds) AS bin, count(*) AS n
        FROM complaints c
        CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint),
                           (8::smallint)) AS g(dims)
        CROSS JOIN (VALUES ('w'::"char"), ('m'::"char")) AS p(grain)
        CROSS JOIN LATERAL (VALUES (1::smallint, c.first_response_seconds),
                                   (2::smallint, c.resolution_seconds)) AS m(metric, seconds)
        WHERE m.seconds IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9) b
  GROUP BY grain, period, dims, ch, q, cat, a, metric
$$;

-- The same rows from zone `z`'s daily histograms (each local day lies in
-- one week and one month): what the first fill, a new report zone and the
-- rebuild use, after the days. At 1M complaints this took 15-27 s on a
-- 2-core machine, the recount from the complaints 1 min 51 s (the check
-- uses the recount); complaint writers wait while the migration fills it.
CREATE FUNCTION complaint_time_period_from_days(z text)
  RETURNS SETOF complaint_time_period
  LANGUAGE sql STABLE AS $$
  SELECT zone, grain, period, dims, channel, queue, category, assignee, metric,
         array_agg(bin ORDER BY bin), array_agg(n ORDER BY bin)
  FROM (SELECT t.zone, p.grain, retention_period(p.grain, t.day) AS period, t.dims, t.channel,
               t.queue, t.category, t.assignee, t.metric, u.bin, sum(u.n)::bigint AS n
        FROM complaint_time_daily t
        CROSS JOIN (VALUES ('w'::"char"), ('m'::"char")) AS p(grain)
        CROSS JOIN LATERAL unnest(t.bins, t.counts) AS u(bin, n)
        WHERE t.zone = z
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
        HAVING sum(u.n) <> 0) b
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
$$;

-- The stored histograms merged per key, as the recount gives them.
CREATE FUNCTION complaint_time_period_merged()
  RETURNS SETOF complaint_time_period
  LANGUAGE sql STABLE AS $$
  SELECT zone, grain, period, dims, channel, queue, category, assignee, metric,
         array_agg(bin ORDER BY bin), array_agg(n ORDER BY bin)
  FROM (SELECT t.zone, t.grain, t.period, t.dims, t.channel, t.queue, t.category, t.assignee,
               t.metric, u.bin, sum(u.n)::bigint AS n
        FROM complaint_time_period t, unnest(t.bins, t.counts) AS u(bin, n)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
        HAVING sum(u.n) <> 0) b
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
$$;

-- Merges the delta rows of up to max_keys keys; returns the rows removed.
CREATE FUNCTION complaint_time_period_compact(max_keys integer) RETURNS bigint
  LANGUAGE sql AS $$
  WITH keys AS (
    SELECT zone, grain, dims, period, channel, queue, category, assignee, metric
    FROM complaint_time_period
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING count(*) > 1 LIMIT max_keys
  ), gone AS (
    DELETE FROM complaint_time_period r USING keys k
    WHERE (r.zone, r.grain, r.dims, r.period, r.channel, r.queue, r.category, r.assignee,
           r.metric)
        = (k.zone, k.grain, k.dims, k.period, k.channel, k.queue, k.category, k.assignee,
           k.metric)
    RETURNING r.*
  ), merged AS (
    INSERT INTO complaint_time_period
    SELECT zone, grain, period, dims, channel, queue, category, assignee, metric,
           array_agg(bin ORDER BY bin), array_agg(n ORDER BY bin)
    FROM (SELECT g.zone, g.grain, g.period, g.dims, g.channel, g.queue, g.category, g.assignee,
                 g.metric, u.bin, sum(u.n)::bigint AS n
          FROM gone g, unnest(g.bins, g.counts) AS u(bin, n)
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
          HAVING sum(u.n) <> 0) b
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  )
  SELECT count(*) FROM gone
$$;

-- What is already there.
INSERT INTO complaint_time_period
SELECT d.* FROM report_zones z, complaint_time_period_from_days(z.zone) d;
ANALYZE complaint_time_period;
