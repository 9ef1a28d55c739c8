-- The complaint report's backlog (cohort complaints still open at the end
-- of the range) from a rollup. The daily rollups (0009) count the cohort's
-- complaints resolved now; a complaint resolved after the range ended was
-- open at its end, and those were read from the complaints themselves (an
-- index range scan and a heap fetch per complaint: 34 ms of a 70 ms
-- 90-day report at 1M complaints).
--
-- complaint_resolved_daily counts the resolved complaints per local day of
-- creation and local day of resolution, for every report zone and grouping
-- set of complaint_daily. A report over whole local days ending at day E
-- adds those resolved on E or later: resolved_at >= E's midnight exactly
-- when the local resolution day is E or later. Resolution takes days, not
-- months, so a creation day holds a handful of resolution days per key.
-- Kept by the daily rollup function, in the same transaction as the
-- change (delta rows, merged by the monitor as in 0008).

-- Complaint writers wait until the rows are filled and the trigger keeps
-- them; readers go on.
LOCK TABLE complaints IN SHARE MODE;

CREATE TABLE complaint_resolved_daily (
  zone         text     NOT NULL,
  day          date     NOT NULL,  -- local day of creation
  dims         smallint NOT NULL,
  channel      smallint NOT NULL,
  queue        text     NOT NULL,
  category     text     NOT NULL,
  assignee     text     NOT NULL,
  resolved_on  date     NOT NULL,  -- local day of resolution
  resolved     bigint   NOT NULL
);
CREATE INDEX complaint_resolved_daily_key_idx
  ON complaint_resolved_daily (zone, dims, day, resolved_on, channel, queue, category, assignee);

-- complaint_daily_keys (0009) with each complaint's local resolution day
-- (NULL while open). Its result type changes, so it is dropped first; the
-- PL/pgSQL bodies that call it look it up by name when they run.
DROP FUNCTION complaint_daily_keys(complaints[], integer);
CREATE FUNCTION complaint_daily_keys(c complaints[], s integer)
  RETURNS TABLE (zone text, day date, dims smallint, k_channel smallint, k_queue text,
                 k_category text, k_assignee text, sign integer, resolved boolean,
                 reopened boolean, escalated boolean, fr integer, res integer, rated bigint,
                 satisfied bigint, fr_seconds bigint, res_seconds bigint, resolved_on date)
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
         x.first_response_seconds, x.resolution_seconds,
         (x.resolved_at AT TIME ZONE z.zone)::date
  FROM unnest(c) x CROSS JOIN report_zones z
  CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint), (8::smallint))
    AS g(dims)
$$;

-- 0009's daily rollup function (named complaint_daily_apply_rows by 0012)
-- stays as it is under a new name, complaint_daily_counts_rows; the name
-- the dispatchers of 0012 call now runs it and then the resolution days. Only statements that touch a resolved complaint (resolutions,
-- reopens, changes to resolved complaints) have any: claims and most agent
-- actions skip that statement (as a part of the counts statement it took
-- 10-20% of every claim batch).
ALTER FUNCTION complaint_daily_apply_rows(complaints[], complaints[])
  RENAME TO complaint_daily_counts_rows;
CREATE FUNCTION complaint_daily_apply_rows(added complaints[], removed complaints[])
  RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  PERFORM complaint_daily_counts_rows(added, removed);
  IF EXISTS (SELECT 1 FROM unnest(added) x WHERE x.resolved_at IS NOT NULL)
     OR EXISTS (SELECT 1 FROM unnest(removed) x WHERE x.resolved_at IS NOT NULL) THEN
    INSERT INTO complaint_resolved_daily
      (zone, day, dims, channel, queue, category, assignee, resolved_on, resolved)
    SELECT zone, day, dims, k_channel, k_queue, k_category, k_assignee, resolved_on, sum(sign)
    FROM (SELECT * FROM complaint_daily_keys(added, 1)
          UNION ALL
          SELECT * FROM complaint_daily_keys(removed, -1)) k
    WHERE resolved_on IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    HAVING sum(sign) <> 0;
  END IF;
END
$$;

-- The rows of zone `z` as a recount of the complaints gives them.
CREATE FUNCTION complaint_resolved_daily_recount(z text)
  RETURNS TABLE (zone text, day date, dims smallint, channel smallint, queue text,
                 category text, assignee text, resolved_on date, resolved bigint)
  LANGUAGE sql STABLE AS $$
  SELECT z, (c.created_at AT TIME ZONE z)::date, g.dims,
         (CASE WHEN g.dims = 1 THEN c.channel ELSE 0 END)::smallint,
         CASE WHEN g.dims = 4 THEN c.queue ELSE '' END,
         CASE WHEN g.dims = 8 THEN c.category ELSE '' END,
         CASE WHEN g.dims = 2 THEN coalesce(c.assignee_id, '') ELSE '' END,
         (c.resolved_at AT TIME ZONE z)::date, count(*)
  FROM complaints c
  CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint), (4::smallint), (8::smallint))
    AS g(dims)
  WHERE c.resolved_at IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
$$;

-- The stored rows with their delta rows summed, as the recount gives them.
CREATE FUNCTION complaint_resolved_daily_merged()
  RETURNS TABLE (zone text, day date, dims smallint, channel smallint, queue text,
                 category text, assignee text, resolved_on date, resolved bigint)
  LANGUAGE sql STABLE AS $$
  SELECT zone, day, dims, channel, queue, category, assignee, resolved_on, sum(resolved)::bigint
  FROM complaint_resolved_daily
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(resolved) <> 0
$$;

-- Merges the delta rows of up to max_keys keys; returns the rows removed.
CREATE FUNCTION complaint_resolved_daily_compact(max_keys integer) RETURNS bigint
  LANGUAGE sql AS $$
  WITH keys AS (
    SELECT zone, dims, day, resolved_on, channel, queue, category, assignee
    FROM complaint_resolved_daily
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING count(*) > 1 LIMIT max_keys
  ), gone AS (
    DELETE FROM complaint_resolved_daily r USING keys k
    WHERE (r.zone, r.dims, r.day, r.resolved_on, r.channel, r.queue, r.category, r.assignee)
        = (k.zone, k.dims, k.day, k.resolved_on, k.channel, k.queue, k.category, k.assignee)
    RETURNING r.*
  ), merged AS (
    INSERT INTO complaint_resolved_daily
    SELECT zone, day, dims, channel, queue, category, assignee, resolved_on, sum(resolved)
    FROM gone GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    HAVING sum(resolved) <> 0
  )
  SELECT count(*) FROM gone
$$;

-- What is already there.
INSERT INTO complaint_resolved_daily
SELECT d.* FROM report_zones z, complaint_resolved_daily_recount(z.zone) d;
ANALYZE complaint_resolved_daily;
